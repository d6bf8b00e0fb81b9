"""Who may act for whom: pure rules (dates and values in, a result out; no ORM, no clock).

The sync (guardianship/sync.py) applies the same rules to many children at once in SQL;
a property test checks that both give the same answer.

Conventions decided here (DESIGN.md is silent):
- `valid_to` is the last day a coverage or title is in force (inclusive).
- A deregistration ends every registration of the same insured and member that started on or
  before its `valid_to` and is not yet ended by an earlier deregistration (the feed names no
  payer, so overlapping registrations of one parent end together; a later registration reopens).
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum, StrEnum

from accounts.rules import add_months, age_on, date_of_age

ADULT_AGE = 18
OWN_VIEW_AGE = 16  # a child of 16 or 17 may see (not change) their own account
SYNC_DEADLINE_DAYS = 21  # ZUS: the portal catches up within 21 days of `reported_on`


@dataclass(frozen=True)
class Coverage:
    """A ZUS family-member coverage of one child by one insured person."""

    insured: Hashable
    valid_from: date
    valid_to: date | None
    reported_on: date
    event_id: str = (
        ""  # the registration's id: last tie-break, so the answer never depends on order
    )

    def active_on(self, day: date) -> bool:
        return in_force(self.valid_from, self.valid_to, day)


@dataclass(frozen=True)
class Period:
    valid_from: date
    valid_to: date | None

    def active_on(self, day: date) -> bool:
        return in_force(self.valid_from, self.valid_to, day)


def in_force(valid_from: date, valid_to: date | None, day: date) -> bool:
    return valid_from <= day and (valid_to is None or day <= valid_to)


def period_end(start: date, ends: Iterable[date]) -> date | None:
    """The end of a period that started on `start`: the earliest end on or after it."""
    return min((end for end in ends if end >= start), default=None)


def void_cancellations(cancels: Mapping[Hashable, Hashable]) -> set[Hashable]:
    """The cancellations that cancel nothing, from what each cancellation names.

    `cancels` maps each cancellation (its event id) to the id it names; a named id that is not
    a key is some other event (or one never sent). A cancellation is *effective* when no
    effective cancellation names it, else *void*; an event is cancelled when an effective
    cancellation names it. So c2 naming c1 naming r restores r, and c3 naming c2 cancels r
    again: the result depends on the set of cancellations, never on their order.

    A cancellation on a ring (c1 names c2 and c2 names c1, or a longer one; only possible with
    ids chosen so) is void whatever else names it: on a ring the definition may have two
    answers or none, and since each cancellation names one event, a ring leads to no
    registration, deregistration or title, so the choice changes no coverage or title.
    """
    # Rings first: follow what each cancellation names until the walk leaves the cancellations,
    # meets a cancellation walked before, or comes back onto itself.
    on_ring: set[Hashable] = set()
    walked: set[Hashable] = set()
    for start in cancels:
        path: list[Hashable] = []
        on_path: set[Hashable] = set()
        node = start
        while node in cancels and node not in walked and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = cancels[node]
        if node in on_path:
            on_ring.update(path[path.index(node) :])
        walked.update(path)
    # Off the rings, whoever names a cancellation is off the rings too (a ring's members name
    # ring members only): decide from those nobody names inwards, each once all its cancellers
    # are decided.
    cancellers: dict[Hashable, list[Hashable]] = {c: [] for c in cancels}
    for canceller, named in cancels.items():
        if named in cancels:
            cancellers[named].append(canceller)
    undecided = {c: len(cancellers[c]) for c in cancels if c not in on_ring}
    ready = [c for c, count in undecided.items() if count == 0]
    effective: set[Hashable] = set()
    while ready:
        node = ready.pop()
        if not any(canceller in effective for canceller in cancellers[node]):
            effective.add(node)
        named = cancels[node]
        if named in undecided:
            undecided[named] -= 1
            if undecided[named] == 0:
                ready.append(named)
    return set(cancels) - effective


def is_adult(birth_date: date, day: date) -> bool:
    return day >= date_of_age(birth_date, ADULT_AGE)


def automatic_guardian(
    *, coverages: Iterable[Coverage], own_titles: Iterable[Period], birth_date: date, on: date
) -> Hashable | None:
    """The insured person who covers the child on `on`, or None.

    "What counts is who covers the child now, not who registered first": among coverages
    active on the day, the latest `valid_from` wins, then the latest `reported_on`, then the
    greatest event id. Nobody, when the child has an own insurance title that day or is 18.
    """
    if is_adult(birth_date, on) or any(title.active_on(on) for title in own_titles):
        return None
    active = [c for c in coverages if c.active_on(on)]
    if not active:
        return None
    return max(active, key=lambda c: (c.valid_from, c.reported_on, c.event_id)).insured


class Level(IntEnum):
    NONE = 0
    READ = 1  # see, not change
    WRITE = 2  # see and act: share, book, revoke


class Basis(StrEnum):
    OWN = "own"
    INSURANCE = "insurance"
    GRANT = "grant"  # a child grant (by a guardian or by support)
    AUTHORISATION = "authorisation"  # an adult's authorisation to see their data


@dataclass(frozen=True)
class Access:
    level: Level
    basis: Basis | None = None

    @property
    def can_read(self) -> bool:
        return self.level >= Level.READ

    @property
    def can_write(self) -> bool:
        return self.level >= Level.WRITE


NO_ACCESS = Access(Level.NONE)


def own_access(birth_date: date, on: date) -> Access:
    """One's own account: full from 18, read-only at 16 and 17, none before (parents act)."""
    age = age_on(birth_date, on)
    if age >= ADULT_AGE:
        return Access(Level.WRITE, Basis.OWN)
    if age >= OWN_VIEW_AGE:
        return Access(Level.READ, Basis.OWN)
    return NO_ACCESS


def grant_active(*, valid_until: date | None, revoked: bool, on: date) -> bool:
    """A grant holds until revoked and, for a child, until the day before the 18th birthday."""
    return not revoked and (valid_until is None or on < valid_until)


def child_grant_valid_until(birth_date: date) -> date:
    """Child grants end on the child's 18th birthday (the first day without them)."""
    return date_of_age(birth_date, ADULT_AGE)


def decide_access(
    *,
    is_self: bool,
    subject_birth_date: date,
    on: date,
    automatic_guardian: bool,
    child_grant: bool,
    authorisation: bool,
) -> Access:
    """Combine the ways a user may act for a subject; the strongest wins."""
    if is_self:
        return own_access(subject_birth_date, on)
    minor = not is_adult(subject_birth_date, on)
    if minor and automatic_guardian:
        return Access(Level.WRITE, Basis.INSURANCE)
    if minor and child_grant:
        return Access(Level.WRITE, Basis.GRANT)
    if authorisation:
        return Access(Level.READ, Basis.AUTHORISATION)
    return NO_ACCESS


def turning_adult_notice_on(birth_date: date) -> date:
    """Guardians are told a month before access ends on the 18th birthday."""
    return add_months(date_of_age(birth_date, ADULT_AGE), -1)


def sync_deadline(reported_on: date) -> date:
    """The day the portal must have applied an event by. The feed stores any reported_on; one
    within SYNC_DEADLINE_DAYS of the calendar's end (a typo such as 9999-12-31) gets the last
    day there is, not an OverflowError on the sync monitor and the "why?" page."""
    if reported_on > date.max - timedelta(days=SYNC_DEADLINE_DAYS):
        return date.max
    return reported_on + timedelta(days=SYNC_DEADLINE_DAYS)


# --- "Why can't I see my child's account?" ------------------------------------------------------


class Diagnosis(StrEnum):
    """The user's own case, from the user's own records only (DESIGN.md)."""

    HAS_ACCESS = "has_access"  # you can see the account: switch to it
    CHILD_ADULT = "child_adult"  # the child is 18: guardians' access has ended
    PROCESSING = "processing"  # your registration from D has arrived and is being applied
    STARTS_LATER = "starts_later"  # your registration starts on D
    REGISTRATION_ENDED = "registration_ended"  # your registration ended on D
    NOT_DECISIVE = "not_decisive"  # your registration is active but does not give access now
    NO_REGISTRATION = "no_registration"  # no registration of the child by you has reached us


@dataclass(frozen=True)
class DiagnosisResult:
    code: Diagnosis
    on: date | None = None  # the date the message names (end, start, registration)
    deadline: date | None = None  # PROCESSING: by when the update must be applied


def diagnose(
    *,
    my_coverages: Iterable[Coverage],
    my_pending_registrations: Iterable[tuple[date, date]],
    has_access: bool,
    birth_date: date,
    on: date,
) -> DiagnosisResult:
    """Explain a parent's access to a child from the parent's own coverages.

    `my_pending_registrations` are (valid_from, reported_on) of registrations by this parent
    that have arrived but are not applied yet. Never looks at anyone else's coverage: when the
    parent's own registration is active but access lies elsewhere (the other parent covers the
    child now, or the child has an own title), the answer is NOT_DECISIVE for both.
    """
    if is_adult(birth_date, on):
        return DiagnosisResult(Diagnosis.CHILD_ADULT, on=date_of_age(birth_date, ADULT_AGE))
    if has_access:
        return DiagnosisResult(Diagnosis.HAS_ACCESS)
    pending = sorted(my_pending_registrations, key=lambda p: p[1])
    if pending:
        valid_from, reported_on = pending[-1]
        return DiagnosisResult(
            Diagnosis.PROCESSING, on=valid_from, deadline=sync_deadline(reported_on)
        )
    coverages = list(my_coverages)
    if any(c.active_on(on) for c in coverages):
        return DiagnosisResult(Diagnosis.NOT_DECISIVE)
    upcoming = [c.valid_from for c in coverages if c.valid_from > on]
    if upcoming:
        return DiagnosisResult(Diagnosis.STARTS_LATER, on=min(upcoming))
    ended = [c.valid_to for c in coverages if c.valid_to is not None and c.valid_to < on]
    if ended:
        return DiagnosisResult(Diagnosis.REGISTRATION_ENDED, on=max(ended))
    return DiagnosisResult(Diagnosis.NO_REGISTRATION)
