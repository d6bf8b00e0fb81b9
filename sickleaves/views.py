"""Historia leczenia → Zwolnienia: the e-ZLA of the account open in the session.

A leave belongs to the insured employee, so a care leave is on the parent's account and never
on the child's (the list filters by `person` only). The cared person's name is shown only to a
user who may read that person's account (guardianship.policy); anyone else reads "a child" or
"a family member". Cancelled leaves stay listed, marked cancelled. One access-log row a page.
"""

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import verified_identity_required
from accounts.models import User
from guardianship.models import AccessLogEntry
from guardianship.policy import accessible_subjects, acting_subject, log_access
from ikp.paging import page_of
from sickleaves import rules
from sickleaves.models import SickLeave

PAGE_SIZE = 20


@dataclass(frozen=True)
class LeaveRow:
    leave: SickLeave
    days: int
    cared_for: str  # "" for own illness; a name, or "a child" / "a family member"
    notify_employer_by: date | None
    received_on: date | None  # only when it differs from the issue date (both are shown)

    @property
    def cancelled(self) -> bool:
        return self.leave.status == SickLeave.Status.CANCELLED


@verified_identity_required
@require_GET
def sick_leave_list(request: HttpRequest) -> HttpResponse:
    """The acting account's leaves, newest issue date first, 20 a page."""
    subject = acting_subject(request)
    today = timezone.localdate()
    leaves = (
        SickLeave.objects.filter(person=subject.subject)
        .select_related("cared_person")
        .order_by("-issued_on", "-id")
    )
    page, page_range = page_of(request, leaves, PAGE_SIZE)
    on_page = list(page)  # evaluated once; the page keeps the list
    readable = readable_person_ids(request.user, on_page, today=today)
    rows = [leave_row(leave, readable=readable, today=today) for leave in on_page]
    log_access(request, subject, AccessLogEntry.Action.VIEW_SICK_LEAVES)
    context = {
        "person": subject.subject,
        "page": page,
        "rows": rows,
        "page_range": page_range,
    }
    return render(request, "sickleaves/list.html", context)


def readable_person_ids(user: User, leaves: list[SickLeave], *, today: date) -> set[int]:
    """Ids of the cared persons on this page whose account `user` may read (the USER, not the
    acting account: an authorised adult reading someone's leaves must not learn the name of a
    child they have no access to). A constant number of queries, and none without care leaves."""
    cared = {leave.cared_person_id for leave in leaves if leave.cared_person_id}
    if not cared:
        return set()
    readable = {access.subject.pk for access in accessible_subjects(user, on=today)}
    readable.add(user.person_id)
    return cared & readable


def leave_row(leave: SickLeave, *, readable: set[int], today: date) -> LeaveRow:
    received_on = timezone.localdate(leave.received_at)
    issued = leave.status == SickLeave.Status.ISSUED
    return LeaveRow(
        leave=leave,
        days=rules.days(leave.period_from, leave.period_to),
        cared_for=cared_for(leave, readable),
        # A cancelled leave excuses no absence: no reminder about it.
        notify_employer_by=rules.employer_notice(period_from=leave.period_from, today=today)
        if issued
        else None,
        received_on=received_on if received_on != leave.issued_on else None,
    )


def cared_for(leave: SickLeave, readable: set[int]) -> str:
    if leave.kind == SickLeave.Kind.OWN_ILLNESS:
        return ""
    if leave.cared_person_id in readable:
        return leave.cared_person.full_name
    if leave.kind == SickLeave.Kind.CHILD_CARE:
        return _("a child")
    return _("a family member")
