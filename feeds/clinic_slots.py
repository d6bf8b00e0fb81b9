"""The `clinic-slots` feed (DESIGN.md, "Feeds"): clinics publish and withdraw vaccination terms.

A line is either a published term {"slot_id", "clinic_code", "clinic_name", "city", "address",
"vaccine", "starts_at" (with a UTC offset), "duration_minutes"} or a withdrawal {"slot_id",
"withdrawn": true}. msgspec decodes and validates a line in C; storing is set-based SQL from
the staging table:
- clinics are upserted by code, named as the latest line of the file names them, and get the
  doses the immunization feed recorded under their code while it was unknown;
- a new slot_id becomes a Slot; a known one with a new clinic, time or duration is moved,
  unless a child is booked on it (quarantined "slot_booked": the clinic must withdraw it, so
  that the parent is told, and publish a new term);
- a withdrawal sets withdrawn_at; `apply` then cancels the booking on it and queues the
  parent's e-mail (vaccinations.services.cancel_bookings_of_withdrawn) in the same transaction.
A withdrawal is final: a later line publishing the same slot_id again is set aside.
A start more than vaccinations.rules.SLOT_HORIZON_MONTHS from today (ahead or back) is set
aside as a typo; a past start within it is stored, and never offered.
The feed only touches slots it published (source "feed"), never those of clinic staff.
"""

from datetime import date, datetime
from typing import Annotated

import msgspec
from django.db.models import Q
from django.utils import timezone

from feeds.kinds import LineProblem
from feeds.lines import copyable, decode
from feeds.steps import run_store_steps
from vaccinations.rules import SLOT_HORIZON_MONTHS, slot_horizon

SLOTS_LOCK = 4_711_002  # pg_advisory_xact_lock key: one clinic-slots store at a time

SlotId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]  # Slot.slot_id
ClinicCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]  # Clinic.code
VaccineCode = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]  # Vaccine.code
# ISO 8601 (the contract), parsed by datetime.fromisoformat: msgspec's RFC 3339 would refuse
# e.g. "2026-05-04T10:30+02:00", a valid ISO 8601 time without seconds.
IsoTime = Annotated[str, msgspec.Meta(min_length=10, max_length=40)]
Minutes = Annotated[int, msgspec.Meta(ge=5, le=240)]

# Lengths of the model columns (vaccinations/models.py): a longer value would fail the INSERT
# and with it the whole file, so it is refused per line instead.
TEXT_LIMITS = {"clinic_name": 200, "city": 100, "address": 200}


class Head(msgspec.Struct):
    """What every line has: its slot_id, and whether it withdraws the slot."""

    slot_id: SlotId
    withdrawn: bool = False


class Published(msgspec.Struct):
    slot_id: SlotId
    clinic_code: ClinicCode
    clinic_name: str
    city: str
    address: str
    vaccine: VaccineCode
    starts_at: IsoTime
    duration_minutes: Minutes


_head = msgspec.json.Decoder(Head)
_published = msgspec.json.Decoder(Published)


def collate_as(model_label: str, field: str) -> str:
    """The COLLATE clause of a model column ("app.Model"), for staging columns joined with it:
    under another collation PostgreSQL cannot use the column's index (a scan per file)."""
    from django.apps import apps

    collation = apps.get_model(model_label)._meta.get_field(field).db_collation
    return f'COLLATE "{collation or "default"}"'


def staging_columns() -> str:
    slot_id = collate_as("vaccinations.Slot", "slot_id")
    clinic = collate_as("vaccinations.Clinic", "code")
    vaccine = collate_as("vaccinations.Vaccine", "code")
    return (
        f"line_number integer, slot_id text {slot_id}, withdrawn boolean,"
        f" clinic_code text {clinic}, clinic_name text, city text, address text,"
        f" vaccine text {vaccine}, starts_at timestamptz, duration_minutes integer"
    )


def parse_line(line: bytes, number: int, today: date) -> tuple:
    return copyable(line, _parse_line(line, number, today))


def _text(value: str, field: str, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise LineProblem(f"invalid_field: {field} is empty")
    if len(value) > TEXT_LIMITS[field]:
        raise LineProblem(f"invalid_field: {field} is longer than {TEXT_LIMITS[field]} characters")
    return value


def _aware(value: str, today: date) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise LineProblem("invalid_field: starts_at is not an ISO 8601 time") from None
    if moment.utcoffset() is None:  # a naive time: which hour it means cannot be known
        raise LineProblem("invalid_field: starts_at has no UTC offset") from None
    # Judged on the line's own day, before any conversion: near year 1 or 9999 converting to
    # UTC can leave the years a datetime (and psycopg, reading the column back) can hold.
    # The offset's few hours do not matter against a horizon of years.
    earliest, latest = slot_horizon(today)
    if moment.date() > latest:
        raise LineProblem(
            f"invalid_field: starts_at is more than {SLOT_HORIZON_MONTHS} months ahead"
        )
    if moment.date() < earliest:
        raise LineProblem(
            f"invalid_field: starts_at is more than {SLOT_HORIZON_MONTHS} months in the past"
        )
    return moment


def _parse_line(line: bytes, number: int, today: date) -> tuple:
    head = decode(_head, line)
    if head.withdrawn:
        return (number, head.slot_id, True, None, None, None, None, None, None, None)
    slot = decode(_published, line)
    return (
        number, slot.slot_id, False, slot.clinic_code, _text(slot.clinic_name, "clinic_name"),
        _text(slot.city, "city"), _text(slot.address, "address", required=False), slot.vaccine,
        _aware(slot.starts_at, today), slot.duration_minutes,
    )  # fmt: skip


# --- storing ---------------------------------------------------------------------------------------
# Each check moves the lines it refuses from the staging table to `clinic_slots_refused`; what
# is left is stored. `clinic_slots_changed` collects the lines that changed something.


def _refuse(condition: str, reason_sql: str, using: str = "") -> str:
    return f"""
WITH gone AS (DELETE FROM clinic_slots_staging s {using} WHERE {condition} RETURNING s.*)
INSERT INTO clinic_slots_refused SELECT line_number, {reason_sql} FROM gone
"""


_UNKNOWN_VACCINE = _refuse(
    "NOT s.withdrawn AND NOT EXISTS (SELECT 1 FROM vaccinations_vaccine v WHERE v.code = s.vaccine)",
    "'unknown_vaccine: ' || vaccine",
)

_STAFF_SLOT = _refuse(
    "EXISTS (SELECT 1 FROM vaccinations_slot t WHERE t.slot_id = s.slot_id AND t.source <> 'feed')",
    "'id_conflict: slot_id belongs to a term published by clinic staff'",
)

# A withdrawal is final: publishing the same slot_id after it (later in this file, or over a
# slot already withdrawn, unless the line only repeats what is stored) is set aside. Two
# statements, each a join: an OR of the two would be run as a scan of the staging table per line.
_WITHDRAWN = "'slot_withdrawn: this slot_id was withdrawn; publish the term under a new slot_id'"

_PUBLISHED_AFTER_WITHDRAWAL_LINE = _refuse(
    "NOT s.withdrawn AND w.slot_id = s.slot_id AND w.line_number < s.line_number",
    _WITHDRAWN,
    using="""USING (SELECT slot_id, min(line_number) AS line_number FROM clinic_slots_staging
                    WHERE withdrawn GROUP BY slot_id) w""",
)

_PUBLISHED_OVER_WITHDRAWN_SLOT = _refuse(
    """NOT s.withdrawn AND EXISTS (
        SELECT 1 FROM vaccinations_slot t
        JOIN vaccinations_clinic c ON c.id = t.clinic_id
        JOIN vaccinations_vaccine v ON v.id = t.vaccine_id
        WHERE t.slot_id = s.slot_id AND t.withdrawn_at IS NOT NULL
          AND (c.code, v.code, t.starts_at, t.duration_minutes)
              IS DISTINCT FROM (s.clinic_code, s.vaccine, s.starts_at, s.duration_minutes))""",
    _WITHDRAWN,
)

_UNKNOWN_SLOT = _refuse(
    """s.withdrawn
    AND NOT EXISTS (SELECT 1 FROM vaccinations_slot t WHERE t.slot_id = s.slot_id)
    AND NOT EXISTS (SELECT 1 FROM clinic_slots_staging p WHERE NOT p.withdrawn AND p.slot_id = s.slot_id)""",
    "'unknown_slot: no term with this slot_id was published'",
)

# The latest publishing line of each slot_id is the one that counts; earlier ones are spent.
_EFFECTIVE = """
CREATE TEMP TABLE clinic_slots_effective ON COMMIT DROP AS
SELECT DISTINCT ON (slot_id) * FROM clinic_slots_staging WHERE NOT withdrawn
ORDER BY slot_id, line_number DESC;
ANALYZE clinic_slots_effective;
"""

# Bookers lock the slot row before they book (vaccinations.services.appointment_book): holding
# the rows this file names, the checks below see every booking that got there first.
_LOCK_SLOTS = """
SELECT t.id FROM vaccinations_slot t
WHERE t.slot_id IN (SELECT slot_id FROM clinic_slots_staging)
ORDER BY t.id FOR UPDATE
"""


def _refuse_effective(condition: str, reason: str) -> str:
    return f"""
WITH gone AS (
    DELETE FROM clinic_slots_effective e USING vaccinations_slot t
    JOIN vaccinations_clinic c ON c.id = t.clinic_id JOIN vaccinations_vaccine v ON v.id = t.vaccine_id
    WHERE t.slot_id = e.slot_id AND t.withdrawn_at IS NULL AND {condition}
    RETURNING e.line_number)
INSERT INTO clinic_slots_refused SELECT line_number, '{reason}' FROM gone
"""


_VACCINE_CHANGED = _refuse_effective(
    "v.code <> e.vaccine", "id_conflict: slot_id already published for another vaccine"
)

_MOVED_WHILE_BOOKED = _refuse_effective(
    """(c.code, t.starts_at, t.duration_minutes) IS DISTINCT FROM (e.clinic_code, e.starts_at, e.duration_minutes)
    AND EXISTS (SELECT 1 FROM vaccinations_appointment a WHERE a.slot_id = t.id AND a.status = 'booked')""",
    "slot_booked: a child is booked on this term; withdraw it and publish a new one",
)

# Clinics: one row per code, named as the latest line says.
_UPSERT_CLINICS = """
WITH latest AS (
    SELECT DISTINCT ON (clinic_code) line_number, clinic_code, clinic_name, city, address
    FROM clinic_slots_effective ORDER BY clinic_code, line_number DESC
), upserted AS (
    INSERT INTO vaccinations_clinic AS c (public_id, code, name, city, address)
    SELECT gen_random_uuid(), clinic_code, clinic_name, city, address FROM latest
    ORDER BY clinic_code
    ON CONFLICT (code) DO UPDATE
        SET name = EXCLUDED.name, city = EXCLUDED.city, address = EXCLUDED.address
        WHERE (c.name, c.city, c.address) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.city, EXCLUDED.address)
    RETURNING c.id, c.code
)
INSERT INTO clinic_slots_changed
SELECT l.line_number FROM upserted u JOIN latest l ON l.clinic_code = u.code
"""


def _link_doses() -> str:
    """A clinic this file names gets the doses the immunization feed recorded under its code
    before the portal knew it: the statement admin runs for a clinic it creates or recodes
    (vaccinations.services.clinic_link_doses), one definition for both. A separate statement
    after the upsert, so that it sees the clinics the upsert inserted."""
    from vaccinations.services import link_doses_sql

    return link_doses_sql("SELECT clinic_code FROM clinic_slots_effective")


_INSERT_SLOTS = """
WITH inserted AS (
    INSERT INTO vaccinations_slot
        (public_id, slot_id, clinic_id, vaccine_id, starts_at, duration_minutes, source, created_at)
    SELECT gen_random_uuid(), e.slot_id, c.id, v.id, e.starts_at, e.duration_minutes, 'feed', now()
    FROM clinic_slots_effective e
    JOIN vaccinations_clinic c ON c.code = e.clinic_code
    JOIN vaccinations_vaccine v ON v.code = e.vaccine
    ORDER BY e.line_number
    ON CONFLICT (slot_id) DO NOTHING
    RETURNING slot_id
)
INSERT INTO clinic_slots_changed
SELECT e.line_number FROM inserted i JOIN clinic_slots_effective e ON e.slot_id = i.slot_id
"""

# Booked slots were refused above; the NOT EXISTS only keeps this statement safe on its own.
_MOVE_SLOTS = """
WITH moved AS (
    UPDATE vaccinations_slot t
    SET clinic_id = c.id, starts_at = e.starts_at, duration_minutes = e.duration_minutes
    FROM clinic_slots_effective e JOIN vaccinations_clinic c ON c.code = e.clinic_code
    WHERE t.slot_id = e.slot_id AND t.source = 'feed' AND t.withdrawn_at IS NULL
      AND (t.clinic_id, t.starts_at, t.duration_minutes) IS DISTINCT FROM (c.id, e.starts_at, e.duration_minutes)
      AND NOT EXISTS (SELECT 1 FROM vaccinations_appointment a WHERE a.slot_id = t.id AND a.status = 'booked')
    RETURNING t.slot_id
)
INSERT INTO clinic_slots_changed
SELECT e.line_number FROM moved m JOIN clinic_slots_effective e ON e.slot_id = m.slot_id
"""

_WITHDRAW_SLOTS = """
WITH withdrawal AS (
    SELECT DISTINCT ON (slot_id) line_number, slot_id FROM clinic_slots_staging
    WHERE withdrawn ORDER BY slot_id, line_number
), withdrawn AS (
    UPDATE vaccinations_slot t SET withdrawn_at = now()
    FROM withdrawal w
    WHERE t.slot_id = w.slot_id AND t.source = 'feed' AND t.withdrawn_at IS NULL
    RETURNING t.slot_id
)
INSERT INTO clinic_slots_changed
SELECT w.line_number FROM withdrawn d JOIN withdrawal w ON w.slot_id = d.slot_id
"""

# Booked appointments are few (the partial index one_booking_per_slot holds them): finding those
# on withdrawn slots costs little, and also catches a run that stored without applying.
_BOOKED_ON_WITHDRAWN = """
SELECT DISTINCT t.slot_id FROM vaccinations_appointment a
JOIN vaccinations_slot t ON t.id = a.slot_id
WHERE a.status = 'booked' AND t.withdrawn_at IS NOT NULL
"""

# In this order: the checks on single lines, then those against the stored slots (locked), then
# the writes; clinics before the slots that name them. store() runs _link_doses() last.
_STORE_STEPS = (
    _UNKNOWN_VACCINE, _STAFF_SLOT, _PUBLISHED_AFTER_WITHDRAWAL_LINE, _PUBLISHED_OVER_WITHDRAWN_SLOT,
    _UNKNOWN_SLOT, _EFFECTIVE,
    _LOCK_SLOTS, _VACCINE_CHANGED, _MOVED_WHILE_BOOKED,
    _UPSERT_CLINICS, _INSERT_SLOTS, _MOVE_SLOTS, _WITHDRAW_SLOTS,
)  # fmt: skip


class ClinicSlots:
    name = "clinic-slots"
    staging_table = "clinic_slots_staging"
    copy_sql = "COPY clinic_slots_staging FROM STDIN"

    parse_line = staticmethod(parse_line)

    @property
    def staging_ddl(self) -> str:
        return f"CREATE TEMP TABLE clinic_slots_staging ({staging_columns()}) ON COMMIT DROP"

    def store(
        self, cursor, feed_file_id: int | None, *, apply: bool
    ) -> tuple[int, list[tuple[int, str]]]:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SLOTS_LOCK])
        cursor.execute("ANALYZE clinic_slots_staging")
        accepted, refused = run_store_steps(cursor, "clinic_slots", (*_STORE_STEPS, _link_doses()))
        cursor.execute("DROP TABLE clinic_slots_effective")  # ON COMMIT DROP does not fire in tests
        return accepted, refused

    def apply(self, cursor, *, today: date) -> int:
        """Cancel the bookings on withdrawn slots; each booker's e-mail goes after commit."""
        from vaccinations.services import cancel_bookings_of_withdrawn

        cursor.execute(_BOOKED_ON_WITHDRAWN)
        slot_ids = [slot_id for (slot_id,) in cursor.fetchall()]
        if not slot_ids:
            return 0
        return len(cancel_bookings_of_withdrawn(Q(slot_id__in=slot_ids), timezone.now()))
