"""Admin for feed files and quarantined lines: records of what arrived, shown but never written
by hand. A quarantined line is corrected on the sync monitor's line page ("View on site"), which
runs it through the feed's own parser. The raw line is shown on its page only: nothing here
searches by its text, which holds PESELs (admin search is a GET, and query strings reach logs).
Showing a line's page is a read of the data of the people it names, logged on each of them as
on the sync monitor (feeds.reads).
"""

from django.contrib import admin
from django.urls import reverse

from feeds.models import FeedFile, QuarantinedLine
from feeds.reads import log_people_named
from guardianship.admin import ReadLoggedAdmin


class RecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FeedFile)
class FeedFileAdmin(RecordAdmin):
    list_display = ["name", "kind", "started_at", "finished_at", "lines", "accepted", "duplicates", "quarantined"]
    list_filter = ["kind", ("finished_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "=sha256"]
    date_hierarchy = "started_at"
    ordering = ["-started_at", "-pk"]


@admin.register(QuarantinedLine)
class QuarantinedLineAdmin(ReadLoggedAdmin, RecordAdmin):
    list_display = ["kind", "feed_file", "line_number", "reason", "created_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["feed_file"]
    search_fields = ["=public_id", "feed_file__name", "=file_sha256"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "line_number"]

    def log_read(self, request, obj: QuarantinedLine) -> None:
        log_people_named(request, obj)

    def view_on_site(self, obj: QuarantinedLine) -> str:
        return reverse("feeds:quarantined_line", kwargs={"public_id": obj.public_id})
