"""Admin for EDM documents: records the edm-document feed writes, shown here, never written
by hand (RecordAdmin). A document's page shows its content, so opening it is a read of the
patient's data like any other: it writes an access-log row, which the patient sees as staff.

No PESEL in search_fields: admin search is a GET, and its query string would carry the PESEL
into access logs. Search by the feed's document id, the opaque public id or the surname.
"""

from django.contrib import admin

from guardianship.admin import RecordAdmin
from guardianship.models import AccessLogEntry
from guardianship.policy import log_access
from records.models import Document

# The access history's label for portal staff ("ikp-pomoc support"): admins are staff too.
ADMIN_BASIS = "support"


@admin.register(Document)
class DocumentAdmin(RecordAdmin):
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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        document = self.get_object(request, object_id) if response.status_code == 200 else None
        if document is not None and request.method == "GET":
            log_access(
                request, document.person, AccessLogEntry.Action.VIEW_DOCUMENT,
                target=str(document.public_id), basis=ADMIN_BASIS,
            )  # fmt: skip
        return response
