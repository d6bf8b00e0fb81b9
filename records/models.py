"""EDM documents ("Historia leczenia" → Dokumenty), from the `edm-document` feed.

A document belongs to the person it is about (`person`); guardians read a child's documents from
the child's account through guardianship.policy. Documents appear in paths only by `public_id`.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Person


class Document(models.Model):
    class Type(models.TextChoices):
        DIAGNOSTIC_REPORT = "diagnostic_report", _("diagnostic test description")
        LAB_RESULT = "lab_result", _("laboratory result with description")
        REFERRAL_INFORMATION = "referral_information", _("information for the referring doctor")
        DISCHARGE_SUMMARY = "discharge_summary", _("hospital discharge summary")
        ADMISSION_REFUSAL = "admission_refusal", _("information on refusal of admission to hospital")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document_id = models.CharField(max_length=100, db_collation="C")  # the feed's id; unique: Meta
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="documents", db_index=False)
    type = models.CharField(_("type"), max_length=32, choices=Type.choices)
    title = models.CharField(_("title"), max_length=300)
    issued_at = models.DateTimeField(_("issued at"))
    facility_name = models.CharField(_("facility"), max_length=300)
    author_name = models.CharField(_("author"), max_length=200)
    body = models.TextField(_("content"))
    received_at = models.DateTimeField(auto_now_add=True)
    # Where it came from; no index and no constraint (as InsuranceEvent.feed_file).
    feed_file = models.ForeignKey(
        "feeds.FeedFile", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    line_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("medical document")
        verbose_name_plural = _("medical documents")
        constraints = [models.UniqueConstraint(fields=["document_id"], name="document_id_unique")]
        indexes = [
            # The list: a person's documents, newest first (and filtered by type or facility).
            models.Index(fields=["person", "-issued_at", "-id"], name="document_person_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.title}"
