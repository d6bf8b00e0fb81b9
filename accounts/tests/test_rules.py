"""Pure identity and calendar rules (accounts/rules.py): explicit cases and hypothesis properties."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from stdnum.pl import pesel as stdnum_pesel

from accounts.rules import (
    VERIFICATION_VALIDITY_MONTHS,
    InvalidPesel,
    PeselProblem,
    VerificationMethod,
    add_months,
    age_on,
    birthday_in_year,
    build_pesel,
    date_of_age,
    parse_pesel,
    verification_expires_on,
)

FAR_FUTURE = date(2300, 1, 1)  # a `today` after every date a PESEL can encode

pesel_dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2299, 12, 31))
sexes = st.sampled_from(["F", "M"])
serials = st.integers(min_value=0, max_value=9999)
# Far enough from date.min/date.max that ±100 years of months stays representable.
calendar_dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2300, 12, 31))
month_counts = st.integers(min_value=-1200, max_value=1200)


def with_check_digit(body: str) -> str:
    return body + stdnum_pesel.calc_check_digit(body)


def problem_of(value, *, today: date = FAR_FUTURE) -> PeselProblem:
    with pytest.raises(InvalidPesel) as caught:
        parse_pesel(value, today=today)
    return caught.value.problem


# --- parse_pesel / build_pesel ---------------------------------------------------------------


@given(born=pesel_dates, sex=sexes, serial=serials)
@example(born=date(1800, 1, 1), sex="F", serial=0)
@example(born=date(2299, 12, 31), sex="M", serial=9999)
@example(born=date(2000, 2, 29), sex="F", serial=1)
def test_it_round_trips_every_date_from_1800_to_2299(born, sex, serial):
    pesel = build_pesel(born, sex=sex, serial=serial)

    facts = parse_pesel(pesel, today=FAR_FUTURE)

    assert len(pesel) == 11 and pesel.isdigit()
    assert facts.pesel == pesel
    assert facts.birth_date == born
    assert facts.sex == sex


@pytest.mark.parametrize(
    ("born", "month_digits"),
    [
        (date(1885, 3, 14), "83"),  # 1800s: +80
        (date(1985, 3, 14), "03"),  # 1900s: +0
        (date(2005, 3, 14), "23"),  # 2000s: +20
        (date(2099, 12, 31), "32"),
        (date(2105, 3, 14), "43"),  # 2100s: +40
        (date(2205, 3, 14), "63"),  # 2200s: +60
    ],
)
def test_it_encodes_the_century_in_the_month(born, month_digits):
    pesel = build_pesel(born, sex="F", serial=1)

    assert pesel[2:4] == month_digits
    assert parse_pesel(pesel, today=FAR_FUTURE).birth_date == born


def test_it_reads_a_2000s_birth_date_from_the_shifted_month():
    # 10 July 2012: year 12, month 07 + 20 = 27.
    pesel = with_check_digit("1227100123")

    facts = parse_pesel(pesel, today=date(2025, 1, 1))

    assert facts.birth_date == date(2012, 7, 10)


@given(born=pesel_dates, serial=serials)
def test_it_reads_sex_from_the_parity_of_the_tenth_digit(born, serial):
    female = build_pesel(born, sex="F", serial=serial)
    male = build_pesel(born, sex="M", serial=serial)

    assert int(female[9]) % 2 == 0
    assert int(male[9]) % 2 == 1
    assert parse_pesel(female, today=FAR_FUTURE).sex == "F"
    assert parse_pesel(male, today=FAR_FUTURE).sex == "M"


@given(
    born=pesel_dates,
    sex=sexes,
    serial=serials,
    position=st.integers(min_value=0, max_value=10),
    data=st.data(),
)
def test_it_refuses_every_single_digit_change_with_a_checksum_error(
    born, sex, serial, position, data
):
    pesel = build_pesel(born, sex=sex, serial=serial)
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != pesel[position]]))
    typo = pesel[:position] + replacement + pesel[position + 1 :]

    assert problem_of(typo) == PeselProblem.CHECKSUM


def test_it_refuses_every_single_digit_change_of_one_real_number():
    pesel = build_pesel(date(1985, 3, 14), sex="F", serial=123)
    for position in range(11):
        for digit in "0123456789":
            if digit == pesel[position]:
                continue
            typo = pesel[:position] + digit + pesel[position + 1 :]
            assert problem_of(typo) == PeselProblem.CHECKSUM, typo


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "8503140123",  # 10 digits
        "850314012345",  # 12 digits
        "85O3140123X",  # letters
        "850314-01234",
        "8503 140123",
        "+8503140123",
        "²²²²²²²²²²²",  # superscripts: isdigit() but not int()-able
    ],
)
def test_it_refuses_anything_but_eleven_ascii_digits_as_a_format_error(value):
    assert problem_of(value) == PeselProblem.FORMAT


@pytest.mark.parametrize(
    "zero", ["\u0660", "\u06f0", "\uff10", "\u0966"]
)  # Arabic-Indic, Persian, full-width, Devanagari
def test_it_refuses_a_valid_number_written_in_non_ascii_digits(zero):
    # str.isdigit() and int() accept these; the database constraint (and every other system) does not.
    pesel = build_pesel(date(1985, 3, 14), sex="F", serial=123)
    lookalike = "".join(chr(ord(zero) + int(d)) for d in pesel)

    assert problem_of(lookalike) == PeselProblem.FORMAT


def test_it_accepts_surrounding_whitespace():
    pesel = build_pesel(date(1985, 3, 14), sex="F", serial=5)

    assert parse_pesel(f"  {pesel}\n", today=FAR_FUTURE).pesel == pesel


@pytest.mark.parametrize(
    "body",
    [
        "8502300012",  # 30 February 1985
        "8502290012",  # 29 February 1985 (common year)
        "0002290012",  # 29 February 1900 (not a leap year)
        "8504310012",  # 31 April
        "8500100012",  # month 00
        "8513100012",  # month 13 (no century uses 13-20)
        "0533100012",  # month 33 (2000s only reach 32)
        "8503000012",  # day 00
        "8503320012",  # day 32
        "8593100012",  # month 93
    ],
)
def test_it_refuses_impossible_dates_with_a_date_error(body):
    assert problem_of(with_check_digit(body)) == PeselProblem.DATE


def test_it_accepts_29_february_of_a_leap_year():
    pesel = with_check_digit("0022290012")  # 29 February 2000

    assert parse_pesel(pesel, today=date(2025, 1, 1)).birth_date == date(2000, 2, 29)


def test_it_refuses_future_birth_dates():
    pesel = build_pesel(date(2025, 6, 2), sex="M", serial=7)

    assert problem_of(pesel, today=date(2025, 6, 1)) == PeselProblem.FUTURE


def test_it_accepts_a_birth_date_of_today():
    pesel = build_pesel(date(2025, 6, 1), sex="M", serial=7)

    assert parse_pesel(pesel, today=date(2025, 6, 1)).birth_date == date(2025, 6, 1)


@given(born=pesel_dates, today=pesel_dates, sex=sexes, serial=serials)
def test_it_refuses_future_birth_dates_relative_to_today(born, today, sex, serial):
    pesel = build_pesel(born, sex=sex, serial=serial)
    if born > today:
        assert problem_of(pesel, today=today) == PeselProblem.FUTURE
    else:
        assert parse_pesel(pesel, today=today).birth_date == born


def test_the_error_carries_the_problem_code():
    error = InvalidPesel(PeselProblem.CHECKSUM)

    assert isinstance(error, ValueError)
    assert str(error) == "checksum"


# --- add_months ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # into a leap February
        (date(2024, 8, 31), 6, date(2025, 2, 28)),  # into a common February
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 1, 31), 3, date(2025, 4, 30)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 1, 15), -13, date(2023, 12, 15)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 5, 20), 0, date(2025, 5, 20)),
    ],
)
def test_it_adds_calendar_months_clamping_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


@given(start=calendar_dates, months=month_counts)
def test_add_months_never_moves_the_day_later(start, months):
    assert add_months(start, months).day <= start.day


@given(start=calendar_dates, months=month_counts)
def test_add_months_moves_exactly_that_many_months(start, months):
    result = add_months(start, months)

    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months


@given(start=calendar_dates, months=month_counts)
def test_add_months_keeps_the_day_or_clamps_to_the_last_day(start, months):
    result = add_months(start, months)
    last_day = calendar.monthrange(result.year, result.month)[1]

    assert result.day == start.day or result.day == last_day < start.day


@given(start=calendar_dates, months=month_counts)
def test_add_months_is_undone_by_subtracting_when_the_day_exists_in_every_month(start, months):
    assume(start.day <= 28)

    assert add_months(add_months(start, months), -months) == start


# --- birthdays and ages ----------------------------------------------------------------------

LEAP_DAY_BABY = date(2008, 2, 29)


@pytest.mark.parametrize(
    ("year", "birthday"),
    [
        (2009, date(2009, 2, 28)),
        (2012, date(2012, 2, 29)),
        (2025, date(2025, 2, 28)),
        (2100, date(2100, 2, 28)),
    ],
)
def test_a_29_february_person_has_birthdays_on_28_february_in_common_years(year, birthday):
    assert birthday_in_year(LEAP_DAY_BABY, year) == birthday


def test_an_ordinary_birthday_is_the_same_day_every_year():
    assert birthday_in_year(date(2010, 3, 1), 2025) == date(2025, 3, 1)
    assert birthday_in_year(date(2010, 2, 28), 2012) == date(2012, 2, 28)


def test_a_29_february_person_turns_18_on_28_february_of_a_common_year():
    turns_18 = date_of_age(LEAP_DAY_BABY, 18)

    assert turns_18 == date(2026, 2, 28)
    assert age_on(LEAP_DAY_BABY, date(2026, 2, 27)) == 17
    assert age_on(LEAP_DAY_BABY, date(2026, 2, 28)) == 18
    assert age_on(LEAP_DAY_BABY, date(2026, 3, 1)) == 18


def test_a_29_february_person_turns_16_on_29_february_of_a_leap_year():
    assert date_of_age(LEAP_DAY_BABY, 16) == date(2024, 2, 29)
    assert age_on(LEAP_DAY_BABY, date(2024, 2, 28)) == 15


def test_the_birthday_itself_counts_as_a_completed_year():
    assert age_on(date(2010, 6, 15), date(2024, 6, 14)) == 13
    assert age_on(date(2010, 6, 15), date(2024, 6, 15)) == 14
    assert age_on(date(2010, 6, 15), date(2010, 6, 15)) == 0


def test_age_on_refuses_a_date_before_birth():
    with pytest.raises(ValueError):
        age_on(date(2010, 6, 15), date(2010, 6, 14))


birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
ages = st.integers(min_value=0, max_value=120)


@given(born=birth_dates, years=ages)
@example(born=LEAP_DAY_BABY, years=18)
@example(born=LEAP_DAY_BABY, years=1)
def test_a_person_is_exactly_n_on_the_day_of_age_n_and_n_minus_1_the_day_before(born, years):
    day = date_of_age(born, years)

    assert age_on(born, day) == years
    if years >= 1:
        assert age_on(born, day - timedelta(days=1)) == years - 1


@given(
    born=birth_dates,
    first=st.integers(min_value=0, max_value=40000),
    gap=st.integers(min_value=0, max_value=40000),
)
def test_age_never_decreases_as_the_date_grows(born, first, gap):
    earlier = born + timedelta(days=first)
    later = earlier + timedelta(days=gap)

    assert age_on(born, earlier) <= age_on(born, later)


@given(born=birth_dates, days=st.integers(min_value=0, max_value=40000))
def test_age_grows_by_at_most_one_a_day(born, days):
    day = born + timedelta(days=days)

    assert age_on(born, day + timedelta(days=1)) - age_on(born, day) in {0, 1}


# --- identity verification validity ----------------------------------------------------------


def test_a_trusted_profile_verification_lasts_36_months():
    assert VERIFICATION_VALIDITY_MONTHS[VerificationMethod.TRUSTED_PROFILE] == 36
    assert verification_expires_on(VerificationMethod.TRUSTED_PROFILE, date(2024, 1, 15)) == date(
        2027, 1, 15
    )


def test_a_verification_made_on_29_february_expires_on_the_last_day_of_february():
    assert verification_expires_on(VerificationMethod.TRUSTED_PROFILE, date(2024, 2, 29)) == date(
        2027, 2, 28
    )


def test_verification_expiry_accepts_the_stored_method_string():
    assert verification_expires_on("trusted_profile", date(2024, 1, 15)) == date(2027, 1, 15)


@pytest.mark.parametrize(
    ("method", "expires_on"),
    [
        (VerificationMethod.TRUSTED_PROFILE, date(2027, 5, 10)),  # the FAQ: 3 years
        (VerificationMethod.IN_PERSON, date(2027, 5, 10)),
        (VerificationMethod.BANK, date(2026, 5, 10)),  # the mojeIKP cycle: 2 years
        (VerificationMethod.E_ID, date(2026, 5, 10)),
    ],
)
def test_each_verification_method_lasts_its_stated_time(method, expires_on):
    assert verification_expires_on(method, date(2024, 5, 10)) == expires_on


def test_every_verification_method_has_a_validity():
    assert set(VERIFICATION_VALIDITY_MONTHS) == set(VerificationMethod)


def test_an_unknown_verification_method_is_refused():
    with pytest.raises(ValueError):
        verification_expires_on("carrier_pigeon", date(2024, 5, 10))


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_parse_pesel_agrees_with_stdnum_on_any_eleven_digits(digits):
    """Our fast PESEL parser (used by the feeds) is stdnum's, plus the future-date refusal."""
    far_future = date(2300, 1, 1)
    try:
        stdnum_pesel.validate(digits)
        expected = stdnum_pesel.get_birth_date(digits)
    except Exception:
        expected = None
    try:
        got = parse_pesel(digits, today=far_future).birth_date
    except InvalidPesel:
        got = None
    assert got == expected
