"""The SQL sync and the pure rules agree (guardianship/sync.py says a property test holds them
equal: this is it).

Hypothesis generates sets of feed events about three children and three insured people —
registrations, deregistrations, own titles starting and ending, cancellations of any other id
(or of one never sent), cancellations of cancellations more often, so chains and rings form —
writes them in a random order to one or two files and ingests them. Then, for each child, these answers must be the same:
- the automatic guardian the SQL recorded (AutomaticGuardian),
- the one guardianship.policy computes in Python from the derived Coverage and OwnTitle rows,
- the one the access policy acts on, for each insured person's login: `access_for` (and
  `accessible_subjects`) give insurance-based access exactly to that guardian, through the
  policy's own one-statement loader of the same rows,
- a reference computed straight from the generated events with guardianship.rules: cancelled
  events dropped, each registration ended by rules.period_end, then rules.automatic_guardian.

Which cancellations count follows guardianship/sync.py: a cancellation is effective when no
effective cancellation names it (at any depth), and one on a ring is void. The reference
decides this by its own recursion on that definition, not by rules.void_cancellations (which
the sync uses), so the two check each other.
"""

import itertools
import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import Person, User
from feeds.runner import ingest_file
from guardianship import policy, rules
from guardianship.models import AutomaticGuardian, Coverage, OwnTitle
from tests.insurance_feed import (
    People,
    cancelled,
    deregistered,
    insurance_reset,
    own_title_ended,
    own_title_started,
    registered,
    write_feed,
)

WARSAW = ZoneInfo("Europe/Warsaw")
TODAY = date(2026, 2, 28)

_people = People(seed=21, first_serial=0)
INSURED = [
    _people.make(born=date(1984, 5, 17), sex="F", first_name="Anna", surname="Kowalska"),
    _people.make(born=date(1982, 1, 9), sex="M", first_name="Piotr", surname="Kowalski"),
    _people.make(born=date(1958, 11, 30), sex="F", first_name="Halina", surname="Kowalska"),
]
CHILDREN = [
    _people.make(born=date(2015, 6, 10), sex="F", first_name="Zosia", surname="Kowalska"),
    _people.make(born=date(2008, 2, 29), sex="M", first_name="Kuba", surname="Kowalski"),  # 18 on 28 Feb 2026
    _people.make(born=date(2008, 3, 1), sex="F", first_name="Ola", surname="Kowalska"),  # 18 the next day
]
TITLES = ["apprenticeship", "family_pension"]  # two are enough to tell a title's end from another's


def near(offset: int) -> date:
    return TODAY + timedelta(days=offset)


# Dates within a few days of today, so that overlaps, ends on the day and ties are common.
valid_days = st.integers(-8, 4).map(near)
report_days = st.integers(-10, 0).map(near)
# Mixed case and non-ASCII: the last tie-break compares event ids, in SQL and in Python alike.
id_prefixes = st.sampled_from(["a", "B", "b", "Z-", "ą", "e_"])


@st.composite
def feeds(draw):
    events: list[dict] = []
    serial = itertools.count(1)
    # One child and one insured person get most events, so that overlaps, ties and
    # cancellations meet on the same child often even in few examples.
    children = draw(st.permutations(CHILDREN))
    insured_people = draw(st.permutations(INSURED))
    pick_child = st.sampled_from([children[0]] * 3 + children[1:])
    pick_insured = st.sampled_from([insured_people[0]] * 2 + insured_people[1:])
    kinds = ["registered", "registered", "deregistered", "title_started", "title_ended", "cancelled"]
    planned = [(f"{draw(id_prefixes)}{next(serial)}", draw(st.sampled_from(kinds))) for _ in range(draw(st.integers(1, 16)))]
    cancellation_ids = [event_id for event_id, kind in planned if kind == "cancelled"]
    for event_id, kind in planned:
        child, insured, reported_on = draw(pick_child), draw(pick_insured), draw(report_days)
        if kind == "registered":
            events.append(registered(event_id, insured, child, valid_from=draw(valid_days), reported_on=reported_on))
        elif kind == "deregistered":
            events.append(deregistered(event_id, insured, child, valid_to=draw(valid_days), reported_on=reported_on))
        elif kind == "title_started":
            events.append(own_title_started(event_id, child, title=draw(st.sampled_from(TITLES)), valid_from=draw(valid_days), reported_on=reported_on))
        elif kind == "title_ended":
            events.append(own_title_ended(event_id, child, title=draw(st.sampled_from(TITLES)), valid_to=draw(valid_days), reported_on=reported_on))
        else:
            # Any other id, earlier or later (so rings too), a cancellation twice as likely
            # (chains), or one never sent; never itself (a quarantined line).
            others = [other for other, _ in planned if other != event_id]
            other_cancellations = [other for other in cancellation_ids if other != event_id]
            target = draw(st.sampled_from([*others, *other_cancellations, "never-sent"]))
            events.append(cancelled(event_id, target, reported_on=reported_on))
    order = draw(st.permutations(events))
    split = draw(st.integers(0, len(order)))
    today = draw(st.sampled_from([TODAY - timedelta(days=1), TODAY]))
    return events, [order[:split], order[split:]], today


# Hand-made examples, run every time besides the generated ones.
A, B, C = INSURED
ZOSIA, KUBA, OLA = CHILDREN
TIES = [  # the latest valid_from wins, then the latest report, then the greatest event id
    registered("a1", A, ZOSIA, valid_from=near(-5), reported_on=near(-1)),
    registered("a2", B, ZOSIA, valid_from=near(-3), reported_on=near(-9)),
    registered("B3", C, ZOSIA, valid_from=near(-3), reported_on=near(-2)),
    registered("Z-4", A, OLA, valid_from=near(-2), reported_on=near(-4)),
    registered("a5", B, OLA, valid_from=near(-2), reported_on=near(-4)),
]
CANCELS = [  # a cancelled deregistration; a cancellation of a cancellation (b4 restored)
    registered("a1", A, ZOSIA, valid_from=near(-8), reported_on=near(-8)),
    deregistered("a2", A, ZOSIA, valid_to=near(-2), reported_on=near(-2)),
    cancelled("a3", "a2", reported_on=near(-1)),
    registered("b4", B, OLA, valid_from=near(-6), reported_on=near(-6)),
    cancelled("b5", "b4", reported_on=near(-5)),
    cancelled("b6", "b5", reported_on=near(-4)),
]
CHAINS = [  # depth 3 (a1 cancelled again); two cancellers of one, one of them void; a ring
    registered("a1", A, ZOSIA, valid_from=near(-8), reported_on=near(-8)),
    cancelled("a2", "a1", reported_on=near(-7)),
    cancelled("a3", "a2", reported_on=near(-6)),
    cancelled("a4", "a3", reported_on=near(-5)),
    registered("b5", B, OLA, valid_from=near(-6), reported_on=near(-6)),
    cancelled("b6", "b5", reported_on=near(-5)),
    cancelled("b7", "b5", reported_on=near(-5)),
    cancelled("b8", "b7", reported_on=near(-4)),  # b6 still cancels b5
    cancelled("Z-9", "Z-10", reported_on=near(-3)),
    cancelled("Z-10", "Z-9", reported_on=near(-3)),
    cancelled("Z-11", "Z-9", reported_on=near(-2)),
]
OWN_TITLES = [  # an end before the start, or of another title, ends nothing; an end yesterday does
    registered("a1", A, ZOSIA, valid_from=near(-8), reported_on=near(-8)),
    own_title_started("a2", ZOSIA, title="apprenticeship", valid_from=near(-5), reported_on=near(-5)),
    own_title_ended("a3", ZOSIA, title="apprenticeship", valid_to=near(-7), reported_on=near(-4)),
    own_title_ended("a4", ZOSIA, title="family_pension", valid_to=near(-2), reported_on=near(-2)),
    registered("b5", B, OLA, valid_from=near(-8), reported_on=near(-8)),
    own_title_started("b6", OLA, title="family_pension", valid_from=near(-6), reported_on=near(-6)),
    own_title_ended("b7", OLA, title="family_pension", valid_to=near(-1), reported_on=near(-1)),
]
EIGHTEEN = [registered("a1", A, KUBA, valid_from=near(-8), reported_on=near(-8))]  # born 29 Feb 2008


def reference(events: list[dict], child, today: date):
    """The automatic guardian by guardianship.rules alone, from the events as generated."""
    names = {e["event_id"]: e["cancels_event_id"] for e in events if e["type"] == "event_cancelled"}

    def on_ring(cancellation) -> bool:
        named = names[cancellation]
        for _ in names:
            if named == cancellation:
                return True
            if named not in names:
                return False
            named = names[named]
        return False

    def effective(cancellation) -> bool:  # recursion ends: off a ring, cancellers are off it too
        return not on_ring(cancellation) and not any(
            effective(canceller) for canceller, named in names.items() if named == cancellation
        )

    cancelled_ids = {named for canceller, named in names.items() if effective(canceller)}
    live = [e for e in events if e["event_id"] not in cancelled_ids]

    def of(kind, **match):
        return [e for e in live if e["type"] == kind and all(e[k] == v for k, v in match.items())]

    coverages = [
        rules.Coverage(
            r["insured_pesel"],
            date.fromisoformat(r["valid_from"]),
            rules.period_end(
                date.fromisoformat(r["valid_from"]),
                [date.fromisoformat(d["valid_to"]) for d in of("family_member_deregistered", insured_pesel=r["insured_pesel"], member_pesel=child.pesel)],
            ),
            date.fromisoformat(r["reported_on"]),
            r["event_id"],
        )
        for r in of("family_member_registered", member_pesel=child.pesel)
    ]
    titles = [
        rules.Period(
            date.fromisoformat(s["valid_from"]),
            rules.period_end(
                date.fromisoformat(s["valid_from"]),
                [date.fromisoformat(x["valid_to"]) for x in of("own_title_ended", pesel=child.pesel, title=s["title"])],
            ),
        )
        for s in of("own_title_started", pesel=child.pesel)
    ]
    guardian = rules.automatic_guardian(coverages=coverages, own_titles=titles, birth_date=child.birth_date, on=today)
    return guardian, coverages, titles


def login(person: Person) -> User:
    user, _ = User.objects.get_or_create(email=f"{person.pesel}@example.test", defaults={"person": person})
    return user


@pytest.fixture
def cast(transactional_db, celery_eager) -> dict[str, Person]:
    """The six people. Transactional: every ingest really commits, as in production (and
    hundreds of examples in one test transaction would exhaust PostgreSQL's lock table).
    The notices' task runs in this process (nobody here has a login to mail), so no message
    is left on the shared broker."""
    return {
        p.pesel: Person.objects.create(pesel=p.pesel, first_name=p.first_name, surname=p.surname, birth_date=p.birth_date, sex=p.sex)
        for p in INSURED + CHILDREN
    }


_files = itertools.count(1)


# SYNC_EXAMPLES=1000 for a deeper search than the suite's.
@settings(max_examples=int(os.environ.get("SYNC_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(generated=feeds())
@example(generated=(TIES, [TIES, []], TODAY))
@example(generated=(CANCELS, [CANCELS[2::3], CANCELS[0::3] + CANCELS[1::3]], TODAY))  # cancellations first
@example(generated=(CANCELS, [CANCELS[:5], CANCELS[5:]], TODAY))  # the withdrawal last, alone
@example(generated=(CHAINS, [CHAINS[::-1], []], TODAY))
@example(generated=(CHAINS, [CHAINS[1::2], CHAINS[0::2]], TODAY))
@example(generated=(OWN_TITLES, [OWN_TITLES[::-1], []], TODAY))
@example(generated=(EIGHTEEN, [EIGHTEEN, []], TODAY))
@example(generated=(EIGHTEEN, [EIGHTEEN, []], TODAY - timedelta(days=1)))
def test_the_sql_sync_and_the_rules_name_the_same_guardian(cast, tmp_path, generated):
    events, files, today = generated
    insurance_reset()  # each example starts clean; the people stay

    with time_machine.travel(datetime(today.year, today.month, today.day, 12, 0, tzinfo=WARSAW), tick=False):
        for lines in files:
            if lines:
                result = ingest_file("zus-insurance", write_feed(tmp_path / f"zus-{next(_files)}.jsonl", lines))
                assert result.quarantined == 0

    recorded = dict(AutomaticGuardian.objects.values_list("subject__pesel", "guardian__pesel"))
    children = [cast[c.pesel] for c in CHILDREN]
    in_python = policy.automatic_guardians(children, today)
    pesel_of = {p.pk: p.pesel for p in cast.values()}
    logins = {p.pesel: login(cast[p.pesel]) for p in INSURED}
    through_insurance = {
        (parent, item.subject.pesel)
        for parent, user in logins.items()
        for item in policy.accessible_subjects(user, on=today)
        if item.access.basis == rules.Basis.INSURANCE
    }
    for child in CHILDREN:
        expected, coverages, titles = reference(events, child, today)
        assert recorded.get(child.pesel) == expected, (child.first_name, events)
        assert pesel_of.get(in_python[cast[child.pesel].pk]) == expected, (child.first_name, events)
        for parent, user in logins.items():
            acts = policy.access_for(user, cast[child.pesel], on=today).basis == rules.Basis.INSURANCE
            assert acts == (parent == expected), (child.first_name, parent, events)
            assert ((parent, child.pesel) in through_insurance) == (parent == expected), (child.first_name, parent, events)
        assert sorted(
            Coverage.objects.filter(member__pesel=child.pesel).values_list(
                "insured__pesel", "valid_from", "valid_to", "reported_on", "registration_event_id"
            )
        ) == sorted((c.insured, c.valid_from, c.valid_to, c.reported_on, c.event_id) for c in coverages)
        assert sorted(OwnTitle.objects.filter(pesel=child.pesel).values_list("valid_from", "valid_to"), key=str) == sorted(
            ((t.valid_from, t.valid_to) for t in titles), key=str
        )
