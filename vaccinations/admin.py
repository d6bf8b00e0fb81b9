"""Admin for vaccination data.

Programme versions are the one thing DESIGN.md asks admins to edit: a programme change is a
new version with its dates, never code. Vaccines and clinics are editable too (clinic staff are
assigned here). Slots, appointments and doses are records the feeds, clinics and parents write
through services (which lock, check and notify): shown here, not written by hand. The page of
an appointment, a dose or a dose reminder shows a child's vaccination data: opening it writes
an access-log row on the child (SubjectReadAdmin), as the records' and sick leaves' pages do.
A clinic created or recoded here gets the doses recorded under its code while no clinic had it.
No PESEL in search_fields (admin search is a GET: the query string would reach access logs).
"""

from django.contrib import admin
from django.utils.translation import ngettext

from guardianship.admin import RecordAdmin, SubjectReadAdmin
from guardianship.models import AccessLogEntry
from vaccinations import services
from vaccinations.models import (
    Appointment,
    Clinic,
    DoseReminder,
    Immunization,
    Programme,
    Slot,
    Vaccine,
)


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

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change or "code" in form.changed_data:
            # Doses recorded under this code while no clinic had it join the clinic now, as
            # the clinic-slots feed does for the clinics it creates: else they are on no
            # clinic's open-visits page and the child cannot book the next dose.
            linked = services.clinic_link_doses(clinic=obj)
            if linked:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)s dose recorded under code %(code)s is now linked to this clinic.",
                        "%(count)s doses recorded under code %(code)s are now linked to this clinic.",
                        linked,
                    )
                    % {"count": linked, "code": obj.code},
                )


@admin.register(Slot)
class SlotAdmin(RecordAdmin):
    list_display = ["slot_id", "clinic", "vaccine", "starts_at", "duration_minutes", "source", "withdrawn_at"]
    list_filter = ["source", ("withdrawn_at", admin.EmptyFieldListFilter), "clinic__city"]
    search_fields = ["=slot_id", "=public_id"]
    date_hierarchy = "starts_at"
    list_select_related = ["clinic", "vaccine"]


@admin.register(Appointment)
class AppointmentAdmin(SubjectReadAdmin, RecordAdmin):
    subject_field = "child"
    read_action = AccessLogEntry.Action.VIEW_VACCINATIONS
    list_display = ["public_id", "vaccine", "dose_number", "slot", "status", "cancel_reason", "booked_at"]
    list_filter = ["status", "cancel_reason"]
    search_fields = ["=public_id"]
    list_select_related = ["vaccine", "slot__clinic"]


@admin.register(Immunization)
class ImmunizationAdmin(SubjectReadAdmin, RecordAdmin):
    subject_field = "person"
    read_action = AccessLogEntry.Action.VIEW_VACCINATIONS
    list_display = ["record_id", "vaccine", "dose_number", "administered_on", "clinic_code", "visit_status"]
    list_filter = ["visit_status", "vaccine"]
    search_fields = ["=record_id", "=clinic_code"]
    date_hierarchy = "administered_on"


@admin.register(DoseReminder)
class DoseReminderAdmin(SubjectReadAdmin, RecordAdmin):
    # Whose next dose is due when: the child's vaccination state.
    subject_field = "person"
    read_action = AccessLogEntry.Action.VIEW_VACCINATIONS
    list_display = ["vaccine", "dose_number", "kind", "window_opens_on", "window_closes_on", "sent_at"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
