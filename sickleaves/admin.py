"""Admin for e-ZLA: a record of what ZUS sent, shown and never written by hand (the feed owns
it; a cancellation arrives through the feed too). A leave's page shows the employee's data:
opening it is a read like any other, logged on the employee (SubjectReadAdmin).

No PESEL in search_fields: admin search is a GET and its query string would carry the PESEL
into access logs. Search by the leave's series and number, opaque ids and surnames.
"""

from django.contrib import admin

from guardianship.admin import RecordAdmin, SubjectReadAdmin
from guardianship.models import AccessLogEntry
from sickleaves.models import SickLeave


@admin.register(SickLeave)
class SickLeaveAdmin(SubjectReadAdmin, RecordAdmin):
    # The leave is the employee's, also a care leave (the cared person is named on it): the
    # read is logged on the employee, as on the Zwolnienia page.
    subject_field = "person"
    read_action = AccessLogEntry.Action.VIEW_SICK_LEAVES
    # The list names nobody (as the documents' list): whose leave it is shows on its page,
    # whose opening is logged.
    list_display = (
        "series_number", "issued_on", "period_from", "period_to", "kind", "status", "received_at",
    )  # fmt: skip
    list_filter = ("status", "kind", "indication")
    search_fields = ("=series_number", "=public_id", "person__surname", "=person__public_id")
    date_hierarchy = "issued_on"
    ordering = ("-issued_on", "-pk")
    show_full_result_count = False  # a day of e-ZLA is ~100,000 rows: skip the second COUNT(*)
