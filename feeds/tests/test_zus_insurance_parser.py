"""The `zus-insurance` line parser (feeds/zus_insurance.py): the DESIGN.md keys, nothing less;
anything else it is given ends as a LineProblem, never as another exception or a row COPY
cannot take."""

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds.kinds import LineProblem
from feeds.zus_insurance import STAGING_COLUMNS, parse_line
from tests.insurance_feed import (
    TITLES,
    People,
    cancelled,
    deregistered,
    encode,
    own_title_ended,
    own_title_started,
    registered,
)

TODAY = date(2026, 3, 1)
COLUMNS = [column.strip().split()[0] for column in STAGING_COLUMNS.split(",")]

_people = People(seed=7)
MOTHER = _people.make(born=date(1984, 5, 17), sex="F", first_name="Anna", surname="Kowalska")
CHILD = _people.make(born=date(2014, 9, 3), sex="M", first_name="Jan", surname="Kowalski")

EVENTS = {
    "family_member_registered": registered("e-reg", MOTHER, CHILD, valid_from=date(2014, 9, 3), reported_on=date(2014, 9, 20)),
    "family_member_deregistered": deregistered("e-dereg", MOTHER, CHILD, valid_to=date(2025, 5, 31), reported_on=date(2025, 6, 2)),
    "own_title_started": own_title_started("e-title", CHILD, title="apprenticeship", valid_from=date(2025, 9, 1)),
    "own_title_ended": own_title_ended("e-title-end", CHILD, title="apprenticeship", valid_to=date(2026, 1, 31)),
    "event_cancelled": cancelled("e-cancel", "e-dereg", reported_on=date(2025, 6, 5)),
}

# DESIGN.md, "Feeds": the keys of each line.
DESIGN_KEYS = {
    "family_member_registered": {"event_id", "type", "insured_pesel", "insured_first_name", "insured_surname",
                                 "member_pesel", "member_first_name", "member_surname", "valid_from", "reported_on"},
    "family_member_deregistered": {"event_id", "type", "insured_pesel", "member_pesel", "valid_to", "reported_on"},
    "own_title_started": {"event_id", "type", "pesel", "title", "valid_from", "reported_on"},
    "own_title_ended": {"event_id", "type", "pesel", "title", "valid_to", "reported_on"},
    "event_cancelled": {"event_id", "type", "cancels_event_id", "reported_on"},
}  # fmt: skip


def parsed(event: dict | bytes, number: int = 7) -> dict:
    row = parse_line(encode(event), number, TODAY)
    assert len(row) == len(COLUMNS)
    return dict(zip(COLUMNS, row, strict=True))


def reason(event: dict | bytes) -> str:
    with pytest.raises(LineProblem) as caught:
        parse_line(encode(event), 1, TODAY)
    return caught.value.reason


def test_the_examples_carry_exactly_the_design_keys():
    assert {kind: set(event) for kind, event in EVENTS.items()} == DESIGN_KEYS


def test_it_accepts_a_registration():
    row = parsed(EVENTS["family_member_registered"])

    assert row["line_number"] == 7
    assert (row["event_id"], row["type"]) == ("e-reg", "family_member_registered")
    assert (row["insured_pesel"], row["person_pesel"]) == (MOTHER.pesel, CHILD.pesel)
    assert (row["valid_from"], row["valid_to"], row["reported_on"]) == (date(2014, 9, 3), None, date(2014, 9, 20))
    assert (row["insured_first_name"], row["insured_surname"], row["insured_birth_date"], row["insured_sex"]) == (
        "Anna", "Kowalska", date(1984, 5, 17), "F",
    )  # fmt: skip
    assert (row["member_first_name"], row["member_surname"], row["member_birth_date"], row["member_sex"]) == (
        "Jan", "Kowalski", date(2014, 9, 3), "M",
    )  # fmt: skip


def test_it_accepts_a_deregistration():
    row = parsed(EVENTS["family_member_deregistered"])

    assert (row["type"], row["insured_pesel"], row["person_pesel"]) == ("family_member_deregistered", MOTHER.pesel, CHILD.pesel)
    assert (row["valid_from"], row["valid_to"], row["reported_on"]) == (None, date(2025, 5, 31), date(2025, 6, 2))


@pytest.mark.parametrize("title", TITLES)
def test_it_accepts_an_own_title_start_and_end_of_each_title(title):
    start = parsed(own_title_started("s", CHILD, title=title, valid_from=date(2025, 9, 1), reported_on=date(2025, 9, 9)))
    end = parsed(own_title_ended("e", CHILD, title=title, valid_to=date(2026, 1, 31), reported_on=date(2026, 2, 2)))

    assert (start["type"], start["person_pesel"], start["title"], start["valid_from"], start["valid_to"]) == (
        "own_title_started", CHILD.pesel, title, date(2025, 9, 1), None,
    )  # fmt: skip
    assert (end["type"], end["person_pesel"], end["title"], end["valid_from"], end["valid_to"]) == (
        "own_title_ended", CHILD.pesel, title, None, date(2026, 1, 31),
    )  # fmt: skip
    assert start["reported_on"] == date(2025, 9, 9)


def test_it_accepts_a_cancellation():
    row = parsed(EVENTS["event_cancelled"])

    assert (row["event_id"], row["type"], row["cancels_event_id"], row["reported_on"]) == (
        "e-cancel", "event_cancelled", "e-dereg", date(2025, 6, 5),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "missing"), [(kind, key) for kind, keys in DESIGN_KEYS.items() for key in sorted(keys)]
)
def test_it_refuses_a_line_missing_a_required_key(kind, missing):
    line = {k: v for k, v in EVENTS[kind].items() if k != missing}

    assert reason(line).startswith("invalid_field:")


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_it_ignores_unknown_keys(kind):
    noisy = {"employer_nip": "5260250274", "note": {"nested": [1, 2.5, None]}, **EVENTS[kind], "zz": True}

    assert parsed(noisy) == parsed(EVENTS[kind])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "family_member_adopted"}, "invalid_field:"),
        ({"valid_from": "2024-02-30"}, "invalid_field:"),
        ({"valid_from": "2024-2-3"}, "invalid_field:"),
        ({"reported_on": 20240203}, "invalid_field:"),
        ({"event_id": ""}, "invalid_field:"),
        ({"event_id": "x" * 101}, "invalid_field:"),
        ({"member_first_name": "M" * 101}, "invalid_field:"),
        ({"insured_pesel": MOTHER.pesel[:10] + str((int(MOTHER.pesel[10]) + 1) % 10)}, "invalid_pesel: insured_pesel (checksum)"),
        ({"member_pesel": "2" + "4" * 9 + "1"}, "invalid_pesel: member_pesel"),
        ({"member_pesel": CHILD.pesel[:10]}, "invalid_pesel: member_pesel (format)"),
        ({"member_pesel": MOTHER.pesel}, "same_person:"),
        ({"member_first_name": "A\u0000B"}, "invalid_field:"),
    ],
)
def test_it_refuses_a_registration_with_a_bad_value(change, expected):
    assert reason({**EVENTS["family_member_registered"], **change}).startswith(expected)


def test_it_refuses_a_pesel_born_after_today():
    unborn = People(seed=1).make(born=date(2026, 3, 2), sex="F")

    assert reason(registered("r", MOTHER, unborn, valid_from=TODAY)) == "invalid_pesel: member_pesel (future)"
    assert parsed(registered("r", MOTHER, People(seed=1).make(born=TODAY), valid_from=TODAY))["member_birth_date"] == TODAY


def test_it_refuses_an_unknown_title_and_a_cancellation_of_itself():
    assert reason({**EVENTS["own_title_started"], "title": "scholarship"}).startswith("invalid_field:")
    assert reason(cancelled("same", "same", reported_on=TODAY)).startswith("self_cancel:")


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b"null",
        b'"family_member_registered"',
        b"\xef\xbb\xbf" + encode(EVENTS["event_cancelled"]),  # a byte-order mark
        encode(EVENTS["event_cancelled"]).replace(b'"e-cancel"', b'"e-\xff\xfe"'),  # not UTF-8
        encode(EVENTS["event_cancelled"]).replace(b'"e-cancel"', b'"e-\x00"'),  # a raw NUL byte
        encode(EVENTS["event_cancelled"]).replace(b'"e-cancel"', b'"e-\\u0000"'),  # an escaped NUL
        encode(EVENTS["event_cancelled"]).replace(b'"e-cancel"', b'"e-\\ud800"'),  # a lone surrogate
        encode(EVENTS["event_cancelled"]).rstrip(b"\n") + b"{}",
    ],
)
def test_it_refuses_lines_that_are_not_one_utf8_json_object(raw):
    with pytest.raises(LineProblem):
        parse_line(raw, 1, TODAY)


def test_it_reads_names_in_utf8_and_trims_them():
    row = parsed({**EVENTS["family_member_registered"], "member_first_name": "  Łucja ", "member_surname": "Żółć-Gęś"})

    assert (row["member_first_name"], row["member_surname"]) == ("Łucja", "Żółć-Gęś")


# --- nothing but LineProblem ---------------------------------------------------------------------------


def assert_copyable(row: tuple) -> None:
    """What the runner COPYs: PostgreSQL text holds neither NUL nor lone surrogates."""
    assert len(row) == len(COLUMNS)
    for value in row:
        if isinstance(value, str):
            assert "\x00" not in value
            value.encode("utf-8")  # raises on a lone surrogate


def parse_or_problem(raw: bytes) -> None:
    try:
        row = parse_line(raw, 1, TODAY)
    except LineProblem as problem:
        assert problem.reason.split(":")[0] in {"invalid_json", "invalid_field", "invalid_pesel", "same_person", "self_cancel"}
    else:
        assert_copyable(row)


FUZZ = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(raw=st.binary(max_size=600))
@example(raw=b'{"type":"event_cancelled","event_id":"\xc3","cancels_event_id":"x","reported_on":"2024-01-01"}')
@example(raw=b"[" * 10_000)
@example(raw=b'{"type":"event_cancelled","event_id":"a","cancels_event_id":"b","reported_on":"2024-01-01","reported_on":"x"}')
def test_arbitrary_bytes_end_as_a_row_or_a_line_problem(raw):
    parse_or_problem(raw)


json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30) | st.dates().map(date.isoformat) | st.sampled_from([MOTHER.pesel, CHILD.pesel, *TITLES])
)  # fmt: skip
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)
known_keys = st.sampled_from(sorted(set().union(*DESIGN_KEYS.values())))


@FUZZ
@given(obj=st.dictionaries(known_keys | st.text(max_size=10), json_values, max_size=12), ascii_only=st.booleans())
def test_arbitrary_json_objects_end_as_a_row_or_a_line_problem(obj, ascii_only):
    parse_or_problem(json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"))


@FUZZ
@given(kind=st.sampled_from(sorted(EVENTS)), key=known_keys, value=json_values, ascii_only=st.booleans())
def test_a_valid_line_with_any_one_value_replaced_ends_as_a_row_or_a_line_problem(kind, key, value, ascii_only):
    obj = {**EVENTS[kind], key: value}

    parse_or_problem(json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"))
