"""Feed files as received and the lines set aside from them."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FeedFile(models.Model):
    """One ingest of one file. The same content ingested again gets a new row and adds nothing."""

    kind = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lines = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)  # new events stored
    duplicates = models.PositiveIntegerField(default=0)  # already known by id
    quarantined = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("feed file")
        verbose_name_plural = _("feed files")

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}"


class QuarantinedLine(models.Model):
    """A line that could not be accepted, with its number and the reason; the rest went in.

    Unique per file content and line, so ingesting the same file twice sets nothing aside twice.
    Staff may correct the text and run it again (`resolved_at` then records the outcome).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32)
    feed_file = models.ForeignKey(
        FeedFile, null=True, on_delete=models.SET_NULL, related_name="quarantine"
    )
    file_sha256 = models.CharField(max_length=64)
    line_number = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    raw = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("quarantined line")
        verbose_name_plural = _("quarantined lines")
        constraints = [
            models.UniqueConstraint(
                fields=["file_sha256", "line_number"], name="one_quarantine_per_line"
            )
        ]
        indexes = [
            models.Index(
                fields=["kind", "created_at"],
                name="quarantine_open",
                condition=Q(resolved_at__isnull=True),
            )
        ]
