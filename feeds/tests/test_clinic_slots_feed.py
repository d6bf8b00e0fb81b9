"""The `clinic-slots` feed (feeds/clinic_slots.py): clinics publish and withdraw terms."""

import json
from datetime import UTC, datetime, time, timedelta
from functools import partial
from io import StringIO

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.rules import add_months
from conftest import hpv9, make_clinic, make_person, make_slot, record_dose, years_ago
from feeds.models import FeedFile, QuarantinedLine
from feeds.runner import ingest_file
from feeds.tasks import poll_inbox
from feeds.tests.feed_lines import feed_file, ingest_lines, quarantined
from vaccinations.models import Appointment, Clinic, Immunization, Slot
from vaccinations.services import open_slots

KIND = "clinic-slots"
ingest = partial(ingest_lines, KIND)


def at(days: int, hour: int = 10, minute: int = 0) -> datetime:
    """A Warsaw time `days` from today, aware."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def published(slot_id: str, *, starts_at: datetime | None = None, **overrides) -> dict:
    line = {
        "slot_id": slot_id, "clinic_code": "POZ-KRK-1", "clinic_name": "Przychodnia Pod Lipami",
        "city": "Kraków", "address": "ul. Lipowa 3", "vaccine": "HPV9",
        "starts_at": (starts_at or at(7)).isoformat(), "duration_minutes": 15,
    }  # fmt: skip
    line.update(overrides)
    return line


def withdrawn(slot_id: str) -> dict:
    return {"slot_id": slot_id, "withdrawn": True}


def state() -> dict:
    """Everything the feed may touch, as plain values."""
    return {
        "clinics": sorted(Clinic.objects.values_list("code", "name", "city", "address")),
        "slots": sorted(Slot.objects.values_list("slot_id", "clinic__code", "starts_at", "duration_minutes", "source", "withdrawn_at")),
        "appointments": sorted(Appointment.objects.values_list("pk", "status", "cancel_reason")),
        "quarantine": sorted(QuarantinedLine.objects.values_list("file_sha256", "line_number", "reason")),
    }  # fmt: skip


def book(slot: Slot, child, parent) -> Appointment:
    return Appointment.objects.create(
        child=child, slot=slot, vaccine=slot.vaccine, dose_number=1, booked_by=parent
    )


# --- a good file ----------------------------------------------------------------------------------


def test_it_ingests_clinics_and_slots_through_the_command(tmp_path, db):
    path = feed_file(tmp_path, "slots.jsonl", [
        published("krk-1", starts_at=at(7, 9)),
        published("krk-2", starts_at=at(7, 9, 15), duration_minutes=20),
        published("waw-1", clinic_code="POZ-WAW-1", clinic_name="Centrum Zdrowia", city="Warszawa",
                  address="al. Jerozolimskie 1", starts_at=at(8, 12)),
    ])  # fmt: skip
    out = StringIO()

    call_command("ingest_feed", KIND, str(path), stdout=out)

    assert (
        out.getvalue().strip()
        == "clinic-slots: 3 lines, 3 new, 0 already known, 0 quarantined, 0 applied"
    )
    assert sorted(Clinic.objects.values_list("code", "name", "city", "address")) == [
        ("POZ-KRK-1", "Przychodnia Pod Lipami", "Kraków", "ul. Lipowa 3"),
        ("POZ-WAW-1", "Centrum Zdrowia", "Warszawa", "al. Jerozolimskie 1"),
    ]
    krk_2 = Slot.objects.select_related("clinic", "vaccine").get(slot_id="krk-2")
    assert (krk_2.clinic.code, krk_2.vaccine.code, krk_2.starts_at, krk_2.duration_minutes) == (
        "POZ-KRK-1",
        "HPV9",
        at(7, 9, 15),
        20,
    )
    assert set(Slot.objects.values_list("source", flat=True)) == {"feed"}
    assert not Slot.objects.filter(withdrawn_at__isnull=False).exists()
    assert not QuarantinedLine.objects.exists()


@pytest.mark.parametrize(
    "spelling", ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M+00:00", "%Y-%m-%d %H:%M:%S.%f+0000"]
)
def test_any_iso_8601_time_with_an_offset_is_the_same_instant(tmp_path, db, spelling):
    in_utc = at(9, 10).astimezone(UTC).strftime(spelling)

    ingest(tmp_path, "utc.jsonl", [published("utc-1") | {"starts_at": in_utc}])

    assert Slot.objects.get(slot_id="utc-1").starts_at == at(9, 10)


def test_ingesting_the_same_file_again_changes_nothing(tmp_path, db, parent, child):
    lines = [published("s-1"), published("s-2", starts_at=at(7, 11)), withdrawn("s-2"), "not json"]
    ingest(tmp_path, "a.jsonl", lines)
    before = state()

    result = ingest(tmp_path, "a.jsonl", lines)

    assert (result.accepted, result.duplicates, result.quarantined, result.applied) == (0, 3, 1, 0)
    assert state() == before
    assert FeedFile.objects.count() == 2


def test_the_latest_line_names_the_clinic(tmp_path, db):
    ingest(
        tmp_path,
        "a.jsonl",
        [
            published("n-1", clinic_name="Przychodnia"),
            published("n-2", clinic_name="Przychodnia Pod Lipami"),
        ],
    )
    assert Clinic.objects.get(code="POZ-KRK-1").name == "Przychodnia Pod Lipami"

    result = ingest(
        tmp_path,
        "b.jsonl",
        [
            published(
                "n-1",
                clinic_name="NZOZ Pod Lipami",
                city="Kraków-Nowa Huta",
                address="os. Zielone 1",
            )
        ],
    )

    assert Clinic.objects.filter(code="POZ-KRK-1").values_list("name", "city", "address").get() == (
        "NZOZ Pod Lipami", "Kraków-Nowa Huta", "os. Zielone 1",
    )  # fmt: skip
    assert result.accepted == 1  # the clinic changed, the slot did not


def test_a_new_clinic_gets_the_doses_recorded_under_its_code_before(tmp_path, db):
    dose = record_dose(make_person(born=years_ago(11)), on=timezone.localdate() - timedelta(days=3))
    Immunization.objects.filter(pk=dose.pk).update(clinic=None, clinic_code="POZ-NEW-9")

    ingest(tmp_path, "a.jsonl", [published("new-1", clinic_code="POZ-NEW-9")])

    dose.refresh_from_db()
    assert dose.clinic == Clinic.objects.get(code="POZ-NEW-9")



def test_a_known_clinic_the_file_names_gets_the_doses_still_waiting_under_its_code(tmp_path, db):
    # A clinic made by hand before its doses were linked (in admin before it linked them).
    clinic = make_clinic()
    clinic.code = "POZ-KRK-1"
    clinic.save(update_fields=["code"])
    dose = record_dose(make_person(born=years_ago(11)), on=timezone.localdate() - timedelta(days=3))
    Immunization.objects.filter(pk=dose.pk).update(clinic=None, clinic_code="POZ-KRK-1")
    other = record_dose(make_person(born=years_ago(12)), on=timezone.localdate() - timedelta(days=3))

    ingest(tmp_path, "a.jsonl", [published("known-1")])

    dose.refresh_from_db()
    other_clinic = other.clinic
    other.refresh_from_db()
    assert (dose.clinic, other.clinic) == (clinic, other_clinic)


# --- moving a slot ------------------------------------------------------------------------------


def test_it_moves_a_slot_nobody_booked(tmp_path, db):
    ingest(tmp_path, "a.jsonl", [published("m-1", starts_at=at(7, 10))])

    result = ingest(
        tmp_path, "b.jsonl", [published("m-1", starts_at=at(8, 12), duration_minutes=30)]
    )

    assert result.accepted == 1
    slot = Slot.objects.get(slot_id="m-1")
    assert (slot.starts_at, slot.duration_minutes, slot.withdrawn_at) == (at(8, 12), 30, None)


def test_the_latest_line_of_a_slot_in_a_file_counts(tmp_path, db):
    result = ingest(
        tmp_path,
        "a.jsonl",
        [published("l-1", starts_at=at(7, 10)), published("l-1", starts_at=at(7, 11))],
    )

    assert (result.accepted, result.duplicates) == (1, 1)
    assert Slot.objects.get(slot_id="l-1").starts_at == at(7, 11)


def test_it_refuses_to_move_a_booked_slot(tmp_path, parent, insured_child):
    ingest(tmp_path, "a.jsonl", [published("b-1", starts_at=at(7, 10))])
    appointment = book(Slot.objects.get(slot_id="b-1"), insured_child, parent)

    result = ingest(tmp_path, "b.jsonl", [published("b-1", starts_at=at(7, 13)), published("b-2")])

    assert (result.accepted, result.quarantined) == (1, 1)
    assert quarantined() == {
        1: "slot_booked: a child is booked on this term; withdraw it and publish a new one"
    }
    assert QuarantinedLine.objects.get().raw == json.dumps(published("b-1", starts_at=at(7, 13)))
    assert Slot.objects.get(slot_id="b-1").starts_at == at(7, 10)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert Slot.objects.filter(slot_id="b-2").exists()


def test_repeating_a_booked_slot_unchanged_is_no_conflict(tmp_path, parent, insured_child):
    ingest(tmp_path, "a.jsonl", [published("r-1")])
    book(Slot.objects.get(slot_id="r-1"), insured_child, parent)

    result = ingest(tmp_path, "b.jsonl", [published("r-1", clinic_name="Nowa nazwa")])

    assert (result.accepted, result.quarantined) == (1, 0)  # the clinic's new name
    assert Clinic.objects.get(code="POZ-KRK-1").name == "Nowa nazwa"


def test_a_slot_cannot_change_its_vaccine(tmp_path, db):
    from vaccinations.models import Vaccine

    Vaccine.objects.create(
        code="MENB",
        name="Bexsero",
        against="przeciw meningokokom B",
        against_en="against meningococcus B",
    )
    ingest(tmp_path, "a.jsonl", [published("v-1")])

    ingest(tmp_path, "b.jsonl", [published("v-1", vaccine="MENB")])

    assert quarantined() == {1: "id_conflict: slot_id already published for another vaccine"}
    assert Slot.objects.get(slot_id="v-1").vaccine == hpv9()


# --- withdrawing ----------------------------------------------------------------------------------


def test_a_withdrawn_booked_slot_cancels_the_appointment_and_tells_the_parent(
    tmp_path, parent, insured_child, celery_eager, django_capture_on_commit_callbacks
):
    ingest(tmp_path, "a.jsonl", [published("w-1", starts_at=at(10, 9))])
    appointment = book(Slot.objects.get(slot_id="w-1"), insured_child, parent)

    with django_capture_on_commit_callbacks(execute=True):
        result = ingest(tmp_path, "b.jsonl", [withdrawn("w-1")])

    assert (result.accepted, result.applied) == (1, 1)
    assert Slot.objects.get(slot_id="w-1").withdrawn_at is not None
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "slot_withdrawn")
    assert appointment.cancelled_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [parent.email]
    assert insured_child.first_name in mail.outbox[0].subject
    assert "Przychodnia Pod Lipami" in mail.outbox[0].body


def test_no_mail_leaves_before_the_commit(
    tmp_path, parent, insured_child, django_capture_on_commit_callbacks
):
    ingest(tmp_path, "a.jsonl", [published("w-2")])
    book(Slot.objects.get(slot_id="w-2"), insured_child, parent)

    with django_capture_on_commit_callbacks() as callbacks:
        ingest(tmp_path, "b.jsonl", [withdrawn("w-2")])

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_withdrawal_stored_without_applying_is_applied_by_the_next_run(
    tmp_path, parent, insured_child
):
    ingest(tmp_path, "a.jsonl", [published("w-3")])
    appointment = book(Slot.objects.get(slot_id="w-3"), insured_child, parent)

    ingest(tmp_path, "b.jsonl", [withdrawn("w-3")], apply=False)
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    result = ingest(tmp_path, "c.jsonl", [published("other")])

    assert result.applied == 1
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "slot_withdrawn")


def test_a_slot_published_and_withdrawn_in_one_file_ends_withdrawn(tmp_path, db):
    result = ingest(tmp_path, "a.jsonl", [published("pw-1"), withdrawn("pw-1"), withdrawn("pw-1")])

    assert (result.accepted, result.duplicates, result.quarantined) == (2, 1, 0)
    assert Slot.objects.get(slot_id="pw-1").withdrawn_at is not None


def test_a_withdrawal_of_an_unknown_slot_is_quarantined(tmp_path, db):
    result = ingest(tmp_path, "a.jsonl", [withdrawn("nobody-published-me"), published("k-1")])

    assert (result.accepted, result.quarantined) == (1, 1)
    assert quarantined() == {1: "unknown_slot: no term with this slot_id was published"}
    assert not Slot.objects.filter(slot_id="nobody-published-me").exists()


def test_a_withdrawn_slot_is_not_published_again(tmp_path, db):
    ingest(tmp_path, "a.jsonl", [published("f-1", starts_at=at(7, 10))])
    ingest(tmp_path, "b.jsonl", [withdrawn("f-1")])

    result = ingest(tmp_path, "c.jsonl", [
        published("f-1", starts_at=at(7, 10)),  # the old line again: nothing to say
        published("f-1", starts_at=at(7, 12)),
        published("f-2"), withdrawn("f-2"), published("f-2"),
    ])  # fmt: skip

    assert sorted(quarantined().items()) == [
        (2, "slot_withdrawn: this slot_id was withdrawn; publish the term under a new slot_id"),
        (5, "slot_withdrawn: this slot_id was withdrawn; publish the term under a new slot_id"),
    ]
    slot = Slot.objects.get(slot_id="f-1")
    assert (slot.starts_at, slot.withdrawn_at is not None) == (at(7, 10), True)
    assert Slot.objects.get(slot_id="f-2").withdrawn_at is not None
    assert result.quarantined == 2


def test_the_feed_never_touches_a_slot_staff_published(tmp_path, db):
    slot = make_slot(make_clinic(), days_ahead=5)
    Slot.objects.filter(pk=slot.pk).update(source="staff", slot_id="staff-abc")

    ingest(tmp_path, "a.jsonl", [published("staff-abc", starts_at=at(9)), withdrawn("staff-abc")])

    assert quarantined() == {
        1: "id_conflict: slot_id belongs to a term published by clinic staff",
        2: "id_conflict: slot_id belongs to a term published by clinic staff",
    }
    slot.refresh_from_db()
    assert (slot.starts_at, slot.withdrawn_at) == (at(5), None)


# --- bad lines --------------------------------------------------------------------------------------


def test_bad_lines_are_quarantined_with_number_and_reason_and_the_rest_go_in(tmp_path, db):
    naive = published("bad-naive")
    naive["starts_at"] = naive["starts_at"][:19]
    no_clinic = published("bad-missing")
    del no_clinic["clinic_code"]
    lines = [
        published("good-1"),
        '{"slot_id": "bad-json", ',
        no_clinic,
        "",
        naive,
        published("bad-date") | {"starts_at": "2026-02-30T10:00:00+01:00"},
        published("bad-vaccine", vaccine="HPV2"),
        published("bad-duration", duration_minutes=300),
        published("bad-name", clinic_name="   "),
        {"withdrawn": True},
        "   ",
        published("good-2", unknown_key="ignored"),
    ]

    result = ingest(tmp_path, "mixed.jsonl", lines)

    assert (result.lines, result.accepted, result.quarantined, result.duplicates) == (12, 2, 8, 0)
    reasons = quarantined()
    assert sorted(reasons) == [2, 3, 5, 6, 7, 8, 9, 10]
    assert reasons[2].startswith("invalid_json: ")
    assert reasons[3] == "invalid_field: Object missing required field `clinic_code`"
    assert reasons[5] == "invalid_field: starts_at has no UTC offset"
    assert reasons[6] == "invalid_field: starts_at is not an ISO 8601 time"
    assert reasons[7] == "unknown_vaccine: HPV2"
    assert reasons[8] == "invalid_field: Expected `int` <= 240 - at `$.duration_minutes`"
    assert reasons[9] == "invalid_field: clinic_name is empty"
    assert reasons[10] == "invalid_field: Object missing required field `slot_id`"
    assert QuarantinedLine.objects.get(line_number=7).raw == json.dumps(
        published("bad-vaccine", vaccine="HPV2")
    )
    assert sorted(Slot.objects.values_list("slot_id", flat=True)) == ["good-1", "good-2"]


def test_a_start_years_away_is_quarantined_and_the_clinics_pages_still_answer(
    tmp_path, client, clinic_user, admin_user
):
    # Year 10000 in UTC, and year 0 (1 BC): PostgreSQL would store both, psycopg could read
    # neither back, and every page listing the clinic's slots would answer 500.
    horizon = (add_months(timezone.localdate(), 24) - timezone.localdate()).days
    lines = [
        published("good-1"),
        published("far-ahead") | {"starts_at": "9999-12-31T23:00:00-05:00"},
        published("far-back") | {"starts_at": "0001-01-01T00:30:00+05:00"},
        published("horizon", starts_at=at(horizon)),
        published("beyond", starts_at=at(horizon + 1)),
        published("past", starts_at=at(-3)),
        published("good-2", starts_at=at(8)),
    ]

    result = ingest(tmp_path, "far.jsonl", lines)

    assert (result.lines, result.accepted, result.quarantined) == (7, 4, 3)
    assert quarantined() == {
        2: "invalid_field: starts_at is more than 24 months ahead",
        3: "invalid_field: starts_at is more than 24 months in the past",
        5: "invalid_field: starts_at is more than 24 months ahead",
    }
    assert sorted(Slot.objects.values_list("slot_id", flat=True)) == ["good-1", "good-2", "horizon", "past"]
    clinic = Clinic.objects.get(code="POZ-KRK-1")
    clinic.staff.add(clinic_user)
    for user, url in [
        (clinic_user, reverse("clinic:slots", kwargs={"clinic_id": clinic.public_id})),
        (admin_user, reverse("admin:vaccinations_slot_changelist")),
    ]:
        TOTP.activate(user, generate_totp_secret())
        client.force_login(user)
        assert client.get(url).status_code == 200
    # The past term is kept, as clinics send it, and never offered.
    assert "past" not in [slot.slot_id for slot in open_slots(vaccine=hpv9(), now=timezone.now())]


def test_a_too_long_clinic_name_is_refused_by_line_not_by_file(tmp_path, db):
    result = ingest(
        tmp_path, "a.jsonl", [published("long-1", clinic_name="P" * 201), published("ok-1")]
    )

    assert quarantined() == {1: "invalid_field: clinic_name is longer than 200 characters"}
    assert result.accepted == 1


# --- the inbox and the size of a file -------------------------------------------------------------


def test_the_inbox_task_takes_a_clinic_slots_file(settings, tmp_path, db):
    settings.INBOX_DIR = tmp_path
    (tmp_path / KIND).mkdir()
    feed_file(
        tmp_path / KIND,
        "drop.jsonl",
        [published("in-1"), published("in-2", starts_at=at(7, 11)), "oops"],
    )

    assert poll_inbox() == 1

    assert [path.name for path in (tmp_path / KIND / "done").iterdir()] == ["drop.jsonl"]
    assert sorted(Slot.objects.values_list("slot_id", flat=True)) == ["in-1", "in-2"]
    assert QuarantinedLine.objects.get().kind == KIND


def many_slots(count: int, *, withdraw_every: int = 0) -> list[dict]:
    lines = [
        published(f"bulk-{n}", clinic_code=f"POZ-{n % 50:03d}", clinic_name=f"Przychodnia {n % 50}",
                  starts_at=at(1 + n % 60, 8 + n % 10, (n % 4) * 15))
        for n in range(count)
    ]  # fmt: skip
    if withdraw_every:
        lines += [withdrawn(f"bulk-{n}") for n in range(0, count, withdraw_every)]
    return lines


def test_a_thousand_lines_go_in_with_a_bounded_number_of_queries(
    tmp_path, db, django_assert_max_num_queries
):
    path = feed_file(tmp_path, "big.jsonl", many_slots(1000, withdraw_every=10))

    with django_assert_max_num_queries(40):
        result = ingest_file(KIND, path)

    assert (result.lines, result.accepted, result.quarantined) == (1100, 1100, 0)
    assert Slot.objects.count() == 1000
    assert Slot.objects.filter(withdrawn_at__isnull=False).count() == 100
    assert Clinic.objects.count() == 50


def test_the_number_of_queries_does_not_grow_with_the_file(tmp_path, db):
    # The first ingest of the test's transaction also sets its change-history context.
    ingest(tmp_path, "first.jsonl", [published("first-1")])
    counts = []
    for size in (10, 500):
        with CaptureQueriesContext(connection) as queries:
            ingest_file(
                KIND, feed_file(tmp_path, f"size-{size}.jsonl", many_slots(size, withdraw_every=5))
            )
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.parametrize("line", [b"\xff\xfe", b'{"slot_id": "nul\\u0000", "withdrawn": true}'])
def test_odd_bytes_end_in_quarantine_not_in_a_failed_file(tmp_path, db, line):
    path = tmp_path / "odd.jsonl"
    path.write_bytes(line + b"\n" + json.dumps(published("fine-1")).encode() + b"\n")

    result = ingest_file(KIND, path)

    assert (result.accepted, result.quarantined) == (1, 1)
    assert QuarantinedLine.objects.get().line_number == 1
