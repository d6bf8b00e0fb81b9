"""The pure ikp-pomoc rules (support/rules.py): hypothesis properties and the boundary cases.

Pure: no database, no clock. The boundaries that matter to a patient are exact: a ticket
resolved at T may be reopened until T + 14 days, not at that instant; a target met exactly on
its due time is met.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from support.rules import (
    EXTENSIONS,
    OPEN_STATUSES,
    REOPEN_WITHIN,
    Refusal,
    Status,
    TargetState,
    after_patient_message,
    can_reopen,
    closes_at,
    find_ticket_number,
    safe_filename,
    sniff_type,
    staff_move,
    staff_moves,
    target_clock,
    ticket_number,
)

T = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # a resolution or start time in the explicit cases
US = timedelta(microseconds=1)

statuses = st.sampled_from(list(Status))
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))
content_types = st.sampled_from(list(EXTENSIONS))

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
SIGNATURES = (b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


# --- staff moves ---------------------------------------------------------------------------------


@given(statuses, statuses)
def test_a_staff_move_is_allowed_exactly_when_the_menu_offers_it(status, to):
    refusal = staff_move(status, to)

    assert (refusal is None) == (to in staff_moves(status))


@given(statuses)
def test_a_closed_ticket_accepts_no_move_at_all(to):
    assert staff_move(Status.CLOSED, to) == Refusal.CLOSED
    assert staff_moves(Status.CLOSED) == frozenset()


@given(statuses, statuses)
def test_a_refused_move_from_an_unclosed_ticket_is_not_allowed_rather_than_closed(status, to):
    assume(status != Status.CLOSED and to not in staff_moves(status))

    assert staff_move(status, to) == Refusal.NOT_ALLOWED


@given(statuses)
def test_staff_never_move_a_ticket_to_new_or_to_where_it_already_is(status):
    assert Status.NEW not in staff_moves(status)
    assert status not in staff_moves(status)


def test_a_resolved_ticket_can_be_taken_back_in_progress_or_closed_at_once():
    assert staff_move(Status.RESOLVED, Status.IN_PROGRESS) is None
    assert staff_move(Status.RESOLVED, Status.CLOSED) is None


def test_a_new_ticket_cannot_be_closed_without_being_resolved():
    assert staff_move(Status.NEW, Status.CLOSED) == Refusal.NOT_ALLOWED


def test_the_model_s_plain_strings_are_accepted():
    assert staff_move("resolved", "in_progress") is None
    assert staff_move("closed", "resolved") == Refusal.CLOSED
    assert staff_moves("waiting") == {Status.IN_PROGRESS, Status.RESOLVED}


def test_only_new_in_progress_and_waiting_are_open():
    assert OPEN_STATUSES == {Status.NEW, Status.IN_PROGRESS, Status.WAITING}


# --- reopening -----------------------------------------------------------------------------------


def test_a_resolved_ticket_can_be_reopened_until_one_microsecond_before_14_days():
    assert can_reopen(Status.RESOLVED, T, T + REOPEN_WITHIN - US) is True
    assert can_reopen(Status.RESOLVED, T, T + REOPEN_WITHIN) is False
    assert can_reopen(Status.RESOLVED, T, T) is True
    assert closes_at(T) == T + timedelta(days=14)


def test_a_resolved_ticket_without_a_resolution_time_cannot_be_reopened():
    assert can_reopen(Status.RESOLVED, None, T) is False


@given(st.sampled_from([s for s in Status if s != Status.RESOLVED]), moments, spans)
def test_only_resolved_tickets_can_be_reopened(status, resolved_at, elapsed):
    assert can_reopen(status, resolved_at, resolved_at + elapsed) is False


@given(moments, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)))
def test_reopening_is_possible_exactly_before_the_closing_time(resolved_at, elapsed):
    now = resolved_at + elapsed

    assert can_reopen(Status.RESOLVED, resolved_at, now) == (now < closes_at(resolved_at))


# --- a patient writes ----------------------------------------------------------------------------


def test_a_patient_message_puts_a_waiting_ticket_back_in_progress():
    assert after_patient_message(Status.WAITING, None, T) == Status.IN_PROGRESS


@pytest.mark.parametrize("status", [Status.NEW, Status.IN_PROGRESS])
def test_a_patient_message_leaves_a_new_or_in_progress_ticket_as_it_is(status):
    assert after_patient_message(status, None, T) == status


def test_a_patient_message_reopens_a_ticket_resolved_within_14_days():
    assert after_patient_message(Status.RESOLVED, T, T + REOPEN_WITHIN - US) == Status.IN_PROGRESS


def test_a_patient_message_on_a_ticket_resolved_14_days_ago_is_refused():
    assert after_patient_message(Status.RESOLVED, T, T + REOPEN_WITHIN) == Refusal.REOPEN_EXPIRED
    assert (
        after_patient_message(Status.RESOLVED, T, T + timedelta(days=30)) == Refusal.REOPEN_EXPIRED
    )


@given(moments | st.none(), moments)
def test_a_patient_message_on_a_closed_ticket_is_always_refused(resolved_at, now):
    assert after_patient_message(Status.CLOSED, resolved_at, now) == Refusal.CLOSED


@given(statuses, moments, spans)
def test_a_patient_message_never_resolves_closes_or_leaves_a_ticket_waiting(
    status, resolved_at, elapsed
):
    outcome = after_patient_message(status, resolved_at, resolved_at + elapsed)

    assert outcome in (Status.NEW, Status.IN_PROGRESS) or isinstance(outcome, Refusal)
    assert outcome != Status.NEW or status == Status.NEW


# --- response targets ----------------------------------------------------------------------------

TARGET = timedelta(hours=8)


def test_done_exactly_on_the_due_time_is_met_and_one_microsecond_later_missed():
    met = target_clock(T, T + TARGET, TARGET, T + timedelta(days=3))
    missed = target_clock(T, T + TARGET + US, TARGET, T + timedelta(days=3))

    assert (met.due, met.taken, met.state) == (T + TARGET, TARGET, TargetState.MET)
    assert (missed.taken, missed.state) == (TARGET + US, TargetState.MISSED)


def test_not_done_exactly_on_the_due_time_is_running_and_one_microsecond_later_overdue():
    running = target_clock(T, None, TARGET, T + TARGET)
    overdue = target_clock(T, None, TARGET, T + TARGET + US)

    assert (running.taken, running.state) == (TARGET, TargetState.RUNNING)
    assert (overdue.taken, overdue.state) == (TARGET + US, TargetState.OVERDUE)


def test_a_done_clock_ignores_now():
    assert (
        target_clock(T, T + timedelta(hours=1), TARGET, T + timedelta(days=9)).state
        == TargetState.MET
    )


@given(moments, st.timedeltas(min_value=-timedelta(days=2), max_value=timedelta(days=20)), spans)
def test_a_running_clock_never_shows_negative_time_taken(started, offset, target):
    clock = target_clock(started, None, target, started + offset)

    assert clock.taken >= timedelta(0)
    assert clock.due == started + target
    assert clock.state in (TargetState.RUNNING, TargetState.OVERDUE)


@given(
    moments,
    st.timedeltas(min_value=-timedelta(days=2), max_value=timedelta(days=20)),
    spans,
    moments,
)
@example(started=T, offset=-timedelta(seconds=1), target=TARGET, now=T)
def test_a_done_clock_never_shows_negative_time_taken(started, offset, target, now):
    """Timestamps written by different app servers may disagree by a little: a first response
    recorded a second "before" the ticket opened still took no time, not minus a second."""
    clock = target_clock(started, started + offset, target, now)

    assert clock.taken >= timedelta(0)
    assert clock.state in (TargetState.MET, TargetState.MISSED)


@given(moments, spans, spans, moments)
def test_a_done_clock_is_met_exactly_when_done_by_the_due_time(started, took, target, now):
    clock = target_clock(started, started + took, target, now)

    assert clock.taken == took
    assert (clock.state == TargetState.MET) == (took <= target)


# --- ticket numbers ------------------------------------------------------------------------------

years = st.integers(min_value=1000, max_value=9999)
serials = st.integers(min_value=0, max_value=10**9)
# Surrounding text that does not glue word characters onto the number (the regex's \b).
not_word = st.characters().filter(lambda ch: re.fullmatch(r"\w", ch) is None)


def test_a_ticket_number_has_the_year_and_a_six_digit_serial():
    assert ticket_number(2026, 42) == "IKP-2026-000042"
    assert ticket_number(2026, 1234567) == "IKP-2026-1234567"


@given(years, serials)
def test_a_ticket_number_is_found_again(year, serial):
    assert find_ticket_number(ticket_number(year, serial)) == (year, serial)


@given(years, serials, st.text(), not_word, not_word, st.text())
def test_a_ticket_number_is_found_inside_any_text(year, serial, before, left, right, after):
    """Any text may surround it as long as a non-word character separates them; only an
    earlier number in the text would win."""
    prefix = before + left
    assume(find_ticket_number(prefix) is None)

    assert find_ticket_number(prefix + ticket_number(year, serial) + right + after) == (
        year,
        serial,
    )


@pytest.mark.parametrize(
    "subject",
    [
        "Re: [IKP-2026-000042]",
        "Re: [IKP-2026-000042] Odpowiedź z ikp-pomoc",
        "Fwd: re: [ikp-2026-000042] zgłoszenie",
        "IKP-2026-000042",
        "(IKP-2026-000042).",
        "Zgłoszenie:IKP-2026-000042, pilne",
    ],
)
def test_the_number_is_found_in_reply_subjects_in_any_case(subject):
    assert find_ticket_number(subject) == (2026, 42)


@pytest.mark.parametrize(
    "text",
    [
        "IKP-26-42",  # short forms are not ticket numbers
        "IKP-2026-42",
        "XIKP-2026-000042",  # no word boundary before IKP: part of another token
        "_IKP-2026-000042",  # "_" is a word character too
        "żIKP-2026-000042",  # so is a Polish letter (\b is Unicode-aware)
        "IKP-2026-000042X",  # nor after the serial
        "IKP-20260-000042",
        "",
        None,
    ],
)
def test_look_alikes_are_not_ticket_numbers(text):
    assert find_ticket_number(text) is None


@pytest.mark.parametrize("digits", [4301, 5000])
def test_an_absurdly_long_serial_is_not_a_ticket_number(digits):
    """What is searched comes from anyone (the desk's search box takes any length): Python
    refuses to turn more than 4300 digits into an int, which must not become a 500."""
    assert find_ticket_number("IKP-2026-" + "9" * digits) is None


@given(st.text(alphabet="IKPikp-0123456789 []", max_size=200))
def test_finding_a_number_never_fails_on_any_subject(text):
    found = find_ticket_number(text)

    assert found is None or (0 <= found[0] <= 9999 and found[1] >= 0)
    assert found is None or f"ikp-{found[0]:04d}-" in text.lower()


def test_the_first_of_two_numbers_wins():
    assert find_ticket_number("Re: IKP-2025-000007 / IKP-2026-000042") == (2025, 7)


# --- what an attachment really is ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")],
)
def test_the_three_accepted_types_are_recognised_by_their_signature(head, expected):
    assert sniff_type(head) == expected
    assert sniff_type(head[:16]) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",  # a Windows EXE
        b"Hello, this is a text file",
        b"",
        b"%PDF",  # a truncated signature
        b"\x89PNG",
        b" %PDF-1.7",  # the signature must come first
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04",  # a ZIP (or .docx)
    ],
)
def test_anything_else_has_no_type(head):
    assert sniff_type(head) is None


@given(st.binary(max_size=64))
def test_bytes_not_starting_with_a_signature_have_no_type(data):
    assume(not data.startswith(SIGNATURES))

    assert sniff_type(data) is None


@given(
    st.sampled_from(
        list(zip(SIGNATURES, ["application/pdf", "image/jpeg", "image/png"], strict=True))
    ),
    st.binary(),
)
def test_a_signature_decides_whatever_follows(signature_and_type, rest):
    signature, content_type = signature_and_type

    assert sniff_type(signature + rest) == content_type


@given(st.text(max_size=300), content_types)
@example(name="a..b.pdf", content_type="application/pdf")
@example(name="x" * 79 + ".." + "y.pdf", content_type="application/pdf")
@example(name="../../etc/passwd", content_type="image/png")
@example(name="C:\\Users\\anna\\..\\skan.pdf", content_type="image/jpeg")
def test_a_safe_filename_has_no_path_and_the_real_extension(name, content_type):
    safe = safe_filename(name, content_type)

    assert "/" not in safe and "\\" not in safe
    assert ".." not in safe
    assert safe.endswith("." + EXTENSIONS[content_type])
    stem = safe.removesuffix("." + EXTENSIONS[content_type])
    assert stem and not stem.startswith((".", " ")) and not stem.endswith((".", " "))
    assert len(safe) <= 84  # 80 for the stem: well within Attachment.name (100)
    assert all(ch.isprintable() for ch in safe)


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("scan.pdf", "image/png", "scan.png"),
        ("skan dowodu.PDF", "application/pdf", "skan dowodu.pdf"),
        ("zdjęcie.jpeg", "image/jpeg", "zdjęcie.jpg"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\anna\\skan.png", "image/png", "skan.png"),
        ("a.tar.gz", "image/png", "a.tar.png"),
        (".pdf", "application/pdf", "attachment.pdf"),
        ("", "image/jpeg", "attachment.jpg"),
        ("$(rm -rf ~);.pdf", "application/pdf", "rm -rf.pdf"),
        ("a\x00b\nc.png", "image/png", "a_b_c.png"),
    ],
)
def test_safe_filename_examples(name, content_type, expected):
    assert safe_filename(name, content_type) == expected


def test_a_long_name_is_cut_to_80_characters_before_the_extension():
    assert safe_filename("a" * 300 + ".pdf", "application/pdf") == "a" * 80 + ".pdf"
