"""HPV vaccination eligibility: pure rules (dates and plain values in, a result out; no ORM,
no clock). DESIGN.md, "HPV vaccination"; the FAQ's "Najczęstsze problemy" table.

Programme versions are data (`Programme`, edited in admin): a change of programme, such as
a later version for ages 9 to 15, is a new row, not new code.

Conventions decided here (DESIGN.md is silent):
- Order of checks: OPEN_VISIT, then NO_PROGRAMME (COMPLETED needs the programme's number of
  doses), then COMPLETED, HAS_APPOINTMENT, and the age and interval checks.
- Programme choice: among the versions for the vaccine in force on the day, the latest
  `effective_from` wins; on a tie, the one that comes last in `programmes` (services pass them
  ordered by primary key, so the most recently created version).
- Earlier doses are taken as recorded: whether dose 1 itself was within the programme's ages
  is not judged again when the next dose is booked.
- A course continues under the programme in force on the first dose's date (if none was, the
  one in force on the day judged), even after that programme's `effective_to`: later-dose
  windows are not capped by it.
- Doses are sorted by date; on a tie, the input order is kept, so for two doses recorded on
  the same day the later one in the input counts as the later dose (this decides which open
  visit's clinic is named, and nothing else).
- Windows: the first dose's `closes_on` is capped by the programme's `effective_to`; if that
  cap falls before `opens_on` (a child too young under a programme that ends before the
  birthday), `closes_on` is None: the window then depends on the next programme version,
  which the rules do not guess. NO_PROGRAMME carries no dates either, even when a programme
  starts later.
- NEXT_WINDOW_PASSED and NEXT_AFTER_MAX_AGE carry `closes_on`, the last day the dose could
  have been given (for the message); `opens_on` is None (booking never opens again).
- A later dose whose window is empty because the max-age cap falls before
  previous + min interval (possible only when `later_doses_after_max_age` is False) is
  NEXT_AFTER_MAX_AGE at once, not NEXT_TOO_EARLY: booking would never open.
- TOO_OLD carries `dose_number` 1 (the dose the child would get next) and no window.
- OPEN_VISIT and HAS_APPOINTMENT carry `dose_number` = len(doses) + 1 and no window. OPEN_VISIT
  still carries the programme when one applies, so that when the open dose was the course's
  last the message does not promise a next dose.
- Two fields beyond the agreed interface, both with defaults: `programme` (the version the
  judgement applied; the message needs its ages and intervals) and `recorded_dose` (for
  OPEN_VISIT: the number of the dose whose visit is open, for the message).
- `booking_window` is `eligibility` with no appointment, judged on `today` (the reminders).
- `booking_outlook` looks past today's programme: the days from today on
  are cut where a version starts or ends, each stretch is judged on its first day, and its
  window clipped to the stretch; the slot list filters by the union of those windows and the
  pages explain the first open one. So a version published for a later date (ages 9 to 15 from
  next month) opens the list at once for the children it admits, with no code.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.rules import add_months, date_of_age


@dataclass(frozen=True)
class Programme:
    """One programme version, stored as data in admin."""

    vaccine_code: str  # "HPV9"
    effective_from: date
    effective_to: date | None  # last day in force (inclusive), None = open
    first_dose_min_age: int  # the child must be at least this old on the day of dose 1
    first_dose_max_age: int  # ... and not yet this old (exclusive)
    doses: int
    min_interval_months: int  # the next dose from add_months(previous, min)
    max_interval_months: int  # ... through add_months(previous, max), inclusive
    later_doses_after_max_age: bool  # dose 1 before the max age allows later doses after it

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class RecordedDose:
    administered_on: date
    visit_open: bool  # the clinic recorded the dose but has not closed the visit
    clinic_name: str


@dataclass(frozen=True)
class BookedAppointment:
    """The child's active appointment for this vaccine."""

    on: date
    dose_number: int


class Reason(StrEnum):
    FIRST_DOSE = "first_dose"  # eligible
    NEXT_DOSE = "next_dose"  # eligible (dose 2..n)
    NO_PROGRAMME = "no_programme"  # no programme for this vaccine in force on the date
    TOO_YOUNG = "too_young"  # opens_on = the min-age birthday
    TOO_OLD = "too_old"  # first dose on/after the max-age birthday
    OPEN_VISIT = "open_visit"  # a recorded dose's visit is still open: never offer a dose
    COMPLETED = "completed"  # all doses done
    HAS_APPOINTMENT = "has_appointment"  # already booked (reschedule or cancel instead)
    NEXT_TOO_EARLY = "next_too_early"  # before previous + min interval; opens_on given
    NEXT_WINDOW_PASSED = "next_window_passed"  # after previous + max interval
    NEXT_AFTER_MAX_AGE = "next_after_max_age"  # only when later_doses_after_max_age is False


def _day(day: date | None) -> str:
    """d.m.Y, as Polish forms and letters write dates."""
    return f"{day:%d.%m.%Y}" if day is not None else ""


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: Reason
    dose_number: int | None  # the dose the child would get next (None: completed/no programme)
    opens_on: date | None  # first day booking of that dose is possible (None: never/unknown)
    closes_on: date | None  # last day it is possible (inclusive; None: open-ended/unknown)
    clinic_name: str = ""  # OPEN_VISIT: the clinic that must close the visit
    appointment_on: date | None = None  # HAS_APPOINTMENT
    programme: Programme | None = None  # the version the judgement applied
    recorded_dose: int | None = None  # OPEN_VISIT: the dose whose visit is open

    @property
    def message(self) -> str:
        """A sentence the parent can read, in the active language."""
        p = self.programme
        number = self.dose_number
        match self.reason:
            case Reason.FIRST_DOSE:
                if self.closes_on is None:
                    return _("The child can be booked for the first dose from %(opens)s.") % {
                        "opens": _day(self.opens_on)
                    }
                return _(
                    "The child can be booked for the first dose from %(opens)s to %(closes)s."
                ) % {
                    "opens": _day(self.opens_on),
                    "closes": _day(self.closes_on),
                }
            case Reason.NEXT_DOSE:
                if self.closes_on is None:
                    return _("The child can be booked for dose %(number)s from %(opens)s.") % {
                        "number": number,
                        "opens": _day(self.opens_on),
                    }
                return _(
                    "The child can be booked for dose %(number)s from %(opens)s to %(closes)s."
                ) % {"number": number, "opens": _day(self.opens_on), "closes": _day(self.closes_on)}
            case Reason.NO_PROGRAMME:
                return _(
                    "No free vaccination programme for this vaccine is in force on that day. "
                    "Ask your POZ clinic about the vaccination."
                )
            case Reason.TOO_YOUNG:
                age = p.first_dose_min_age if p else 0
                return ngettext(
                    "Booking opens on %(date)s, when the child turns %(age)s.",
                    "Booking opens on %(date)s, when the child turns %(age)s.",
                    age,
                ) % {"date": _day(self.opens_on), "age": age}
            case Reason.TOO_OLD:
                ages = {
                    "min": p.first_dose_min_age if p else 0,
                    "max": p.first_dose_max_age if p else 0,
                }
                text = (
                    _(
                        "The programme covers children who have turned %(min)s and are not yet "
                        "%(max)s on the day of the first dose, so the child can no longer be "
                        "booked for the first dose."
                    )
                    % ages
                )
                if p and p.later_doses_after_max_age:
                    text += " " + (
                        _(
                            "A child who had the first dose before turning %(max)s may get the "
                            "next dose after that birthday."
                        )
                        % ages
                    )
                return text
            case Reason.OPEN_VISIT:
                if self.recorded_dose == 1:
                    text = _("The first dose is recorded, but %(clinic)s has not closed the visit.")
                else:
                    text = _(
                        "Dose %(recorded)s is recorded, but %(clinic)s has not closed the visit."
                    )
                text %= {"recorded": self.recorded_dose, "clinic": self.clinic_name}
                if p is not None and number is not None and number > p.doses:
                    return text + " " + _("Ask the clinic to close it.")
                return (
                    text + " " + _("Ask the clinic to close it; then you can book the next dose.")
                )
            case Reason.COMPLETED:
                return _(
                    "The child has received all doses of this vaccination. No further dose is needed."
                )
            case Reason.HAS_APPOINTMENT:
                return _(
                    "The child already has an appointment for this vaccination on %(date)s. "
                    "To change it, reschedule or cancel that appointment."
                ) % {"date": _day(self.appointment_on)}
            case Reason.NEXT_TOO_EARLY:
                return (
                    _(
                        "It is too early for dose %(number)s: the child can be booked for it "
                        "from %(opens)s to %(closes)s."
                    )
                    % {
                        "number": number,
                        "opens": _day(self.opens_on),
                        "closes": _day(self.closes_on),
                    }
                    + " "
                    + self._interval()
                )
            case Reason.NEXT_WINDOW_PASSED:
                return (
                    _("The time for dose %(number)s ended on %(closes)s.")
                    % {"number": number, "closes": _day(self.closes_on)}
                    + " "
                    + self._interval()
                    + " "
                    + _("Ask your POZ doctor how to continue the vaccination.")
                )
            case Reason.NEXT_AFTER_MAX_AGE:
                return (
                    _(
                        "Under this programme, dose %(number)s can be given only before the "
                        "child turns %(age)s (on %(closes)s at the latest), which is not possible "
                        "for this child."
                    )
                    % {
                        "number": number,
                        "age": p.first_dose_max_age if p else 0,
                        "closes": _day(self.closes_on),
                    }
                    + " "
                    + _("Ask your POZ doctor how to continue the vaccination.")
                )
        raise AssertionError(self.reason)  # pragma: no cover

    def _interval(self) -> str:
        p = self.programme
        return _("The interval between doses is %(min)s to %(max)s months.") % {
            "min": p.min_interval_months if p else 0,
            "max": p.max_interval_months if p else 0,
        }


def programme_in_force(
    programmes: Sequence[Programme], vaccine_code: str, day: date
) -> Programme | None:
    """The version for the vaccine in force on `day`: the latest `effective_from` wins; on a
    tie, the last one in the given order."""
    best = None
    for programme in programmes:
        if (
            programme.vaccine_code == vaccine_code
            and programme.in_force(day)
            and (best is None or programme.effective_from >= best.effective_from)
        ):
            best = programme
    return best


def eligibility(
    *,
    vaccine_code: str,
    birth_date: date,
    doses: Sequence[RecordedDose],
    appointment: BookedAppointment | None,
    programmes: Sequence[Programme],
    on: date,
) -> Eligibility:
    """Judge booking a dose on day `on` (the SLOT's date, not today)."""
    ordered = sorted(doses, key=lambda dose: dose.administered_on)  # stable: ties keep input order
    next_number = len(ordered) + 1

    programme = None
    if ordered:  # the course continues under the programme in force on the first dose's date
        programme = programme_in_force(programmes, vaccine_code, ordered[0].administered_on)
    if programme is None:
        programme = programme_in_force(programmes, vaccine_code, on)

    open_visits = [(number, dose) for number, dose in enumerate(ordered, 1) if dose.visit_open]
    if open_visits:
        number, dose = open_visits[-1]
        return Eligibility(
            False,
            Reason.OPEN_VISIT,
            next_number,
            None,
            None,
            clinic_name=dose.clinic_name,
            programme=programme,
            recorded_dose=number,
        )

    if programme is None:
        return Eligibility(False, Reason.NO_PROGRAMME, None, None, None)

    if len(ordered) >= programme.doses:
        return Eligibility(False, Reason.COMPLETED, None, None, None, programme=programme)

    if appointment is not None:
        return Eligibility(
            False,
            Reason.HAS_APPOINTMENT,
            next_number,
            None,
            None,
            appointment_on=appointment.on,
            programme=programme,
        )

    max_age_birthday = date_of_age(birth_date, programme.first_dose_max_age)
    if not ordered:
        return _first_dose(birth_date, programme, max_age_birthday, on)
    return _next_dose(ordered[-1].administered_on, next_number, programme, max_age_birthday, on)


def _first_dose(
    birth_date: date, programme: Programme, max_age_birthday: date, on: date
) -> Eligibility:
    if on >= max_age_birthday:
        return Eligibility(False, Reason.TOO_OLD, 1, None, None, programme=programme)
    opens = max(date_of_age(birth_date, programme.first_dose_min_age), programme.effective_from)
    closes = max_age_birthday - timedelta(days=1)
    if programme.effective_to is not None:
        closes = min(closes, programme.effective_to)
    if closes < opens:  # the programme ends before the window opens: the next version decides
        closes = None
    if on < opens:
        return Eligibility(False, Reason.TOO_YOUNG, 1, opens, closes, programme=programme)
    return Eligibility(True, Reason.FIRST_DOSE, 1, opens, closes, programme=programme)


def _next_dose(
    previous: date, number: int, programme: Programme, max_age_birthday: date, on: date
) -> Eligibility:
    opens = add_months(previous, programme.min_interval_months)
    closes = add_months(previous, programme.max_interval_months)
    if not programme.later_doses_after_max_age:
        closes = min(closes, max_age_birthday - timedelta(days=1))
        if on >= max_age_birthday or closes < opens:
            return Eligibility(
                False, Reason.NEXT_AFTER_MAX_AGE, number, None, closes, programme=programme
            )
    if on < opens:
        return Eligibility(False, Reason.NEXT_TOO_EARLY, number, opens, closes, programme=programme)
    if on > closes:
        return Eligibility(
            False, Reason.NEXT_WINDOW_PASSED, number, None, closes, programme=programme
        )
    return Eligibility(True, Reason.NEXT_DOSE, number, opens, closes, programme=programme)


@dataclass(frozen=True)
class Stretch:
    """Days from `first_day` through `last_day` (None: open-ended) on which the same programme
    version applies, and the verdict for booking on `first_day`."""

    first_day: date
    last_day: date | None
    verdict: Eligibility

    def bookable_days(self) -> tuple[date, date | None] | None:
        """The days of this stretch on which a slot may be booked, or None."""
        if self.verdict.reason not in WINDOW_REASONS:
            return None
        first = max(self.first_day, self.verdict.opens_on or self.first_day)
        ends = [day for day in (self.last_day, self.verdict.closes_on) if day is not None]
        last = min(ends) if ends else None
        return None if last is not None and last < first else (first, last)


# The verdicts that leave some day to book, now or later; the others offer no slot.
WINDOW_REASONS = frozenset(
    {Reason.FIRST_DOSE, Reason.NEXT_DOSE, Reason.TOO_YOUNG, Reason.NEXT_TOO_EARLY}
)


def _stretch_bounds(
    programmes: Sequence[Programme], vaccine_code: str, today: date
) -> list[tuple[date, date | None]]:
    """The stretches of days from `today` on between programme changes (a version of this
    vaccine starting or ending later): (first day, last day or None for open-ended)."""
    changes = {today}
    for programme in programmes:
        if programme.vaccine_code != vaccine_code:
            continue
        changes.add(programme.effective_from)
        if programme.effective_to is not None:
            changes.add(programme.effective_to + timedelta(days=1))
    starts = sorted(day for day in changes if day >= today)
    ends = [start - timedelta(days=1) for start in starts[1:]] + [None]
    return list(zip(starts, ends, strict=True))


@dataclass(frozen=True)
class Outlook:
    """What booking holds for the child from today on, over every programme version."""

    step: Eligibility  # what the pages say: the first stretch with a day to book, else today's
    days: tuple[tuple[date, date | None], ...]  # the day ranges on which a slot may be booked


def booking_outlook(
    *,
    vaccine_code: str,
    birth_date: date,
    doses: Sequence[RecordedDose],
    appointment: BookedAppointment | None,
    programmes: Sequence[Programme],
    today: date,
) -> Outlook:
    """The verdicts for booking on any day from `today` on, summed up for the slot list and the
    Szczepienia page. Eligibility is judged on the slot's day, and a programme published for a
    later date may admit a child that today's refuses (or the reverse): the days ahead are cut
    into stretches between programme changes, and within one stretch only the child's age and
    intervals change the verdict, which the stretch's verdict (judged on its first day) carries
    as its window."""
    stretches = [
        Stretch(first, last, eligibility(
            vaccine_code=vaccine_code, birth_date=birth_date, doses=doses,
            appointment=appointment, programmes=programmes, on=first,
        ))
        for first, last in _stretch_bounds(programmes, vaccine_code, today)
    ]  # fmt: skip
    open_stretches = [(s, days) for s in stretches if (days := s.bookable_days()) is not None]
    if not open_stretches:
        return Outlook(step=stretches[0].verdict, days=())
    days = tuple(d for _, d in open_stretches)
    step = open_stretches[0][0].verdict
    if len(days) > 1:  # later versions extend the window: say up to where the list goes
        step = replace(step, closes_on=days[-1][1])
    return Outlook(step=step, days=days)


def booking_window(
    *,
    vaccine_code: str,
    birth_date: date,
    doses: Sequence[RecordedDose],
    programmes: Sequence[Programme],
    today: date,
) -> Eligibility:
    """The next step for the child's vaccination page: which dose is next and its window
    (opens_on/closes_on), ignoring any appointment; the reason is judged as of `today`
    (e.g. NEXT_TOO_EARLY with opens_on in the future, or NEXT_DOSE with the window)."""
    return eligibility(
        vaccine_code=vaccine_code,
        birth_date=birth_date,
        doses=doses,
        appointment=None,
        programmes=programmes,
        on=today,
    )


# --- how far from today a term may start ------------------------------------------------------

# A term published further ahead than this is a typo, not a plan ("9999-12-31T23:00-05:00"
# is year 10000 in UTC, which PostgreSQL stores and psycopg cannot read back: every page that
# lists the slot would fail). The feed also sets aside a start this far in the past (the year
# 1 fails the same way); a past start inside the horizon is stored but never offered.
SLOT_HORIZON_MONTHS = 24


def slot_horizon(today: date) -> tuple[date, date]:
    """(earliest, latest): the days a published term may start on, both inclusive."""
    return add_months(today, -SLOT_HORIZON_MONTHS), add_months(today, SLOT_HORIZON_MONTHS)
