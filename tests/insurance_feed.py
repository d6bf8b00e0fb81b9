"""Realistic `zus-insurance` feed lines (DESIGN.md, "Feeds") for tests and benchmarks.

- `People` hands out persons with valid, distinct PESELs (accounts.rules.build_pesel);
- `registered`, `deregistered`, `own_title_started`, `own_title_ended`, `cancelled` build one
  event (a dict with exactly the keys DESIGN.md names); `encode` turns it into a JSONL line;
- `write_feed` writes events (or raw bytes, for bad lines) to a file;
- `synthetic_feed` makes a large, realistic file's worth of events: families whose children
  are covered from birth, job changes with and without a gap, the other parent taking over,
  teenagers with own titles, ZUS corrections (cancellations), resent lines, deregistrations
  dated ahead;
- `insurance_state` reads what an ingest produced as comparable tuples (no ids, no timestamps).
"""

import itertools
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from accounts.rules import add_months, build_pesel, date_of_age

TITLES = ("apprenticeship", "juvenile_employment", "nursing_allowance", "family_pension")

_FIRST_NAMES = {
    "F": ("Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Zofia", "Julia", "Hanna", "Łucja"),
    "M": ("Piotr", "Krzysztof", "Tomasz", "Paweł", "Jan", "Antoni", "Jakub", "Szymon", "Michał"),
}
_SURNAMES = ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański")


@dataclass(frozen=True)
class FeedPerson:
    pesel: str
    first_name: str
    surname: str
    birth_date: date
    sex: str


def _surname(base: str, sex: str) -> str:
    return base[:-1] + "a" if sex == "F" and base.endswith("ski") else base


class People:
    """Persons with distinct valid PESELs; deterministic for a given seed."""

    def __init__(self, *, seed: int = 0, first_serial: int = 500):
        self._random = random.Random(seed)
        self._next_serial: dict[tuple[date, str], int] = {}
        self._first_serial = first_serial

    def make(self, *, born: date, sex: str | None = None, first_name: str | None = None,
             surname: str | None = None) -> FeedPerson:
        sex = sex or self._random.choice("FM")
        # build_pesel keeps serial % 1000 and derives the sex digit from serial % 5: stepping
        # by 5 from an offset of the right parity gives 200 distinct PESELs per day and sex.
        key = (born, sex)
        serial = self._next_serial.get(key, self._first_serial)
        self._next_serial[key] = serial + 5
        if serial - self._first_serial >= 1000:
            raise ValueError(f"more than 200 people born on {born} of sex {sex}")
        pesel = build_pesel(born, sex=sex, serial=serial)
        first_name = first_name or self._random.choice(_FIRST_NAMES[sex])
        surname = surname or _surname(self._random.choice(_SURNAMES), sex)
        return FeedPerson(pesel, first_name, surname, born, sex)


def _pesel(who: "FeedPerson | str") -> str:
    return who if isinstance(who, str) else who.pesel


def registered(event_id: str, insured: FeedPerson, member: FeedPerson, *, valid_from: date,
               reported_on: date | None = None) -> dict:
    return {
        "event_id": event_id, "type": "family_member_registered",
        "insured_pesel": insured.pesel, "insured_first_name": insured.first_name, "insured_surname": insured.surname,
        "member_pesel": member.pesel, "member_first_name": member.first_name, "member_surname": member.surname,
        "valid_from": valid_from.isoformat(), "reported_on": (reported_on or valid_from).isoformat(),
    }  # fmt: skip


def deregistered(event_id: str, insured: "FeedPerson | str", member: "FeedPerson | str", *, valid_to: date,
                 reported_on: date | None = None) -> dict:
    return {
        "event_id": event_id, "type": "family_member_deregistered",
        "insured_pesel": _pesel(insured), "member_pesel": _pesel(member),
        "valid_to": valid_to.isoformat(), "reported_on": (reported_on or valid_to).isoformat(),
    }  # fmt: skip


def own_title_started(event_id: str, person: "FeedPerson | str", *, title: str, valid_from: date,
                      reported_on: date | None = None) -> dict:
    return {
        "event_id": event_id, "type": "own_title_started", "pesel": _pesel(person), "title": title,
        "valid_from": valid_from.isoformat(), "reported_on": (reported_on or valid_from).isoformat(),
    }  # fmt: skip


def own_title_ended(event_id: str, person: "FeedPerson | str", *, title: str, valid_to: date,
                    reported_on: date | None = None) -> dict:
    return {
        "event_id": event_id, "type": "own_title_ended", "pesel": _pesel(person), "title": title,
        "valid_to": valid_to.isoformat(), "reported_on": (reported_on or valid_to).isoformat(),
    }  # fmt: skip


def cancelled(event_id: str, cancels_event_id: str, *, reported_on: date) -> dict:
    return {"event_id": event_id, "type": "event_cancelled", "cancels_event_id": cancels_event_id,
            "reported_on": reported_on.isoformat()}


def encode(event: "dict | bytes") -> bytes:
    """One JSONL line; bytes pass through (tests write bad lines that way)."""
    if isinstance(event, bytes):
        return event if event.endswith(b"\n") else event + b"\n"
    return json.dumps(event, ensure_ascii=False).encode() + b"\n"


def write_feed(path: Path, events: Iterable["dict | bytes"]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.writelines(encode(event) for event in events)
    return path


# --- a large realistic feed -----------------------------------------------------------------------


def synthetic_feed(lines: int, *, today: date, seed: int = 0, prefix: str = "zus") -> list[dict]:
    """About `lines` events (exactly `lines`) of many families, in the order ZUS reported them
    (by `reported_on`, with some lines resent and some arriving late)."""
    rng = random.Random(seed)
    people = People(seed=seed)
    ids = (f"{prefix}-{n:09d}" for n in itertools.count(1))
    events: list[dict] = []
    while len(events) < lines:
        events.extend(_family(rng, people, ids, today))
    events = events[:lines]
    events.sort(key=lambda e: (e["reported_on"], rng.random()))
    # Late arrivals: a few lines come in far from their report date.
    for _ in range(len(events) // 50):
        i, j = rng.randrange(len(events)), rng.randrange(len(events))
        events[i], events[j] = events[j], events[i]
    return events


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def _family(rng: random.Random, people: People, ids, today: date) -> list[dict]:
    surname = rng.choice(_SURNAMES)
    mother = people.make(born=_day(rng, date(1972, 1, 1), date(1998, 12, 31)), sex="F", surname=_surname(surname, "F"))
    father = people.make(born=_day(rng, date(1970, 1, 1), date(1996, 12, 31)), sex="M", surname=surname)
    out: list[dict] = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        born = _day(rng, add_months(today, -12 * 19), today - timedelta(days=30))
        if rng.random() < 0.01:
            born = date(rng.choice((2008, 2012, 2016, 2020, 2024)), 2, 29)
        sex = rng.choice("FM")
        child = people.make(born=born, sex=sex, surname=_surname(surname, sex))
        out.extend(_child_history(rng, ids, today, child, *rng.sample((mother, father), 2)))
    if rng.random() < 0.03:  # ZUS resends a line it already sent
        out.append(dict(rng.choice(out)))
    return out


def _child_history(rng, ids, today, child, first, second) -> list[dict]:
    def later(day: date, lo: int = 0, hi: int = 20) -> date:
        return day + timedelta(days=rng.randint(lo, hi))

    out = []
    start = later(child.birth_date, 0, 60)
    out.append(registered(next(ids), first, child, valid_from=start, reported_on=later(start)))
    roll = rng.random()
    if roll < 0.25:  # job change: deregistered, re-registered by the new employer after a gap
        end = _day(rng, start, today)
        out.append(deregistered(next(ids), first, child, valid_to=end, reported_on=later(end)))
        if rng.random() < 0.7:
            again = later(end, 1, 90)
            out.append(registered(next(ids), first, child, valid_from=again, reported_on=later(again)))
    elif roll < 0.40:  # in the gap the other parent covers the child
        end = _day(rng, start, today)
        out.append(deregistered(next(ids), first, child, valid_to=end, reported_on=later(end)))
        other = later(end, 1, 30)
        out.append(registered(next(ids), second, child, valid_from=other, reported_on=later(other)))
    elif roll < 0.47:  # the other parent covers the child now, while the first still does too
        other = _day(rng, start, today)
        out.append(registered(next(ids), second, child, valid_from=other, reported_on=later(other)))
    elif roll < 0.50:  # a deregistration dated ahead
        end = later(today, 5, 60)
        out.append(deregistered(next(ids), first, child, valid_to=end, reported_on=today - timedelta(days=rng.randint(0, 5))))
    sixteen = date_of_age(child.birth_date, 16)
    if sixteen <= today and rng.random() < 0.15:  # a teenager with an own title
        title = rng.choice(TITLES)
        begin = _day(rng, sixteen, today)
        out.append(own_title_started(next(ids), child, title=title, valid_from=begin, reported_on=later(begin)))
        if rng.random() < 0.4:
            finish = _day(rng, begin, today + timedelta(days=30))
            out.append(own_title_ended(next(ids), child, title=title, valid_to=finish, reported_on=later(finish)))
    if rng.random() < 0.04:  # a correction: ZUS cancels one of the events it sent
        target = rng.choice(out)
        reported = date.fromisoformat(target["reported_on"]) + timedelta(days=rng.randint(1, 30))
        out.append(cancelled(next(ids), target["event_id"], reported_on=reported))
    return out


# --- reading back what an ingest produced ---------------------------------------------------------


def insurance_state(*, notices: bool = True) -> dict[str, list[tuple]]:
    """Everything an insurance ingest derives, as sorted tuples without ids or timestamps.

    Events are compared with whether they were applied, not when; quarantined lines by line
    number and reason (compare those only between runs of the same file).
    """
    from accounts.models import Person
    from feeds.models import QuarantinedLine
    from guardianship.models import (
        AccessNotice,
        AutomaticGuardian,
        Coverage,
        InsuranceEvent,
        OwnTitle,
    )

    state = {
        "persons": sorted(Person.objects.values_list("pesel", "first_name", "surname", "birth_date", "sex")),
        "events": sorted(
            (*row[:-1], row[-1] is not None)
            for row in InsuranceEvent.objects.values_list(
                "event_id", "type", "insured_pesel", "person_pesel", "title", "valid_from", "valid_to",
                "reported_on", "cancels_event_id", "applied_at",
            )
        ),
        "coverages": sorted(
            Coverage.objects.values_list(
                "registration_event_id", "insured__pesel", "member__pesel", "valid_from", "valid_to", "reported_on"
            )
        ),
        "own_titles": sorted(OwnTitle.objects.values_list("start_event_id", "pesel", "title", "valid_from", "valid_to")),
        "guardians": sorted(
            AutomaticGuardian.objects.values_list("subject__pesel", "guardian__pesel", "computed_on"),
            key=lambda row: (row[0], row[1] or "", row[2]),
        ),
        "quarantine": sorted(QuarantinedLine.objects.values_list("line_number", "reason")),
    }
    if notices:
        state["notices"] = sorted(
            AccessNotice.objects.values_list("recipient__pesel", "subject__pesel", "kind", "effective_on")
        )
    return state


def insurance_reset() -> None:
    """Delete what ingests stored and derived (people stay): a clean slate for the next run."""
    from feeds.models import FeedFile, QuarantinedLine
    from guardianship.models import (
        AccessNotice,
        AutomaticGuardian,
        Coverage,
        InsuranceEvent,
        OwnTitle,
    )

    for model in (AccessNotice, AutomaticGuardian, Coverage, OwnTitle, InsuranceEvent, QuarantinedLine, FeedFile):
        model.objects.all().delete()
