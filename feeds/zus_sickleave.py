"""The `zus-sickleave` feed (DESIGN.md, "Feeds"): e-ZLA, electronic sick leaves, from ZUS.

A line is {"series_number", "pesel", "issued_on", "period_from", "period_to", "kind",
"cared_person_pesel", "indication", "employer_nip", "doctor_name", "status"}. msgspec decodes
and validates it in C; PESELs, the NIP and the dates are checked here:
- care kinds (child_care, family_care) require a valid cared_person_pesel, not the employee's
  own; own_illness must leave it absent or empty (a PESEL there is a mistake of the sender);
- employer_nip is 10 digits with the NIP check digit;
- period_to is not before period_from, and issued_on is not in the future.

Storing is set-based SQL from the staging table:
- a series_number new to us becomes a SickLeave of the employee with that PESEL (none: set
  aside as "unknown_person", for staff to run again once the person exists). The cared person
  is kept by PESEL always, and linked when the portal knows them (now or at a later `apply`);
- the same series_number with status "cancelled" and otherwise the same facts cancels the leave
  (cancelled_at = when the cancellation arrived). A cancellation of a leave not received yet
  stores it as cancelled: the line carries every fact;
- a cancelled leave is never issued again: an "issued" line for it is "id_conflict", unless it
  is a line of a file ingested before that was not set aside then (a replay: nothing);
- any other change of content is "id_conflict".
"""

import functools
from datetime import date
from typing import Annotated, Literal

import msgspec

from feeds.clinic_slots import collate_as
from feeds.kinds import LineProblem
from feeds.lines import copyable, decode, valid_pesel
from feeds.steps import run_store_steps, unknown_person_step

LEAVES_LOCK = 4_711_005  # pg_advisory_xact_lock key: one zus-sickleave store at a time

SeriesNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]  # SickLeave.series_number
Pesel = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]  # the checksum is checked below
Nip = Annotated[str, msgspec.Meta(max_length=20)]  # the format and check digit are checked below
Kind = Literal["own_illness", "child_care", "family_care"]
CARE_KINDS = frozenset({"child_care", "family_care"})
DOCTOR_NAME_LIMIT = 200  # SickLeave.doctor_name

_ZERO = ord("0")


class SickLeaveLine(msgspec.Struct):
    series_number: SeriesNumber
    pesel: Pesel
    issued_on: date
    period_from: date
    period_to: date
    kind: Kind
    indication: Literal["must_lie", "may_walk"]
    employer_nip: Nip
    doctor_name: str
    status: Literal["issued", "cancelled"]
    cared_person_pesel: str | None = None


_decoder = msgspec.json.Decoder(SickLeaveLine)


@functools.lru_cache(maxsize=65_536)  # a day of e-ZLA names the same employers again and again
def nip_problem(value: str) -> str | None:
    """Why `value` is not a NIP ("format", "checksum"), or None when it is one."""
    if len(value) != 10 or not (value.isascii() and value.isdigit()):
        return "format"
    c = value.encode()  # ASCII codes: each is its digit + 48, and the weights add up to 45
    total = (
        6 * c[0]
        + 5 * c[1]
        + 7 * c[2]
        + 2 * c[3]
        + 3 * c[4]
        + 4 * c[5]
        + 5 * c[6]
        + 6 * c[7]
        + 7 * c[8]
    )
    check = (total - 45 * _ZERO) % 11
    # A remainder of 10 has no check digit: no NIP is issued with those nine digits.
    return None if check == c[9] - _ZERO else "checksum"


def staging_columns() -> str:
    pesel = collate_as("accounts.Person", "pesel")
    return (
        f"line_number integer, series_number text {collate_as('sickleaves.SickLeave', 'series_number')},"
        f" pesel text {pesel}, issued_on date, period_from date, period_to date, kind text,"
        f" cared_person_pesel text {pesel}, indication text, employer_nip text, doctor_name text,"
        " status text"
    )


def parse_line(line: bytes, number: int, today: date) -> tuple:
    return copyable(line, _parse_line(line, number, today))


def _cared_person(leave: SickLeaveLine, employee: str, today: date) -> str:
    """The cared person's PESEL for a care leave; "" for the employee's own illness."""
    given = (leave.cared_person_pesel or "").strip()
    if leave.kind not in CARE_KINDS:
        if given:
            raise LineProblem("invalid_field: cared_person_pesel is only for care leaves")
        return ""
    if not given:
        raise LineProblem(f"invalid_field: cared_person_pesel is required for {leave.kind}")
    cared = valid_pesel(given, "cared_person_pesel", today).pesel
    if cared == employee:
        raise LineProblem("same_person: cared_person_pesel = pesel")
    return cared


def _parse_line(line: bytes, number: int, today: date) -> tuple:
    leave = decode(_decoder, line)
    employee = valid_pesel(leave.pesel, "pesel", today).pesel
    cared = _cared_person(leave, employee, today)
    if problem := nip_problem(leave.employer_nip):
        raise LineProblem(f"invalid_nip: employer_nip ({problem})")
    if leave.period_to < leave.period_from:
        raise LineProblem("invalid_field: period_to is before period_from")
    if leave.issued_on > today:
        raise LineProblem("invalid_field: issued_on is in the future")
    doctor = leave.doctor_name.strip()
    if not doctor:
        raise LineProblem("invalid_field: doctor_name is empty")
    if len(doctor) > DOCTOR_NAME_LIMIT:
        raise LineProblem(
            f"invalid_field: doctor_name is longer than {DOCTOR_NAME_LIMIT} characters"
        )
    return (
        number, leave.series_number, employee, leave.issued_on, leave.period_from, leave.period_to,
        leave.kind, cared, leave.indication, leave.employer_nip, doctor, leave.status,
    )  # fmt: skip


# --- storing ---------------------------------------------------------------------------------------
# Lines refused after staging go to `zus_sickleave_refused` (and leave the staging table);
# `zus_sickleave_changed` collects the lines that stored or cancelled a leave.

_UNKNOWN_PERSON = unknown_person_step("zus_sickleave")

# A leave new to us is stored from its first line in the file, as issued or as cancelled; the
# later lines with its series_number are judged below, as lines of a later file are.
_INSERT = """
WITH first_line AS (
    SELECT DISTINCT ON (series_number) * FROM zus_sickleave_staging s
    WHERE NOT EXISTS (SELECT 1 FROM sickleaves_sickleave l WHERE l.series_number = s.series_number)
    ORDER BY series_number, line_number
), inserted AS (
    INSERT INTO sickleaves_sickleave
        (public_id, series_number, person_id, issued_on, period_from, period_to, kind,
         cared_person_pesel, cared_person_id, indication, employer_nip, doctor_name, status,
         received_at, cancelled_at, feed_file_id, line_number)
    SELECT gen_random_uuid(), f.series_number, p.id, f.issued_on, f.period_from, f.period_to,
           f.kind, f.cared_person_pesel, c.id, f.indication, f.employer_nip, f.doctor_name,
           f.status, now(), CASE WHEN f.status = 'cancelled' THEN now() END,
           %(feed_file)s, f.line_number
    FROM first_line f
    JOIN accounts_person p ON p.pesel = f.pesel
    LEFT JOIN accounts_person c ON c.pesel = f.cared_person_pesel
    ORDER BY f.line_number
    ON CONFLICT (series_number) DO NOTHING
    RETURNING line_number
)
INSERT INTO zus_sickleave_changed SELECT line_number FROM inserted
"""

_ID_CONFLICT = """
WITH gone AS (
    DELETE FROM zus_sickleave_staging s
    USING sickleaves_sickleave l JOIN accounts_person p ON p.id = l.person_id
    WHERE l.series_number = s.series_number
      AND (p.pesel, l.issued_on, l.period_from, l.period_to, l.kind, l.cared_person_pesel,
           l.indication, l.employer_nip, l.doctor_name)
          IS DISTINCT FROM
          (s.pesel, s.issued_on, s.period_from, s.period_to, s.kind, s.cared_person_pesel,
           s.indication, s.employer_nip, s.doctor_name)
    RETURNING s.line_number
)
INSERT INTO zus_sickleave_refused
SELECT line_number, 'id_conflict: series_number already received with other content' FROM gone
"""

_REISSUED = "'id_conflict: series_number was cancelled and cannot be issued again'"

# Issued again after its cancellation further up the same file.
_ISSUED_AFTER_CANCELLING_LINE = f"""
WITH gone AS (
    DELETE FROM zus_sickleave_staging s
    USING (SELECT series_number, min(line_number) AS line_number FROM zus_sickleave_staging
           WHERE status = 'cancelled' GROUP BY series_number) c
    WHERE s.status = 'issued' AND c.series_number = s.series_number AND c.line_number < s.line_number
    RETURNING s.line_number
)
INSERT INTO zus_sickleave_refused SELECT line_number, {_REISSUED} FROM gone
"""

# Issued again over a stored cancelled leave. A file ingested before is sent again: each of its
# lines that was not set aside then was judged when it came first (a replay of what was then
# true) and changes nothing now, so re-ingesting any file stays harmless. No clock is compared.
_ISSUED_OVER_CANCELLED_LEAVE = f"""
WITH gone AS (
    DELETE FROM zus_sickleave_staging s USING sickleaves_sickleave l
    WHERE s.status = 'issued' AND l.series_number = s.series_number AND l.status = 'cancelled'
      AND NOT EXISTS (
          SELECT 1 FROM feeds_feedfile this JOIN feeds_feedfile earlier ON earlier.sha256 = this.sha256
          WHERE this.id = %(feed_file)s AND earlier.id <> this.id AND earlier.finished_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM feeds_quarantinedline q
                            WHERE q.file_sha256 = this.sha256 AND q.line_number = s.line_number))
    RETURNING s.line_number
)
INSERT INTO zus_sickleave_refused SELECT line_number, {_REISSUED} FROM gone
"""

# The first cancelling line of each leave still issued counts as the change.
_CANCEL = """
WITH cancelling AS (
    SELECT DISTINCT ON (series_number) line_number, series_number FROM zus_sickleave_staging
    WHERE status = 'cancelled' ORDER BY series_number, line_number
), cancelled AS (
    UPDATE sickleaves_sickleave l SET status = 'cancelled', cancelled_at = now()
    FROM cancelling c
    WHERE l.series_number = c.series_number AND l.status = 'issued'
    RETURNING l.series_number
)
INSERT INTO zus_sickleave_changed
SELECT c.line_number FROM cancelled d JOIN cancelling c ON c.series_number = d.series_number
"""

# In this order: people, new leaves, then the checks of every other line against what is
# stored (the new leaves included), then cancellations (after the re-issue checks, which look
# at the status before this file).
_STORE_STEPS = (
    _UNKNOWN_PERSON, _INSERT, _ID_CONFLICT, _ISSUED_AFTER_CANCELLING_LINE,
    _ISSUED_OVER_CANCELLED_LEAVE, _CANCEL,
)  # fmt: skip

# A cared person the portal came to know after their leave was stored (the zus-insurance feed
# registers children later, for instance): link them, so that the view can show their name to
# whoever may see them.
_LINK_CARED_PEOPLE = """
UPDATE sickleaves_sickleave l SET cared_person_id = p.id
FROM accounts_person p
WHERE l.cared_person_id IS NULL AND l.cared_person_pesel <> '' AND p.pesel = l.cared_person_pesel
"""


class ZusSickLeaves:
    name = "zus-sickleave"
    staging_table = "zus_sickleave_staging"
    copy_sql = "COPY zus_sickleave_staging FROM STDIN"

    parse_line = staticmethod(parse_line)

    @property
    def staging_ddl(self) -> str:
        return f"CREATE TEMP TABLE zus_sickleave_staging ({staging_columns()}) ON COMMIT DROP"

    def store(
        self, cursor, feed_file_id: int | None, *, apply: bool
    ) -> tuple[int, list[tuple[int, str]]]:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEAVES_LOCK])
        # Statistics of the columns joined and grouped on only: sampling every column of a
        # 100,000-line file costs half a second.
        cursor.execute(
            "ANALYZE zus_sickleave_staging (series_number, pesel, cared_person_pesel, status)"
        )
        accepted, refused = run_store_steps(
            cursor, "zus_sickleave", _STORE_STEPS, {"feed_file": feed_file_id}
        )
        return accepted, refused

    def apply(self, cursor, *, today: date) -> int:
        cursor.execute(_LINK_CARED_PEOPLE)
        return cursor.rowcount
