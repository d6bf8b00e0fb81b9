"""HPV vaccination: programmes as data, clinics, published slots, appointments, doses.

Invariants the database holds (STYLE.md: let the database say no):
- a slot has at most one booked appointment (`one_booking_per_slot`);
- a child holds at most one booked appointment per vaccine (`one_booking_per_child_vaccine`);
- a dose is recorded once per person, vaccine and dose number (`one_dose_per_number`).
Booking itself locks the slot row first (vaccinations/services.py), so the constraints are
the last line, not the mechanism.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from vaccinations import rules


class Vaccine(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)  # "HPV9" in the feeds
    name = models.CharField(_("name"), max_length=100)  # "Gardasil 9"
    # What a parent chooses on the booking path ("przeciw HPV"); Polish, with its English in
    # `against_en` (data edited in admin, not in the message catalogue).
    against = models.CharField(_("against (Polish)"), max_length=100)
    against_en = models.CharField(_("against (English)"), max_length=100)

    class Meta:
        verbose_name = _("vaccine")
        verbose_name_plural = _("vaccines")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def against_label(self) -> str:
        """`against` in the active language."""
        return self.against_en if get_language() == "en" else self.against


class Programme(models.Model):
    """One version of a free vaccination programme; a change of programme is a new row."""

    vaccine = models.ForeignKey(Vaccine, on_delete=models.PROTECT, related_name="programmes")
    name = models.CharField(_("name"), max_length=200)
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("in force until (inclusive)"), null=True, blank=True)
    first_dose_min_age = models.PositiveSmallIntegerField(_("youngest age at the first dose"))
    first_dose_max_age = models.PositiveSmallIntegerField(
        _("age from which a first dose is no longer given")
    )
    doses = models.PositiveSmallIntegerField(_("number of doses"))
    min_interval_months = models.PositiveSmallIntegerField(_("shortest interval (months)"))
    max_interval_months = models.PositiveSmallIntegerField(_("longest interval (months)"))
    later_doses_after_max_age = models.BooleanField(
        _("a later dose may fall after the upper age"), default=True
    )

    class Meta:
        verbose_name = _("vaccination programme")
        verbose_name_plural = _("vaccination programmes")
        ordering = ["vaccine", "effective_from", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_dose_min_age__lt=F("first_dose_max_age")),
                name="programme_ages_ordered",
            ),
            models.CheckConstraint(
                condition=Q(min_interval_months__lte=F("max_interval_months")),
                name="programme_intervals_ordered",
            ),
            models.CheckConstraint(condition=Q(doses__gte=1), name="programme_at_least_one_dose"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="programme_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def as_rule(self) -> rules.Programme:
        return rules.Programme(
            vaccine_code=self.vaccine.code,
            effective_from=self.effective_from,
            effective_to=self.effective_to,
            first_dose_min_age=self.first_dose_min_age,
            first_dose_max_age=self.first_dose_max_age,
            doses=self.doses,
            min_interval_months=self.min_interval_months,
            max_interval_months=self.max_interval_months,
            later_doses_after_max_age=self.later_doses_after_max_age,
        )


class Clinic(models.Model):
    """A POZ clinic or vaccination point; `code` is its identifier in the feeds."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("clinic code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="clinics", verbose_name=_("staff")
    )

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["city", "name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"


class Slot(models.Model):
    """One published vaccination term: one child at one time."""

    class Source(models.TextChoices):
        FEED = "feed", _("clinic-slots feed")
        STAFF = "staff", _("clinic staff")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slot_id = models.CharField(_("slot id"), max_length=100)  # the feed's id; staff: "staff-<uuid>"
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="slots")
    vaccine = models.ForeignKey(Vaccine, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=15)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FEED)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [models.UniqueConstraint(fields=["slot_id"], name="slot_id_unique")]
        indexes = [
            # The parent's search: open slots of a vaccine, soonest first.
            models.Index(
                fields=["vaccine", "starts_at"],
                name="slot_open",
                condition=Q(withdrawn_at__isnull=True),
            ),
            models.Index(fields=["clinic", "starts_at"], name="slot_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic} {self.starts_at:%Y-%m-%d %H:%M}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        DONE = "done", _("dose given")

    class CancelReason(models.TextChoices):
        BY_GUARDIAN = "guardian", _("cancelled by the parent")
        RESCHEDULED = "rescheduled", _("moved to another term")
        SLOT_WITHDRAWN = "slot_withdrawn", _("the clinic withdrew the term")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    # The slot's vaccine, copied: the partial unique constraint (one booked appointment per
    # child and vaccine) can only name this table's columns.
    vaccine = models.ForeignKey(Vaccine, on_delete=models.PROTECT, related_name="+")
    dose_number = models.PositiveSmallIntegerField(_("dose"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=16, choices=CancelReason.choices, blank=True)
    # A double submit of the same confirmation form books once (services.appointment_book).
    request_token = models.UUIDField(null=True, blank=True)

    # The parent e-mails already sent about this appointment ("booked", "cancelled", "withdrawn"):
    # a task published twice (after a broker outage) sends each once.
    mails_sent = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status="booked"), name="one_booking_per_slot"
            ),
            models.UniqueConstraint(
                fields=["child", "vaccine"],
                condition=Q(status="booked"),
                name="one_booking_per_child_vaccine",
            ),
            models.UniqueConstraint(fields=["request_token"], name="appointment_request_once"),
        ]

    def __str__(self) -> str:
        return f"{self.vaccine.code} #{self.dose_number} {self.slot}"


class Immunization(models.Model):
    """A dose given, from the `immunization` feed or recorded by clinic staff."""

    class VisitStatus(models.TextChoices):
        OPEN = "open", _("visit open")
        COMPLETED = "completed", _("visit closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record_id = models.CharField(max_length=100)  # the feed's id; staff: "staff-<uuid>"
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="immunizations")
    vaccine = models.ForeignKey(Vaccine, on_delete=models.PROTECT, related_name="+")
    dose_number = models.PositiveSmallIntegerField(_("dose"))
    administered_on = models.DateField(_("given on"))
    # The clinic by its feed code; a code we do not know yet still records the dose.
    clinic_code = models.CharField(_("clinic code"), max_length=32)
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="immunizations"
    )
    visit_status = models.CharField(max_length=16, choices=VisitStatus.choices)
    closed_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("immunization")
        verbose_name_plural = _("immunizations")
        constraints = [
            models.UniqueConstraint(fields=["record_id"], name="immunization_record_unique"),
            models.UniqueConstraint(
                fields=["person", "vaccine", "dose_number"], name="one_dose_per_number"
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "administered_on"],
                name="immunization_open_visits",
                condition=Q(visit_status="open"),
            ),
            # The daily next-dose reminders look doses up by the day they were given.
            models.Index(fields=["administered_on"], name="immunization_given_on"),
            # Doses whose clinic code the portal did not know yet, linked when the clinic appears.
            models.Index(
                fields=["clinic_code"], name="immunization_unknown_clinic", condition=Q(clinic__isnull=True)
            ),
        ]

    def as_rule(self) -> rules.RecordedDose:
        return rules.RecordedDose(
            administered_on=self.administered_on,
            visit_open=self.visit_status == self.VisitStatus.OPEN,
            clinic_name=self.clinic.name if self.clinic else self.clinic_code,
        )


class DoseReminder(models.Model):
    """An e-mail owed about the next dose's window; one per child, dose and kind."""

    class Kind(models.TextChoices):
        WINDOW_OPENS = "opens", _("the next dose can be booked")
        WINDOW_CLOSING = "closing", _("two weeks left for the next dose")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    vaccine = models.ForeignKey(Vaccine, on_delete=models.PROTECT, related_name="+")
    dose_number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    window_opens_on = models.DateField()
    window_closes_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "vaccine", "dose_number", "kind"], name="one_reminder_per_dose"
            )
        ]
