"""The `zus-insurance` feed (DESIGN.md, "Feeds"): family-member coverages and own titles.

Lines are decoded and validated by msgspec (types, required keys, dates) in C; PESELs are
checked here. Storing is one INSERT … SELECT from staging; applying is guardianship/sync.py.
"""

from datetime import date
from typing import Annotated, Literal

import msgspec

from feeds.kinds import LineProblem
from feeds.lines import copyable, decode, valid_pesel

EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Pesel = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]  # the checksum is checked below
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Title = Literal["apprenticeship", "juvenile_employment", "nursing_allowance", "family_pension"]


class Registered(msgspec.Struct, tag_field="type", tag="family_member_registered"):
    event_id: EventId
    insured_pesel: Pesel
    insured_first_name: Name
    insured_surname: Name
    member_pesel: Pesel
    member_first_name: Name
    member_surname: Name
    valid_from: date
    reported_on: date


class Deregistered(msgspec.Struct, tag_field="type", tag="family_member_deregistered"):
    event_id: EventId
    insured_pesel: Pesel
    member_pesel: Pesel
    valid_to: date
    reported_on: date


class OwnTitleStarted(msgspec.Struct, tag_field="type", tag="own_title_started"):
    event_id: EventId
    pesel: Pesel
    title: Title
    valid_from: date
    reported_on: date


class OwnTitleEnded(msgspec.Struct, tag_field="type", tag="own_title_ended"):
    event_id: EventId
    pesel: Pesel
    title: Title
    valid_to: date
    reported_on: date


class Cancelled(msgspec.Struct, tag_field="type", tag="event_cancelled"):
    event_id: EventId
    cancels_event_id: EventId
    reported_on: date


_decoder = msgspec.json.Decoder(
    Registered | Deregistered | OwnTitleStarted | OwnTitleEnded | Cancelled
)

# Identifier columns in the "C" collation, as the tables they are joined with (models.py).
STAGING_COLUMNS = (
    'line_number integer, event_id text COLLATE "C", type text, insured_pesel text COLLATE "C",'
    ' person_pesel text COLLATE "C", title text COLLATE "C",'
    ' valid_from date, valid_to date, reported_on date, cancels_event_id text COLLATE "C",'
    " insured_first_name text, insured_surname text, insured_birth_date date, insured_sex text,"
    " member_first_name text, member_surname text, member_birth_date date, member_sex text"
)


def parse_line(line: bytes, number: int, today: date) -> tuple:
    return copyable(line, _parse_line(line, number, today))


def _parse_line(line: bytes, number: int, today: date) -> tuple:
    event = decode(_decoder, line)
    match event:
        case Registered():
            insured = valid_pesel(event.insured_pesel, "insured_pesel", today)
            member = valid_pesel(event.member_pesel, "member_pesel", today)
            if insured.pesel == member.pesel:
                raise LineProblem("same_person: insured_pesel = member_pesel")
            return (
                number, event.event_id, "family_member_registered", insured.pesel, member.pesel, "",
                event.valid_from, None, event.reported_on, "",
                event.insured_first_name.strip(), event.insured_surname.strip(), insured.birth_date, insured.sex,
                event.member_first_name.strip(), event.member_surname.strip(), member.birth_date, member.sex,
            )  # fmt: skip
        case Deregistered():
            insured = valid_pesel(event.insured_pesel, "insured_pesel", today)
            member = valid_pesel(event.member_pesel, "member_pesel", today)
            if insured.pesel == member.pesel:
                raise LineProblem("same_person: insured_pesel = member_pesel")
            return (
                number, event.event_id, "family_member_deregistered", insured.pesel, member.pesel, "",
                None, event.valid_to, event.reported_on, "", None, None, None, None, None, None, None, None,
            )  # fmt: skip
        case OwnTitleStarted() | OwnTitleEnded():
            holder = valid_pesel(event.pesel, "pesel", today)
            started = isinstance(event, OwnTitleStarted)
            return (
                number, event.event_id, "own_title_started" if started else "own_title_ended", "", holder.pesel,
                event.title, event.valid_from if started else None, None if started else event.valid_to,
                event.reported_on, "", None, None, None, None, None, None, None, None,
            )  # fmt: skip
        case Cancelled():
            if event.cancels_event_id == event.event_id:
                raise LineProblem("self_cancel: cancels_event_id = event_id")
            return (
                number, event.event_id, "event_cancelled", "", "", "", None, None, event.reported_on,
                event.cancels_event_id, None, None, None, None, None, None, None, None,
            )  # fmt: skip
    raise LineProblem("invalid_field: unknown type")  # unreachable: the decoder knows every tag


# People named by registrations become Persons (a name is never overwritten); a trigger-tracked
# table, so this is one INSERT for the whole file.
_STORE_PEOPLE = """
INSERT INTO accounts_person (public_id, pesel, first_name, surname, birth_date, sex)
SELECT gen_random_uuid(), pesel, first_name, surname, birth_date, sex FROM (
    SELECT DISTINCT ON (pesel) pesel, first_name, surname, birth_date, sex FROM (
        SELECT line_number, insured_pesel AS pesel, insured_first_name AS first_name,
               insured_surname AS surname, insured_birth_date AS birth_date, insured_sex AS sex
        FROM zus_insurance_staging WHERE type = 'family_member_registered'
        UNION ALL
        SELECT line_number, person_pesel, member_first_name, member_surname, member_birth_date, member_sex
        FROM zus_insurance_staging WHERE type = 'family_member_registered'
    ) named
    WHERE NOT EXISTS (SELECT 1 FROM accounts_person p WHERE p.pesel = named.pesel)
    ORDER BY pesel, line_number
) fresh
ON CONFLICT (pesel) DO NOTHING
"""

# Stored once by event_id; within a file the first line with an id wins. Applied in the same
# transaction (so stored as applied), except when the caller only stores, and except a
# cancellation whose target has not arrived: that one waits. What is stored now goes to
# `applying` for guardianship.sync.apply_events.
_STORE_EVENTS = """
WITH stored AS (
    INSERT INTO guardianship_insuranceevent
        (event_id, type, insured_pesel, person_pesel, title, valid_from, valid_to, reported_on,
         cancels_event_id, feed_file_id, line_number, received_at, applied_at)
    SELECT event_id, type, insured_pesel, person_pesel, title, valid_from, valid_to, reported_on,
           cancels_event_id, %(feed_file)s, line_number, now(),
           CASE WHEN %(apply)s THEN now() END
    FROM zus_insurance_staging s
    ORDER BY line_number
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id, event_id, type, insured_pesel, person_pesel, title, cancels_event_id, applied_at
)
INSERT INTO applying
SELECT id, event_id, type, insured_pesel, person_pesel, title, cancels_event_id FROM stored
"""

_WAITING_CANCELLATIONS = """
UPDATE guardianship_insuranceevent e SET applied_at = NULL
FROM applying a
WHERE e.id = a.id AND a.type = 'event_cancelled'
  AND NOT EXISTS (SELECT 1 FROM guardianship_insuranceevent t WHERE t.event_id = a.cancels_event_id)
"""

# A known id arriving with different content is not a duplicate but a conflict: set aside.
_CONFLICTS = """
SELECT s.line_number FROM zus_insurance_staging s
JOIN guardianship_insuranceevent e ON e.event_id = s.event_id
WHERE (e.type, e.insured_pesel, e.person_pesel, e.title, e.valid_from, e.valid_to, e.reported_on,
       e.cancels_event_id)
      IS DISTINCT FROM
      (s.type, s.insured_pesel, s.person_pesel, s.title, s.valid_from, s.valid_to, s.reported_on,
       s.cancels_event_id)
ORDER BY s.line_number
"""


class ZusInsurance:
    name = "zus-insurance"
    staging_table = "zus_insurance_staging"
    staging_ddl = f"CREATE TEMP TABLE zus_insurance_staging ({STAGING_COLUMNS}) ON COMMIT DROP"
    copy_sql = "COPY zus_insurance_staging FROM STDIN"

    parse_line = staticmethod(parse_line)

    def store(
        self, cursor, feed_file_id: int | None, *, apply: bool
    ) -> tuple[int, list[tuple[int, str]]]:
        from guardianship.sync import APPLYING_DDL

        cursor.execute("ANALYZE zus_insurance_staging")
        cursor.execute(_STORE_PEOPLE)
        cursor.execute(APPLYING_DDL)
        cursor.execute(_STORE_EVENTS, {"feed_file": feed_file_id, "apply": apply})
        accepted = cursor.rowcount
        if apply:
            # A cancellation whose target has not arrived (in any file) waits: one index probe
            # per cancellation stored now, rather than a scan of the staging table each.
            cursor.execute(_WAITING_CANCELLATIONS)
        if not apply:
            # Nothing will read it; ON COMMIT DROP does not fire inside an enclosing transaction
            # (tests), where the next apply would find the table still there.
            cursor.execute("DROP TABLE applying")
        cursor.execute("SELECT count(*) FROM zus_insurance_staging")
        (staged,) = cursor.fetchone()
        conflicts = []
        if accepted < staged:  # some ids were known already: check they are true duplicates
            cursor.execute(_CONFLICTS)
            conflicts = [
                (n, "id_conflict: event_id already received with other content")
                for (n,) in cursor.fetchall()
            ]
        return accepted, conflicts

    def apply(self, cursor, *, today: date) -> int:
        from guardianship.sync import apply_events

        return apply_events(cursor, today=today)
