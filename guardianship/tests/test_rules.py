"""Who may act for whom (guardianship/rules.py): hypothesis properties and the FAQ's cases.

Pure: no database, no clock. The FAQ ("Czemu nie widzisz konta dziecka") names four causes of
lost access; each has an explicit case below: a job change, the other parent covering now, a
registration still being processed, a child with an own title.
"""

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from accounts.rules import date_of_age
from guardianship.rules import (
    NO_ACCESS,
    Access,
    Basis,
    Coverage,
    Diagnosis,
    Level,
    Period,
    automatic_guardian,
    child_grant_valid_until,
    decide_access,
    diagnose,
    grant_active,
    is_adult,
    period_end,
    sync_deadline,
    void_cancellations,
)
from tests.insurance_feed import TITLES

D = date(2025, 6, 15)  # "today" in the explicit cases
CHILD_BORN = date(2015, 4, 20)  # ten on D
LEAP_BORN = date(2008, 2, 29)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
births = st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31))
guardians = st.sampled_from(["mother", "father", "grandmother"])


def key(coverage: Coverage) -> tuple:
    return (coverage.valid_from, coverage.reported_on, coverage.event_id)


@st.composite
def coverages(draw, *, near: date = date(2020, 1, 1), spread: int = 40) -> list[Coverage]:
    """Coverages close together in time, so that overlaps and ties on valid_from and
    reported_on are common; event ids are unique (as the feed guarantees)."""
    count = draw(st.integers(min_value=0, max_value=6))
    ids = draw(st.lists(st.text("aAbB-_0123é", min_size=1, max_size=4), min_size=count, max_size=count, unique=True))
    result = []
    for event_id in ids:
        # A few fixed days make ties on valid_from common; the range gives the rest.
        valid_from = near + timedelta(days=draw(st.sampled_from([-10, -2, 0]) | st.integers(-spread, spread)))
        length = draw(st.none() | st.integers(0, 2 * spread))
        valid_to = None if length is None else valid_from + timedelta(days=length)
        reported_on = valid_from + timedelta(days=draw(st.integers(-3, 3)))
        result.append(Coverage(draw(guardians), valid_from, valid_to, reported_on, event_id))
    return result


@st.composite
def periods(draw, *, near: date = date(2020, 1, 1), spread: int = 40) -> list[Period]:
    result = []
    for _ in range(draw(st.integers(0, 3))):
        valid_from = near + timedelta(days=draw(st.integers(-spread, spread)))
        length = draw(st.none() | st.integers(0, 2 * spread))
        result.append(Period(valid_from, None if length is None else valid_from + timedelta(days=length)))
    return result


near_days = st.integers(-60, 60).map(lambda n: date(2020, 1, 1) + timedelta(days=n))
minor_births = st.dates(min_value=date(2003, 1, 2), max_value=date(2019, 12, 31))


# --- automatic_guardian: properties ---------------------------------------------------------------


@given(covs=coverages(), titles=periods(), born=births, on=near_days)
@example(  # a tie on valid_from: the later report wins, not the greater id
    covs=[Coverage("mother", date(2020, 1, 1), None, date(2020, 1, 4), "a"),
          Coverage("father", date(2020, 1, 1), None, date(2020, 1, 2), "b")],
    titles=[], born=date(2015, 1, 1), on=date(2020, 1, 5),
)  # fmt: skip
@example(  # a tie on both dates: the greater id wins
    covs=[Coverage("father", date(2020, 1, 1), None, date(2020, 1, 4), "B"),
          Coverage("mother", date(2020, 1, 1), None, date(2020, 1, 4), "a")],
    titles=[], born=date(2015, 1, 1), on=date(2020, 1, 5),
)  # fmt: skip
def test_it_names_only_the_insured_of_a_maximal_active_coverage(covs, titles, born, on):
    assume(born <= on)
    guardian = automatic_guardian(coverages=covs, own_titles=titles, birth_date=born, on=on)

    active = [c for c in covs if c.active_on(on)]
    blocked = is_adult(born, on) or any(t.active_on(on) for t in titles)
    if guardian is None:
        assert blocked or not active
    else:
        assert not blocked
        best = max(key(c) for c in active)
        assert any(c.insured == guardian and key(c) == best for c in active)


@given(covs=coverages(), born=minor_births, on=near_days)
def test_it_names_someone_whenever_a_minor_without_own_title_is_covered(covs, born, on):
    assume(born <= on and not is_adult(born, on))

    guardian = automatic_guardian(coverages=covs, own_titles=[], birth_date=born, on=on)

    assert (guardian is None) == (not any(c.active_on(on) for c in covs))


@given(data=st.data(), covs=coverages(), titles=periods(), born=births, on=near_days)
def test_it_does_not_depend_on_the_order_of_coverages_or_titles(data, covs, titles, born, on):
    assume(born <= on)
    expected = automatic_guardian(coverages=covs, own_titles=titles, birth_date=born, on=on)

    shuffled = data.draw(st.permutations(covs))
    shuffled_titles = data.draw(st.permutations(titles))

    assert automatic_guardian(coverages=shuffled, own_titles=shuffled_titles, birth_date=born, on=on) == expected


@given(covs=coverages(), born=births, years_after=st.integers(0, 30), extra=st.integers(0, 400))
def test_it_names_nobody_from_the_18th_birthday(covs, born, years_after, extra):
    on = date_of_age(born, 18 + years_after) + timedelta(days=extra)
    open_coverage = Coverage("mother", born, None, born, "open")

    assert automatic_guardian(coverages=[*covs, open_coverage], own_titles=[], birth_date=born, on=on) is None


@given(covs=coverages(), titles=periods(), born=minor_births, on=near_days)
def test_it_names_nobody_while_an_own_title_is_in_force(covs, titles, born, on):
    assume(born <= on and any(t.active_on(on) for t in titles))

    assert automatic_guardian(coverages=covs, own_titles=titles, birth_date=born, on=on) is None


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2026, 2, 27), "mother"),  # the day before: still 17
        (date(2026, 2, 28), None),  # art. 112 of the Civil Code: 18 on 28 February in a common year
        (date(2026, 3, 1), None),
    ],
)
def test_a_child_born_on_29_february_is_18_on_28_february_of_a_common_year(on, expected):
    covered = Coverage("mother", LEAP_BORN, None, LEAP_BORN, "r1")

    assert automatic_guardian(coverages=[covered], own_titles=[], birth_date=LEAP_BORN, on=on) == expected


def test_a_child_born_on_29_february_has_birthdays_on_29_february_in_leap_years():
    # 18 years after a leap year is never one; the 16th birthday can be.
    own = decide_access(is_self=True, subject_birth_date=LEAP_BORN, on=date(2024, 2, 28), automatic_guardian=False,
                        child_grant=False, authorisation=False)
    assert own == NO_ACCESS
    assert decide_access(is_self=True, subject_birth_date=LEAP_BORN, on=date(2024, 2, 29), automatic_guardian=False,
                         child_grant=False, authorisation=False) == Access(Level.READ, Basis.OWN)


def test_a_coverage_is_in_force_on_its_first_and_last_day():
    covered = Coverage("mother", date(2025, 1, 1), date(2025, 1, 31), date(2025, 1, 1), "r1")

    def on(day):
        return automatic_guardian(coverages=[covered], own_titles=[], birth_date=CHILD_BORN, on=day)

    assert [on(date(2024, 12, 31)), on(date(2025, 1, 1)), on(date(2025, 1, 31)), on(date(2025, 2, 1))] == [
        None, "mother", "mother", None,
    ]  # fmt: skip


# --- period_end -------------------------------------------------------------------------------------


@given(start=days, ends=st.lists(days, max_size=6))
def test_period_end_is_the_earliest_end_on_or_after_the_start(start, ends):
    end = period_end(start, ends)

    later = [e for e in ends if e >= start]
    if end is None:
        assert later == []
    else:
        assert end in ends and end >= start
        assert all(end <= e for e in later)


@given(start=days, ends=st.lists(days, max_size=6), data=st.data())
def test_period_end_does_not_depend_on_the_order_of_ends(start, ends, data):
    assert period_end(start, data.draw(st.permutations(ends))) == period_end(start, ends)


def test_period_end_counts_an_end_on_the_start_day_and_ignores_earlier_ends():
    start = date(2025, 3, 1)

    assert period_end(start, [date(2025, 2, 28)]) is None
    assert period_end(start, [date(2025, 2, 28), date(2025, 3, 1), date(2025, 5, 1)]) == start
    assert period_end(start, iter([date(2025, 5, 1), date(2025, 4, 1)])) == date(2025, 4, 1)


# --- void_cancellations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cancels", "void"),
    [
        ({"c1": "r"}, set()),
        ({"c1": "r", "c2": "c1"}, {"c1"}),  # c2 withdraws c1: r stands
        ({"c1": "r", "c2": "c1", "c3": "c2"}, {"c2"}),  # c3 withdraws c2: r cancelled again
        ({"c1": "r", "c2": "c1", "c3": "c1"}, {"c1"}),  # two withdraw c1
        ({"c1": "r", "c2": "c1", "c3": "c2", "c4": "c1"}, {"c1", "c2"}),  # c4 alone is enough
        ({"c1": "never-sent", "c2": "c1"}, {"c1"}),  # a cancellation still waiting can be withdrawn
    ],
)
def test_a_cancellation_counts_when_no_cancellation_that_counts_names_it(cancels, void):
    assert void_cancellations(cancels) == void


@pytest.mark.parametrize(
    ("cancels", "void"),
    [
        ({"c1": "c2", "c2": "c1"}, {"c1", "c2"}),
        ({"c1": "c2", "c2": "c3", "c3": "c1"}, {"c1", "c2", "c3"}),
        ({"c1": "c2", "c2": "c1", "c3": "c1"}, {"c1", "c2"}),  # c3 cancels what is void anyway
        ({"c1": "c2", "c2": "c1", "c3": "c1", "c4": "c3"}, {"c1", "c2", "c3"}),
        ({"c1": "c2", "c2": "c1", "c5": "r"}, {"c1", "c2"}),  # c5, beside the ring, counts
    ],
)
def test_a_cancellation_on_a_ring_is_void_whatever_names_it(cancels, void):
    assert void_cancellations(cancels) == void


def test_a_long_chain_is_decided_without_recursion():
    depth = 50_000
    cancels = {f"c{n}": f"c{n - 1}" if n > 1 else "r" for n in range(1, depth + 1)}

    void = void_cancellations(cancels)

    # The last counts, so the one it names does not, so the one below counts again, ...
    assert void == {f"c{n}" for n in range(depth - 1, 0, -2)}


CANCELLATION_IDS = [f"c{n}" for n in range(8)]
cancellation_maps = st.dictionaries(
    st.sampled_from(CANCELLATION_IDS), st.sampled_from([*CANCELLATION_IDS, "r", "s"]), max_size=8
).map(lambda cancels: {c: named for c, named in cancels.items() if named != c})  # none names itself


@given(cancels=cancellation_maps, data=st.data())
def test_void_cancellations_follow_the_definition_in_any_order(cancels, data):
    void = void_cancellations(cancels)

    def on_ring(c):
        seen, named = set(), cancels[c]
        while named in cancels and named not in seen:
            if named == c:
                return True
            seen.add(named)
            named = cancels[named]
        return False

    assert void <= set(cancels)
    for c in cancels:
        cancellers_that_count = [x for x, named in cancels.items() if named == c and x not in void]
        assert (c in void) == (on_ring(c) or bool(cancellers_that_count)), (c, cancels)
    shuffled = dict(data.draw(st.permutations(list(cancels.items()))))
    assert void_cancellations(shuffled) == void


# --- decide_access: the ladder ---------------------------------------------------------------------


def access(*, born=CHILD_BORN, on=D, is_self=False, guardian=False, child_grant=False, authorisation=False) -> Access:
    return decide_access(
        is_self=is_self, subject_birth_date=born, on=on,
        automatic_guardian=guardian, child_grant=child_grant, authorisation=authorisation,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (15, NO_ACCESS),
        (16, Access(Level.READ, Basis.OWN)),
        (17, Access(Level.READ, Basis.OWN)),
        (18, Access(Level.WRITE, Basis.OWN)),
        (40, Access(Level.WRITE, Basis.OWN)),
    ],
)
def test_own_account_is_none_before_16_read_only_at_16_and_17_full_from_18(age, expected):
    on = date_of_age(LEAP_BORN, age)  # exactly the birthday (28 Feb in common years)

    assert access(born=LEAP_BORN, on=on, is_self=True) == expected
    assert access(born=LEAP_BORN, on=on - timedelta(days=1), is_self=True).level <= expected.level


@given(born=births, on=days, guardian=st.booleans(), child_grant=st.booleans(), authorisation=st.booleans())
def test_own_access_ignores_every_other_way_in(born, on, guardian, child_grant, authorisation):
    assume(born <= on)

    got = access(born=born, on=on, is_self=True, guardian=guardian, child_grant=child_grant, authorisation=authorisation)

    assert got == access(born=born, on=on, is_self=True)


def test_the_automatic_guardian_of_a_minor_may_write():
    assert access(guardian=True) == Access(Level.WRITE, Basis.INSURANCE)


def test_a_child_grant_to_a_minor_may_write():
    assert access(child_grant=True) == Access(Level.WRITE, Basis.GRANT)


def test_insurance_is_named_before_a_grant_when_both_hold():
    assert access(guardian=True, child_grant=True, authorisation=True) == Access(Level.WRITE, Basis.INSURANCE)


def test_a_guardian_of_an_adult_has_no_access():
    adult_day = date_of_age(CHILD_BORN, 18)

    assert access(on=adult_day, guardian=True, child_grant=True) == NO_ACCESS
    assert access(on=adult_day - timedelta(days=1), guardian=True) == Access(Level.WRITE, Basis.INSURANCE)


def test_an_authorisation_gives_read_only_access_to_an_adult():
    assert access(born=date(1950, 1, 1), authorisation=True) == Access(Level.READ, Basis.AUTHORISATION)
    assert access(born=date(1950, 1, 1), guardian=True, child_grant=True, authorisation=True) == Access(
        Level.READ, Basis.AUTHORISATION
    )


def test_nothing_gives_nothing():
    assert access() == NO_ACCESS
    assert not NO_ACCESS.can_read and not NO_ACCESS.can_write


@given(born=births, on=days, flags=st.tuples(st.booleans(), st.booleans(), st.booleans()))
def test_more_ways_in_never_give_less_access(born, on, flags):
    assume(born <= on)
    guardian, child_grant, authorisation = flags
    got = access(born=born, on=on, guardian=guardian, child_grant=child_grant, authorisation=authorisation)

    for more in itertools.product(*[[True] if f else [False, True] for f in flags]):
        assert access(born=born, on=on, guardian=more[0], child_grant=more[1], authorisation=more[2]).level >= got.level
    assert got.can_write == (not is_adult(born, on) and (guardian or child_grant))
    assert got.can_read == (got.can_write or authorisation)


# --- grants ------------------------------------------------------------------------------------


def test_a_child_grant_ends_on_the_18th_birthday():
    until = child_grant_valid_until(LEAP_BORN)

    assert until == date(2026, 2, 28)
    assert grant_active(valid_until=until, revoked=False, on=date(2026, 2, 27))
    assert not grant_active(valid_until=until, revoked=False, on=date(2026, 2, 28))


@given(born=births, on=days)
def test_a_child_grant_is_active_exactly_while_the_child_is_a_minor(born, on):
    assume(born <= on)

    assert grant_active(valid_until=child_grant_valid_until(born), revoked=False, on=on) == (not is_adult(born, on))


@given(until=st.none() | days, on=days)
def test_a_revoked_grant_is_never_active_and_an_open_one_always_is(until, on):
    assert not grant_active(valid_until=until, revoked=True, on=on)
    assert grant_active(valid_until=None, revoked=False, on=on)


# --- diagnose ----------------------------------------------------------------------------------


def diag(*, mine=(), pending=(), has_access=False, born=CHILD_BORN, on=D):
    return diagnose(my_coverages=list(mine), my_pending_registrations=list(pending), has_access=has_access,
                    birth_date=born, on=on)


def mine(valid_from: date, valid_to: date | None = None, reported_on: date | None = None, event_id="r") -> Coverage:
    return Coverage("me", valid_from, valid_to, reported_on or valid_from, event_id)


def test_diagnosis_has_access():
    assert diag(mine=[mine(CHILD_BORN)], has_access=True).code == Diagnosis.HAS_ACCESS


def test_diagnosis_child_adult_names_the_18th_birthday():
    result = diag(born=LEAP_BORN, on=date(2026, 2, 28), mine=[mine(LEAP_BORN)], has_access=True)

    assert (result.code, result.on) == (Diagnosis.CHILD_ADULT, date(2026, 2, 28))
    assert diag(born=LEAP_BORN, on=date(2026, 2, 27), has_access=True).code == Diagnosis.HAS_ACCESS


def test_diagnosis_processing_names_the_start_and_the_21_day_deadline_of_the_latest_report():
    result = diag(pending=[(date(2025, 6, 1), date(2025, 6, 3)), (date(2025, 6, 10), date(2025, 6, 12))])

    assert result.code == Diagnosis.PROCESSING
    assert (result.on, result.deadline) == (date(2025, 6, 10), date(2025, 7, 3))
    assert sync_deadline(date(2025, 6, 12)) == date(2025, 7, 3)


@pytest.mark.parametrize("reported_on", [date(9999, 12, 10), date(9999, 12, 11), date.max])
def test_a_report_dated_at_the_calendars_end_has_its_last_day_as_deadline(reported_on):
    """The feed stores any reported_on (a typo such as 9999-12-31): no day 21 days after it."""
    assert sync_deadline(reported_on) == date.max


def test_diagnosis_starts_later_names_the_earliest_start():
    result = diag(mine=[mine(date(2025, 9, 1)), mine(date(2025, 7, 1))])

    assert (result.code, result.on) == (Diagnosis.STARTS_LATER, date(2025, 7, 1))


def test_diagnosis_registration_ended_names_the_latest_end():
    result = diag(mine=[mine(date(2016, 1, 1), date(2020, 1, 31)), mine(date(2021, 1, 1), date(2025, 5, 31))])

    assert (result.code, result.on) == (Diagnosis.REGISTRATION_ENDED, date(2025, 5, 31))


def test_diagnosis_not_decisive_when_my_registration_is_active_without_access():
    assert diag(mine=[mine(CHILD_BORN)]).code == Diagnosis.NOT_DECISIVE


def test_diagnosis_no_registration():
    result = diag()

    assert (result.code, result.on, result.deadline) == (Diagnosis.NO_REGISTRATION, None, None)


def test_diagnosis_prefers_a_pending_registration_to_an_ended_one():
    ended = mine(date(2016, 1, 1), date(2025, 5, 31))

    result = diag(mine=[ended], pending=[(date(2025, 6, 10), date(2025, 6, 10))])

    assert (result.code, result.on) == (Diagnosis.PROCESSING, date(2025, 6, 10))


def test_diagnosis_prefers_an_active_registration_to_an_upcoming_or_ended_one():
    result = diag(mine=[mine(CHILD_BORN, date(2020, 1, 1)), mine(date(2021, 1, 1)), mine(date(2026, 1, 1))])

    assert result.code == Diagnosis.NOT_DECISIVE


@st.composite
def diagnosis_inputs(draw):
    born = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2024, 12, 31)))
    on = born + timedelta(days=draw(st.integers(0, 25 * 366)))
    covs = []
    for i in range(draw(st.integers(0, 3))):
        start = on + timedelta(days=draw(st.integers(-900, 300)))
        length = draw(st.none() | st.integers(0, 600))
        covs.append(mine(start, None if length is None else start + timedelta(days=length), event_id=f"r{i}"))
    pending = [
        (on + timedelta(days=draw(st.integers(-30, 30))), on - timedelta(days=draw(st.integers(0, 30))))
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {"mine": covs, "pending": pending, "has_access": draw(st.booleans()), "born": born, "on": on}


@given(case=diagnosis_inputs())
@example(case={"mine": [], "pending": [(D, D)], "has_access": True, "born": LEAP_BORN, "on": date(2026, 2, 28)})
def test_diagnosis_follows_its_precedence(case):
    """adult > has access > pending > active > upcoming > ended > nothing."""
    result = diag(**case)
    on, covs = case["on"], case["mine"]

    if is_adult(case["born"], on):
        assert (result.code, result.on) == (Diagnosis.CHILD_ADULT, date_of_age(case["born"], 18))
    elif case["has_access"]:
        assert result.code == Diagnosis.HAS_ACCESS
    elif case["pending"]:
        latest = max(case["pending"], key=lambda p: p[1])
        assert result.code == Diagnosis.PROCESSING
        assert result.deadline == sync_deadline(latest[1]) and result.on in {p[0] for p in case["pending"] if p[1] == latest[1]}
    elif any(c.active_on(on) for c in covs):
        assert result.code == Diagnosis.NOT_DECISIVE
    elif any(c.valid_from > on for c in covs):
        assert (result.code, result.on) == (Diagnosis.STARTS_LATER, min(c.valid_from for c in covs if c.valid_from > on))
    elif covs:
        assert (result.code, result.on) == (Diagnosis.REGISTRATION_ENDED, max(c.valid_to for c in covs))
    else:
        assert result.code == Diagnosis.NO_REGISTRATION


# --- the FAQ's causes of lost access, one by one ------------------------------------------------------


def guardian_on(day, covs, titles=()):
    return automatic_guardian(coverages=covs, own_titles=list(titles), birth_date=CHILD_BORN, on=day)


def test_faq_job_change_without_a_new_registration_loses_access():
    """"Jeśli zmieniasz pracę, dziecko musi być zgłoszone do ubezpieczenia przez nowego pracodawcę." """
    old_job = Coverage("mother", CHILD_BORN, date(2025, 5, 31), CHILD_BORN, "r-old")

    assert guardian_on(date(2025, 5, 31), [old_job]) == "mother"
    assert guardian_on(D, [old_job]) is None
    result = diag(mine=[old_job])
    assert (result.code, result.on) == (Diagnosis.REGISTRATION_ENDED, date(2025, 5, 31))


def test_faq_job_change_with_the_new_employer_registering_later_restores_access_from_its_start():
    old_job = Coverage("mother", CHILD_BORN, date(2025, 5, 31), CHILD_BORN, "r-old")
    new_job = Coverage("mother", date(2025, 7, 1), None, D, "r-new")

    assert guardian_on(D, [old_job, new_job]) is None
    assert (diag(mine=[old_job, new_job]).code, diag(mine=[old_job, new_job]).on) == (Diagnosis.STARTS_LATER, date(2025, 7, 1))
    assert guardian_on(date(2025, 7, 1), [old_job, new_job]) == "mother"


def test_faq_the_other_parent_covering_now_wins_whoever_registered_first():
    """"nie ma znaczenia, kto zgłaszał dziecko do ZUS jako pierwszy, ale kto aktualnie to robi" """
    mother = Coverage("mother", CHILD_BORN, None, CHILD_BORN, "r-mother")
    # The father's coverage starts later; the mother's second registration was reported
    # after it. The later valid_from wins regardless of report order.
    father = Coverage("father", date(2025, 3, 1), None, date(2025, 3, 2), "r-father")
    mother_resent = Coverage("mother", date(2025, 2, 1), None, date(2025, 6, 1), "r-mother-2")

    assert guardian_on(D, [mother, father, mother_resent]) == "father"
    assert guardian_on(date(2025, 2, 15), [mother, father, mother_resent]) == "mother"
    # The mother still has her own active registration: she is told it is not decisive now,
    # never who covers the child.
    assert diag(mine=[mother, mother_resent]).code == Diagnosis.NOT_DECISIVE


def test_faq_the_other_parent_covering_in_a_gap_between_jobs():
    mother = Coverage("mother", CHILD_BORN, date(2025, 3, 31), CHILD_BORN, "r-mother")
    father = Coverage("father", date(2025, 4, 1), None, date(2025, 4, 10), "r-father")
    mother_again = Coverage("mother", date(2025, 5, 1), None, date(2025, 5, 3), "r-mother-2")

    assert guardian_on(date(2025, 4, 15), [mother, father, mother_again]) == "father"
    assert guardian_on(D, [mother, father, mother_again]) == "mother"  # the latest start covers now


def test_faq_a_tie_on_valid_from_goes_to_the_later_report_then_to_the_greater_event_id():
    mother = Coverage("mother", date(2025, 3, 1), None, date(2025, 3, 20), "a")
    father = Coverage("father", date(2025, 3, 1), None, date(2025, 3, 5), "b")

    assert guardian_on(D, [mother, father]) == "mother"
    assert guardian_on(D, [father, mother]) == "mother"

    same_day = Coverage("father", date(2025, 3, 1), None, date(2025, 3, 20), "b")
    assert guardian_on(D, [mother, same_day]) == "father"
    assert guardian_on(D, [same_day, mother]) == "father"


def test_faq_a_fresh_registration_is_processing_until_applied():
    """"Dziecko dopiero zostało zgłoszone do ubezpieczenia – aktualizacja na IKP może trwać do 21 dni." """
    result = diag(pending=[(date(2025, 6, 1), date(2025, 6, 10))])

    assert result == type(result)(Diagnosis.PROCESSING, on=date(2025, 6, 1), deadline=date(2025, 7, 1))


@pytest.mark.parametrize("title", TITLES)
def test_faq_a_child_with_an_own_title_has_no_automatic_guardian(title):
    """Apprenticeship, juvenile employment, nursing allowance, family pension: the parent
    loses access while the title is in force, and regains it when it ends."""
    covered = Coverage("mother", CHILD_BORN, None, CHILD_BORN, "r1")
    # The rules see a title as a period; the title's kind only says why (the same for all four).
    own_title = Period(date(2025, 6, 1), date(2025, 8, 31))

    assert guardian_on(date(2025, 5, 31), [covered], [own_title]) == "mother"
    assert guardian_on(D, [covered], [own_title]) is None
    assert guardian_on(date(2025, 9, 1), [covered], [own_title]) == "mother"
    assert diag(mine=[covered]).code == Diagnosis.NOT_DECISIVE, title
