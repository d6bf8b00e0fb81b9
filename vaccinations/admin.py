"""Admin for vaccination data.

Programme versions are the one thing DESIGN.md asks admins to edit: a programme change is a
new version with its dates, never code. Vaccines and clinics are editable too (clinic staff are
assigned here). Slots, appointments and doses are records the feeds, clinics and parents write
through services (which lock, check and notify): shown here, not written by hand.
No PESEL in search_fields (admin search is a GET: the query string would reach access logs).
"""

from django.contrib import admin

from guardianship.admin import RecordAdmin
from vaccinations.models import Appointment, Clinic, DoseReminder, Immunization, Programme, Slot, Vaccine


@admin.register(Vaccine)
class VaccineAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "against", "against_en"]
    search_fields = ["code", "name"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = [
        "name", "vaccine", "effective_from", "effective_to", "first_dose_min_age", "first_dose_max_age",
        "doses", "min_interval_months", "max_interval_months", "later_doses_after_max_age",
    ]  # fmt: skip
    list_filter = ["vaccine"]
    ordering = ["vaccine", "-effective_from"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a programme ends by its effective_to: courses begun under it still follow it


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "address"]
    list_filter = ["city"]
    search_fields = ["=code", "name", "city"]
    filter_horizontal = ["staff"]


@admin.register(Slot)
class SlotAdmin(RecordAdmin):
    list_display = ["slot_id", "clinic", "vaccine", "starts_at", "duration_minutes", "source", "withdrawn_at"]
    list_filter = ["source", ("withdrawn_at", admin.EmptyFieldListFilter), "clinic__city"]
    search_fields = ["=slot_id", "=public_id"]
    date_hierarchy = "starts_at"
    list_select_related = ["clinic", "vaccine"]


@admin.register(Appointment)
class AppointmentAdmin(RecordAdmin):
    list_display = ["public_id", "vaccine", "dose_number", "slot", "status", "cancel_reason", "booked_at"]
    list_filter = ["status", "cancel_reason"]
    search_fields = ["=public_id"]
    list_select_related = ["vaccine", "slot__clinic"]


@admin.register(Immunization)
class ImmunizationAdmin(RecordAdmin):
    list_display = ["record_id", "vaccine", "dose_number", "administered_on", "clinic_code", "visit_status"]
    list_filter = ["visit_status", "vaccine"]
    search_fields = ["=record_id", "=clinic_code"]
    date_hierarchy = "administered_on"


@admin.register(DoseReminder)
class DoseReminderAdmin(RecordAdmin):
    list_display = ["vaccine", "dose_number", "kind", "window_opens_on", "window_closes_on", "sent_at"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
