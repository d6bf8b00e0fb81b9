"""e-ZLA, electronic sick leaves ("Historia leczenia" → Zwolnienia), from the `zus-sickleave` feed.

A leave belongs to the insured employee (`person`), also when it is for the care of a child or
a family member (`cared_person`): a care leave is on the parent's account, never the child's.
The cared person's name is shown only to those allowed to see that person (the views decide,
through guardianship.policy). A cancelled leave stays listed, marked cancelled.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Person


class SickLeave(models.Model):
    class Kind(models.TextChoices):
        OWN_ILLNESS = "own_illness", _("own illness")
        CHILD_CARE = "child_care", _("care of a child")
        FAMILY_CARE = "family_care", _("care of a family member")

    class Indication(models.TextChoices):
        MUST_LIE = "must_lie", _("must lie in bed")
        MAY_WALK = "may_walk", _("may walk")

    class Status(models.TextChoices):
        ISSUED = "issued", pgettext_lazy("sick leave", "issued")
        CANCELLED = "cancelled", pgettext_lazy("sick leave", "cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    series_number = models.CharField(_("series and number"), max_length=20, db_collation="C")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sick_leaves", db_index=False)
    issued_on = models.DateField(_("issued on"))
    period_from = models.DateField(_("from"))
    period_to = models.DateField(_("to"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The cared person by PESEL (they may be unknown to the portal) and, when known, the Person.
    cared_person_pesel = models.CharField(max_length=11, blank=True, db_collation="C")
    cared_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    indication = models.CharField(_("indication"), max_length=16, choices=Indication.choices)
    employer_nip = models.CharField(_("employer's NIP"), max_length=10)
    doctor_name = models.CharField(_("doctor"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)  # when the cancellation arrived
    feed_file = models.ForeignKey(
        "feeds.FeedFile", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    line_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("e-sick-leave")
        verbose_name_plural = _("e-sick-leaves")
        constraints = [
            models.UniqueConstraint(fields=["series_number"], name="sickleave_series_unique"),
            models.CheckConstraint(
                condition=models.Q(period_to__gte=models.F("period_from")), name="sickleave_period_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["person", "-issued_on", "-id"], name="sickleave_person_newest"),
            # Care leaves whose cared person the portal did not know yet: linked by each ingest.
            models.Index(
                fields=["cared_person_pesel"],
                name="sickleave_cared_unlinked",
                condition=models.Q(cared_person__isnull=True) & ~models.Q(cared_person_pesel=""),
            ),
        ]

    def __str__(self) -> str:
        return self.series_number
