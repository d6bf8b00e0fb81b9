"""The set-based ingest of the `zus-insurance` feed (feeds/runner.py, feeds/zus_insurance.py,
guardianship/sync.py), through real files and the real SQL.

What it must hold (DESIGN.md, "Feeds" and "Who may act for whom"): each event is stored once;
re-ingesting a file changes nothing; the result does not depend on the order the lines arrive
in; a cancellation undoes its target whenever either arrives; a bad line is set aside with its
number and reason while the rest go in; access is recomputed only for the people touched; and
the work is a bounded number of queries, not one per line.
"""

import itertools
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Person
from conftest import make_person
from feeds.models import FeedFile, QuarantinedLine
from feeds.runner import ingest_file
from guardianship.models import AccessNotice, AutomaticGuardian, Coverage, InsuranceEvent, OwnTitle
from tests.insurance_feed import (
    TITLES,
    FeedPerson,
    People,
    cancelled,
    deregistered,
    encode,
    insurance_reset,
    insurance_state,
    own_title_ended,
    own_title_started,
    registered,
    synthetic_feed,
    write_feed,
)

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")
TODAY = date(2026, 3, 2)

_people = People(seed=11, first_serial=0)  # serials apart from synthetic_feed's
MOTHER = _people.make(born=date(1984, 5, 17), sex="F", first_name="Anna", surname="Kowalska")
FATHER = _people.make(born=date(1982, 1, 9), sex="M", first_name="Piotr", surname="Kowalski")
ZOSIA = _people.make(born=date(2016, 4, 20), sex="F", first_name="Zosia", surname="Kowalska")
KUBA = _people.make(born=date(2009, 11, 5), sex="M", first_name="Kuba", surname="Kowalski")  # 16 on TODAY


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, 0, tzinfo=WARSAW), tick=False)


@pytest.fixture(autouse=True)
def today():
    """ingest_file takes `today` from the clock: pin it."""
    with at(TODAY):
        yield TODAY


_file_serial = itertools.count(1)


def ingest(tmp_path, events, *, apply: bool = True):
    path = write_feed(tmp_path / f"zus-{next(_file_serial)}.jsonl", events)
    return ingest_file("zus-insurance", path, apply=apply)


def guardian_of(child) -> str | None:
    row = AutomaticGuardian.objects.filter(subject__pesel=child.pesel).values_list("guardian__pesel", flat=True)
    return row[0] if row else None


def derived() -> dict:
    """What access follows from: coverages, own titles and automatic guardians."""
    state = insurance_state(notices=False)
    return {name: state[name] for name in ("coverages", "own_titles", "guardians")}


def family_story() -> list[dict]:
    """One family through the FAQ's causes: a job change, the other parent covering in the gap,
    the new employer registering again, a teenager's own title that ends, a deregistration
    dated ahead."""
    return [
        registered("s-r1", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date, reported_on=date(2016, 5, 2)),
        deregistered("s-d1", MOTHER, ZOSIA, valid_to=date(2025, 9, 30), reported_on=date(2025, 10, 3)),
        registered("s-r2", FATHER, ZOSIA, valid_from=date(2025, 10, 1), reported_on=date(2025, 10, 6)),
        registered("s-r3", MOTHER, ZOSIA, valid_from=date(2025, 12, 1), reported_on=date(2025, 12, 4)),
        registered("s-r4", FATHER, KUBA, valid_from=KUBA.birth_date, reported_on=date(2009, 11, 20)),
        own_title_started("s-t1", KUBA, title="apprenticeship", valid_from=date(2025, 9, 1), reported_on=date(2025, 9, 3)),
        own_title_ended("s-t2", KUBA, title="apprenticeship", valid_to=date(2026, 1, 31), reported_on=date(2026, 2, 2)),
        deregistered("s-d2", FATHER, KUBA, valid_to=date(2026, 4, 30), reported_on=date(2026, 2, 27)),
    ]


def rich_feed() -> list[dict]:
    return family_story() + synthetic_feed(400, today=TODAY, seed=3)


# --- the story, applied -------------------------------------------------------------------------


def test_it_derives_coverages_titles_guardians_and_notices_from_the_story(tmp_path):
    result = ingest(tmp_path, family_story())

    assert (result.lines, result.accepted, result.duplicates, result.quarantined) == (8, 8, 0, 0)
    assert guardian_of(ZOSIA) == MOTHER.pesel  # the latest start covers her now
    assert guardian_of(KUBA) == FATHER.pesel  # the apprenticeship ended on 31 January
    assert set(Coverage.objects.values_list("registration_event_id", "valid_from", "valid_to")) == {
        ("s-r1", ZOSIA.birth_date, date(2025, 9, 30)),
        ("s-r2", date(2025, 10, 1), None),
        ("s-r3", date(2025, 12, 1), None),
        ("s-r4", KUBA.birth_date, date(2026, 4, 30)),
    }
    assert list(OwnTitle.objects.values_list("start_event_id", "title", "valid_from", "valid_to")) == [
        ("s-t1", "apprenticeship", date(2025, 9, 1), date(2026, 1, 31)),
    ]
    assert set(AccessNotice.objects.values_list("recipient__pesel", "subject__pesel", "kind", "effective_on")) == {
        (MOTHER.pesel, ZOSIA.pesel, "gained", TODAY),
        (FATHER.pesel, KUBA.pesel, "gained", TODAY),
        (FATHER.pesel, KUBA.pesel, "ending", date(2026, 4, 30)),  # the deregistration dated ahead
    }
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()


def test_a_deregistration_dated_ahead_tells_the_guardian_before_access_ends(tmp_path):
    ingest(tmp_path, [registered("r", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date)])
    ingest(tmp_path, [deregistered("d", MOTHER, ZOSIA, valid_to=date(2026, 3, 31), reported_on=TODAY)])

    assert guardian_of(ZOSIA) == MOTHER.pesel
    assert list(AccessNotice.objects.filter(kind="ending").values_list("recipient__pesel", "effective_on")) == [
        (MOTHER.pesel, date(2026, 3, 31)),
    ]


def test_a_deregistration_dated_ahead_with_a_new_registration_right_after_warns_nobody(tmp_path):
    ingest(tmp_path, [
        registered("r", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date),
        deregistered("d", MOTHER, ZOSIA, valid_to=date(2026, 3, 31), reported_on=TODAY),
        registered("r-new-job", MOTHER, ZOSIA, valid_from=date(2026, 4, 1), reported_on=TODAY),
    ])  # fmt: skip

    assert not AccessNotice.objects.filter(kind="ending").exists()


# --- idempotency ----------------------------------------------------------------------------------


def test_it_changes_nothing_when_the_same_file_is_ingested_twice(tmp_path):
    events = rich_feed()
    path = write_feed(tmp_path / "zus.jsonl", events)
    first = ingest_file("zus-insurance", path)
    before = insurance_state()
    notices = AccessNotice.objects.count()

    again = ingest_file("zus-insurance", path)

    assert insurance_state() == before
    assert AccessNotice.objects.count() == notices > 0
    assert (again.accepted, again.quarantined, again.applied) == (0, 0, 0)
    assert again.duplicates == again.lines == first.lines == len(events)
    assert FeedFile.objects.count() == 2


def test_it_changes_nothing_when_the_lines_are_sent_again_in_another_file(tmp_path):
    events = rich_feed()
    ingest(tmp_path, events)
    before = insurance_state()

    ingest(tmp_path, random.Random(5).sample(events, len(events)))

    assert insurance_state() == before


# --- order independence -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_lines_give_the_same_state(tmp_path, seed):
    events = rich_feed()
    ingest(tmp_path, events)
    in_order = insurance_state()
    insurance_reset()

    ingest(tmp_path, random.Random(seed).sample(events, len(events)))

    assert insurance_state() == in_order


@pytest.mark.parametrize("seed", [1, 2])
def test_a_feed_split_in_two_files_gives_the_same_state_in_either_order(tmp_path, seed):
    """Notices are left out: they describe changes, and what changed in between depends on
    which file came first (the guardian after the first file may differ)."""
    events = rich_feed()
    ingest(tmp_path, events)
    whole = insurance_state(notices=False)
    shuffled = random.Random(seed).sample(events, len(events))
    first, second = shuffled[: len(events) // 3], shuffled[len(events) // 3 :]

    insurance_reset()
    ingest(tmp_path, first)
    ingest(tmp_path, second)
    one_way = insurance_state(notices=False)
    insurance_reset()
    ingest(tmp_path, second)
    ingest(tmp_path, first)
    other_way = insurance_state(notices=False)

    assert one_way == whole
    assert other_way == whole


def test_a_deregistration_read_before_its_registration_ends_it(tmp_path):
    ingest(tmp_path, family_story())
    whole = insurance_state(notices=False)
    insurance_reset()
    deregistrations = [e for e in family_story() if e["type"] == "family_member_deregistered"]
    rest = [e for e in family_story() if e["type"] != "family_member_deregistered"]

    ingest(tmp_path, deregistrations)
    assert not Coverage.objects.exists()
    ingest(tmp_path, rest)

    assert insurance_state(notices=False) == whole
    assert Coverage.objects.get(registration_event_id="s-r1").valid_to == date(2025, 9, 30)


def test_a_deregistration_before_its_registration_in_the_same_file(tmp_path):
    ingest(tmp_path, [
        deregistered("d", MOTHER, ZOSIA, valid_to=date(2025, 5, 31)),
        registered("r", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date),
    ])  # fmt: skip

    assert Coverage.objects.get().valid_to == date(2025, 5, 31)
    assert guardian_of(ZOSIA) is None


# --- the other parent covering now, by the feed -------------------------------------------------------


@pytest.mark.parametrize("father_first", [True, False], ids=["father-file-first", "mother-file-first"])
def test_the_later_valid_from_wins_whatever_the_report_order(tmp_path, father_first):
    mother = registered("m", MOTHER, ZOSIA, valid_from=date(2025, 9, 1), reported_on=date(2026, 2, 20))
    father = registered("f", FATHER, ZOSIA, valid_from=date(2025, 10, 1), reported_on=date(2025, 10, 3))

    for event in [father, mother] if father_first else [mother, father]:
        ingest(tmp_path, [event])

    assert guardian_of(ZOSIA) == FATHER.pesel


@pytest.mark.parametrize("father_first", [True, False], ids=["father-file-first", "mother-file-first"])
def test_a_tie_on_valid_from_goes_to_the_later_report(tmp_path, father_first):
    mother = registered("m", MOTHER, ZOSIA, valid_from=date(2025, 10, 1), reported_on=date(2025, 10, 20))
    father = registered("f", FATHER, ZOSIA, valid_from=date(2025, 10, 1), reported_on=date(2025, 10, 3))

    for event in [father, mother] if father_first else [mother, father]:
        ingest(tmp_path, [event])

    assert guardian_of(ZOSIA) == MOTHER.pesel


@pytest.mark.parametrize("title", TITLES)
def test_an_own_title_of_each_kind_takes_access_from_the_parent(tmp_path, title):
    ingest(tmp_path, [registered("r", MOTHER, KUBA, valid_from=KUBA.birth_date)])
    assert guardian_of(KUBA) == MOTHER.pesel

    ingest(tmp_path, [own_title_started("t", KUBA, title=title, valid_from=date(2026, 2, 1), reported_on=TODAY)])

    assert guardian_of(KUBA) is None
    assert set(AccessNotice.objects.values_list("recipient__pesel", "kind", "effective_on")) == {
        (MOTHER.pesel, "gained", TODAY),
        (MOTHER.pesel, "lost", TODAY),
    }


# --- cancellations ---------------------------------------------------------------------------------

BASE = [
    registered("base-r", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date),
    registered("base-k", FATHER, KUBA, valid_from=KUBA.birth_date),
]
TARGETS = {
    "registration": registered("target", FATHER, ZOSIA, valid_from=date(2025, 11, 1), reported_on=date(2025, 11, 5)),
    "deregistration": deregistered("target", MOTHER, ZOSIA, valid_to=date(2025, 12, 31), reported_on=date(2026, 1, 5)),
    "own_title": own_title_started("target", KUBA, title="juvenile_employment", valid_from=date(2025, 9, 1)),
}
UNDONE = (MOTHER.pesel, FATHER.pesel)  # who covers the children when the target counts as never sent
WITH_TARGET = {
    "registration": (FATHER.pesel, FATHER.pesel),
    "deregistration": (None, FATHER.pesel),
    "own_title": (MOTHER.pesel, None),
}
CANCEL = cancelled("cancel", "target", reported_on=date(2026, 2, 1))


def test_the_targets_change_access_when_not_cancelled(tmp_path):
    for kind, target in TARGETS.items():
        insurance_reset()
        ingest(tmp_path, [*BASE, target])
        assert (guardian_of(ZOSIA), guardian_of(KUBA)) == WITH_TARGET[kind], kind


@pytest.mark.parametrize("kind", sorted(TARGETS))
@pytest.mark.parametrize("when", ["after", "same_file_after", "same_file_before", "before"])
def test_a_cancellation_undoes_its_target_whenever_either_arrives(tmp_path, kind, when):
    ingest(tmp_path, BASE)
    never_sent = derived()
    insurance_reset()
    target = TARGETS[kind]

    if when == "after":
        ingest(tmp_path, [*BASE, target])
        assert (guardian_of(ZOSIA), guardian_of(KUBA)) == WITH_TARGET[kind]
        ingest(tmp_path, [CANCEL])
    elif when == "same_file_after":
        ingest(tmp_path, [*BASE, target, CANCEL])
    elif when == "same_file_before":
        ingest(tmp_path, [CANCEL, *BASE, target])
    else:
        ingest(tmp_path, [*BASE, CANCEL])
        assert InsuranceEvent.objects.get(event_id="cancel").applied_at is None  # waits for its target
        ingest(tmp_path, [target])

    assert (guardian_of(ZOSIA), guardian_of(KUBA)) == UNDONE
    assert derived() == never_sent
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()


def test_a_cancellation_whose_target_never_arrives_stays_pending(tmp_path):
    ingest(tmp_path, [*BASE, cancelled("lonely", "never-sent", reported_on=TODAY)])
    ingest(tmp_path, [registered("more", FATHER, ZOSIA, valid_from=date(2025, 1, 1))])

    assert list(InsuranceEvent.objects.filter(applied_at__isnull=True).values_list("event_id", flat=True)) == ["lonely"]


def test_a_cancelled_registration_takes_access_away_and_says_so(tmp_path):
    ingest(tmp_path, [BASE[0]])

    ingest(tmp_path, [cancelled("c", "base-r", reported_on=TODAY)])

    assert guardian_of(ZOSIA) is None
    assert not Coverage.objects.exists()
    assert set(AccessNotice.objects.values_list("recipient__pesel", "kind")) == {(MOTHER.pesel, "gained"), (MOTHER.pesel, "lost")}


# A cancellation counts when no cancellation that counts names it, at any depth (sync.py).
R = registered("r", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date)
C1 = cancelled("c1", "r", reported_on=date(2026, 2, 1))
C2 = cancelled("c2", "c1", reported_on=date(2026, 2, 10))  # ZUS withdraws c1
C3 = cancelled("c3", "c2", reported_on=date(2026, 2, 20))  # ... and withdraws the withdrawal


def test_cancelling_a_cancellation_restores_the_registration(tmp_path):
    ingest(tmp_path, [R])
    ingest(tmp_path, [C1])
    assert guardian_of(ZOSIA) is None  # c1 undid r

    ingest(tmp_path, [C2])

    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()
    assert Coverage.objects.filter(registration_event_id="r").exists()
    assert guardian_of(ZOSIA) == MOTHER.pesel
    assert AccessNotice.objects.filter(recipient__pesel=MOTHER.pesel, subject__pesel=ZOSIA.pesel, kind="gained").exists()


@pytest.mark.parametrize("order", [(R, C1, C2), (C2, C1, R), (C1, R, C2)])
def test_order_independence_cancel_of_cancel_in_one_file(tmp_path, order):
    ingest(tmp_path, list(order))

    assert guardian_of(ZOSIA) == MOTHER.pesel
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()


@pytest.mark.parametrize("order", list(itertools.permutations([R, C1, C2])), ids=lambda o: "-".join(e["event_id"] for e in o))
def test_a_cancelled_cancellation_gives_the_same_state_in_every_order_of_files(tmp_path, order):
    ingest(tmp_path, [R])
    never_cancelled = derived()
    insurance_reset()

    for event in order:
        ingest(tmp_path, [event])

    assert derived() == never_cancelled
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()


@pytest.mark.parametrize("split", [False, True])
def test_a_chain_of_three_cancellations_leaves_the_registration_cancelled(tmp_path, split):
    for events in [[R, C1], [C2], [C3]] if split else [[C3, C2, C1, R]]:
        ingest(tmp_path, events)

    assert guardian_of(ZOSIA) is None  # c3 voids c2, so c1 stands
    assert not Coverage.objects.exists()
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()


def test_a_cancellation_withdrawn_before_its_target_arrives_leaves_the_target_standing(tmp_path):
    ingest(tmp_path, [C2])
    assert InsuranceEvent.objects.get(event_id="c2").applied_at is None  # c1 has not arrived
    ingest(tmp_path, [C1])
    assert InsuranceEvent.objects.get(event_id="c1").applied_at is None  # r has not arrived
    assert InsuranceEvent.objects.get(event_id="c2").applied_at is not None

    ingest(tmp_path, [R])

    assert guardian_of(ZOSIA) == MOTHER.pesel
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()


def test_a_ring_of_cancellations_is_void_and_changes_nothing(tmp_path):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '20s'")  # a walk round the ring would never end
    ring = [
        cancelled("x1", "x2", reported_on=date(2026, 2, 1)),
        cancelled("x2", "x3", reported_on=date(2026, 2, 1)),
        cancelled("x3", "x1", reported_on=date(2026, 2, 1)),
        cancelled("x4", "x1", reported_on=date(2026, 2, 2)),  # names a ring member: cancels nothing
    ]
    ingest(tmp_path, [R, C1])
    for event in ring:  # each arrival walks the ring so far
        ingest(tmp_path, [event])
    ingest(tmp_path, [C2])  # the chain beside the ring still works

    assert guardian_of(ZOSIA) == MOTHER.pesel
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()
    insurance_reset()
    ingest(tmp_path, [*ring[::-1], C2, C1, R])  # the same set in one file
    assert guardian_of(ZOSIA) == MOTHER.pesel
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()


def test_cancelling_the_cancellation_of_an_own_title_restores_it(tmp_path):
    title = own_title_started("t", KUBA, title="juvenile_employment", valid_from=date(2025, 9, 1))
    ingest(tmp_path, [BASE[1], title, cancelled("t-c1", "t", reported_on=date(2026, 2, 1))])
    assert guardian_of(KUBA) == FATHER.pesel  # the title counts as never sent
    assert not OwnTitle.objects.exists()

    ingest(tmp_path, [cancelled("t-c2", "t-c1", reported_on=date(2026, 2, 10))])

    assert list(OwnTitle.objects.values_list("start_event_id", "valid_to")) == [("t", None)]
    assert guardian_of(KUBA) is None  # his own title is in force: the father's access goes
    assert AccessNotice.objects.filter(recipient__pesel=FATHER.pesel, subject__pesel=KUBA.pesel, kind="lost").exists()
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()


# --- bad lines ---------------------------------------------------------------------------------------


def test_bad_lines_are_quarantined_with_number_and_reason_and_good_lines_go_in(tmp_path):
    unborn = People(seed=99).make(born=TODAY + timedelta(days=1), sex="F")
    good = [
        registered("g1", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date),
        deregistered("g2", MOTHER, ZOSIA, valid_to=date(2025, 1, 31)),
        own_title_started("g3", KUBA, title="family_pension", valid_from=date(2024, 1, 1)),
        own_title_ended("g4", KUBA, title="family_pension", valid_to=date(2024, 12, 31)),
        cancelled("g5", "g2", reported_on=TODAY),
        {**registered("g6", FATHER, KUBA, valid_from=KUBA.birth_date), "payer_nip": "5260250274", "extra": [1, {}]},
    ]
    bad_registration = registered("b", FATHER, ZOSIA, valid_from=date(2025, 1, 1))
    wrong_check_digit = FATHER.pesel[:10] + str((int(FATHER.pesel[10]) + 1) % 10)
    lines = [
        (good[0], None),
        (b'{"event_id": "b1", "type": ', "invalid_json"),  # malformed JSON
        ({k: v for k, v in bad_registration.items() if k != "reported_on"}, "invalid_field"),  # a missing key
        (good[1], None),
        ({**bad_registration, "type": "family_member_adopted"}, "invalid_field"),  # an unknown type
        ({**bad_registration, "insured_pesel": wrong_check_digit}, "invalid_pesel"),  # checksum
        (registered("b2", MOTHER, unborn, valid_from=TODAY), "invalid_pesel"),  # born tomorrow
        (b"\n", None),  # blank lines are skipped
        ({**bad_registration, "valid_from": "2024-02-30"}, "invalid_field"),  # no such day
        (registered("b3", MOTHER, MOTHER, valid_from=TODAY), "same_person"),  # insured = member
        (good[2], None),
        (cancelled("b4", "b4", reported_on=TODAY), "self_cancel"),
        ({**good[0], "valid_from": "2020-01-01"}, "id_conflict"),  # g1 again with other content
        (good[0], None),  # g1 again, the same: a duplicate
        (encode(bad_registration).replace(b'"b"', b'"b-\xff\xfe"'), "invalid_json"),  # not UTF-8
        (encode(bad_registration).replace(b'"b"', b'"b-\x00"'), "invalid_json"),  # a NUL byte
        ({**bad_registration, "member_first_name": "Zo\u0000sia"}, "invalid_field"),  # an escaped NUL
        ({**bad_registration, "padding": "x" * (64 * 1024)}, "too_long"),  # over 64 KiB
        (good[3], None),
        (b"   \r\n", None),
        (good[4], None),
        (good[5], None),
        (b"", None),  # a trailing empty line
    ]
    result = ingest(tmp_path, [line for line, _ in lines])

    expected = {(n, reason) for n, (_, reason) in enumerate(lines, start=1) if reason}
    found = {(n, reason.split(":")[0]) for n, reason in QuarantinedLine.objects.values_list("line_number", "reason")}
    assert found == expected
    assert set(InsuranceEvent.objects.values_list("event_id", flat=True)) == {e["event_id"] for e in good}
    assert InsuranceEvent.objects.get(event_id="g1").valid_from == ZOSIA.birth_date
    assert (result.lines, result.accepted, result.quarantined) == (len(lines), len(good), len(expected))
    assert result.duplicates == 1  # the repeated g1; blank lines are neither
    assert guardian_of(KUBA) == FATHER.pesel  # g6 went in (its unknown keys ignored); g4 ended the pension
    assert guardian_of(ZOSIA) == MOTHER.pesel  # g5 cancelled the deregistration g2
    too_long = QuarantinedLine.objects.get(reason__startswith="too_long")
    assert len(too_long.raw) == 2000
    nul = QuarantinedLine.objects.get(line_number=16)
    assert "\x00" not in nul.raw


def test_quarantine_keeps_no_pesel_in_its_reasons(tmp_path):
    wrong_check_digit = FATHER.pesel[:10] + str((int(FATHER.pesel[10]) + 1) % 10)
    ingest(tmp_path, [
        {**registered("b1", FATHER, ZOSIA, valid_from=TODAY), "insured_pesel": wrong_check_digit},
        registered("b2", ZOSIA, ZOSIA, valid_from=TODAY),
        {**registered("b3", FATHER, ZOSIA, valid_from=TODAY), "member_pesel": 12345678901},
    ])  # fmt: skip

    reasons = " ".join(QuarantinedLine.objects.values_list("reason", flat=True))
    assert QuarantinedLine.objects.count() == 3
    assert FATHER.pesel[:10] not in reasons and ZOSIA.pesel not in reasons and "12345678901" not in reasons


def test_an_event_id_reused_with_other_content_in_a_later_file_is_quarantined(tmp_path):
    ingest(tmp_path, [registered("r", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date)])

    result = ingest(tmp_path, [
        registered("other", FATHER, KUBA, valid_from=KUBA.birth_date),
        registered("r", FATHER, ZOSIA, valid_from=date(2025, 1, 1)),
    ])  # fmt: skip

    assert (result.accepted, result.quarantined, result.duplicates) == (1, 1, 0)
    assert list(QuarantinedLine.objects.values_list("line_number", "reason")) == [
        (2, "id_conflict: event_id already received with other content"),
    ]
    assert Coverage.objects.get(registration_event_id="r").insured.pesel == MOTHER.pesel
    assert guardian_of(ZOSIA) == MOTHER.pesel


def test_the_same_bad_file_twice_quarantines_each_line_once(tmp_path):
    path = write_feed(tmp_path / "bad.jsonl", [b"{", registered("r", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date), b"[]"])

    ingest_file("zus-insurance", path)
    ingest_file("zus-insurance", path)

    assert list(QuarantinedLine.objects.order_by("line_number").values_list("line_number", flat=True)) == [1, 3]


# --- people ------------------------------------------------------------------------------------------


def test_the_feed_never_overwrites_a_known_persons_name(tmp_path):
    known = make_person(born=MOTHER.birth_date, first_name="Anna", surname="Kowalska-Wiśniewska")
    renamed = FeedPerson(known.pesel, "Ania", "Nowak", known.birth_date, "F")

    ingest(tmp_path, [registered("r", renamed, ZOSIA, valid_from=ZOSIA.birth_date)])

    known.refresh_from_db()
    assert (known.first_name, known.surname) == ("Anna", "Kowalska-Wiśniewska")
    assert guardian_of(ZOSIA) == known.pesel


def test_a_new_person_takes_the_name_of_the_first_line_naming_them(tmp_path):
    zofia = FeedPerson(ZOSIA.pesel, "Zofia", "Kowalska-Nowak", ZOSIA.birth_date, ZOSIA.sex)

    ingest(tmp_path, [
        registered("r1", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date),
        registered("r2", FATHER, zofia, valid_from=date(2025, 1, 1)),
    ])  # fmt: skip
    ingest(tmp_path, [registered("r3", FATHER, zofia, valid_from=date(2025, 2, 1))])

    person = Person.objects.get(pesel=ZOSIA.pesel)
    assert (person.first_name, person.surname, person.birth_date, person.sex) == ("Zosia", "Kowalska", ZOSIA.birth_date, "F")


# --- only the people touched ------------------------------------------------------------------------


def test_access_is_recomputed_only_for_the_people_a_file_touches(tmp_path):
    # Zosia's coverage ends before `later`: a recompute of Zosia then would change her row
    # and add a 'lost' notice.
    ingest(tmp_path, [
        registered("z", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date),
        deregistered("z-end", MOTHER, ZOSIA, valid_to=TODAY + timedelta(days=3), reported_on=TODAY),
    ])  # fmt: skip
    zosia_row = AutomaticGuardian.objects.get(subject__pesel=ZOSIA.pesel)
    zosia_notices = list(
        AccessNotice.objects.filter(subject__pesel=ZOSIA.pesel).order_by("pk").values_list("pk", "kind", "effective_on", "created_at")
    )
    assert [kind for _, kind, _, _ in zosia_notices] == ["gained", "ending"]

    later = TODAY + timedelta(days=9)
    with at(later):
        ingest(tmp_path, [
            registered("k", FATHER, KUBA, valid_from=KUBA.birth_date),
            deregistered("elsewhere", FATHER, KUBA, valid_to=date(2020, 1, 1)),
        ])  # fmt: skip
        ingest(tmp_path, [registered("k2", FATHER, KUBA, valid_from=date(2020, 1, 2))])

    unchanged = AutomaticGuardian.objects.get(subject__pesel=ZOSIA.pesel)
    assert (unchanged.guardian_id, unchanged.computed_on) == (zosia_row.guardian_id, TODAY)
    assert list(
        AccessNotice.objects.filter(subject__pesel=ZOSIA.pesel).order_by("pk").values_list("pk", "kind", "effective_on", "created_at")
    ) == zosia_notices
    kuba = AutomaticGuardian.objects.get(subject__pesel=KUBA.pesel)
    assert (kuba.guardian.pesel, kuba.computed_on) == (FATHER.pesel, later)


def test_a_file_touching_only_a_deregistration_recomputes_that_child(tmp_path):
    ingest(tmp_path, [
        registered("z", MOTHER, ZOSIA, valid_from=ZOSIA.birth_date),
        registered("k", FATHER, KUBA, valid_from=KUBA.birth_date),
    ])  # fmt: skip

    with at(TODAY + timedelta(days=1)):
        ingest(tmp_path, [deregistered("d", MOTHER, ZOSIA, valid_to=TODAY)])

    rows = dict(AutomaticGuardian.objects.values_list("subject__pesel", "computed_on"))
    assert rows == {ZOSIA.pesel: TODAY + timedelta(days=1), KUBA.pesel: TODAY}
    assert guardian_of(ZOSIA) is None
    assert AccessNotice.objects.filter(kind="lost", effective_on=TODAY + timedelta(days=1)).count() == 1


# --- set-based -------------------------------------------------------------------------------------------


def test_ingest_is_a_bounded_number_of_queries_not_one_per_line(tmp_path, django_assert_max_num_queries):
    small = write_feed(tmp_path / "small.jsonl", synthetic_feed(20, today=TODAY, seed=8, prefix="small"))
    big = write_feed(tmp_path / "big.jsonl", synthetic_feed(2000, today=TODAY, seed=9, prefix="big"))

    with django_assert_max_num_queries(60) as small_queries:
        ingest_file("zus-insurance", small)
    with django_assert_max_num_queries(60) as big_queries:
        result = ingest_file("zus-insurance", big)

    assert result.lines == 2000 and result.accepted > 1900
    # The same statements for 100 times the lines (the ANALYZEs of a large load aside).
    assert len(big_queries.captured_queries) <= len(small_queries.captured_queries) + 4
    assert Coverage.objects.count() > 1000


def test_a_pending_file_is_applied_by_the_next_run(tmp_path):
    from guardianship.sync import insurance_apply_pending

    ingest(tmp_path, family_story(), apply=False)
    assert not Coverage.objects.exists()
    assert InsuranceEvent.objects.filter(applied_at__isnull=True).count() == 8

    assert insurance_apply_pending(today=TODAY) == 8

    assert guardian_of(ZOSIA) == MOTHER.pesel and guardian_of(KUBA) == FATHER.pesel
    assert insurance_apply_pending(today=TODAY) == 0
