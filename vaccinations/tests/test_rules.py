"""HPV eligibility (vaccinations/rules.py): the FAQ's problems as explicit cases, and hypothesis
properties for ages and intervals.

Pure: no database, no clock. The FAQ ("Najczęstsze problemy z zapisaniem się na szczepienie
przeciw HPV") names three: a first dose recorded but its visit left open, a child of the right
age the system refuses (born in 2010, dose 2 after the 14th birthday), and the 6 to 12 month
interval with no e-referral.
"""

from datetime import date, timedelta

import pytest
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from accounts.rules import add_months, age_on, date_of_age
from vaccinations.rules import (
    BookedAppointment,
    Eligibility,
    Programme,
    Reason,
    RecordedDose,
    booking_outlook,
    booking_window,
    eligibility,
    programme_in_force,
)

HPV = Programme("HPV9", date(2024, 9, 1), None, 9, 14, 2, 6, 12, True)
CLINIC = "Przychodnia Zdrowie, Gdańsk"


def judge(born, on, doses=(), appointment=None, programmes=(HPV,), vaccine="HPV9") -> Eligibility:
    return eligibility(
        vaccine_code=vaccine,
        birth_date=born,
        doses=doses,
        appointment=appointment,
        programmes=programmes,
        on=on,
    )


def dose(day: date, *, visit_open: bool = False, clinic: str = CLINIC) -> RecordedDose:
    return RecordedDose(administered_on=day, visit_open=visit_open, clinic_name=clinic)


def window(result: Eligibility) -> tuple:
    return (result.eligible, result.reason, result.dose_number, result.opens_on, result.closes_on)


def english(result: Eligibility) -> str:
    with translation.override("en"):
        return result.message


# --- the FAQ's problems -------------------------------------------------------------------------


def test_it_lets_a_child_born_in_2010_get_dose_2_after_the_14th_birthday():
    born = date(2010, 10, 15)  # 14 on 2024-10-15
    first = dose(date(2024, 9, 20))  # at 13, in the programme's first month

    result = judge(born, date(2025, 3, 20), doses=[first])

    assert window(result) == (True, Reason.NEXT_DOSE, 2, date(2025, 3, 20), date(2025, 9, 20))
    assert english(result) == "The child can be booked for dose 2 from 20.03.2025 to 20.09.2025."


def test_it_refuses_a_first_dose_for_the_same_child_after_the_14th_birthday():
    result = judge(date(2010, 10, 15), date(2024, 10, 15))

    assert window(result) == (False, Reason.TOO_OLD, 1, None, None)
    assert english(result) == (
        "The programme covers children who have turned 9 and are not yet 14 on the day of the "
        "first dose, so the child can no longer be booked for the first dose. A child who had "
        "the first dose before turning 14 may get the next dose after that birthday."
    )


def test_it_never_offers_a_first_dose_when_the_first_dose_visit_is_open():
    born = date(2014, 5, 1)
    recorded = [dose(date(2025, 1, 10), visit_open=True)]

    for on in (date(2025, 1, 11), date(2025, 7, 10), date(2025, 12, 1)):
        result = judge(born, on, doses=recorded)

        assert not result.eligible
        assert result.reason == Reason.OPEN_VISIT
        assert result.clinic_name == CLINIC
        assert result.dose_number == 2
    assert english(result) == (
        "The first dose is recorded, but Przychodnia Zdrowie, Gdańsk has not closed the visit. "
        "Ask the clinic to close it; then you can book the next dose."
    )


def test_it_names_the_clinic_of_the_last_open_visit():
    recorded = [
        dose(date(2025, 8, 1), visit_open=True, clinic="Later"),
        dose(date(2025, 1, 10), visit_open=True, clinic="Earlier"),
    ]

    result = judge(date(2014, 5, 1), date(2025, 9, 1), doses=recorded)

    assert (result.reason, result.clinic_name, result.recorded_dose) == (
        Reason.OPEN_VISIT,
        "Later",
        2,
    )


def test_it_reports_an_open_visit_before_a_completed_course_without_promising_a_next_dose():
    recorded = [dose(date(2025, 1, 10)), dose(date(2025, 7, 10), visit_open=True)]

    result = judge(date(2014, 5, 1), date(2025, 9, 1), doses=recorded)

    assert result.reason == Reason.OPEN_VISIT
    assert english(result) == (
        f"Dose 2 is recorded, but {CLINIC} has not closed the visit. Ask the clinic to close it."
    )


def test_it_needs_no_referral_only_the_interval_of_6_to_12_months():
    result = judge(date(2014, 5, 1), date(2025, 7, 9), doses=[dose(date(2025, 1, 10))])

    assert window(result) == (False, Reason.NEXT_TOO_EARLY, 2, date(2025, 7, 10), date(2026, 1, 10))
    assert english(result) == (
        "It is too early for dose 2: the child can be booked for it from 10.07.2025 to "
        "10.01.2026. The interval between doses is 6 to 12 months."
    )


# --- age boundaries -----------------------------------------------------------------------------

BORN = date(2018, 3, 14)  # 9 on 2027-03-14, 14 on 2032-03-14


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2027, 3, 13), (False, Reason.TOO_YOUNG, 1, date(2027, 3, 14), date(2032, 3, 13))),
        (date(2027, 3, 14), (True, Reason.FIRST_DOSE, 1, date(2027, 3, 14), date(2032, 3, 13))),
        (date(2032, 3, 13), (True, Reason.FIRST_DOSE, 1, date(2027, 3, 14), date(2032, 3, 13))),
        (date(2032, 3, 14), (False, Reason.TOO_OLD, 1, None, None)),
    ],
)
def test_it_takes_the_first_dose_from_the_9th_birthday_until_the_day_before_the_14th(on, expected):
    assert window(judge(BORN, on)) == expected


def test_it_says_when_booking_opens_for_a_child_too_young():
    result = judge(BORN, date(2027, 3, 13))

    assert english(result) == "Booking opens on 14.03.2027, when the child turns 9."


def test_it_opens_on_the_programme_start_for_a_child_already_old_enough():
    result = judge(date(2013, 1, 1), date(2024, 9, 1))

    assert window(result) == (True, Reason.FIRST_DOSE, 1, date(2024, 9, 1), date(2026, 12, 31))


def test_a_child_born_on_29_february_turns_14_on_28_february_of_a_common_year():
    born = date(2012, 2, 29)

    assert date_of_age(born, 9) == date(2021, 2, 28)
    assert date_of_age(born, 14) == date(2026, 2, 28)
    assert window(judge(born, date(2026, 2, 27))) == (
        True,
        Reason.FIRST_DOSE,
        1,
        date(2024, 9, 1),
        date(2026, 2, 27),
    )
    assert judge(born, date(2026, 2, 28)).reason == Reason.TOO_OLD


def test_a_child_born_on_29_february_turns_9_on_28_february_of_a_common_year():
    earlier = Programme("HPV9", date(2020, 1, 1), None, 9, 14, 2, 6, 12, True)  # hypothetical
    born = date(2012, 2, 29)

    assert window(judge(born, date(2021, 2, 27), programmes=[earlier]))[1:4] == (
        Reason.TOO_YOUNG,
        1,
        date(2021, 2, 28),
    )
    assert judge(born, date(2021, 2, 28), programmes=[earlier]).eligible
    # and under the seeded programme: born 29 Feb 2016, 9 on 28 Feb 2025 (common), 14 on 28 Feb 2030
    assert window(judge(date(2016, 2, 29), date(2025, 2, 27))) == (
        False,
        Reason.TOO_YOUNG,
        1,
        date(2025, 2, 28),
        date(2030, 2, 27),
    )
    assert judge(date(2016, 2, 29), date(2025, 2, 28)).reason == Reason.FIRST_DOSE


# --- intervals with month-end clamping ----------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (
            date(2026, 2, 27),
            (False, Reason.NEXT_TOO_EARLY, 2, date(2026, 2, 28), date(2026, 8, 31)),
        ),
        (date(2026, 2, 28), (True, Reason.NEXT_DOSE, 2, date(2026, 2, 28), date(2026, 8, 31))),
        (date(2026, 8, 31), (True, Reason.NEXT_DOSE, 2, date(2026, 2, 28), date(2026, 8, 31))),
        (date(2026, 9, 1), (False, Reason.NEXT_WINDOW_PASSED, 2, None, date(2026, 8, 31))),
    ],
)
def test_it_opens_dose_2_on_28_february_after_a_first_dose_on_31_august(on, expected):
    assert window(judge(date(2015, 1, 10), on, doses=[dose(date(2025, 8, 31))])) == expected


def test_it_opens_dose_2_on_29_february_in_a_leap_year():
    result = judge(date(2017, 1, 10), date(2028, 2, 29), doses=[dose(date(2027, 8, 31))])

    assert window(result) == (True, Reason.NEXT_DOSE, 2, date(2028, 2, 29), date(2028, 8, 31))
    assert judge(date(2017, 1, 10), date(2028, 2, 28), doses=[dose(date(2027, 8, 31))]).reason == (
        Reason.NEXT_TOO_EARLY
    )


def test_it_sends_the_parent_to_the_poz_doctor_when_the_window_has_passed():
    result = judge(date(2015, 1, 10), date(2026, 9, 1), doses=[dose(date(2025, 8, 31))])

    assert english(result) == (
        "The time for dose 2 ended on 31.08.2026. The interval between doses is 6 to 12 months. "
        "Ask your POZ doctor how to continue the vaccination."
    )


# --- completed, appointment ---------------------------------------------------------------------


def test_it_reports_a_completed_course():
    recorded = [dose(date(2025, 1, 10)), dose(date(2025, 7, 10))]

    result = judge(date(2014, 5, 1), date(2025, 9, 1), doses=recorded)

    assert window(result) == (False, Reason.COMPLETED, None, None, None)
    assert "all doses" in english(result)


def test_it_refuses_a_second_booking_while_an_appointment_is_active():
    booked = BookedAppointment(on=date(2025, 10, 1), dose_number=1)

    result = judge(date(2014, 5, 1), date(2025, 10, 8), appointment=booked)

    assert (result.eligible, result.reason, result.dose_number) == (
        False,
        Reason.HAS_APPOINTMENT,
        1,
    )
    assert result.appointment_on == date(2025, 10, 1)
    assert "01.10.2025" in english(result)


def test_booking_window_ignores_the_appointment():
    booked = BookedAppointment(on=date(2025, 10, 1), dose_number=1)
    born, today = date(2014, 5, 1), date(2025, 9, 1)

    assert judge(born, today, appointment=booked).reason == Reason.HAS_APPOINTMENT
    page = booking_window(
        vaccine_code="HPV9", birth_date=born, doses=[], programmes=[HPV], today=today
    )
    assert window(page) == (True, Reason.FIRST_DOSE, 1, date(2024, 9, 1), date(2028, 4, 30))


# --- judged on the slot's date, not today -------------------------------------------------------

TODAY = date(2025, 6, 10)


def test_a_child_turning_9_next_month_may_book_a_slot_after_the_birthday():
    born = date(2016, 7, 5)

    assert judge(born, date(2025, 7, 10)).reason == Reason.FIRST_DOSE
    assert judge(born, date(2025, 6, 20)).reason == Reason.TOO_YOUNG
    page = booking_window(
        vaccine_code="HPV9", birth_date=born, doses=[], programmes=[HPV], today=TODAY
    )
    assert window(page) == (False, Reason.TOO_YOUNG, 1, date(2025, 7, 5), date(2030, 7, 4))


def test_a_child_turning_14_next_week_cannot_book_a_first_dose_after_the_birthday():
    born = date(2011, 6, 17)

    assert judge(born, date(2025, 6, 16)).reason == Reason.FIRST_DOSE
    assert judge(born, date(2025, 6, 17)).reason == Reason.TOO_OLD
    page = booking_window(
        vaccine_code="HPV9", birth_date=born, doses=[], programmes=[HPV], today=TODAY
    )
    assert window(page) == (True, Reason.FIRST_DOSE, 1, date(2024, 9, 1), date(2025, 6, 16))


def test_booking_window_shows_when_the_next_dose_opens():
    page = booking_window(
        vaccine_code="HPV9",
        birth_date=date(2014, 5, 1),
        doses=[dose(date(2025, 3, 1))],
        programmes=[HPV],
        today=TODAY,
    )

    assert window(page) == (False, Reason.NEXT_TOO_EARLY, 2, date(2025, 9, 1), date(2026, 3, 1))


# --- programmes as data -------------------------------------------------------------------------

UNTIL_2026 = Programme("HPV9", date(2024, 9, 1), date(2026, 12, 31), 9, 14, 2, 6, 12, True)
FROM_2027 = Programme("HPV9", date(2027, 1, 1), None, 9, 15, 2, 6, 12, True)  # hypothetical
BORN_2013 = date(2013, 2, 1)  # 14 on 2027-02-01, 15 on 2028-02-01


def test_a_programme_change_needs_no_code():
    versions = [UNTIL_2026, FROM_2027]

    # 13 years 11 months: under both versions; the new one closes the window later.
    old = judge(BORN_2013, date(2026, 12, 15), programmes=versions)
    new = judge(BORN_2013, date(2027, 1, 15), programmes=versions)
    assert window(old) == (True, Reason.FIRST_DOSE, 1, date(2024, 9, 1), date(2026, 12, 31))
    assert window(new) == (True, Reason.FIRST_DOSE, 1, date(2027, 1, 1), date(2028, 1, 31))
    assert new.programme == FROM_2027
    # 14 years 1 month: too old under the seeded programme, eligible under the new version.
    assert judge(BORN_2013, date(2027, 3, 1)).reason == Reason.TOO_OLD
    assert judge(BORN_2013, date(2027, 3, 1), programmes=versions).reason == Reason.FIRST_DOSE


def test_a_course_continues_under_the_programme_of_its_first_dose():
    strict = Programme("HPV9", date(2027, 1, 1), None, 9, 14, 2, 7, 8, False)  # hypothetical

    result = judge(
        BORN_2013,
        date(2027, 4, 1),
        doses=[dose(date(2026, 10, 1))],
        programmes=[UNTIL_2026, strict],
    )

    assert result.programme == UNTIL_2026
    assert window(result) == (True, Reason.NEXT_DOSE, 2, date(2027, 4, 1), date(2027, 10, 1))


def test_a_dose_given_before_any_programme_continues_under_the_one_in_force_on_the_slot_date():
    result = judge(date(2013, 1, 1), date(2024, 11, 1), doses=[dose(date(2024, 5, 1))])

    assert result.programme == HPV
    assert window(result) == (True, Reason.NEXT_DOSE, 2, date(2024, 11, 1), date(2025, 5, 1))


def test_the_latest_effective_from_wins_among_overlapping_versions():
    open_ended = [HPV, FROM_2027]

    assert programme_in_force(open_ended, "HPV9", date(2026, 12, 31)) == HPV
    assert programme_in_force(open_ended, "HPV9", date(2027, 1, 1)) == FROM_2027
    assert programme_in_force(list(reversed(open_ended)), "HPV9", date(2027, 1, 1)) == FROM_2027


def test_a_window_past_the_end_of_the_programme_is_left_open():
    # 9 on 2027-03-14, after the version in force on the day ends: the next version decides.
    result = judge(BORN, date(2026, 6, 1), programmes=[UNTIL_2026])

    assert window(result) == (False, Reason.TOO_YOUNG, 1, date(2027, 3, 14), None)


def test_it_reports_no_programme_before_1_september_2024():
    born = date(2014, 5, 1)

    assert window(judge(born, date(2024, 8, 31))) == (False, Reason.NO_PROGRAMME, None, None, None)
    assert judge(born, date(2024, 9, 1)).reason == Reason.FIRST_DOSE
    assert judge(born, date(2025, 1, 1), vaccine="MMR").reason == Reason.NO_PROGRAMME


# --- a programme without later doses after the max age ------------------------------------------

NO_LATER = Programme("HPV9", date(2024, 9, 1), None, 9, 14, 2, 6, 12, False)  # hypothetical


def test_it_caps_the_next_dose_at_the_max_age_when_the_programme_says_so():
    born = date(2010, 12, 1)  # 14 on 2024-12-01
    recorded = [dose(date(2024, 9, 2))]

    result = judge(born, date(2025, 3, 2), doses=recorded, programmes=[NO_LATER])
    assert window(result) == (False, Reason.NEXT_AFTER_MAX_AGE, 2, None, date(2024, 11, 30))
    assert english(result) == (
        "Under this programme, dose 2 can be given only before the child turns 14 (on "
        "30.11.2024 at the latest), which is not possible for this child. Ask your POZ doctor "
        "how to continue the vaccination."
    )
    # The window would open only after the birthday: never, not "too early".
    assert judge(born, date(2024, 10, 1), doses=recorded, programmes=[NO_LATER]).reason == (
        Reason.NEXT_AFTER_MAX_AGE
    )


def test_it_caps_the_window_at_the_day_before_the_max_age_birthday():
    born = date(2011, 5, 1)  # 14 on 2025-05-01
    recorded = [dose(date(2024, 9, 2))]

    result = judge(born, date(2025, 4, 30), doses=recorded, programmes=[NO_LATER])

    assert window(result) == (True, Reason.NEXT_DOSE, 2, date(2025, 3, 2), date(2025, 4, 30))
    assert judge(born, date(2025, 5, 1), doses=recorded, programmes=[NO_LATER]).reason == (
        Reason.NEXT_AFTER_MAX_AGE
    )


# --- messages -----------------------------------------------------------------------------------

EXAMPLES = {
    Reason.FIRST_DOSE: lambda: judge(BORN, date(2027, 3, 14)),
    Reason.NEXT_DOSE: lambda: judge(
        date(2015, 1, 10), date(2026, 3, 1), doses=[dose(date(2025, 8, 31))]
    ),
    Reason.NO_PROGRAMME: lambda: judge(BORN, date(2024, 8, 31)),
    Reason.TOO_YOUNG: lambda: judge(BORN, date(2027, 3, 13)),
    Reason.TOO_OLD: lambda: judge(BORN, date(2032, 3, 14)),
    Reason.OPEN_VISIT: lambda: judge(
        BORN, date(2028, 1, 1), doses=[dose(date(2027, 4, 1), visit_open=True)]
    ),
    Reason.COMPLETED: lambda: judge(
        BORN, date(2028, 6, 1), doses=[dose(date(2027, 4, 1)), dose(date(2027, 11, 1))]
    ),
    Reason.HAS_APPOINTMENT: lambda: judge(
        BORN, date(2027, 5, 1), appointment=BookedAppointment(date(2027, 4, 20), 1)
    ),
    Reason.NEXT_TOO_EARLY: lambda: judge(BORN, date(2027, 6, 1), doses=[dose(date(2027, 4, 1))]),
    Reason.NEXT_WINDOW_PASSED: lambda: judge(
        BORN, date(2028, 6, 1), doses=[dose(date(2027, 4, 1))]
    ),
    Reason.NEXT_AFTER_MAX_AGE: lambda: judge(
        date(2010, 12, 1), date(2025, 3, 2), doses=[dose(date(2024, 9, 2))], programmes=[NO_LATER]
    ),
}


def test_every_reason_has_an_example():
    assert set(EXAMPLES) == set(Reason)


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_a_message_in_english_and_polish(reason):
    result = EXAMPLES[reason]()
    assert result.reason == reason

    with translation.override("en"):
        in_english = result.message
    with translation.override("pl"):
        in_polish = result.message

    assert isinstance(in_english, str) and in_english.strip()
    assert isinstance(in_polish, str) and in_polish.strip()
    # Needs the compiled catalogue (locale/pl/LC_MESSAGES/django.mo) with the fragment merged.
    assert in_polish != in_english


# --- properties ---------------------------------------------------------------------------------

births = st.dates(min_value=date(2008, 1, 1), max_value=date(2026, 12, 31))
slot_days = st.dates(min_value=date(2024, 9, 1), max_value=date(2036, 12, 31))
any_days = st.dates(min_value=date(2023, 1, 1), max_value=date(2036, 12, 31))
appointments = st.none() | st.builds(BookedAppointment, on=slot_days, dose_number=st.integers(1, 2))


@st.composite
def recorded_doses(draw, *, max_size: int = 3, open_visits=None) -> list[RecordedDose]:
    """Doses on distinct days (ties on a day are the one place input order decides)."""
    open_visits = st.booleans() if open_visits is None else open_visits
    days = draw(st.lists(any_days, max_size=max_size, unique=True))
    return [
        RecordedDose(day, draw(open_visits), draw(st.sampled_from(["A", "B", "C"]))) for day in days
    ]


mostly_closed = st.sampled_from([False, False, False, True])


@given(
    born=births, on=slot_days, doses=recorded_doses(open_visits=mostly_closed), booked=appointments
)
def test_an_eligible_result_holds_the_slot_date_in_its_window(born, on, doses, booked):
    result = judge(born, on, doses=doses, appointment=booked)

    if result.eligible:
        assert result.reason in (Reason.FIRST_DOSE, Reason.NEXT_DOSE)
        assert result.opens_on <= on
        assert result.closes_on is None or on <= result.closes_on
        assert result.dose_number == len(doses) + 1
        assert booked is None
    assert isinstance(english(result), str) and english(result)


@given(born=births, on=slot_days, doses=recorded_doses(), booked=appointments, data=st.data())
def test_it_does_not_depend_on_the_order_of_the_doses(born, on, doses, booked, data):
    shuffled = data.draw(st.permutations(doses))

    assert judge(born, on, doses=shuffled, appointment=booked) == judge(
        born, on, doses=doses, appointment=booked
    )


@given(born=births, on=slot_days)
def test_it_offers_a_first_dose_exactly_from_9_until_the_14th_birthday(born, on):
    assume(born <= on)

    result = judge(born, on)

    assert result.eligible == (result.reason == Reason.FIRST_DOSE) == (9 <= age_on(born, on) < 14)


@given(born=births, on=slot_days, doses=recorded_doses(), booked=appointments)
def test_a_child_with_an_open_visit_is_never_eligible(born, on, doses, booked):
    assume(any(d.visit_open for d in doses))

    result = judge(born, on, doses=doses, appointment=booked)

    assert not result.eligible and result.reason == Reason.OPEN_VISIT
    assert (
        result.clinic_name
        == max((d for d in doses if d.visit_open), key=lambda d: d.administered_on).clinic_name
    )


@given(
    born=births,
    previous=st.dates(min_value=date(2024, 9, 1), max_value=date(2035, 12, 31)),
    days_after=st.integers(-30, 500),
)
def test_it_offers_dose_2_exactly_from_6_through_12_months_after_dose_1(born, previous, days_after):
    on = previous + timedelta(days=days_after)

    result = judge(born, on, doses=[dose(previous)])

    in_window = add_months(previous, 6) <= on <= add_months(previous, 12)
    assert result.eligible == in_window
    assert result.reason == (
        Reason.NEXT_DOSE
        if in_window
        else Reason.NEXT_TOO_EARLY
        if on < add_months(previous, 6)
        else Reason.NEXT_WINDOW_PASSED
    )


@given(born=births, today=any_days, doses=recorded_doses(open_visits=mostly_closed))
def test_booking_window_is_the_judgement_of_today_without_an_appointment(born, today, doses):
    page = booking_window(
        vaccine_code="HPV9", birth_date=born, doses=doses, programmes=[HPV], today=today
    )

    assert page == judge(born, today, doses=doses)
    if page.reason in (Reason.TOO_YOUNG, Reason.NEXT_TOO_EARLY):
        assert page.opens_on is not None and today < page.opens_on


# --- looking past today's programme (booking_outlook) -------------------------------------------


@st.composite
def programme_versions(draw) -> list[Programme]:
    """One to three versions of HPV9, with other ages, counts and dates, possibly ending."""
    versions = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
        end = draw(st.none() | st.dates(min_value=start, max_value=date(2032, 12, 31)))
        low = draw(st.integers(8, 12))
        versions.append(Programme(
            "HPV9", start, end, low, draw(st.integers(low + 1, 16)), draw(st.integers(1, 3)),
            draw(st.integers(1, 6)), draw(st.integers(6, 13)), draw(st.booleans()),
        ))  # fmt: skip
    return versions


@given(
    born=births,
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31)),
    doses=recorded_doses(max_size=2, open_visits=mostly_closed),
    programmes=programme_versions(),
    ahead=st.integers(0, 3 * 365),
)
def test_the_outlooks_days_are_exactly_the_days_a_slot_may_be_booked(born, today, doses, programmes, ahead):
    """The slot list's date filter (the outlook's days) holds a day exactly when the rule,
    judged on that day, lets the child book: whatever versions are published for later."""
    outlook = booking_outlook(
        vaccine_code="HPV9", birth_date=born, doses=doses, appointment=None,
        programmes=programmes, today=today,
    )  # fmt: skip
    day = today + timedelta(days=ahead)

    listed = any(first <= day and (last is None or day <= last) for first, last in outlook.days)

    assert listed == judge(born, day, doses=doses, programmes=programmes).eligible
    assert all(first >= today for first, _ in outlook.days)


def test_a_version_published_for_next_month_opens_the_list_for_the_children_it_admits():
    """Today's programme ends at 14; one for ages 9 to 15 starts in ten days. A child of 14 and
    a month is refused today, and may book from the new version's first day."""
    today = date(2026, 12, 8)
    later = Programme("HPV9", date(2026, 12, 18), None, 9, 15, 2, 6, 12, True)
    born = date(2012, 11, 1)

    outlook = booking_outlook(
        vaccine_code="HPV9", birth_date=born, doses=[], appointment=None,
        programmes=[HPV, later], today=today,
    )  # fmt: skip

    assert judge(born, today, programmes=[HPV, later]).reason == Reason.TOO_OLD
    assert outlook.days == ((date(2026, 12, 18), date(2027, 10, 31)),)
    assert (outlook.step.reason, outlook.step.opens_on) == (Reason.FIRST_DOSE, date(2026, 12, 18))


def test_with_one_programme_the_outlook_is_todays_window():
    today = date(2025, 6, 10)
    born = date(2016, 7, 1)  # 9 in three weeks

    outlook = booking_outlook(
        vaccine_code="HPV9", birth_date=born, doses=[], appointment=None, programmes=[HPV], today=today
    )

    assert outlook.step == judge(born, today)
    assert outlook.days == ((date(2025, 7, 1), date(2030, 6, 30)),)
