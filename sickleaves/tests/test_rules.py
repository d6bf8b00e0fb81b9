"""e-ZLA rules: the length of a leave and the employer-notice deadline (FAQ: tell the employer,
in any form, by the second day of absence)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sickleaves.rules import days, employer_notice

dates = st.dates(min_value=date(2018, 12, 1), max_value=date(2100, 12, 31))


# --- days -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period_from", "period_to", "expected"),
    [
        (date(2025, 3, 1), date(2025, 3, 1), 1),
        (date(2025, 3, 1), date(2025, 3, 14), 14),
        (date(2024, 2, 28), date(2024, 3, 1), 3),  # leap year: 29 February counts
        (date(2025, 2, 28), date(2025, 3, 1), 2),
        (date(2025, 12, 31), date(2026, 1, 1), 2),
    ],
)
def test_it_counts_both_ends_of_the_period(period_from, period_to, expected):
    assert days(period_from, period_to) == expected


def test_it_refuses_a_period_that_ends_before_it_starts():
    with pytest.raises(ValueError):
        days(date(2025, 3, 2), date(2025, 3, 1))


@given(start=dates, length=st.integers(min_value=0, max_value=400))
def test_it_counts_days_as_the_difference_plus_one(start, length):
    assert days(start, start + timedelta(days=length)) == length + 1


@given(
    start=dates,
    first=st.integers(min_value=0, max_value=200),
    second=st.integers(min_value=1, max_value=200),
)
def test_it_adds_up_adjacent_periods(start, first, second):
    middle = start + timedelta(days=first)
    end = middle + timedelta(days=second)
    assert days(start, end) == days(start, middle) + days(middle + timedelta(days=1), end)


# --- employer_notice --------------------------------------------------------------------------


def test_it_gives_the_second_day_on_the_first_day_of_absence():
    assert employer_notice(period_from=date(2025, 3, 10), today=date(2025, 3, 10)) == date(
        2025, 3, 11
    )


def test_it_gives_the_second_day_on_the_second_day_of_absence():
    assert employer_notice(period_from=date(2025, 3, 10), today=date(2025, 3, 11)) == date(
        2025, 3, 11
    )


def test_it_gives_nothing_from_the_third_day_on():
    assert employer_notice(period_from=date(2025, 3, 10), today=date(2025, 3, 12)) is None


def test_it_gives_nothing_before_the_leave_starts():
    assert employer_notice(period_from=date(2025, 3, 10), today=date(2025, 3, 9)) is None


def test_it_crosses_month_and_year_ends():
    assert employer_notice(period_from=date(2024, 2, 28), today=date(2024, 2, 28)) == date(
        2024, 2, 29
    )
    assert employer_notice(period_from=date(2025, 12, 31), today=date(2026, 1, 1)) == date(
        2026, 1, 1
    )


@given(period_from=dates, offset=st.integers(min_value=-400, max_value=400))
def test_it_reminds_exactly_on_the_first_two_days(period_from, offset):
    today = period_from + timedelta(days=offset)
    deadline = employer_notice(period_from=period_from, today=today)
    if offset in (0, 1):
        assert deadline == period_from + timedelta(days=1)
    else:
        assert deadline is None


@given(period_from=dates, offset=st.integers(min_value=-400, max_value=400))
def test_it_never_gives_a_past_deadline_and_always_day_two(period_from, offset):
    today = period_from + timedelta(days=offset)
    deadline = employer_notice(period_from=period_from, today=today)
    if deadline is not None:
        assert deadline >= today
        assert days(period_from, deadline) == 2


@given(period_from=st.dates(min_value=date.max - timedelta(days=3)), today=st.dates(max_value=date(2300, 1, 1)))
def test_a_leave_starting_at_the_calendars_end_gives_no_reminder_and_no_error(period_from, today):
    """The feed stores any period_from (a typo such as 9999-12-31): it has no next day."""
    assert employer_notice(period_from=period_from, today=today) is None
