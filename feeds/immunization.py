"""The `immunization` feed (DESIGN.md, "Feeds"): doses given, as the clinics report them.

A line is {"record_id", "pesel", "vaccine", "dose_number", "administered_on", "clinic_code",
"visit_status": "completed" | "open"}. msgspec decodes and validates it in C and the PESEL is
checked here; storing is set-based SQL from the staging table:
- a new record_id becomes an Immunization of the person with that PESEL (none: set aside as
  "unknown_person", for staff to run again once the person exists); an unknown clinic code is
  kept as given, without a clinic;
- the same dose (person, vaccine, dose number) under another record_id is "duplicate_dose";
- a known record_id may only close its visit (open → completed, which sets closed_at): the
  visit status only moves forward, so an older "open" line sent again changes nothing, in
  whatever order files arrive; any other change of content is "id_conflict".
`apply` marks done the booked appointments a recorded dose was given at (as
vaccinations.services.immunization_record does).
"""

from datetime import date
from typing import Annotated, Literal

import msgspec
from django.conf import settings

from feeds.clinic_slots import collate_as
from feeds.kinds import LineProblem
from feeds.lines import copyable, decode, valid_pesel
from feeds.steps import run_store_steps

DOSES_LOCK = 4_711_003  # pg_advisory_xact_lock key: one immunization store at a time

RecordId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]  # Immunization.record_id
Pesel = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]  # the checksum is checked below
VaccineCode = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]  # Vaccine.code
ClinicCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]  # Immunization.clinic_code
DoseNumber = Annotated[int, msgspec.Meta(ge=1, le=10)]


class Dose(msgspec.Struct):
    record_id: RecordId
    pesel: Pesel
    vaccine: VaccineCode
    dose_number: DoseNumber
    administered_on: date
    clinic_code: ClinicCode
    visit_status: Literal["completed", "open"]


_decoder = msgspec.json.Decoder(Dose)


def staging_columns() -> str:
    return (
        f"line_number integer, record_id text {collate_as('vaccinations.Immunization', 'record_id')},"
        f" pesel text {collate_as('accounts.Person', 'pesel')},"
        f" vaccine text {collate_as('vaccinations.Vaccine', 'code')}, dose_number integer,"
        f" administered_on date, clinic_code text {collate_as('vaccinations.Clinic', 'code')},"
        " visit_status text, person_id bigint, vaccine_id bigint, clinic_id bigint"
    )


def parse_line(line: bytes, number: int, today: date) -> tuple:
    return copyable(line, _parse_line(line, number, today))


def _parse_line(line: bytes, number: int, today: date) -> tuple:
    dose = decode(_decoder, line)
    person = valid_pesel(dose.pesel, "pesel", today)
    # Staff cannot record a dose in the future either (services.immunization_record).
    if dose.administered_on > today:
        raise LineProblem("invalid_field: administered_on is in the future")
    if dose.administered_on < person.birth_date:
        raise LineProblem("invalid_field: administered_on is before the birth date")
    return (
        number, dose.record_id, person.pesel, dose.vaccine, dose.dose_number,
        dose.administered_on, dose.clinic_code, dose.visit_status,
    )  # fmt: skip


# --- storing ---------------------------------------------------------------------------------------
# Lines refused after staging go to `immunization_refused` (and leave the staging table);
# `immunization_changed` counts the lines that changed something.

# One statement for the three look-ups, each an index probe.
_RESOLVE = """
UPDATE immunization_staging s SET
    person_id = (SELECT p.id FROM accounts_person p WHERE p.pesel = s.pesel),
    vaccine_id = (SELECT v.id FROM vaccinations_vaccine v WHERE v.code = s.vaccine),
    clinic_id = (SELECT c.id FROM vaccinations_clinic c WHERE c.code = s.clinic_code)
"""

# The PESEL stays out of the reason: the sync monitor lists reasons (only a line's own page
# shows its raw text).
_UNKNOWN = """
WITH gone AS (
    DELETE FROM immunization_staging WHERE vaccine_id IS NULL OR person_id IS NULL
    RETURNING line_number, vaccine, vaccine_id
)
INSERT INTO immunization_refused
SELECT line_number, CASE WHEN vaccine_id IS NULL THEN 'unknown_vaccine: ' || vaccine
                         ELSE 'unknown_person: no person with this PESEL yet' END
FROM gone
"""

# Bookers lock the child's row first (services.appointment_book), and so does staff recording a
# dose: holding the rows of the people named here, this file's doses and theirs never cross.
_LOCK_PEOPLE = """
SELECT p.id FROM accounts_person p
WHERE p.id IN (SELECT person_id FROM immunization_staging)
ORDER BY p.id FOR NO KEY UPDATE
"""

# A record new to us is stored from its first line; ON CONFLICT DO NOTHING leaves out a dose
# already recorded under another record_id (found just below as duplicate_dose).
_INSERT = """
WITH first_line AS (
    SELECT DISTINCT ON (record_id) * FROM immunization_staging s
    WHERE NOT EXISTS (SELECT 1 FROM vaccinations_immunization i WHERE i.record_id = s.record_id)
    ORDER BY record_id, line_number
), inserted AS (
    INSERT INTO vaccinations_immunization
        (public_id, record_id, person_id, vaccine_id, dose_number, administered_on, clinic_code,
         clinic_id, visit_status, closed_at, recorded_at)
    SELECT gen_random_uuid(), record_id, person_id, vaccine_id, dose_number, administered_on,
           clinic_code, clinic_id, visit_status,
           CASE WHEN visit_status = 'completed' THEN now() END, now()
    FROM first_line ORDER BY line_number
    ON CONFLICT DO NOTHING
    RETURNING record_id
)
INSERT INTO immunization_changed
SELECT f.line_number FROM inserted i JOIN first_line f ON f.record_id = i.record_id
"""

_DUPLICATE_DOSE = """
WITH gone AS (
    DELETE FROM immunization_staging s
    WHERE NOT EXISTS (SELECT 1 FROM vaccinations_immunization i WHERE i.record_id = s.record_id)
    RETURNING line_number
)
INSERT INTO immunization_refused
SELECT line_number, 'duplicate_dose: this dose is already recorded under another record_id' FROM gone
"""

_ID_CONFLICT = """
WITH gone AS (
    DELETE FROM immunization_staging s USING vaccinations_immunization i
    WHERE i.record_id = s.record_id
      AND (i.person_id, i.vaccine_id, i.dose_number, i.administered_on, i.clinic_code)
          IS DISTINCT FROM (s.person_id, s.vaccine_id, s.dose_number, s.administered_on, s.clinic_code)
    RETURNING s.line_number
)
INSERT INTO immunization_refused
SELECT line_number, 'id_conflict: record_id already received with other content' FROM gone
"""

# Closing a visit through the feed. The first closing line of a record counts as the change.
_CLOSE_VISITS = """
WITH closing AS (
    SELECT DISTINCT ON (record_id) line_number, record_id FROM immunization_staging s
    WHERE visit_status = 'completed' ORDER BY record_id, line_number
), closed AS (
    UPDATE vaccinations_immunization i SET visit_status = 'completed', closed_at = now()
    FROM closing c
    WHERE i.record_id = c.record_id AND i.visit_status = 'open'
    RETURNING i.record_id
)
INSERT INTO immunization_changed
SELECT c.line_number FROM closed d JOIN closing c ON c.record_id = d.record_id
"""

_STORE_STEPS = (
    _RESOLVE,
    _UNKNOWN,
    _LOCK_PEOPLE,
    _INSERT,
    _DUPLICATE_DOSE,
    _ID_CONFLICT,
    _CLOSE_VISITS,
)

# The appointment a dose was given at is done: it no longer blocks the next booking. Booked
# appointments are few (the partial index one_booking_per_child_vaccine holds them), so all are
# checked, which also catches a run that stored without applying.
_APPOINTMENTS_DONE = """
UPDATE vaccinations_appointment a SET status = 'done'
FROM vaccinations_slot t
WHERE a.status = 'booked' AND t.id = a.slot_id
  AND EXISTS (SELECT 1 FROM vaccinations_immunization i
              WHERE i.person_id = a.child_id AND i.vaccine_id = a.vaccine_id
                AND i.administered_on >= (t.starts_at AT TIME ZONE %s)::date)
"""


class Immunizations:
    name = "immunization"
    staging_table = "immunization_staging"
    copy_sql = (
        "COPY immunization_staging (line_number, record_id, pesel, vaccine, dose_number,"
        " administered_on, clinic_code, visit_status) FROM STDIN"
    )

    parse_line = staticmethod(parse_line)

    @property
    def staging_ddl(self) -> str:
        return f"CREATE TEMP TABLE immunization_staging ({staging_columns()}) ON COMMIT DROP"

    def store(
        self, cursor, feed_file_id: int | None, *, apply: bool
    ) -> tuple[int, list[tuple[int, str]]]:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DOSES_LOCK])
        cursor.execute("ANALYZE immunization_staging")
        accepted, refused = run_store_steps(cursor, "immunization", _STORE_STEPS)
        return accepted, refused

    def apply(self, cursor, *, today: date) -> int:
        cursor.execute(_APPOINTMENTS_DONE, [settings.TIME_ZONE])
        return cursor.rowcount
