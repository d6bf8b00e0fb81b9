"""ikp-pomoc: tickets, their message thread and attachments, the response targets set in admin,
staff actions taken from a ticket, ZUS corrections to request, and inbound mail set aside."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from support import rules


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
        NEW = rules.Status.NEW.value, _("new")
        IN_PROGRESS = rules.Status.IN_PROGRESS.value, _("in progress")
        WAITING = rules.Status.WAITING.value, _("waiting for the patient")
        RESOLVED = rules.Status.RESOLVED.value, _("resolved")
        CLOSED = rules.Status.CLOSED.value, _("closed")

    class Source(models.TextChoices):
        PORTAL = "portal", _("portal form")
        DIAGNOSIS = "diagnosis", _("opened from a diagnosis")
        EMAIL = "email", _("e-mail")
        LOGIN_FORM = "login_form", _("login help form")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.PORTAL
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    # Where replies go when there is no requester login (inbound e-mail, the login help form).
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="pl")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # concerned
    description = models.TextField(_("description"))
    # What the portal showed or found when the ticket was opened (codes and dates, no names).
    diagnosis = models.JSONField(default=dict, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_tickets", verbose_name=_("assigned to"),
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["category", "status", "created_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["requester", "-created_at"]),
        ]

    @property
    def number(self) -> str:
        """Human-readable number, e.g. IKP-2026-000042 (the year it opened, Polish time)."""
        return rules.ticket_number(timezone.localtime(self.created_at).year, self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_STATUSES

    def worked_by(self, user) -> bool:
        """Open and assigned to `user`: who may read the person's data and attachments."""
        return self.is_open and self.assignee_id is not None and self.assignee_id == user.pk

    @property
    def reply_address(self) -> str:
        return self.requester.email if self.requester_id else self.contact_email

    @property
    def reply_language(self) -> str:
        return self.requester.language if self.requester_id else self.language

    def __str__(self) -> str:
        return self.number


class TicketMessage(models.Model):
    """One entry of a ticket's thread. Patients see messages, replies and public events;
    internal notes and internal events (assignment, staff actions) are for staff only."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("message from the patient")
        REPLY = "reply", _("reply from ikp-pomoc")
        NOTE = "note", _("internal note")
        EVENT = "event", _("change")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    internal = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    # EVENT rows: the status set (or "" for an assignment) — the body stays free for a note.
    status = models.CharField(max_length=16, choices=Ticket.Status.choices, blank=True)
    via_email = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the mail task when this entry has been sent (each change is mailed once).
    mailed_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the inbound e-mail this entry came from: a mail file taken twice (a worker
    # killed after delivering it) is delivered once.
    mail_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="note") | Q(internal=True), name="ticket_note_is_internal"
            ),
            models.UniqueConstraint(
                fields=["mail_key"], condition=~Q(mail_key=""), name="one_entry_per_mail"
            ),
        ]


class Attachment(models.Model):
    """A file sent with a ticket or a message: PDF, JPEG or PNG by content, size-limited.

    Kept in PostgreSQL (bytea): it commits or rolls back with its message, needs no private
    media storage, and is served only through the ticket's gate.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=list(rules.EXTENSIONS)),
                name="attachment_accepted_type",
            ),
        ]


class ResponseTarget(models.Model):
    """How soon ikp-pomoc answers and resolves a category (edited in admin)."""

    category = models.CharField(_("category"), max_length=32, choices=Ticket.Category.choices)
    first_response = models.DurationField(_("first response within"))
    resolution = models.DurationField(_("resolution within"))

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        constraints = [models.UniqueConstraint(fields=["category"], name="one_target_per_category")]

    def __str__(self) -> str:
        return self.get_category_display()


class StaffAction(models.Model):
    """A change or read support made from a ticket, with the justification they had to give."""

    class Kind(models.TextChoices):
        VIEW_PERSON = "view_person", _("read the person's data")
        RESYNC = "resync", _("re-ran the insurance sync")
        GRANT_GUARDIAN = "grant_guardian", _("granted a guardian after checking documents")
        NOT_MY_CHILD_CONFIRMED = "nmc_confirmed", _("confirmed a 'not my child' report")
        NOT_MY_CHILD_REJECTED = "nmc_rejected", _("rejected a 'not my child' report")
        SEARCH_PESEL = "search_pesel", _("searched tickets by PESEL")

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    justification = models.TextField(_("justification"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff action")
        verbose_name_plural = _("staff actions")
        indexes = [models.Index(fields=["ticket", "created_at"])]


class ZusCorrection(models.Model):
    """A correction ikp-pomoc must request from ZUS: a family-member registration made under
    the wrong PESEL (a confirmed "not my child" report)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="zus_corrections")
    insured = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    registration_event_ids = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(_("requested from ZUS"), null=True, blank=True)

    class Meta:
        verbose_name = _("ZUS correction")
        verbose_name_plural = _("ZUS corrections")


class SetAsideMail(models.Model):
    """An inbound e-mail that did not become a ticket or a message, and why. The file itself
    is kept in the mail inbox's set-aside/ folder under `filename`."""

    class Reason(models.TextChoices):
        OVERSIZED = "oversized", _("larger than the limit")
        MALFORMED = "malformed", _("not a readable e-mail")
        NO_SENDER = "no_sender", _("no usable sender address")
        EMPTY = "empty", _("no text")
        AUTOMATIC = "automatic", _("an automatic reply or bulk mail")

    filename = models.CharField(max_length=255)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("set-aside e-mail")
        verbose_name_plural = _("set-aside e-mails")
