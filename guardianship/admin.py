"""Admin for insurance facts, grants and the access log.

Records (the feed as received, what the sync derived from it, the access log, notices) can be
read here but never added, changed or deleted by hand: the feed and the sync own them, and the
subject's access history must stay what happened. Grants and link suspensions are editable;
changes are recorded by pghistory with the admin's request context (the "Events" button on a
tracked model's page lists them).

No PESEL in search_fields: admin search is a GET and its query string would carry the PESEL
into access logs. Search by event ids, opaque ids and surnames.
"""

from django.contrib import admin

from guardianship.models import (
    AccessGrant,
    AccessLogEntry,
    AccessNotice,
    AutomaticGuardian,
    Coverage,
    InsuranceEvent,
    LinkSuspension,
    OwnTitle,
)
from guardianship.policy import SUPPORT_ACCESS, log_access


class ReadLoggedAdmin:
    """Mixin for an admin whose record page shows people's data: showing that page is a read
    like any other (DESIGN.md: every view that shows data of a subject writes an AccessLogEntry,
    and the subject sees that log). `log_read(request, obj)` runs once for each page shown, with
    the record the page shows: in `render_change_form`, which Django calls only to render the
    page (not for an unknown id, which redirects), so the record is not fetched a second time.
    It goes before the ModelAdmin base: `class ImmunizationAdmin(SubjectReadAdmin, RecordAdmin)`.
    """

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add and request.method == "GET":
            self.log_read(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def log_read(self, request, obj) -> None:
        raise NotImplementedError


class SubjectReadAdmin(ReadLoggedAdmin):
    """A record page that shows one person's medical data (a document, a dose, an appointment,
    a sick leave): one row on that person, which they see in their access history as portal
    staff (basis "support": admins are staff too). Name the Person (`subject_field`, a foreign
    key of the model) and the read (`read_action`, an AccessLogEntry.Action); the target is the
    record's opaque `public_id` where it has one."""

    subject_field: str
    read_action: str

    def log_read(self, request, obj) -> None:
        subject = getattr(obj, self.subject_field)
        if subject is not None:
            log_access(
                request, subject, self.read_action,
                target=str(getattr(obj, "public_id", "")), basis=SUPPORT_ACCESS.basis,
            )  # fmt: skip


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened: shown, never written by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class NoDeleteAdmin(admin.ModelAdmin):
    """Editable, but ended by a date (revoked, lifted) rather than deleted, so the history shows it."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InsuranceEvent)
class InsuranceEventAdmin(RecordAdmin):
    list_display = ["event_id", "type", "title", "valid_from", "valid_to", "reported_on", "received_at", "applied_at"]
    list_filter = ["type", ("applied_at", admin.EmptyFieldListFilter), "title"]
    search_fields = ["=event_id", "=cancels_event_id"]
    date_hierarchy = "reported_on"
    ordering = ["-received_at", "-pk"]
    show_full_result_count = False  # millions of rows: skip the second COUNT(*)


@admin.register(Coverage)
class CoverageAdmin(RecordAdmin):
    list_display = ["registration_event_id", "insured", "member", "valid_from", "valid_to", "reported_on"]
    list_filter = [("valid_to", admin.EmptyFieldListFilter)]
    list_select_related = ["insured", "member"]
    search_fields = ["=registration_event_id", "member__surname", "insured__surname", "=member__public_id", "=insured__public_id"]
    show_full_result_count = False


@admin.register(OwnTitle)
class OwnTitleAdmin(RecordAdmin):
    list_display = ["start_event_id", "title", "valid_from", "valid_to"]
    list_filter = ["title", ("valid_to", admin.EmptyFieldListFilter)]
    search_fields = ["=start_event_id"]


@admin.register(AutomaticGuardian)
class AutomaticGuardianAdmin(RecordAdmin):
    list_display = ["subject", "guardian", "computed_on"]
    list_select_related = ["subject", "guardian"]
    search_fields = ["subject__surname", "guardian__surname", "=subject__public_id"]
    date_hierarchy = "computed_on"


@admin.register(AccessGrant)
class AccessGrantAdmin(NoDeleteAdmin):
    list_display = ["subject", "kind", "source", "grantee_surname", "created_at", "valid_until", "revoked_at"]
    list_filter = ["kind", "source", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["subject"]
    search_fields = ["grantee_surname", "subject__surname", "=public_id", "=subject__public_id"]
    raw_id_fields = ["subject", "granted_by", "revoked_by"]
    readonly_fields = ["public_id", "created_at"]
    fields = [
        "public_id", "kind", "source", "subject", "grantee_surname", "grantee_pesel", "legal_guardian_confirmed",
        "granted_by", "created_at", "valid_until", "revoked_at", "revoked_by",
    ]  # fmt: skip
    date_hierarchy = "created_at"


@admin.register(LinkSuspension)
class LinkSuspensionAdmin(NoDeleteAdmin):
    list_display = ["person", "subject", "created_at", "ticket", "lifted_at"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["person", "subject", "ticket"]
    search_fields = ["person__surname", "subject__surname", "=ticket__public_id"]
    raw_id_fields = ["person", "subject", "ticket"]
    readonly_fields = ["created_at"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(RecordAdmin):
    list_display = ["at", "actor", "acting_for", "subject", "action", "basis", "target"]
    list_filter = ["action", "basis"]
    list_select_related = ["actor", "acting_for", "subject"]
    search_fields = ["subject__surname", "=subject__public_id", "actor__email", "=target"]
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    show_full_result_count = False


@admin.register(AccessNotice)
class AccessNoticeAdmin(RecordAdmin):
    list_display = ["recipient", "subject", "kind", "effective_on", "created_at", "sent_at", "outcome"]
    list_filter = ["kind", "outcome", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient", "subject"]
    search_fields = ["recipient__surname", "subject__surname", "=subject__public_id"]
    date_hierarchy = "created_at"
