"""Admin for ikp-pomoc tickets. Tickets are edited (status, description) but not deleted: they
are the record of what a patient asked. No PESEL search (admin search is a GET)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from support.models import Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "category", "status", "requester", "person", "created_at"]
    list_filter = ["status", "category"]
    list_select_related = ["requester", "person"]
    search_fields = ["=public_id", "=id", "person__surname", "requester__email"]
    raw_id_fields = ["requester", "person"]
    # The diagnosis is what the portal found when the ticket opened: evidence, not editable.
    readonly_fields = ["number", "public_id", "created_at", "diagnosis"]
    fields = ["number", "public_id", "category", "status", "requester", "person", "description", "diagnosis", "created_at"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: Ticket) -> str:
        return obj.number if obj.pk else "—"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
