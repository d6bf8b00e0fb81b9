"""Admin for ikp-pomoc. Tickets are edited (status, assignment) but not deleted: they are the
record of what a patient asked; the desk is where staff work them. Response targets are set
here. Staff actions, attachments and set-aside mail are evidence: read-only. No PESEL search
(admin search is a GET and would put it in the URL)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from support.models import (
    Attachment,
    ResponseTarget,
    SetAsideMail,
    StaffAction,
    Ticket,
    TicketMessage,
    ZusCorrection,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MessageInline(admin.TabularInline):
    model = TicketMessage
    fields = [
        "created_at",
        "kind",
        "internal",
        "status",
        "author",
        "body",
        "via_email",
        "mailed_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "category", "status", "source", "assignee", "created_at"]
    list_filter = ["status", "category", "source"]
    list_select_related = ["assignee"]
    search_fields = ["=public_id", "=id", "requester__email", "contact_email"]
    raw_id_fields = ["requester", "person", "assignee"]
    # The diagnosis is what the portal found when the ticket opened: evidence, not editable.
    readonly_fields = [
        "number",
        "public_id",
        "created_at",
        "diagnosis",
        "source",
        "first_response_at",
        "resolved_at",
        "closed_at",
    ]
    fields = [
        "number", "public_id", "category", "status", "source", "requester", "contact_email", "contact_name",
        "person", "assignee", "description", "diagnosis", "created_at", "first_response_at", "resolved_at", "closed_at",
    ]  # fmt: skip
    inlines = [MessageInline]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: Ticket) -> str:
        return obj.number if obj.pk else "—"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TicketMessage)
class TicketMessageAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "internal", "status", "author", "created_at", "mailed_at"]
    list_filter = ["kind", "internal"]
    list_select_related = ["ticket", "author"]
    raw_id_fields = ["ticket", "author"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "content_type", "size", "ticket", "created_at"]
    list_select_related = ["ticket"]
    exclude = ["content"]  # downloaded through the desk, by the ticket's assignee


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    """One target per category, changed, never deleted (the desk's clocks read them)."""

    list_display = ["category", "first_response", "resolution"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "actor", "ticket"]
    list_filter = ["kind"]
    list_select_related = ["actor", "ticket"]


@admin.register(ZusCorrection)
class ZusCorrectionAdmin(admin.ModelAdmin):
    """Corrections to request from ZUS; staff mark them requested once sent."""

    list_display = ["ticket", "created_at", "created_by", "requested_at"]
    list_filter = [("requested_at", admin.EmptyFieldListFilter)]
    list_select_related = ["ticket", "created_by"]
    readonly_fields = [
        "ticket",
        "insured",
        "member",
        "registration_event_ids",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SetAsideMail)
class SetAsideMailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "filename", "reason", "size"]
    list_filter = ["reason"]
