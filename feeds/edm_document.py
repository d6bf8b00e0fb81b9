"""The `edm-document` feed (DESIGN.md, "Feeds"): medical documents the facilities enter into EDM.

A line is {"document_id", "pesel", "type", "title", "issued_at", "facility_name",
"author_name", "body"}. msgspec decodes and validates it in C; the PESEL and `issued_at` are
checked here. `issued_at` is a day ("YYYY-MM-DD", stored as midnight in Warsaw) or an ISO 8601
time with a UTC offset (a naive time is set aside: which hour it means cannot be known). The
body may be long (up to the runner's line limit) and is stored as sent.

Storing is set-based SQL from the staging table:
- a document_id new to us becomes a Document of the person with that PESEL (none: set aside as
  "unknown_person", for staff to run again once the person exists);
- a known document_id with the same content is a duplicate and changes nothing; with other
  content it is set aside as "id_conflict" (a document is never rewritten by the feed).
There is nothing to apply: a stored document is shown as it is.
"""

import re
from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec

from feeds.clinic_slots import collate_as
from feeds.kinds import LineProblem
from feeds.lines import copyable, decode, valid_pesel
from feeds.steps import run_store_steps, unknown_person_step

DOCUMENTS_LOCK = 4_711_004  # pg_advisory_xact_lock key: one edm-document store at a time

# The contract's days are Polish days: a date-only issued_at means midnight in Warsaw.
WARSAW = ZoneInfo("Europe/Warsaw")
_DAY = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
)  # fromisoformat also takes "20260504", "2026-W18-1"

DocumentId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]  # Document.document_id
Pesel = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]  # the checksum is checked below
IsoTime = Annotated[str, msgspec.Meta(min_length=10, max_length=40)]
DocumentType = Literal[
    "diagnostic_report",
    "lab_result",
    "referral_information",
    "discharge_summary",
    "admission_refusal",
]

# Lengths of the model columns (records/models.py): a longer value would fail the INSERT and
# with it the whole file, so it is refused per line instead.
TEXT_LIMITS = {"title": 300, "facility_name": 300, "author_name": 200}


class EdmDocument(msgspec.Struct):
    document_id: DocumentId
    pesel: Pesel
    type: DocumentType
    title: str
    issued_at: IsoTime
    facility_name: str
    author_name: str
    body: str


_decoder = msgspec.json.Decoder(EdmDocument)


def staging_columns() -> str:
    return (
        f"line_number integer, document_id text {collate_as('records.Document', 'document_id')},"
        f" pesel text {collate_as('accounts.Person', 'pesel')}, type text, title text,"
        " issued_at timestamptz, facility_name text, author_name text, body text"
    )


def parse_line(line: bytes, number: int, today: date) -> tuple:
    return copyable(line, _parse_line(line, number, today))


def _text(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise LineProblem(f"invalid_field: {field} is empty")
    if len(value) > TEXT_LIMITS[field]:
        raise LineProblem(f"invalid_field: {field} is longer than {TEXT_LIMITS[field]} characters")
    return value


def issued_moment(value: str) -> datetime:
    """An aware time from "YYYY-MM-DD" (midnight in Warsaw) or ISO 8601 with a UTC offset."""
    if _DAY.fullmatch(value):
        try:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=WARSAW)
        except ValueError:
            raise LineProblem("invalid_field: issued_at is not a valid day") from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise LineProblem("invalid_field: issued_at is not an ISO 8601 day or time") from None
    if moment.utcoffset() is None:
        raise LineProblem("invalid_field: issued_at has no UTC offset")
    return moment


def _parse_line(line: bytes, number: int, today: date) -> tuple:
    document = decode(_decoder, line)
    person = valid_pesel(document.pesel, "pesel", today)
    issued_at = issued_moment(document.issued_at)
    try:
        issued_on = issued_at.astimezone(WARSAW).date()
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00: past the last year a datetime holds
        raise LineProblem("invalid_field: issued_at is out of range") from None
    if issued_on > today:
        raise LineProblem("invalid_field: issued_at is in the future")
    if issued_on < person.birth_date:
        raise LineProblem("invalid_field: issued_at is before the birth date")
    if not document.body.strip():
        raise LineProblem("invalid_field: body is empty")
    return (
        number, document.document_id, person.pesel, document.type,
        _text(document.title, "title"), issued_at, _text(document.facility_name, "facility_name"),
        _text(document.author_name, "author_name"), document.body,
    )  # fmt: skip


# --- storing ---------------------------------------------------------------------------------------
# Lines refused after staging go to `edm_document_refused` (and leave the staging table);
# `edm_document_changed` collects the lines that stored something.

_UNKNOWN_PERSON = unknown_person_step("edm_document")

# A document new to us is stored from its first line in the file; the later lines with its id
# are compared with it just below, as lines of a later file are.
_INSERT = """
WITH first_line AS (
    SELECT DISTINCT ON (document_id) * FROM edm_document_staging s
    WHERE NOT EXISTS (SELECT 1 FROM records_document d WHERE d.document_id = s.document_id)
    ORDER BY document_id, line_number
), inserted AS (
    INSERT INTO records_document
        (public_id, document_id, person_id, type, title, issued_at, facility_name, author_name,
         body, received_at, feed_file_id, line_number)
    SELECT gen_random_uuid(), f.document_id, p.id, f.type, f.title, f.issued_at, f.facility_name,
           f.author_name, f.body, now(), %(feed_file)s, f.line_number
    FROM first_line f JOIN accounts_person p ON p.pesel = f.pesel
    ORDER BY f.line_number
    ON CONFLICT (document_id) DO NOTHING
    RETURNING line_number
)
INSERT INTO edm_document_changed SELECT line_number FROM inserted
"""

# The lines that stored a document just now are settled: the check below need not compare them
# (bodies and all) with themselves.
_SETTLED = """
DELETE FROM edm_document_staging s USING edm_document_changed c WHERE c.line_number = s.line_number
"""

_ID_CONFLICT = """
WITH gone AS (
    DELETE FROM edm_document_staging s
    USING records_document d JOIN accounts_person p ON p.id = d.person_id
    WHERE d.document_id = s.document_id
      AND (p.pesel, d.type, d.title, d.issued_at, d.facility_name, d.author_name, d.body)
          IS DISTINCT FROM
          (s.pesel, s.type, s.title, s.issued_at, s.facility_name, s.author_name, s.body)
    RETURNING s.line_number
)
INSERT INTO edm_document_refused
SELECT line_number, 'id_conflict: document_id already received with other content' FROM gone
"""

_STORE_STEPS = (_UNKNOWN_PERSON, _INSERT, _SETTLED, _ID_CONFLICT)


class EdmDocuments:
    name = "edm-document"
    staging_table = "edm_document_staging"
    copy_sql = "COPY edm_document_staging FROM STDIN"

    parse_line = staticmethod(parse_line)

    @property
    def staging_ddl(self) -> str:
        return f"CREATE TEMP TABLE edm_document_staging ({staging_columns()}) ON COMMIT DROP"

    def store(
        self, cursor, feed_file_id: int | None, *, apply: bool
    ) -> tuple[int, list[tuple[int, str]]]:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DOCUMENTS_LOCK])
        # Statistics of the joined columns only: sampling the bodies would cost more than it tells.
        cursor.execute("ANALYZE edm_document_staging (document_id, pesel)")
        accepted, refused = run_store_steps(
            cursor, "edm_document", _STORE_STEPS, {"feed_file": feed_file_id}
        )
        return accepted, refused

    def apply(self, cursor, *, today: date) -> int:
        return 0  # a stored document is complete: nothing derives from it
