"""Admin for EDM documents: records the edm-document feed writes, shown here, never written
by hand (RecordAdmin). A document's page shows its content, so opening it is a read of the
patient's data like any other: it writes an access-log row, which the patient sees as staff
(SubjectReadAdmin, shared with the other admins of medical data).

No PESEL in search_fields: admin search is a GET, and its query string would carry the PESEL
into access logs. Search by the feed's document id, the opaque public id or the surname.
"""

from django.contrib import admin

from guardianship.admin import RecordAdmin, SubjectReadAdmin
from guardianship.models import AccessLogEntry
from records.models import Document


@admin.register(Document)
class DocumentAdmin(SubjectReadAdmin, RecordAdmin):
    subject_field = "person"
    read_action = AccessLogEntry.Action.VIEW_DOCUMENT
    list_display = ("document_id", "type", "title", "issued_at", "facility_name", "received_at")
    list_filter = ("type",)
    search_fields = ("=document_id", "=public_id", "person__surname")
    date_hierarchy = "issued_at"
    ordering = ("-issued_at", "-pk")
    show_full_result_count = False  # millions of rows: skip the second COUNT(*)
    # The list shows no patient data beyond the title; the person is on the document's page.
    fields = (
        "public_id", "document_id", "person", "type", "title", "issued_at", "facility_name",
        "author_name", "body", "received_at", "feed_file", "line_number",
    )  # fmt: skip
    readonly_fields = fields
