"""The start page's summary of the acting account: newest documents and sick leaves, the next
vaccination step, and the children's accounts the user may open.

A constant number of queries whatever the account holds (a pinned test in
accounts/tests/test_start_summary.py): each list is one sliced query, the children come from
policy.accessible_subjects (set-based), and the vaccination steps cost a fixed few queries per
vaccine with a programme (programmes are admin data, not the user's rows).
"""

from dataclasses import dataclass
from datetime import date

from accounts.models import User
from guardianship import policy
from guardianship.models import AccessLogEntry
from guardianship.policy import SubjectAccess
from guardianship.rules import Basis
from records.models import Document
from sickleaves import rules as leave_rules
from sickleaves.models import SickLeave
from vaccinations import rules as vaccination_rules
from vaccinations.catalogue import bookable_vaccines
from vaccinations.services import VaccinationState, vaccination_state

NEWEST_DOCUMENTS = 5
NEWEST_LEAVES = 3

# Steps that say nothing to this account (an adult is past the programme's age, or no
# programme is in force): shown only when a dose or an appointment exists.
_SILENT_STEPS = {vaccination_rules.Reason.TOO_OLD, vaccination_rules.Reason.NO_PROGRAMME}


@dataclass(frozen=True)
class LeaveLine:
    leave: SickLeave
    notify_employer_by: date | None  # set on days 1 and 2 of the absence (sickleaves.rules)


@dataclass(frozen=True)
class StartSummary:
    documents: list[Document]
    leaves: list[LeaveLine]
    vaccinations: list[VaccinationState]
    children: list[SubjectAccess]


def start_summary_load(*, request, subject: SubjectAccess, today: date) -> StartSummary:
    """Everything the start page shows about `subject`, and the one access-log row for it."""
    person = subject.subject
    summary = StartSummary(
        documents=_newest_documents(person),
        leaves=_newest_leaves(person, today),
        vaccinations=_vaccination_steps(person, today),
        children=_children(request.user, today),
    )
    policy.log_access(request, subject, AccessLogEntry.Action.VIEW_SUMMARY)
    return summary


def _newest_documents(person) -> list[Document]:
    # Only what the list shows: the body may be long and is not needed here.
    fields = ("public_id", "type", "title", "issued_at", "facility_name")
    return list(
        Document.objects.filter(person=person)
        .only(*fields)
        .order_by("-issued_at", "-id")[:NEWEST_DOCUMENTS]
    )


def _newest_leaves(person, today: date) -> list[LeaveLine]:
    # A care leave is on the insured parent's account; the cared person's name is not shown
    # here (the Zwolnienia page decides who may see it), so it is not loaded either.
    fields = (
        "public_id",
        "series_number",
        "issued_on",
        "period_from",
        "period_to",
        "kind",
        "status",
    )
    leaves = (
        SickLeave.objects.filter(person=person)
        .only(*fields)
        .order_by("-issued_on", "-id")[:NEWEST_LEAVES]
    )
    return [
        LeaveLine(
            leave,
            None
            if leave.status == SickLeave.Status.CANCELLED
            else leave_rules.employer_notice(period_from=leave.period_from, today=today),
        )
        for leave in leaves
    ]


def _vaccination_steps(person, today: date) -> list[VaccinationState]:
    states = [
        vaccination_state(child=person, vaccine=vaccine, today=today)
        for vaccine in bookable_vaccines()
    ]
    return [
        s for s in states if s.doses or s.appointment or s.next_step.reason not in _SILENT_STEPS
    ]


def _children(user: User, today: date) -> list[SubjectAccess]:
    """Children's accounts the user may open (as guardians.children lists them); adults who
    authorised the user are not children and stay on the permissions page."""
    return [
        item
        for item in policy.accessible_subjects(user, on=today)
        if item.access.basis in (Basis.INSURANCE, Basis.GRANT)
    ]
