"""Admin for e-ZLA: a record of what ZUS sent, shown and never written by hand (the feed owns
it; a cancellation arrives through the feed too).

No PESEL in search_fields: admin search is a GET and its query string would carry the PESEL
into access logs. Search by the leave's series and number, opaque ids and surnames.
"""

from django.contrib import admin

from guardianship.admin import RecordAdmin
from sickleaves.models import SickLeave


@admin.register(SickLeave)
class SickLeaveAdmin(RecordAdmin):
    list_display = (
        "series_number", "person", "issued_on", "period_from", "period_to", "kind", "status", "received_at",
    )  # fmt: skip
    list_filter = ("status", "kind", "indication")
    list_select_related = ("person",)
    search_fields = ("=series_number", "=public_id", "person__surname", "=person__public_id")
    date_hierarchy = "issued_on"
    ordering = ("-issued_on", "-pk")
    show_full_result_count = False  # a day of e-ZLA is ~100,000 rows: skip the second COUNT(*)
