"""ikp-pomoc tickets. This issue needs only the ticket itself (opened with a diagnosis);
the desk, statuses, messages and attachments around it arrive with the support issue."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Person


class Ticket(models.Model):
    class Category(models.TextChoices):
        CHILD_ACCESS = "child_access", _("access to a child's account")
        NOT_MY_CHILD = "not_my_child", _("a child that is not mine")
        HPV_BOOKING = "hpv_booking", _("HPV vaccination booking")
        MISSING_DOCUMENTS = "missing_documents", _("missing documents")
        SICK_LEAVE = "sick_leave", _("e-sick-leave")
        LOGIN = "login", _("logging in")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("in progress")
        WAITING = "waiting", _("waiting for the patient")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # concerned
    description = models.TextField(_("description"))
    # What the portal showed or found when the ticket was opened (codes and dates, no names).
    diagnosis = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        indexes = [models.Index(fields=["status", "created_at"])]

    @property
    def number(self) -> str:
        """Human-readable number, e.g. IKP-2026-000042."""
        return f"IKP-{self.created_at:%Y}-{self.pk:06d}"

    def __str__(self) -> str:
        return self.number
