"""Fuzzing the feeds (issue #7, point 3): every kind's parser and the one runner fed malformed,
oversized and hostile input.

Two levels:
- each kind's `parse_line` on arbitrary bytes, arbitrary JSON objects and valid lines with one
  value replaced: the answer is a row COPY can take or a LineProblem with a known reason code,
  never another exception (many examples: it costs microseconds);
- whole files of 10,000 lines through `ingest_file` on PostgreSQL, for each kind: valid lines
  (built as the kinds' own tests build them) mixed with malformed JSON, wrong types, missing
  keys, oversized values (long strings, lines past the runner's limit, deep nesting, huge
  numbers), hostile bytes (NUL, invalid UTF-8, control characters), blank lines and CRLF; the
  valid lines carry hostile text (SQL, HTML, RTL overrides, COPY escapes) that must be stored
  as sent. Every bad line must be quarantined with its number and a reason, every valid line
  accepted, the same file again must change nothing, and a file of garbage must not remove
  anything already accepted.

Hypothesis draws what varies (the mix, the seed of the line generator, the hostile texts and
bytes); a seeded generator turns that into 10,000 lines (hypothesis itself would not build a
10,000-element example within its buffer). Few examples per kind and `derandomize=True`: the
run is bounded in time and the same on every CI run.
"""

import itertools
import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from accounts.models import Person
from accounts.rules import build_pesel
from feeds.kinds import LineProblem, get_kind, kind_names
from feeds.models import FeedFile, QuarantinedLine
from feeds.runner import MAX_LINE_BYTES, RAW_KEPT_CHARS, file_sha256, ingest_file
from guardianship.models import AccessNotice, AutomaticGuardian, Coverage, InsuranceEvent, OwnTitle
from records.models import Document
from sickleaves.models import SickLeave
from tests.insurance_feed import TITLES, People, deregistered, own_title_started, registered
from vaccinations.models import Appointment, Clinic, Immunization, Slot

LINES = 10_000
WARSAW = ZoneInfo("Europe/Warsaw")

# Every reason code a kind or the runner gives (the staff page translates them).
REASON_CODES = frozenset({
    "invalid_json", "invalid_field", "invalid_pesel", "invalid_nip", "same_person", "self_cancel",
    "too_long", "unknown_person", "unknown_vaccine", "unknown_slot", "id_conflict",
    "duplicate_dose", "slot_withdrawn", "slot_booked",
})  # fmt: skip
PARSE_CODES = frozenset({"invalid_json", "invalid_field"})

# Text that is valid content and must be stored exactly as sent (after the kinds' own strip).
HOSTILE_TEXT = [
    "Robert'); DROP TABLE accounts_person;--",
    "' OR '1'='1' --",
    "1; SELECT pg_sleep(10)",
    "<script>alert(document.cookie)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request.user.password }}{% debug %}",
    "\u202egpj.exe",  # RTL override
    "\u200f\u202a\u2066Żółć\u2069",
    "\\N",  # COPY's NULL marker
    "\\.",  # COPY's end-of-data marker
    "tab\there\\tand\\nnot a newline",
    "Zażółć gęślą jaźń — ZAŻÓŁĆ",
    "👨‍👩‍👧 e\u0301\u0301\u0301",
    "%s%s%n%x",
    "${jndi:ldap://example.test/a}",
    "\ufeffBOM",
    "\u2028line\u2029separator",
]

# --- hypothesis: what varies between examples ------------------------------------------------

hostile_texts = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=80)
mixes = st.fixed_dictionaries({
    "seed": st.integers(min_value=0, max_value=2**32 - 1),
    "valid_percent": st.integers(min_value=25, max_value=70),
    "blank_percent": st.integers(min_value=0, max_value=5),
    "crlf_percent": st.integers(min_value=0, max_value=100),
    "texts": st.lists(hostile_texts, min_size=3, max_size=12),
    "blobs": st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=8),
    "trailing_newline": st.booleans(),
})  # fmt: skip

FILE_FUZZ = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: a failing file is reported with the mix that made it (shrinking 10,000-line
    # files would take minutes).
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the database is shared by the examples: each uses fresh ids
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
PARSER_FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- generated lines -------------------------------------------------------------------------


@dataclass
class Line:
    """One generated line and what the runner must make of it."""

    data: bytes  # without its line terminator
    expect: str  # "accept", "duplicate", "blank" or "bad"
    codes: frozenset = frozenset()  # for "bad": the reason codes it may be given
    secret: str = ""  # a PESEL its reason must not repeat
    source: dict | None = None  # for "accept" and "duplicate": the line before encoding


def accept(line: dict, *, ascii_json: bool = True) -> Line:
    return Line(encode(line, ascii_json), "accept", source=line)


def bad(line: dict | bytes, *codes: str, secret: str = "", ascii_json: bool = True) -> Line:
    data = line if isinstance(line, bytes) else encode(line, ascii_json)
    return Line(data, "bad", frozenset(codes), secret)


def encode(line: dict, ascii_json: bool = True) -> bytes:
    return json.dumps(line, ensure_ascii=ascii_json).encode()


_serial = itertools.count(1)
_people = People(seed=20261107, first_serial=600)  # distinct PESELs across every example


def new_people(rng: random.Random, count: int, *, born_from: date, born_to: date) -> list[Person]:
    """`count` new Persons with valid PESELs, in one INSERT."""
    span = (born_to - born_from).days
    made = [
        _people.make(born=born_from + timedelta(days=rng.randrange(span)), sex=rng.choice("FM"))
        for _ in range(count)
    ]
    Person.objects.bulk_create(
        [
            Person(pesel=p.pesel, first_name=p.first_name, surname=p.surname,
                   birth_date=p.birth_date, sex=p.sex)
            for p in made
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    return list(Person.objects.filter(pesel__in=[p.pesel for p in made]))


def unknown_pesel(rng: random.Random) -> str:
    """A valid PESEL of nobody the portal knows."""
    return _people.make(born=date(1940, 1, 1) + timedelta(days=rng.randrange(3000))).pesel


def broken_pesel(pesel: str) -> str:
    """The same PESEL with a wrong check digit."""
    return pesel[:10] + str((int(pesel[10]) + 1) % 10)


def valid_nip(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        check = sum(w * d for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), digits, strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


class Texts:
    """Hostile but valid text for free-text fields: the drawn texts, never empty after strip,
    without NUL (PostgreSQL text cannot hold it: that case is a bad line of its own)."""

    def __init__(self, rng: random.Random, drawn: list[str]):
        self.rng = rng
        self.pool = [t.replace("\x00", "") for t in drawn + HOSTILE_TEXT]

    def __call__(self, limit: int) -> str:
        return ("Ż" + self.rng.choice(self.pool))[:limit]


# --- the kinds -------------------------------------------------------------------------------


class KindFuzz:
    """What the generic generator needs of a kind. `fields`: the required keys of a valid line
    (as `valid` builds it) and their type; `limits`: the longest a string field may be."""

    name: str
    fields: dict[str, str]
    limits: dict[str, int]

    def __init__(self, rng: random.Random, texts: Texts, prefix: str):
        self.rng, self.text, self.prefix = rng, texts, prefix
        self.today = timezone.localdate()

    def prepare(self, valid_count: int) -> None:
        """Create what valid lines refer to (people, a staff slot)."""

    def valid(self, n: int) -> dict:
        raise NotImplementedError

    def tail(self, originals: list[dict]) -> list[Line]:
        """Lines that must come after the originals: follow-ups (accepted), and conflicts with
        them (bad). Resends are added by the generator."""
        return []

    def resendable(self, line: dict) -> bool:
        return True

    def refused(self) -> Line:
        """A line that parses but the kind refuses when storing (anywhere in the file)."""
        raise NotImplementedError

    def semantic_bad(self, template: dict) -> Line:
        """A well-typed line the parser refuses (a PESEL, a date, a rule)."""
        raise NotImplementedError

    def garbage_conflicts(self, accepted: list[dict]) -> list[Line]:
        """Bad lines naming what is already stored (for the garbage file)."""
        return []

    def state(self) -> dict:
        raise NotImplementedError

    def assert_stored_as_sent(self, accepted: list[dict]) -> None:
        raise NotImplementedError

    def day_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange(max(1, (end - start).days + 1)))


def fingerprint(*models) -> dict[str, tuple[int, int]]:
    """Each model's table as (row count, sum of a hash of every whole row), computed in
    PostgreSQL: two fingerprints differ when anything was added, removed or changed."""
    result = {}
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(f"SELECT count(*), coalesce(sum(hashtext(t::text)), 0) FROM {table} t")
            result[table] = cursor.fetchone()
    return result


class ZusInsuranceFuzz(KindFuzz):
    name = "zus-insurance"
    fields: ClassVar[dict[str, str]] = {
        "event_id": "str", "type": "enum", "insured_pesel": "str", "insured_first_name": "str",
        "insured_surname": "str", "member_pesel": "str", "member_first_name": "str",
        "member_surname": "str", "valid_from": "date", "reported_on": "date",
    }  # fmt: skip
    limits: ClassVar[dict[str, int]] = {
        "event_id": 100, "insured_pesel": 20, "member_pesel": 20, "insured_first_name": 100,
        "insured_surname": 100, "member_first_name": 100, "member_surname": 100,
    }  # fmt: skip

    def prepare(self, valid_count: int) -> None:
        self.insured = [self._person(1960, 2000) for _ in range(max(1, valid_count // 4))]

    def _person(self, first_year: int, last_year: int):
        born = self.day_between(date(first_year, 1, 1), date(last_year, 12, 31))
        return _people.make(born=born, first_name=self.text(100), surname=self.text(100))

    def valid(self, n: int) -> dict:
        event_id = f"{self.prefix}-{n}"
        if self.rng.random() < 0.1:
            holder = self._person(2005, 2010)
            return own_title_started(event_id, holder, title=self.rng.choice(TITLES),
                                     valid_from=self.day_between(date(2024, 1, 1), self.today))  # fmt: skip
        member = self._person(2008, 2025)
        start = self.day_between(member.birth_date, self.today)
        return registered(event_id, self.rng.choice(self.insured), member, valid_from=start)

    def tail(self, originals: list[dict]) -> list[Line]:
        out = []
        for n, line in enumerate(originals[: len(originals) // 20]):
            if line["type"] == "family_member_registered":
                out.append(accept(deregistered(
                    f"{self.prefix}-end-{n}", line["insured_pesel"], line["member_pesel"],
                    valid_to=self.today + timedelta(days=self.rng.randint(-30, 30)),
                )))  # fmt: skip
        for line in self.rng.sample(originals, len(originals) // 50):
            out.append(bad({**line, "reported_on": "2001-01-01"}, "id_conflict"))
        return out

    def refused(self) -> Line:
        # Every well-formed insurance line is stored: a cancellation of itself is the refusal.
        event_id = f"{self.prefix}-self-{next(_serial)}"
        line = {"event_id": event_id, "type": "event_cancelled", "cancels_event_id": event_id,
                "reported_on": str(self.today)}  # fmt: skip
        return bad(line, "self_cancel")

    def semantic_bad(self, template: dict) -> Line:
        if template["type"] != "family_member_registered":  # an own title: use a registration
            template = {**self.valid(0), "event_id": f"{self.prefix}-bad-{next(_serial)}"}
        choice = self.rng.randrange(3)
        if choice == 0:
            pesel = template["member_pesel"]
            return bad(
                {**template, "member_pesel": broken_pesel(pesel)}, "invalid_pesel", secret=pesel
            )
        if choice == 1:
            return bad({**template, "member_pesel": template["insured_pesel"]}, "same_person")
        future = self.today + timedelta(days=400)
        return bad(
            {**template, "insured_pesel": build_pesel(future, sex="F", serial=7)}, "invalid_pesel"
        )

    def garbage_conflicts(self, accepted: list[dict]) -> list[Line]:
        dated = [line for line in accepted if "valid_from" in line]  # registrations, own titles
        return [bad({**line, "valid_from": "1999-12-31"}, "id_conflict") for line in dated[:200]]

    def state(self) -> dict:
        return fingerprint(
            Person,
            InsuranceEvent,
            Coverage,
            OwnTitle,
            AutomaticGuardian,
            AccessNotice,
            QuarantinedLine,
        )

    def assert_stored_as_sent(self, accepted: list[dict]) -> None:
        expected = {}
        for line in accepted:
            if line["type"] == "family_member_registered":
                for role in ("insured", "member"):
                    expected.setdefault(line[f"{role}_pesel"], (
                        line[f"{role}_first_name"].strip(), line[f"{role}_surname"].strip()))  # fmt: skip
        people = Person.objects.filter(pesel__in=expected)
        stored = {
            pesel: (first, last)
            for pesel, first, last in people.values_list("pesel", "first_name", "surname")
        }
        assert stored == expected


class ClinicSlotsFuzz(KindFuzz):
    name = "clinic-slots"
    fields: ClassVar[dict[str, str]] = {
        "slot_id": "str", "clinic_code": "str", "clinic_name": "str", "city": "str",
        "address": "str", "vaccine": "str", "starts_at": "str", "duration_minutes": "int",
    }  # fmt: skip
    limits: ClassVar[dict[str, int]] = {
        "slot_id": 100, "clinic_code": 32, "clinic_name": 200, "city": 100, "address": 200,
        "vaccine": 16, "starts_at": 40,
    }  # fmt: skip

    def prepare(self, valid_count: int) -> None:
        from conftest import hpv9

        hpv9()
        self.clinics = [
            {"clinic_code": f"{self.prefix}-C{n}"[:32], "clinic_name": self.text(200),
             "city": self.text(100), "address": self.text(200) if n % 3 else ""}
            for n in range(8)
        ]  # fmt: skip
        staff = Clinic.objects.create(code=f"{self.prefix}-staff"[:32], name="Staff", city="Łódź")
        self.staff_slot = Slot.objects.create(
            slot_id=f"{self.prefix}-staff-slot", clinic=staff, vaccine=hpv9(),
            starts_at=timezone.now() + timedelta(days=3), source=Slot.Source.STAFF,
        )  # fmt: skip
        self.withdrawn_ids: set[str] = set()

    def _starts_at(self) -> str:
        moment = datetime.combine(
            self.today + timedelta(days=self.rng.randint(1, 90)),
            time(self.rng.randint(7, 18), self.rng.choice((0, 15, 30, 45))),
            tzinfo=self.rng.choice((WARSAW, ZoneInfo("UTC"), ZoneInfo("America/New_York"))),
        )
        return moment.isoformat(timespec=self.rng.choice(("minutes", "seconds")))

    def valid(self, n: int) -> dict:
        return {
            "slot_id": f"{self.prefix}-{n}", **self.rng.choice(self.clinics), "vaccine": "HPV9",
            "starts_at": self._starts_at(), "duration_minutes": self.rng.randint(5, 240),
        }  # fmt: skip

    def tail(self, originals: list[dict]) -> list[Line]:
        out = []
        for line in self.rng.sample(originals, len(originals) // 20):
            self.withdrawn_ids.add(line["slot_id"])
            out.append(accept({"slot_id": line["slot_id"], "withdrawn": True}))
        return out

    def resendable(self, line: dict) -> bool:
        return line.get("slot_id") not in self.withdrawn_ids

    def refused(self) -> Line:
        slot_id = f"{self.prefix}-refused-{next(_serial)}"
        choice = self.rng.randrange(3)
        if choice == 0:
            return bad(
                {**self.valid(0), "slot_id": slot_id, "vaccine": self.text(16)}, "unknown_vaccine"
            )
        if choice == 1:
            return bad({"slot_id": slot_id, "withdrawn": True}, "unknown_slot")
        return bad({**self.valid(0), "slot_id": self.staff_slot.slot_id}, "id_conflict")

    def semantic_bad(self, template: dict) -> Line:
        choice = self.rng.randrange(4)
        if choice == 0:
            return bad({**template, "starts_at": "2026-05-04T10:30:00"}, "invalid_field")  # naive
        if choice == 1:
            return bad({**template, "starts_at": "2026-02-30T10:30+01:00"}, "invalid_field")
        if choice == 2:
            return bad({**template, "clinic_name": " \t "}, "invalid_field")
        return bad(
            {**template, "duration_minutes": self.rng.choice((0, 4, 241, -15))}, "invalid_field"
        )

    def garbage_conflicts(self, accepted: list[dict]) -> list[Line]:
        return [
            bad({"slot_id": self.staff_slot.slot_id, "withdrawn": True}, "id_conflict"),
            *(bad({**line, "vaccine": "XXX"}, "unknown_vaccine") for line in accepted[:100] if "vaccine" in line),
        ]  # fmt: skip

    def state(self) -> dict:
        return fingerprint(Clinic, Slot, Appointment, QuarantinedLine)

    def assert_stored_as_sent(self, accepted: list[dict]) -> None:
        published = {line["slot_id"]: line for line in accepted if "clinic_code" in line}
        stored = {
            slot_id: (code, starts_at, minutes, withdrawn is not None)
            for slot_id, code, starts_at, minutes, withdrawn in Slot.objects.filter(
                slot_id__in=published
            ).values_list(
                "slot_id", "clinic__code", "starts_at", "duration_minutes", "withdrawn_at"
            )
        }
        assert stored == {
            slot_id: (line["clinic_code"], datetime.fromisoformat(line["starts_at"]),
                      line["duration_minutes"], slot_id in self.withdrawn_ids)
            for slot_id, line in published.items()
        }  # fmt: skip
        clinics = {c["clinic_code"]: c for c in self.clinics}
        assert {
            code: (name, city, address)
            for code, name, city, address in Clinic.objects.filter(code__in=clinics).values_list(
                "code", "name", "city", "address"
            )
        } == {
            code: (c["clinic_name"].strip(), c["city"].strip(), c["address"].strip())
            for code, c in clinics.items()
            if any(line["clinic_code"] == code for line in published.values())
        }


class ImmunizationFuzz(KindFuzz):
    name = "immunization"
    fields: ClassVar[dict[str, str]] = {
        "record_id": "str", "pesel": "str", "vaccine": "str", "dose_number": "int",
        "administered_on": "date", "clinic_code": "str", "visit_status": "enum",
    }  # fmt: skip
    limits: ClassVar[dict[str, int]] = {
        "record_id": 100,
        "pesel": 20,
        "vaccine": 16,
        "clinic_code": 32,
    }
    DOSES_EACH = 8  # dose numbers 1-8 are used; the duplicate_dose lines reuse them

    def prepare(self, valid_count: int) -> None:
        from conftest import hpv9

        hpv9()
        count = math.ceil(valid_count / self.DOSES_EACH) + 1
        self.people = new_people(
            self.rng, count, born_from=date(2005, 1, 1), born_to=date(2015, 12, 31)
        )
        self.clinic_codes = [self.text(32) for _ in range(5)] + ["POZ-KRK-1"]

    def valid(self, n: int) -> dict:
        person = self.people[n // self.DOSES_EACH]
        return {
            "record_id": f"{self.prefix}-{n}", "pesel": person.pesel, "vaccine": "HPV9",
            "dose_number": n % self.DOSES_EACH + 1,
            "administered_on": str(self.day_between(person.birth_date, self.today)),
            "clinic_code": self.rng.choice(self.clinic_codes),
            "visit_status": self.rng.choice(("completed", "open")),
        }  # fmt: skip

    def tail(self, originals: list[dict]) -> list[Line]:
        out = []
        for line in originals:
            if line["visit_status"] == "open" and self.rng.random() < 0.3:  # the visit is closed
                out.append(accept({**line, "visit_status": "completed"}))
        for line in self.rng.sample(originals, len(originals) // 50):
            out.append(bad({**line, "clinic_code": "OTHER"}, "id_conflict"))
            out.append(bad({**line, "record_id": line["record_id"] + "-again"}, "duplicate_dose"))
        return out

    def refused(self) -> Line:
        line = self.valid(0)
        if self.rng.random() < 0.5:
            pesel = unknown_pesel(self.rng)
            return bad({**line, "record_id": f"{self.prefix}-u{next(_serial)}", "pesel": pesel,
                        "administered_on": str(self.today)}, "unknown_person", secret=pesel)  # fmt: skip
        return bad(
            {**line, "record_id": f"{self.prefix}-v{next(_serial)}", "vaccine": "NOPE"},
            "unknown_vaccine",
        )

    def semantic_bad(self, template: dict) -> Line:
        person = next(p for p in self.people if p.pesel == template["pesel"])
        choice = self.rng.randrange(3)
        if choice == 0:
            return bad(
                {**template, "pesel": broken_pesel(person.pesel)},
                "invalid_pesel",
                secret=person.pesel,
            )
        if choice == 1:
            return bad(
                {**template, "administered_on": str(self.today + timedelta(days=1))},
                "invalid_field",
            )
        return bad(
            {**template, "administered_on": str(person.birth_date - timedelta(days=1))},
            "invalid_field",
        )

    def garbage_conflicts(self, accepted: list[dict]) -> list[Line]:
        return [bad({**line, "administered_on": str(self.today)}, "id_conflict") for line in accepted[:200]
                if line["administered_on"] != str(self.today)]  # fmt: skip

    def state(self) -> dict:
        return fingerprint(Immunization, Appointment, QuarantinedLine)

    def assert_stored_as_sent(self, accepted: list[dict]) -> None:
        expected = {}
        for line in accepted:
            first = expected.setdefault(line["record_id"], {**line})
            if line["visit_status"] == "completed":
                first["visit_status"] = "completed"
        stored = {
            row[0]: dict(zip(("record_id", "pesel", "vaccine", "dose_number", "administered_on",
                              "clinic_code", "visit_status"), (*row[:4], str(row[4]), *row[5:]), strict=True))
            for row in Immunization.objects.filter(record_id__in=expected).values_list(
                "record_id", "person__pesel", "vaccine__code", "dose_number", "administered_on",
                "clinic_code", "visit_status")
        }  # fmt: skip
        assert stored == expected


class EdmDocumentFuzz(KindFuzz):
    name = "edm-document"
    fields: ClassVar[dict[str, str]] = {
        "document_id": "str", "pesel": "str", "type": "enum", "title": "str", "issued_at": "str",
        "facility_name": "str", "author_name": "str", "body": "str",
    }  # fmt: skip
    limits: ClassVar[dict[str, int]] = {
        "document_id": 100, "pesel": 20, "title": 300, "issued_at": 40, "facility_name": 300,
        "author_name": 200,
    }  # fmt: skip
    TYPES = tuple(Document.Type.values)

    def prepare(self, valid_count: int) -> None:
        count = max(1, valid_count // 20)
        self.people = new_people(
            self.rng, count, born_from=date(1940, 1, 1), born_to=date(2020, 12, 31)
        )

    def _issued_at(self, born: date) -> str:
        day = self.day_between(max(born, date(2015, 1, 1)), self.today - timedelta(days=1))
        if self.rng.random() < 0.5:
            return str(day)
        moment = datetime.combine(
            day, time(self.rng.randint(0, 23), self.rng.randint(0, 59)), tzinfo=WARSAW
        )
        return moment.isoformat()

    def _body(self) -> str:
        parts = [self.text(2000) for _ in range(self.rng.randint(1, 4))]
        if self.rng.random() < 0.02:  # a long report, still under the runner's line limit
            parts.append("Ą" * self.rng.randint(3_000, 8_000))  # 48 kB at most, escaped
        return "\n".join(parts)

    def valid(self, n: int) -> dict:
        person = self.rng.choice(self.people)
        return {
            "document_id": f"{self.prefix}-{n}", "pesel": person.pesel, "type": self.rng.choice(self.TYPES),
            "title": self.text(300), "issued_at": self._issued_at(person.birth_date),
            "facility_name": self.text(300), "author_name": self.text(200), "body": self._body(),
        }  # fmt: skip

    def tail(self, originals: list[dict]) -> list[Line]:
        return [bad({**line, "title": ("!" + line["title"])[:300]}, "id_conflict")
                for line in self.rng.sample(originals, len(originals) // 50)]  # fmt: skip

    def refused(self) -> Line:
        pesel = unknown_pesel(self.rng)
        line = {**self.valid(0), "document_id": f"{self.prefix}-refused-{next(_serial)}",
                "pesel": pesel, "issued_at": str(self.today)}  # fmt: skip
        return bad(line, "unknown_person", secret=pesel)

    def semantic_bad(self, template: dict) -> Line:
        choice = self.rng.randrange(5)
        if choice == 0:
            pesel = template["pesel"]
            return bad({**template, "pesel": broken_pesel(pesel)}, "invalid_pesel", secret=pesel)
        if choice == 1:
            return bad({**template, "issued_at": "2024-03-05T10:00:00"}, "invalid_field")  # naive
        if choice == 2:
            return bad(
                {**template, "issued_at": str(self.today + timedelta(days=2))}, "invalid_field"
            )
        if choice == 3:
            return bad({**template, "body": " \n\t "}, "invalid_field")
        return bad({**template, "issued_at": "2024-W10-1"}, "invalid_field")

    def garbage_conflicts(self, accepted: list[dict]) -> list[Line]:
        return [bad({**line, "body": "changed"}, "id_conflict") for line in accepted[:200]]

    def state(self) -> dict:
        return fingerprint(Document, QuarantinedLine)

    def assert_stored_as_sent(self, accepted: list[dict]) -> None:
        from feeds.edm_document import issued_moment

        expected = {}
        for line in accepted:
            expected.setdefault(line["document_id"], (
                line["pesel"], line["type"], line["title"].strip(), issued_moment(line["issued_at"]),
                line["facility_name"].strip(), line["author_name"].strip(), line["body"]))  # fmt: skip
        stored = {
            row[0]: row[1:]
            for row in Document.objects.filter(document_id__in=expected).values_list(
                "document_id", "person__pesel", "type", "title", "issued_at", "facility_name",
                "author_name", "body")
        }  # fmt: skip
        assert stored == expected


class ZusSickleaveFuzz(KindFuzz):
    name = "zus-sickleave"
    fields: ClassVar[dict[str, str]] = {
        "series_number": "str", "pesel": "str", "issued_on": "date", "period_from": "date",
        "period_to": "date", "kind": "enum", "indication": "enum", "employer_nip": "str",
        "doctor_name": "str", "status": "enum",
    }  # fmt: skip
    limits: ClassVar[dict[str, int]] = {
        "series_number": 20,
        "pesel": 20,
        "employer_nip": 20,
        "doctor_name": 200,
    }

    def prepare(self, valid_count: int) -> None:
        count = max(2, valid_count // 10)
        self.people = new_people(
            self.rng, count, born_from=date(1950, 1, 1), born_to=date(2004, 12, 31)
        )
        self.children = new_people(
            self.rng, 20, born_from=date(2012, 1, 1), born_to=date(2024, 12, 31)
        )
        self.nips = [valid_nip(self.rng) for _ in range(30)]
        self.cancelled: set[str] = set()
        self.series = self.prefix[2:].zfill(4)[-4:]

    def valid(self, n: int) -> dict:
        person = self.rng.choice(self.people)
        issued = self.today - timedelta(days=self.rng.randint(0, 900))
        start = issued - timedelta(days=self.rng.randint(0, 3))
        line = {
            "series_number": f"Z{self.series}{n:07d}", "pesel": person.pesel, "issued_on": str(issued),
            "period_from": str(start), "period_to": str(start + timedelta(days=self.rng.randint(0, 30))),
            "kind": "own_illness", "indication": self.rng.choice(("must_lie", "may_walk")),
            "employer_nip": self.rng.choice(self.nips), "doctor_name": self.text(200), "status": "issued",
        }  # fmt: skip
        roll = self.rng.random()
        if roll < 0.3:
            cared = self.rng.choice(self.children).pesel if roll < 0.2 else unknown_pesel(self.rng)
            line |= {
                "kind": self.rng.choice(("child_care", "family_care")),
                "cared_person_pesel": cared,
            }
        elif roll < 0.4:
            line["cared_person_pesel"] = self.rng.choice((None, "", "  "))
        return line

    def tail(self, originals: list[dict]) -> list[Line]:
        out = []
        for line in self.rng.sample(originals, len(originals) // 20):
            self.cancelled.add(line["series_number"])
            out.append(accept({**line, "status": "cancelled"}))
        for line in self.rng.sample(originals, len(originals) // 50):
            out.append(bad({**line, "doctor_name": "lek. Inny"}, "id_conflict"))
        return out

    def resendable(self, line: dict) -> bool:
        return line["series_number"] not in self.cancelled

    def refused(self) -> Line:
        pesel = unknown_pesel(self.rng)
        line = {
            **self.valid(0),
            "series_number": f"R{self.series}{next(_serial):07d}",
            "pesel": pesel,
        }
        return bad(line, "unknown_person", secret=pesel)

    def semantic_bad(self, template: dict) -> Line:
        choice = self.rng.randrange(6)
        if choice == 0:
            pesel = template["pesel"]
            return bad({**template, "pesel": broken_pesel(pesel)}, "invalid_pesel", secret=pesel)
        if choice == 1:
            nip = template["employer_nip"]
            return bad(
                {**template, "employer_nip": nip[:9] + str((int(nip[9]) + 1) % 10)}, "invalid_nip"
            )
        if choice == 2:
            return bad(
                {**template, "kind": "child_care", "cared_person_pesel": template["pesel"]},
                "same_person",
            )
        if choice == 3:
            return bad(
                {**template, "kind": "own_illness", "cared_person_pesel": self.children[0].pesel},
                "invalid_field",
            )
        if choice == 4:
            return bad({**template, "period_to": "2001-01-01"}, "invalid_field")
        return bad({**template, "issued_on": str(self.today + timedelta(days=3))}, "invalid_field")

    def garbage_conflicts(self, accepted: list[dict]) -> list[Line]:
        return [bad({**line, "indication": "must_lie" if line["indication"] == "may_walk" else "may_walk"},
                    "id_conflict") for line in accepted[:200]]  # fmt: skip

    def state(self) -> dict:
        return fingerprint(SickLeave, QuarantinedLine)

    def assert_stored_as_sent(self, accepted: list[dict]) -> None:
        expected = {}
        for line in accepted:
            first = expected.setdefault(line["series_number"], (
                line["pesel"], line["kind"], (line.get("cared_person_pesel") or "").strip(),
                line["employer_nip"], line["doctor_name"].strip(), line["status"]))  # fmt: skip
            if line["status"] == "cancelled":
                expected[line["series_number"]] = (*first[:-1], "cancelled")
        stored = {
            row[0]: row[1:]
            for row in SickLeave.objects.filter(series_number__in=expected).values_list(
                "series_number", "person__pesel", "kind", "cared_person_pesel", "employer_nip",
                "doctor_name", "status")
        }  # fmt: skip
        assert stored == expected


KINDS = {
    k.name: k
    for k in (
        ZusInsuranceFuzz,
        ClinicSlotsFuzz,
        ImmunizationFuzz,
        EdmDocumentFuzz,
        ZusSickleaveFuzz,
    )
}


def test_every_feed_kind_is_fuzzed():
    assert sorted(KINDS) == kind_names()


# --- bad lines, whatever the kind ------------------------------------------------------------

WRONG_VALUES = {
    "str": [12345, -1.5, True, None, [], {}, ["a"], {"a": "b"}, 10**30],
    "int": ["15", 1.5, True, None, [], {}, "", 15.0],
    "bool": ["true", 1, 0, None, [], "yes"],
    "date": [20240101, None, "2024-02-30", "05.03.2024", "", [], "2024-13-01", "yesterday"],
    "enum": ["nope", 1, None, "", ["issued"], "ISSUED"],
}


class BadLines:
    """Parse-level bad lines built from a valid template: the generic categories."""

    def __init__(self, rng: random.Random, kind: KindFuzz, texts: Texts, blobs: list[bytes]):
        self.rng, self.kind, self.texts = rng, kind, texts
        # A blob never splits into two lines and is never blank or, by luck, valid JSON.
        self.blobs = [b"#" + blob.replace(b"\n", b"\\n") for blob in blobs]
        # Lines past the limit and deeply nested ones are large (over 64 kB, up to 15 kB): fewer.
        self.makers = [
            self.truncated, self.not_json, self.wrong_type, self.missing_key, self.too_long_string,
            self.huge_number, self.raw_control_byte, self.invalid_utf8, self.escaped_nul,
            self.blob, self.kind.semantic_bad,
        ] * 6 + [self.past_line_limit, self.deep_nesting]  # fmt: skip

    def make(self, template: dict) -> Line:
        return self.rng.choice(self.makers)(template)

    def truncated(self, template: dict) -> Line:
        data = encode(template, self.rng.random() < 0.5)
        return bad(data[: self.rng.randint(1, len(data) - 1)], "invalid_json")

    def not_json(self, template: dict) -> Line:
        text = self.rng.choice([
            str(template), json.dumps(template)[:-1] + ",}", "{'a': 1}", "NaN", "[1, 2,]", "{}",
            "null", "[]", '"just a string"', "12345", json.dumps([template]), "{" + "}" * 3,
            "<html><body>%PDF-1.4</body></html>", "SELECT * FROM accounts_person;",
        ])  # fmt: skip
        return bad(text.encode(), "invalid_json", "invalid_field")

    def _field(self, *types: str) -> str | None:
        names = [name for name, kind in self.kind.fields.items() if not types or kind in types]
        return self.rng.choice(names) if names else None

    def wrong_type(self, template: dict) -> Line:
        name = self._field()
        value = self.rng.choice(WRONG_VALUES[self.kind.fields[name]])
        return bad({**template, name: value}, "invalid_field")

    def missing_key(self, template: dict) -> Line:
        line = dict(template)
        del line[self._field()]
        return bad(line, "invalid_field")

    def too_long_string(self, template: dict) -> Line:
        name = self.rng.choice(sorted(self.kind.limits))
        value = self.texts(20) + "x" * (
            self.kind.limits[name] + self.rng.choice((1, 10, 1_000, 20_000))
        )
        return bad({**template, name: value}, "invalid_field", ascii_json=False)

    def huge_number(self, template: dict) -> Line:
        name = self._field("int") or self._field()
        number = self.rng.choice([10 ** self.rng.randint(19, 4000), -(10**40), 2**64])
        data = encode({**template, name: 0}).replace(
            f'"{name}": 0'.encode(), f'"{name}": {number}'.encode()
        )
        if self.rng.random() < 0.3:
            data = data.replace(f"{number}".encode(), b"1e99999")
        return bad(data, "invalid_field")

    def past_line_limit(self, template: dict) -> Line:
        name = self._field("str")
        unit = self.rng.choice(("A", "Ż", "<script>"))
        size = MAX_LINE_BYTES + self.rng.choice((1, 100, 5_000))
        data = encode({**template, name: unit * (size // len(unit.encode()) + 1)}, ascii_json=False)
        return bad(data, "too_long")

    def deep_nesting(self, template: dict) -> Line:
        depth = self.rng.randint(1_500, 3_000)  # msgspec gives up past ~1,000 levels
        opener, closer = self.rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
        nested = opener * depth + b"1" + closer * depth
        where = self.rng.random()
        if where < 0.4:  # an extra key the kind does not know
            data = encode(template)[:-1] + b', "extra": ' + nested + b"}"
        elif where < 0.7:  # in a known key
            name = self._field()
            data = encode({**template, name: 0}).replace(
                f'"{name}": 0'.encode(), f'"{name}": '.encode() + nested
            )
        else:  # the whole line
            data = nested
        return bad(data, "invalid_json", "invalid_field")

    def raw_control_byte(self, template: dict) -> Line:
        name = self._field("str")
        byte = self.rng.choice([b"\x00", b"\x01", b"\x07", b"\x08", b"\x1b", b"\x1f", b"\t", b"\r"])
        data = encode({**template, name: "AB"}).replace(b'"AB"', b'"A' + byte + b'B"', 1)
        return bad(data, "invalid_json")

    def invalid_utf8(self, template: dict) -> Line:
        name = self._field("str")
        junk = self.rng.choice(
            [b"\xff", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]
        )
        data = encode({**template, name: "AB"}).replace(b'"AB"', b'"A' + junk + b'B"', 1)
        return bad(data, "invalid_json")

    def escaped_nul(self, template: dict) -> Line:
        name = self._field("str")
        value = str(template[name]) if isinstance(template[name], str) else "x"
        # A PESEL, a NIP or a time with a NUL is refused as such before the NUL check.
        return bad(
            {**template, name: value[:5] + "\x00"}, "invalid_field", "invalid_pesel", "invalid_nip"
        )

    def blob(self, template: dict) -> Line:
        return bad(self.rng.choice(self.blobs), *REASON_CODES)


# --- a file ----------------------------------------------------------------------------------


@dataclass
class FeedPlan:
    lines: list[Line]
    terminators: list[bytes]
    accepted: list[dict] = field(default_factory=list)  # the accepted and resent lines, in order

    def write(self, path: Path) -> Path:
        path.write_bytes(
            b"".join(
                line.data + end for line, end in zip(self.lines, self.terminators, strict=True)
            )
        )
        return path

    def numbers(self, expect: str) -> list[int]:
        return [n for n, line in enumerate(self.lines, 1) if line.expect == expect]


def plan_file(kind: KindFuzz, mix: dict, rng: random.Random) -> FeedPlan:
    """10,000 lines: the valid ones in order (originals, then follow-ups and resends), with bad
    and blank lines spread among them at random."""
    valid_target = LINES * mix["valid_percent"] // 100
    kind.prepare(valid_target)
    originals = [kind.valid(n) for n in range(valid_target * 9 // 10)]
    ascii_json = [rng.random() < 0.5 for _ in originals]
    ordered = [accept(line, ascii_json=a) for line, a in zip(originals, ascii_json, strict=True)]
    tail = kind.tail(originals)
    resends = [Line(encode(line, a), "duplicate", source=line) for line, a in zip(originals, ascii_json, strict=True)
               if kind.resendable(line) and rng.random() < 0.03]  # fmt: skip
    tail += resends
    rng.shuffle(tail)
    ordered += tail
    kind.bad_lines = BadLines(rng, kind, kind.text, mix["blobs"])
    templates = [line for line in originals if set(kind.fields) <= set(line)]
    others = []
    while len(ordered) + len(others) < LINES:
        roll = rng.random() * 100
        if roll < mix["blank_percent"]:
            others.append(Line(rng.choice([b"", b"   ", b"\t", b" \t \r"]), "blank"))
        elif roll < mix["blank_percent"] + 8:
            others.append(kind.refused())
        else:
            others.append(kind.bad_lines.make(rng.choice(templates)))
    # Merge: the valid lines keep their order; the others go anywhere.
    slots = sorted(rng.sample(range(len(ordered) + len(others)), len(others)))
    lines, taken_other, taken_valid = [], 0, 0
    for position in range(len(ordered) + len(others)):
        if taken_other < len(slots) and slots[taken_other] == position:
            lines.append(others[taken_other])
            taken_other += 1
        else:
            lines.append(ordered[taken_valid])
            taken_valid += 1
    terminators = [b"\r\n" if rng.random() * 100 < mix["crlf_percent"] else b"\n" for _ in lines]
    if not mix["trailing_newline"]:
        terminators[-1] = b""
    accepted = [line.source for line in lines if line.expect in ("accept", "duplicate")]
    return FeedPlan(lines, terminators, accepted)


def garbage_plan(kind: KindFuzz, plan: FeedPlan, rng: random.Random) -> FeedPlan:
    """A second file with nothing good in it: bad lines, refusals, and conflicts with what the
    first file stored."""
    lines = kind.garbage_conflicts(plan.accepted)
    templates = [line for line in plan.accepted if set(kind.fields) <= set(line)]
    lines += [kind.bad_lines.make(rng.choice(templates)) for _ in range(300)]
    lines += [kind.refused() for _ in range(50)]
    rng.shuffle(lines)
    return FeedPlan(lines, [b"\r\n" if rng.random() < 0.5 else b"\n" for _ in lines])


# --- the assertions --------------------------------------------------------------------------


def kept_raw(data: bytes) -> str | None:
    """What staff must be able to read of a short, clean line: its text."""
    if len(data) >= RAW_KEPT_CHARS or b"\x00" in data:
        return None
    try:
        return data.decode().rstrip("\r\n")
    except UnicodeDecodeError:
        return None


def assert_quarantined_exactly_the_bad_lines(plan: FeedPlan, result) -> None:
    sha256 = FeedFile.objects.get(pk=result.feed_file_id).sha256
    rows = {
        number: (reason, raw)
        for number, reason, raw in QuarantinedLine.objects.filter(file_sha256=sha256)
        .values_list("line_number", "reason", "raw")
    }  # fmt: skip
    expected = plan.numbers("bad")
    assert sorted(rows) == expected, _first_difference(plan, rows)
    for number in expected:
        line, (reason, raw) = plan.lines[number - 1], rows[number]
        code = reason.split(":", 1)[0]
        assert code in line.codes, (number, reason, line.data[:200])
        assert reason.strip() and "\x00" not in reason and "\x00" not in raw
        if line.secret:
            assert line.secret not in reason  # a PESEL never goes into a reason
        if (text := kept_raw(line.data)) is not None:
            assert raw == text, number


def _first_difference(plan: FeedPlan, rows: dict) -> str:
    bad_lines = set(plan.numbers("bad"))
    missing = sorted(bad_lines - set(rows))[:3]
    extra = sorted(set(rows) - bad_lines)[:3]
    return (
        f"not quarantined: {[(n, plan.lines[n - 1].data[:150]) for n in missing]}; "
        f"quarantined but valid: {[(n, rows[n][0], plan.lines[n - 1].data[:150]) for n in extra]}"
    )


def assert_counts(result, plan: FeedPlan) -> None:
    assert (result.lines, result.accepted, result.duplicates, result.quarantined) == (
        len(plan.lines),
        len(plan.numbers("accept")),
        len(plan.numbers("duplicate")),
        len(plan.numbers("bad")),
    )


# --- the file fuzz, one test per kind ----------------------------------------------------------

_example = itertools.count(1)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@FILE_FUZZ
@given(mix=mixes)
def test_a_file_of_10000_mixed_lines_quarantines_the_bad_and_keeps_the_good(
    kind_name, mix, tmp_path, db
):
    rng = random.Random(mix["seed"])
    prefix = f"fz{next(_example)}"
    kind = KINDS[kind_name](rng, Texts(rng, mix["texts"]), prefix)
    plan = plan_file(kind, mix, rng)
    path = plan.write(tmp_path / f"{prefix}.jsonl")

    result = ingest_file(kind_name, path)

    assert_counts(result, plan)
    assert_quarantined_exactly_the_bad_lines(plan, result)
    kind.assert_stored_as_sent([line.source for line in plan.lines if line.expect == "accept"])
    stored = kind.state()

    again = ingest_file(kind_name, path)

    assert (again.accepted, again.quarantined) == (0, result.quarantined)
    assert kind.state() == stored  # nothing new, nothing changed, nothing set aside twice

    garbage = garbage_plan(kind, plan, rng)
    garbage_path = garbage.write(tmp_path / f"{prefix}-garbage.jsonl")
    quarantine_before = QuarantinedLine.objects.count()

    junk = ingest_file(kind_name, garbage_path)

    assert (junk.accepted, junk.quarantined) == (0, len(garbage.lines))
    assert_quarantined_exactly_the_bad_lines(garbage, junk)
    assert QuarantinedLine.objects.count() == quarantine_before + len(garbage.lines)
    after = kind.state()
    quarantine = QuarantinedLine._meta.db_table
    after.pop(quarantine), stored.pop(quarantine)
    assert after == stored  # nothing already accepted was removed or changed
    first = FeedFile.objects.get(pk=result.feed_file_id)
    assert FeedFile.objects.filter(sha256=first.sha256, finished_at__isnull=False).count() == 2


# --- the parsers, directly ---------------------------------------------------------------------

TODAY = date(2026, 3, 1)


def assert_row_or_problem(kind_name: str, raw: bytes) -> None:
    """A row COPY can take (no NUL, valid Unicode), or a LineProblem with a known code."""
    try:
        row = get_kind(kind_name).parse_line(raw, 1, TODAY)
    except LineProblem as problem:
        assert problem.reason.split(":", 1)[0] in REASON_CODES, problem.reason
        assert "\x00" not in problem.reason  # it is stored in a PostgreSQL text column
        problem.reason.encode("utf-8")
    else:
        assert isinstance(row, tuple) and row[0] == 1
        for value in row:
            if isinstance(value, str):
                assert "\x00" not in value
                value.encode("utf-8")


def example_line(kind_name: str) -> dict:
    """One valid line of the kind (fixed, for the parser fuzz)."""
    pesel, child = (
        build_pesel(date(1984, 5, 17), sex="F", serial=11),
        build_pesel(date(2014, 9, 3), sex="M", serial=12),
    )
    return {
        "zus-insurance": {"event_id": "e1", "type": "family_member_registered", "insured_pesel": pesel,
                          "insured_first_name": "Anna", "insured_surname": "Nowak", "member_pesel": child,
                          "member_first_name": "Jan", "member_surname": "Nowak", "valid_from": "2014-09-03",
                          "reported_on": "2014-09-20"},
        "clinic-slots": {"slot_id": "s1", "clinic_code": "POZ-1", "clinic_name": "Przychodnia", "city": "Kraków",
                         "address": "ul. Lipowa 3", "vaccine": "HPV9", "starts_at": "2026-05-04T10:30+02:00",
                         "duration_minutes": 15},
        "immunization": {"record_id": "r1", "pesel": child, "vaccine": "HPV9", "dose_number": 1,
                         "administered_on": "2025-10-01", "clinic_code": "POZ-1", "visit_status": "open"},
        "edm-document": {"document_id": "d1", "pesel": pesel, "type": "lab_result", "title": "Morfologia",
                         "issued_at": "2025-10-01", "facility_name": "Lab", "author_name": "dr A", "body": "Wynik."},
        "zus-sickleave": {"series_number": "ZA1", "pesel": pesel, "issued_on": "2026-02-01",
                          "period_from": "2026-02-01", "period_to": "2026-02-07", "kind": "child_care",
                          "cared_person_pesel": child, "indication": "may_walk", "employer_nip": "5260250274",
                          "doctor_name": "lek. B", "status": "issued"},
    }[kind_name]  # fmt: skip


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_the_example_lines_are_valid(kind_name):
    row = get_kind(kind_name).parse_line(encode(example_line(kind_name)), 1, TODAY)

    assert row[0] == 1 and len(row) > 5


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@PARSER_FUZZ
@given(raw=st.binary(max_size=400))
@example(raw=b'{"a":' * 3000 + b"1" + b"}" * 3000)
@example(raw=b'{"slot_id": "s", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}")
@example(raw=b"\xef\xbb\xbf{}")
def test_arbitrary_bytes_end_as_a_row_or_a_line_problem(kind_name, raw):
    assert_row_or_problem(kind_name, raw)


json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False) | st.text(max_size=30) | st.sampled_from(HOSTILE_TEXT)
    | st.dates().map(date.isoformat)
)  # fmt: skip
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)  # fmt: skip


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@PARSER_FUZZ
@given(
    key_index=st.integers(min_value=0, max_value=11), value=json_values, ascii_json=st.booleans()
)
@example(key_index=0, value="a\x00b", ascii_json=True)
def test_a_valid_line_with_one_value_replaced_ends_as_a_row_or_a_line_problem(
    kind_name, key_index, value, ascii_json
):
    line = example_line(kind_name)
    keys = sorted(line)
    key = keys[key_index % len(keys)]
    raw = json.dumps({**line, key: value}, ensure_ascii=ascii_json).encode("utf-8", "surrogatepass")

    assert_row_or_problem(kind_name, raw)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@settings(PARSER_FUZZ, max_examples=40)  # building nested JSON objects is the slow part
@given(
    obj=st.dictionaries(st.text(max_size=20), json_values, max_size=12), ascii_json=st.booleans()
)
def test_arbitrary_json_objects_end_as_a_row_or_a_line_problem(kind_name, obj, ascii_json):
    assert_row_or_problem(
        kind_name, json.dumps(obj, ensure_ascii=ascii_json).encode("utf-8", "surrogatepass")
    )


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@pytest.mark.parametrize("nesting", [b"[", b'{"a":'])
def test_deeply_nested_json_is_a_line_problem_not_a_crash(kind_name, nesting):
    """msgspec raises RecursionError (not a DecodeError) past ~1,000 levels; a 4 kB line is
    enough, far under the runner's 64 kB limit."""
    closer = b"]" if nesting == b"[" else b"}"
    line = (
        encode(example_line(kind_name))[:-1]
        + b', "extra": '
        + nesting * 2_000
        + b"1"
        + closer * 2_000
        + b"}"
    )

    with pytest.raises(LineProblem) as caught:
        get_kind(kind_name).parse_line(line, 1, TODAY)

    assert caught.value.reason.split(":", 1)[0] in PARSE_CODES


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_a_nul_in_an_echoed_value_does_not_reach_the_reason(kind_name):
    """msgspec echoes a refused tag or enum value in its message ("Invalid value 'a\\x00b'");
    the reason goes into a PostgreSQL text column, where a NUL fails the whole file's COPY."""
    line = example_line(kind_name)
    enum_key = {"zus-insurance": "type", "clinic-slots": "clinic_code", "immunization": "visit_status",
                "edm-document": "type", "zus-sickleave": "kind"}[kind_name]  # fmt: skip

    assert_row_or_problem(kind_name, encode({**line, enum_key: "a\x00b"}))


# Days and times at the ends of the calendar. A timestamptz PostgreSQL stores may still be one
# psycopg cannot read back (after year 9999 or before year 1 in UTC), and a conversion to Warsaw
# time or a day added can overflow in Python: each must end as a LineProblem, never an error.
CALENDAR_ENDS = [
    "9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59.999999+14:00", "0001-01-01T00:30:00+05:00",
    "9999-12-31", "0001-01-01",
]  # fmt: skip
DATED_KEYS = {"valid_from", "reported_on", "starts_at", "administered_on", "issued_at", "issued_on", "period_from", "period_to"}


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@pytest.mark.parametrize("value", CALENDAR_ENDS)
def test_a_day_or_time_at_the_calendars_ends_is_a_row_psycopg_can_read_or_a_line_problem(kind_name, value):
    line = example_line(kind_name)
    for key in sorted(DATED_KEYS & set(line)):
        raw = encode({**line, key: value})
        assert_row_or_problem(kind_name, raw)
        try:
            row = get_kind(kind_name).parse_line(raw, 1, TODAY)
        except LineProblem:
            continue
        for moment in (v for v in row if isinstance(v, datetime)):
            moment.astimezone(ZoneInfo("UTC")).astimezone(WARSAW)  # raises OverflowError past the ends


def _one_bad_line_and_one_good(tmp_path: Path, bad_line: bytes) -> Path:
    good = {**example_line("zus-insurance"), "event_id": "good-1"}
    path = tmp_path / "one-bad.jsonl"
    path.write_bytes(bad_line + b"\n" + encode(good) + b"\n")
    return path


def test_a_nul_in_an_echoed_value_does_not_fail_the_ingest(tmp_path, db):
    """Today the quarantine's COPY raises DataError: the good line is lost with the file."""
    bad_line = encode({**example_line("zus-insurance"), "event_id": "bad-1", "type": "a\x00b"})
    path = _one_bad_line_and_one_good(tmp_path, bad_line)

    result = ingest_file("zus-insurance", path)

    assert (result.accepted, result.quarantined) == (1, 1)
    reason = QuarantinedLine.objects.get(file_sha256=file_sha256(path)).reason
    assert reason.startswith("invalid_field") and "\x00" not in reason


def test_a_deeply_nested_line_does_not_fail_the_ingest(tmp_path, db):
    """Today RecursionError escapes the parser and the whole file fails, every time it is sent
    again: one hostile 10 kB line stops the feed."""
    bad_line = (
        encode(example_line("zus-insurance"))[:-1]
        + b', "extra": '
        + b"[" * 5_000
        + b"]" * 5_000
        + b"}"
    )
    path = _one_bad_line_and_one_good(tmp_path, bad_line)

    result = ingest_file("zus-insurance", path)

    assert (result.accepted, result.quarantined) == (1, 1)
    assert QuarantinedLine.objects.get(file_sha256=file_sha256(path)).line_number == 1
