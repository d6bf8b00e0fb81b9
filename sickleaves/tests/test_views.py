"""Historia leczenia → Zwolnienia: the acting account's e-ZLA, who sees the cared person's name,
cancellations, the employer-notice reminder, both dates, the access log and the query pin."""

import itertools
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, timezone, translation

from conftest import make_grant, make_person
from feeds.tests.feed_lines import ingest_lines
from guardianship.models import AccessLogEntry
from guardianship.policy import SESSION_KEY
from sickleaves.models import SickLeave

URL = "/historia-leczenia/zwolnienia/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOTICE = "Tell your employer about your absence by"
_serial = itertools.count(1)


def make_leave(
    person,
    *,
    issued_days_ago: int = 0,
    starts_days_ago: int | None = None,
    length: int = 5,
    kind: str = "own_illness",
    cared_person=None,
    **fields,
) -> SickLeave:
    """A leave as the zus-sickleave feed stores it; by default issued today, starting today."""
    today = timezone.localdate()
    period_from = today - timedelta(
        days=issued_days_ago if starts_days_ago is None else starts_days_ago
    )
    defaults = {
        "series_number": f"ZY{next(_serial):07d}", "issued_on": today - timedelta(days=issued_days_ago),
        "period_from": period_from, "period_to": period_from + timedelta(days=length - 1),
        "cared_person_pesel": cared_person.pesel if cared_person else "", "indication": "may_walk",
        "employer_nip": "5260250274", "doctor_name": "lek. Maria Zdrowa", "status": "issued",
    }  # fmt: skip
    return SickLeave.objects.create(
        person=person, kind=kind, cared_person=cared_person, **{**defaults, **fields}
    )


def received(leave: SickLeave, on) -> None:
    """When IKP got it (auto_now_add on create: set afterwards, as a late feed would)."""
    at = timezone.make_aware(datetime.combine(on, time(9, 30)))
    SickLeave.objects.filter(pk=leave.pk).update(received_at=at)


def show(day) -> str:
    with translation.override("en"):
        return formats.date_format(day, "DATE_FORMAT")


def open_account(client, user, subject) -> None:
    client.force_login(user)
    response = client.post(reverse("guardianship:switch_to", args=[subject.public_id]))
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(subject.public_id)


def page(client):
    response = client.get(URL, **EN)
    assert response.status_code == 200
    return response, response.content.decode()


@pytest.fixture
def midday(db):
    """Noon today in Warsaw: "today" and "yesterday" cannot move under a test run at midnight.
    Ask for it before the users, so their identity verification is not dated after noon."""
    today = timezone.localdate()
    with time_machine.travel(timezone.make_aware(datetime.combine(today, time(12, 0))), tick=False):
        yield today


# --- the permission ladder --------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/konto/login/")


def test_it_sends_an_unverified_user_to_verify_their_identity(client, unverified_user):
    make_leave(unverified_user.person)
    client.force_login(unverified_user)
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == reverse(
        "identity_verification_required"
    )
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_refuses_other_methods_with_405(client, parent, method):
    client.force_login(parent)
    assert getattr(client, method)(URL).status_code == 405
    assert not AccessLogEntry.objects.exists()


def test_it_shows_a_stranger_forging_the_session_only_their_own_account(
    client, parent, stranger, insured_child
):
    theirs = make_leave(parent.person, kind="child_care", cared_person=insured_child)
    childs = make_leave(make_person(born=insured_child.birth_date, first_name="Inna"))
    mine = make_leave(stranger.person)
    client.force_login(stranger)
    for forged in (insured_child, parent.person):
        session = client.session
        session[SESSION_KEY] = str(forged.public_id)
        session.save()

        response, html = page(client)

        assert response.context["person"] == stranger.person
        assert [row.leave for row in response.context["rows"]] == [mine]
        assert theirs.series_number not in html and childs.series_number not in html
        assert insured_child.first_name not in html
    assert set(AccessLogEntry.objects.values_list("subject", flat=True)) == {stranger.person.pk}


def test_it_shows_a_16_year_old_their_own_leaves_with_read_only_access(client, child_16):
    leave = make_leave(child_16.person, issued_days_ago=3)
    client.force_login(child_16)

    response, html = page(client)

    assert [row.leave for row in response.context["rows"]] == [leave]
    assert leave.series_number in html


# --- whose leaves, and who sees the cared person's name -----------------------------------------


def test_it_shows_a_care_leave_on_the_parents_account_not_the_childs(client, parent, insured_child):
    care = make_leave(parent.person, kind="child_care", cared_person=insured_child)
    client.force_login(parent)

    _, own = page(client)
    assert care.series_number in own
    assert insured_child.full_name in own  # the parent is the child's guardian in IKP

    open_account(client, parent, insured_child)
    response, childs = page(client)
    assert response.context["person"] == insured_child
    assert response.context["rows"] == []
    assert care.series_number not in childs
    assert "There are no sick leaves on this account." in childs


def test_it_says_a_child_without_a_name_to_a_parent_without_access_to_the_child(
    client, other_parent, insured_child
):
    care = make_leave(other_parent.person, kind="child_care", cared_person=insured_child)
    client.force_login(other_parent)

    response, html = page(client)

    assert care.series_number in html
    assert [row.cared_for for row in response.context["rows"]] == ["a child"]
    assert insured_child.first_name not in html and insured_child.pesel not in html


def test_it_names_the_child_to_a_parent_with_a_grant(client, parent, other_parent, insured_child):
    make_grant(insured_child, other_parent.person, by=parent)
    make_leave(other_parent.person, kind="child_care", cared_person=insured_child)
    client.force_login(other_parent)

    response, html = page(client)

    assert [row.cared_for for row in response.context["rows"]] == [insured_child.full_name]
    assert insured_child.full_name in html


def test_it_hides_the_childs_name_from_an_adult_authorised_by_the_parent(
    client, parent, stranger, insured_child
):
    make_grant(parent.person, stranger.person, kind="authorisation", source="patient")
    care = make_leave(parent.person, kind="child_care", cared_person=insured_child)
    open_account(client, stranger, parent.person)

    response, html = page(client)

    assert care.series_number in html
    assert [row.cared_for for row in response.context["rows"]] == ["a child"]
    assert insured_child.first_name not in html


def test_it_says_a_family_member_when_the_person_is_unknown_to_ikp(client, parent):
    make_leave(parent.person, kind="family_care", cared_person_pesel="44051401458")
    client.force_login(parent)

    response, html = page(client)

    assert [row.cared_for for row in response.context["rows"]] == ["a family member"]
    assert "44051401458" not in html
    assert "Care of a family member" in html


def test_it_names_nobody_on_an_own_illness_leave(client, parent):
    make_leave(parent.person)
    client.force_login(parent)
    response, html = page(client)
    assert [row.cared_for for row in response.context["rows"]] == [""]
    assert "Person cared for" not in html


# --- what each leave shows --------------------------------------------------------------------


def test_it_shows_every_fact_of_a_leave(midday, client, parent):
    leave = make_leave(parent.person, issued_days_ago=10, length=7, indication="must_lie")
    client.force_login(parent)

    _, html = page(client)

    for text in (leave.series_number, show(leave.issued_on), show(leave.period_from), show(leave.period_to),
                 "7 days", "Own illness", "Must lie in bed", "5260250274", "lek. Maria Zdrowa", "issued"):  # fmt: skip
        assert text in html, text


def test_it_lists_a_cancelled_leave_marked_cancelled(midday, client, parent):
    cancelled = make_leave(parent.person, status="cancelled", cancelled_at=timezone.now())
    kept = make_leave(parent.person, issued_days_ago=20)
    client.force_login(parent)

    response, html = page(client)

    assert [row.leave for row in response.context["rows"]] == [cancelled, kept]
    assert [row.cancelled for row in response.context["rows"]] == [True, False]
    assert cancelled.series_number in html
    assert f"This sick leave was cancelled on {show(midday)}. It is no longer valid." in html
    assert 'govuk-tag--red">cancelled<' in html
    assert NOTICE not in html  # a cancelled leave excuses no absence: no reminder


@pytest.mark.parametrize(("starts_days_ago", "deadline_days"), [(0, 1), (1, 0)])
def test_it_reminds_to_tell_the_employer_on_days_one_and_two(
    midday, client, parent, starts_days_ago, deadline_days
):
    make_leave(parent.person, starts_days_ago=starts_days_ago)
    client.force_login(parent)

    response, html = page(client)

    deadline = midday + timedelta(days=deadline_days)
    assert [row.notify_employer_by for row in response.context["rows"]] == [deadline]
    assert f"{NOTICE} {show(deadline)} (the second day of absence), in any form." in html
    assert "the employer receives it from ZUS without your action" in html


def test_it_does_not_remind_on_the_third_day(midday, client, parent):
    make_leave(parent.person, starts_days_ago=2)
    client.force_login(parent)

    response, html = page(client)

    assert [row.notify_employer_by for row in response.context["rows"]] == [None]
    assert NOTICE not in html


def test_a_leave_dated_at_the_calendars_end_is_listed_without_a_reminder(client, parent, tmp_path):
    # The feed checks only that the period is ordered: 9999-12-31 goes into a date column.
    line = {
        "series_number": "ZZ9999999", "pesel": parent.person.pesel, "issued_on": str(timezone.localdate()),
        "period_from": "9999-12-30", "period_to": "9999-12-31", "kind": "own_illness", "indication": "may_walk",
        "employer_nip": "5260250274", "doctor_name": "lek. Maria Zdrowa", "status": "issued",
    }  # fmt: skip
    assert ingest_lines("zus-sickleave", tmp_path, "far.jsonl", [line]).accepted == 1
    client.force_login(parent)

    response, _ = page(client)

    assert [(row.days, row.notify_employer_by) for row in response.context["rows"]] == [(2, None)]
    assert client.get("/", **EN).status_code == 200  # the start page's summary lists it too


def test_it_shows_both_dates_of_a_leave_received_today_but_issued_days_ago(midday, client, parent):
    late = make_leave(parent.person, issued_days_ago=4)
    on_time = make_leave(parent.person, issued_days_ago=6)
    received(on_time, on_time.issued_on)
    client.force_login(parent)

    response, html = page(client)

    assert [row.received_on for row in response.context["rows"]] == [midday, None]
    assert show(late.issued_on) in html
    assert f"in IKP since {show(midday)}" in html
    assert html.count("in IKP since") == 1


def test_it_says_when_leaves_appear_in_ikp(client, parent):
    client.force_login(parent)
    _, html = page(client)
    assert "appears in IKP 1–2 days after" in html


# --- list mechanics -----------------------------------------------------------------------------


def test_it_lists_newest_issue_date_first_twenty_a_page(client, parent):
    leaves = [make_leave(parent.person, issued_days_ago=n) for n in range(25)]
    client.force_login(parent)

    first = client.get(URL, **EN).context["rows"]
    second = client.get(URL, {"strona": 2}, **EN).context["rows"]
    beyond = client.get(URL, {"strona": 99}, **EN).context["rows"]

    assert [row.leave for row in first] == leaves[:20]
    assert [row.leave for row in second] == leaves[20:]
    assert [row.leave for row in beyond] == leaves[20:]  # a bad page number: the last page


def test_it_writes_one_access_log_row_a_view(client, parent, insured_child):
    client.force_login(parent)
    page(client)
    own = AccessLogEntry.objects.get()  # exactly one row for one view
    assert (own.actor, own.subject, own.acting_for, own.action) == (
        parent,
        parent.person,
        parent.person,
        "view_sick_leaves",
    )

    open_account(client, parent, insured_child)
    page(client)
    entry = AccessLogEntry.objects.filter(subject=insured_child, action="view_sick_leaves").get()
    assert (entry.actor, entry.action, entry.basis) == (parent, "view_sick_leaves", "insurance")
    assert AccessLogEntry.objects.filter(action="view_sick_leaves").count() == 2


def test_it_keeps_the_query_count_pinned(
    client, parent, insured_child, django_assert_max_num_queries
):
    def add_leaves(count):
        for n in range(count):
            kind = ("own_illness", "child_care", "family_care")[n % 3]
            cared = (
                None
                if kind == "own_illness"
                else (insured_child if n % 2 else make_person(born=insured_child.birth_date))
            )
            make_leave(parent.person, issued_days_ago=n, kind=kind, cared_person=cared)

    add_leaves(3)
    client.force_login(parent)
    page(client)  # warm the session
    with django_assert_max_num_queries(30) as few:
        page(client)
    add_leaves(37)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response, _ = page(client)
    assert len(response.context["rows"]) == 20
