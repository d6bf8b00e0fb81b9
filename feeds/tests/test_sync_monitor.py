"""The sync monitor (/obsluga/synchronizacja/) and the quarantined line page behind it."""

import itertools
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone

from accounts.models import Person
from accounts.rules import build_pesel
from conftest import insure, make_person
from feeds.models import FeedFile, QuarantinedLine
from feeds.runner import ingest_file
from guardianship.models import AccessLogEntry, Coverage, InsuranceEvent

MONITOR = "/obsluga/synchronizacja/"
LOGIN = "/konto/login/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

_serial = itertools.count(700)


def with_totp(user):
    """Staff must have a second factor (accounts.middleware); the tests give them one."""
    TOTP.activate(user, generate_totp_secret())
    return user


def html(response) -> str:
    return response.content.decode()


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The body rows of the table with this id, as lists of cell texts."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.DOTALL)
    assert table, f"no table #{table_id}"
    body = re.search(r"<tbody.*?</tbody>", table.group(0), re.DOTALL).group(0)
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        for row in re.findall(r"<tr[^>]*>.*?</tr>", body, re.DOTALL)
    ]


def line_url(line: QuarantinedLine) -> str:
    return reverse("feeds:quarantined_line", kwargs={"public_id": line.public_id})


# --- feed lines --------------------------------------------------------------------------------


def new_pesel(born: date, sex: str = "F") -> str:
    return build_pesel(born, sex=sex, serial=next(_serial))


def registration(event_id: str, *, insured: str | None = None, member: str | None = None,
                 valid_from: date | None = None, reported_on: date | None = None, **overrides) -> str:
    today = timezone.localdate()
    line = {
        "event_id": event_id, "type": "family_member_registered",
        "insured_pesel": insured or new_pesel(date(1980, 5, 5)), "insured_first_name": "Marta", "insured_surname": "Lis",
        "member_pesel": member or new_pesel(today - timedelta(days=3650)), "member_first_name": "Ola", "member_surname": "Lis",
        "valid_from": str(valid_from or today - timedelta(days=30)), "reported_on": str(reported_on or today),
    }  # fmt: skip
    line.update(overrides)
    return json.dumps(line)


def bad_checksum(pesel: str) -> str:
    return pesel[:10] + str((int(pesel[10]) + 1) % 10)


def feed_file(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def support_client(client, support_user):
    client.force_login(with_totp(support_user))
    return client


@pytest.fixture
def bad_lines_file(tmp_path, db) -> Path:
    """One good line and one line of each kind of problem the parser finds."""
    child_pesel = new_pesel(date(2015, 1, 1))
    return feed_file(tmp_path, "zus-2026-01-01.jsonl", [
        registration("ok-1"),
        '{"event_id": "broken", ',
        registration("bad-pesel", member=bad_checksum(child_pesel)),
        registration("same", insured=child_pesel, member=child_pesel),
        json.dumps({"event_id": "c-1", "type": "event_cancelled", "cancels_event_id": "c-1", "reported_on": "2026-01-01"}),
        json.dumps({"event_id": "no-date", "type": "own_title_started", "pesel": child_pesel, "title": "apprenticeship"}),
    ])  # fmt: skip


@pytest.fixture
def quarantined(tmp_path, db) -> QuarantinedLine:
    """A registration set aside for a mistyped member PESEL (as a typo in a ZUS declaration)."""
    path = feed_file(tmp_path, "zus-typo.jsonl", [registration("typo-1", member=bad_checksum(new_pesel(date(2016, 2, 2))))])
    ingest_file("zus-insurance", path)
    return QuarantinedLine.objects.get()


# --- who may see it ---------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login(client, db):
    response = client.get(MONITOR)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("who", ["parent", "child_16", "unverified_user", "stranger"])
def test_it_refuses_patients(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(MONITOR).status_code == 403


def test_it_refuses_clinic_staff(client, clinic_user):
    client.force_login(with_totp(clinic_user))

    assert client.get(MONITOR).status_code == 403


def test_it_sends_support_staff_without_a_second_factor_to_set_one_up(client, support_user):
    client.force_login(support_user)

    response = client.get(MONITOR)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize("who", ["support_user", "admin_user"])
def test_it_shows_the_monitor_to_support_staff_and_superusers(client, request, who):
    client.force_login(with_totp(request.getfixturevalue(who)))

    response = client.get(MONITOR, **EN)

    assert response.status_code == 200
    assert "Insurance sync monitor" in html(response)
    assert "No event is waiting" in html(response)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_monitor_is_read_only(support_client, method):
    assert getattr(support_client, method)(MONITOR).status_code == 405


# --- counts and the deadline -------------------------------------------------------------------------


def test_it_counts_waiting_and_applied_events(support_client, parent):
    today = timezone.localdate()
    applied_today = insure(parent.person, make_person(born=today - timedelta(days=900)))
    applied_long_ago = insure(parent.person, make_person(born=today - timedelta(days=800)))
    InsuranceEvent.objects.filter(event_id=applied_long_ago).update(applied_at=timezone.now() - timedelta(days=2))
    for _ in range(3):
        insure(parent.person, make_person(born=today - timedelta(days=700)), reported_on=today, apply=False)

    page = html(support_client.get(MONITOR, **EN))

    assert InsuranceEvent.objects.filter(event_id=applied_today, applied_at__isnull=False).exists()
    assert 'id="count-pending">3<' in page
    assert 'id="count-applied">2<' in page
    assert 'id="count-applied-last-day">1<' in page


def test_it_lists_waiting_events_near_or_past_the_21_day_deadline_oldest_first(support_client, parent):
    today = timezone.localdate()
    insure(parent.person, make_person(born=today - timedelta(days=999)), reported_on=today - timedelta(days=40))  # applied
    ids = {
        days: insure(parent.person, make_person(born=today - timedelta(days=1000 + days)),
                     reported_on=today - timedelta(days=days), apply=False)
        for days in (3, 13, 14, 20, 21, 22, 30)
    }  # fmt: skip

    page = html(support_client.get(MONITOR, **EN))

    rows = table_rows(page, "late")
    assert [row[0] for row in rows] == [ids[30], ids[22], ids[21], ids[20], ids[14]]
    assert [row[4] for row in rows] == ["past deadline", "past deadline", "near deadline", "near deadline", "near deadline"]
    oldest = rows[0]
    assert oldest[1] == "family member registered"
    assert oldest[2:4] == [str(today - timedelta(days=30)), str(today - timedelta(days=9))]
    assert rows[2][3] == str(today)  # on day 21 the deadline is today: near, not past


def test_it_names_the_oldest_waiting_event_and_how_far_past_its_deadline_it_is(support_client, parent):
    today = timezone.localdate()
    insure(parent.person, make_person(born=date(2015, 1, 1)), reported_on=today - timedelta(days=5), apply=False)
    oldest = insure(parent.person, make_person(born=date(2015, 2, 2)), reported_on=today - timedelta(days=25), apply=False)

    page = html(support_client.get(MONITOR, **EN))

    section = re.search(r'<dl class="govuk-summary-list" id="oldest">.*?</dl>', page, re.DOTALL).group(0)
    assert oldest in section
    assert str(today - timedelta(days=25)) in section
    assert str(today - timedelta(days=4)) in section
    assert "4 days past the deadline" in section


def test_it_says_how_many_days_are_left_for_a_recent_event(support_client, parent):
    today = timezone.localdate()
    insure(parent.person, make_person(born=date(2015, 1, 1)), reported_on=today - timedelta(days=1), apply=False)

    page = html(support_client.get(MONITOR, **EN))

    assert "20 days left" in page
    assert "No waiting event is near its deadline." in page


def test_a_waiting_event_reported_at_the_calendars_end_does_not_break_the_monitor(support_client, tmp_path):
    # The feed takes any date: a cancellation whose target never came waits, dated 9999-12-31.
    cancellation = {"event_id": "c-far", "type": "event_cancelled", "cancels_event_id": "nope", "reported_on": "9999-12-31"}
    result = ingest_file("zus-insurance", feed_file(tmp_path, "far.jsonl", [json.dumps(cancellation)]))
    assert (result.accepted, result.quarantined) == (1, 0)

    response = support_client.get(MONITOR, **EN)

    assert response.status_code == 200
    section = re.search(r'<dl class="govuk-summary-list" id="oldest">.*?</dl>', html(response), re.DOTALL).group(0)
    assert "c-far" in section and "9999-12-31" in section


def test_it_lists_at_most_100_late_events_with_a_fixed_number_of_queries(
    support_client, tmp_path, django_assert_max_num_queries
):
    reported = timezone.localdate() - timedelta(days=30)
    InsuranceEvent.objects.bulk_create(
        InsuranceEvent(event_id=f"late-{n:03d}", type="own_title_started", person_pesel=new_pesel(date(2012, 1, 1)),
                       title="apprenticeship", valid_from=reported, reported_on=reported)
        for n in range(130)
    )  # fmt: skip
    for n in range(3):
        bad = [registration(f"f{n}-{k}", member="123") for k in range(12)]
        ingest_file("zus-insurance", feed_file(tmp_path, f"bad-{n}.jsonl", bad), apply=False)

    with django_assert_max_num_queries(14):
        response = support_client.get(MONITOR, **EN)

    assert response.status_code == 200
    rows = table_rows(html(response), "late")
    assert len(rows) == 100
    assert rows[0][0] == "late-000"
    assert len(table_rows(html(response), "quarantine-lines")) == 25
    assert len(table_rows(html(response), "feed-files")) == 3


# --- quarantine ------------------------------------------------------------------------------------------


def test_it_lists_the_open_quarantined_lines_of_an_ingested_file_with_translated_reasons(support_client, bad_lines_file):
    ingest_file("zus-insurance", bad_lines_file)

    page = html(support_client.get(MONITOR, **EN))

    rows = table_rows(page, "quarantine-lines")
    assert [(row[0], row[1]) for row in rows] == [("zus-2026-01-01.jsonl", str(n)) for n in (2, 3, 4, 5, 6)]
    reasons = {row[1]: row[2] for row in rows}
    assert reasons["2"].startswith("Not valid JSON")
    assert reasons["3"].startswith("Invalid PESEL member_pesel (checksum)")
    assert reasons["4"].startswith("The insured person and the family member are the same person")
    assert reasons["5"].startswith("The event cancels itself")
    assert reasons["6"].startswith("A field is missing or has a wrong value")
    for line in QuarantinedLine.objects.all():
        assert f'href="{line_url(line)}"' in page
    assert re.search(r"<code>zus-insurance</code>.*?5 open lines", page, re.DOTALL)
    files = table_rows(page, "feed-files")
    assert files == [[
        "zus-insurance", "zus-2026-01-01.jsonl", files[0][2], files[0][3], "6", "1", "0", "5",
    ]]  # fmt: skip


def test_it_leaves_resolved_lines_off_the_list(support_client, quarantined):
    QuarantinedLine.objects.update(resolved_at=timezone.now())

    page = html(support_client.get(MONITOR, **EN))

    assert "No line is waiting in quarantine." in page
    assert line_url(quarantined) not in page


def test_it_pages_quarantined_lines_25_at_a_time_newest_file_first(support_client, tmp_path):
    ingest_file("zus-insurance", feed_file(tmp_path, "old.jsonl", [registration(f"o-{n}", member="1") for n in range(20)]))
    QuarantinedLine.objects.update(created_at=timezone.now() - timedelta(hours=1))
    ingest_file("zus-insurance", feed_file(tmp_path, "new.jsonl", [registration(f"n-{n}", member="1") for n in range(10)]))

    first = table_rows(html(support_client.get(MONITOR, **EN)), "quarantine-lines")
    second_page = html(support_client.get(MONITOR, {"strona": 2}, **EN))
    second = table_rows(second_page, "quarantine-lines")

    assert [row[0] for row in first] == ["new.jsonl"] * 10 + ["old.jsonl"] * 15
    assert [row[1] for row in first[:3]] == ["1", "2", "3"]
    assert [(row[0], row[1]) for row in second] == [("old.jsonl", str(n)) for n in range(16, 21)]
    assert "Page 2 of 2" in second_page
    assert 'href="?strona=1#quarantine"' in second_page
    assert table_rows(html(support_client.get(MONITOR, {"strona": "nope"}, **EN)), "quarantine-lines") == first


def test_the_monitor_never_shows_a_pesel(support_client, tmp_path):
    today = timezone.localdate()
    pesels = [new_pesel(date(1979, 4, 4)), new_pesel(date(2014, 6, 6)), new_pesel(date(2013, 3, 3), "M")]
    old = today - timedelta(days=18)
    lines = [
        registration("p-1", insured=pesels[0], member=pesels[1], reported_on=old),
        registration("p-2", insured=pesels[0], member=pesels[2], reported_on=old),
        registration("p-3", insured=pesels[0], member=pesels[0]),  # quarantined: same person
        registration("p-4", insured=pesels[0], member=bad_checksum(pesels[1])),  # quarantined
        json.dumps({"event_id": "p-5", "type": "own_title_started", "pesel": pesels[2], "title": "apprenticeship",
                    "valid_from": str(old), "reported_on": str(old)}),
    ]  # fmt: skip
    ingest_file("zus-insurance", feed_file(tmp_path, "people.jsonl", lines), apply=False)

    page = html(support_client.get(MONITOR, **EN))

    assert len(table_rows(page, "late")) == 3  # the events are on the page, by event_id
    assert len(table_rows(page, "quarantine-lines")) == 2
    for pesel in pesels + [bad_checksum(pesels[1])]:
        assert pesel not in page


# --- the quarantined line page -------------------------------------------------------------------------


def test_the_line_page_sends_anonymous_visitors_to_the_login(client, quarantined):
    response = client.get(line_url(quarantined))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("who", ["parent", "child_16", "stranger"])
def test_the_line_page_refuses_patients_and_changes_nothing(client, request, who, quarantined):
    client.force_login(request.getfixturevalue(who))
    fixed = registration("typo-1", member=new_pesel(date(2016, 2, 2)))

    assert client.get(line_url(quarantined)).status_code == 403
    assert client.post(line_url(quarantined), {"line": fixed}).status_code == 403
    quarantined.refresh_from_db()
    assert quarantined.resolved_at is None
    assert not InsuranceEvent.objects.exists()


def test_an_unknown_line_is_not_found(support_client, db):
    response = support_client.get(reverse("feeds:quarantined_line", kwargs={"public_id": "8c4c7bd6-1d2b-4c1e-9a55-0f4b7f0c6a11"}))

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_line_page_takes_only_get_and_post(support_client, quarantined, method):
    assert getattr(support_client, method)(line_url(quarantined)).status_code == 405


def test_the_line_page_shows_the_line_and_its_reason_for_correction(support_client, quarantined):
    response = support_client.get(line_url(quarantined), **EN)

    assert response.status_code == 200
    page = html(response)
    assert "zus-typo.jsonl" in page
    assert "zus-insurance" in page
    assert "Invalid PESEL" in page and "member_pesel (checksum)" in page
    assert re.search(r"Line number</dt>\s*<dd[^>]*>1</dd>", page)
    textarea = re.search(r'<textarea[^>]*name="line"[^>]*>(.*?)</textarea>', page, re.DOTALL).group(1)
    assert json.loads(textarea.replace("&quot;", '"').strip())["event_id"] == "typo-1"
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page


def test_a_corrected_line_is_stored_applied_and_the_line_resolved(support_client, support_user, quarantined):
    insured_pesel = json.loads(quarantined.raw)["insured_pesel"]
    member_pesel = new_pesel(date(2016, 2, 2))
    fixed = registration("typo-1", insured=insured_pesel, member=member_pesel)

    response = support_client.post(line_url(quarantined), {"line": fixed}, **EN)

    assert response.status_code == 302
    assert response["Location"] == MONITOR
    quarantined.refresh_from_db()
    assert quarantined.resolved_at is not None
    assert quarantined.resolved_by == support_user
    event = InsuranceEvent.objects.get(event_id="typo-1")
    assert event.applied_at is not None
    assert Coverage.objects.filter(
        registration_event_id="typo-1", insured__pesel=insured_pesel, member__pesel=member_pesel
    ).exists()
    after = support_client.get(MONITOR, **EN)
    assert "The corrected line was accepted and applied." in html(after)
    assert "No line is waiting in quarantine." in html(after)


def test_a_line_that_is_still_bad_shows_the_reason_as_a_form_error(support_client, quarantined):
    still_bad = registration("typo-1", member="12345678901")

    response = support_client.post(line_url(quarantined), {"line": still_bad}, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    page = html(response)
    assert "govuk-error-summary" in page
    assert '<a href="#id_line">Invalid PESEL: member_pesel' in page
    assert 'aria-invalid="true"' in page
    quarantined.refresh_from_db()
    assert quarantined.resolved_at is None
    assert not InsuranceEvent.objects.exists()
    assert not Person.objects.filter(surname="Lis").exists()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Enter the corrected line"),
        ("not json at all", "Not valid JSON"),
        ('{"event_id": "x", "type": "no_such_type"}', "A field is missing or has a wrong value"),
        ("\u0000", "Null characters are not allowed"),
        (registration("nul\u0000id"), "A field is missing or has a wrong value"),
    ],
)
def test_bad_input_never_breaks_the_line_page(support_client, quarantined, text, error):
    response = support_client.post(line_url(quarantined), {"line": text}, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    assert error in html(response)
    quarantined.refresh_from_db()
    assert quarantined.resolved_at is None


def test_a_correction_reusing_a_known_event_id_with_other_content_is_refused(support_client, parent, quarantined):
    known = insure(parent.person, make_person(born=date(2015, 5, 5)))

    response = support_client.post(line_url(quarantined), {"line": registration(known)}, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    assert "This identifier was already received with other content" in html(response)
    quarantined.refresh_from_db()
    assert quarantined.resolved_at is None
    assert InsuranceEvent.objects.count() == 1


def test_running_a_resolved_line_again_changes_nothing(support_client, quarantined, admin_user):
    resolved_at = timezone.now() - timedelta(days=1)
    QuarantinedLine.objects.filter(pk=quarantined.pk).update(resolved_at=resolved_at, resolved_by=admin_user)

    page = html(support_client.get(line_url(quarantined), **EN))
    response = support_client.post(line_url(quarantined), {"line": registration("another-1")}, follow=True, **EN)

    assert "resolved" in page and admin_user.email in page
    assert 'name="line"' not in page
    assert response.redirect_chain == [(line_url(quarantined), 302)]
    assert "This line has already been resolved; nothing was run again." in html(response)
    quarantined.refresh_from_db()
    assert (quarantined.resolved_at, quarantined.resolved_by) == (resolved_at, admin_user)
    assert not InsuranceEvent.objects.exists()
    assert FeedFile.objects.count() == 1


# --- reading a line that names known people is logged on them -----------------------------------


def feed_line_rows(person) -> list[tuple]:
    return list(
        AccessLogEntry.objects.filter(subject=person, action=AccessLogEntry.Action.SUPPORT_VIEW_FEED_LINE)
        .order_by("pk")
        .values_list("actor", "acting_for", "basis", "target")
    )


def set_aside(kind: str, raw: str) -> QuarantinedLine:
    return QuarantinedLine.objects.create(
        kind=kind, file_sha256="0" * 64, line_number=1, reason="invalid_field: test", raw=raw
    )


def test_reading_a_line_is_logged_on_each_known_person_it_names(support_client, support_user, parent, insured_child, tmp_path):
    """A registration of a known child by a known parent, set aside for a wrong date: staff
    read both PESELs (and the names) to correct it, so both histories show the read."""
    line = registration("late-1", insured=parent.person.pesel, member=insured_child.pesel, valid_from="2026-02-30")
    ingest_file("zus-insurance", feed_file(tmp_path, "zus-date.jsonl", [line]))
    quarantined = QuarantinedLine.objects.get()

    assert support_client.get(line_url(quarantined)).status_code == 200
    for person in (parent.person, insured_child):
        assert feed_line_rows(person) == [(support_user.pk, person.pk, "support", str(quarantined.public_id))]

    still_bad = registration("late-1", insured=parent.person.pesel, member="12345678901")
    assert support_client.post(line_url(quarantined), {"line": still_bad}).status_code == 400
    for person in (parent.person, insured_child):
        assert len(feed_line_rows(person)) == 2  # the POST shows the line again: logged again


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("zus-insurance", {"type": "own_title_started", "pesel": "{known}", "title": "apprenticeship"}),
        ("immunization", {"record_id": "r-1", "pesel": "{known}", "vaccine": "HPV9", "dose_number": 3}),
        ("edm-document", {"document_id": "d-1", "pesel": "{known}", "title": "Wypis", "body": "Rozpoznanie."}),
        ("zus-sickleave", {"series_number": "ZY 1", "pesel": "{other}", "kind": "child_care",
                           "cared_person_pesel": "{known}"}),
    ],
)  # fmt: skip
def test_each_kinds_pesel_keys_name_the_people_read(support_client, support_user, parent, insured_child, kind, fields):
    other = new_pesel(date(1990, 1, 1))  # a valid PESEL of nobody the portal knows
    raw = json.dumps({key: str(value).format(known=insured_child.pesel, other=other) for key, value in fields.items()})
    line = set_aside(kind, raw)

    assert support_client.get(line_url(line)).status_code == 200

    assert feed_line_rows(insured_child) == [(support_user.pk, insured_child.pk, "support", str(line.public_id))]
    assert AccessLogEntry.objects.count() == len(feed_line_rows(insured_child))


def test_a_pesel_outside_the_pesel_keys_of_a_json_line_is_not_read_as_a_person(support_client, parent, insured_child):
    """Only the PESEL-valued keys name the person a line is about; a number in a document's
    text is the document's content, about its own patient."""
    unknown = new_pesel(date(1991, 1, 1))
    line = set_aside("edm-document", json.dumps({"document_id": "d-2", "pesel": unknown, "body": f"Nr {parent.person.pesel}"}))

    assert support_client.get(line_url(line)).status_code == 200

    assert not AccessLogEntry.objects.exists()


def test_a_line_that_is_not_json_names_people_by_runs_of_11_digits(support_client, support_user, parent, insured_child):
    raw = f'{{"pesel": "{insured_child.pesel}", "body": "x{parent.person.pesel}0" '  # cut off: not JSON
    line = set_aside("edm-document", raw)

    assert support_client.get(line_url(line)).status_code == 200

    assert feed_line_rows(insured_child) == [(support_user.pk, insured_child.pk, "support", str(line.public_id))]
    assert feed_line_rows(parent.person) == []  # 12 digits: not a PESEL


def test_a_line_naming_nobody_known_logs_nothing(support_client, quarantined):
    assert support_client.get(line_url(quarantined)).status_code == 200
    assert support_client.post(line_url(quarantined), {"line": "not json"}).status_code == 400

    assert not AccessLogEntry.objects.exists()


def test_the_admins_page_of_a_line_is_logged_like_the_monitors(client, admin_user, parent, insured_child, tmp_path):
    """The admin shows the same raw text read-only: a read of the people it names too."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    line = registration("late-2", insured=parent.person.pesel, member=insured_child.pesel, valid_from="2026-02-30")
    ingest_file("zus-insurance", feed_file(tmp_path, "zus-admin.jsonl", [line]))
    quarantined = QuarantinedLine.objects.get()
    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)

    assert client.get(reverse("admin:feeds_quarantinedline_changelist")).status_code == 200
    assert feed_line_rows(parent.person) == []  # the list shows no raw text
    page = client.get(reverse("admin:feeds_quarantinedline_change", args=[quarantined.pk]))

    assert page.status_code == 200 and insured_child.pesel in page.content.decode()
    for person in (parent.person, insured_child):
        assert feed_line_rows(person) == [(admin_user.pk, person.pk, "support", str(quarantined.public_id))]
