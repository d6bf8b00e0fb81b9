"""Historia dostępu: who read or changed the acting account's data, newest first, 20 a page."""

from datetime import UTC, datetime
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_person, make_user, years_ago
from guardianship.models import AccessLogEntry

LOGIN = "/konto/login/"
VERIFICATION = "/konto/weryfikacja/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ACCESS_LOG = "/historia-dostepu/"
# Login, verification, the new log entry, count, one page with names, session save.
LOG_QUERIES = 10


def html(response) -> str:
    """The page's text with entities decoded (Django writes ' as &#x27;)."""
    return unescape(response.content.decode())


def switch_url(person) -> str:
    return f"/uprawnienia/dzieci/{person.public_id}/przelacz/"


def rows(response) -> int:
    return html(response).count('<tr class="govuk-table__row">') - 1  # less the header


def log(subject, *, actor=None, action="view_documents", basis="own", acting_for=None, how_many=1):
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            actor=actor,
            subject=subject,
            acting_for=acting_for or subject,
            action=action,
            basis=basis,
        )
        for _ in range(how_many)
    )


# --- the permission ladder ------------------------------------------------------------------------


def test_it_sends_visitors_to_log_in(client, db):
    response = client.get(ACCESS_LOG)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={ACCESS_LOG}"
    assert not AccessLogEntry.objects.exists()


def test_it_sends_unverified_users_to_confirm_their_identity(client, unverified_user):
    client.force_login(unverified_user)

    response = client.get(ACCESS_LOG)

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION
    assert not AccessLogEntry.objects.exists()


def test_it_is_read_only(client, parent):
    client.force_login(parent)

    assert client.post(ACCESS_LOG).status_code == 405
    assert not AccessLogEntry.objects.exists()


def test_a_stranger_cannot_open_someone_elses_history(client, stranger, parent, insured_child):
    log(insured_child, actor=parent, basis="insurance")
    client.force_login(stranger)
    session = client.session
    session["acting_subject"] = str(insured_child.public_id)  # as if they had switched to it
    session.save()

    response = client.get(ACCESS_LOG, **EN)

    assert response.status_code == 200
    assert "Anna Kowalska" not in html(response)
    assert "Zosia Kowalska" not in html(response)
    assert AccessLogEntry.objects.filter(subject=stranger.person).count() == 1
    assert AccessLogEntry.objects.filter(subject=insured_child).count() == 1


def test_a_16_year_old_reads_their_own_history(client, child_16, parent):
    log(child_16.person, actor=parent, basis="insurance", action="view_vaccinations")
    client.force_login(child_16)

    response = client.get(ACCESS_LOG, **EN)

    assert response.status_code == 200
    assert "Anna Kowalska" in html(response)
    assert "viewed vaccinations" in html(response)


def test_a_child_under_16_with_a_login_has_no_history_page(client, db):
    client.force_login(make_user(person=make_person(born=years_ago(12))))

    assert client.get(ACCESS_LOG).status_code == 404
    assert not AccessLogEntry.objects.exists()


# --- what it shows -----------------------------------------------------------------------------------


def test_reading_the_history_is_recorded_first_and_shown_first(client, parent):
    client.force_login(parent)

    response = client.get(ACCESS_LOG, **EN)

    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.subject, entry.acting_for, entry.action, entry.basis) == (
        parent, parent.person, parent.person, "view_access_log", "own"
    )  # fmt: skip
    page = html(response)
    assert "Access history" in page
    assert rows(response) == 1
    assert "You" in page and "viewed the access history" in page and "own account" in page


def test_it_says_who_from_which_account_what_and_why(
    client, parent, granted_guardian, granted_child, support_user
):
    log(granted_child, actor=granted_guardian, basis="grant", action="view_documents")
    log(granted_child, actor=support_user, basis="support", action="support_action")
    log(granted_child, actor=parent, basis="", action="diagnosis", acting_for=parent.person)
    client.force_login(parent)
    client.post(switch_url(granted_child))

    response = client.get(ACCESS_LOG, **EN)

    page = html(response)
    assert response.status_code == 200
    assert "Halina Kowalska" in page and "viewed documents" in page and "added as guardian" in page
    assert "ikp-pomoc support" in page and "support staff action" in page
    assert "checked access to the child's account" in page
    assert "opened the account" in page and "ZUS insurance" in page
    assert "Anna Kowalska" in page  # the account the diagnosis was made from
    assert "You" in page
    assert rows(response) == 5  # three above, the switch and this reading
    for person in (parent.person, granted_guardian.person, granted_child):
        assert person.pesel not in page


def test_switched_to_a_child_it_shows_the_childs_history_and_logs_there(
    client, parent, insured_child
):
    log(parent.person, actor=parent, action="view_documents")
    client.force_login(parent)
    client.post(switch_url(insured_child))

    response = client.get(ACCESS_LOG, **EN)

    assert "Zosia Kowalska" in html(response)
    assert "viewed documents" not in html(response)  # that was the parent's own account
    entry = AccessLogEntry.objects.filter(action="view_access_log").get()
    assert (entry.actor, entry.subject, entry.basis) == (parent, insured_child, "insurance")


def test_times_are_shown_in_polish_time(client, parent):
    log(parent.person, actor=parent)
    AccessLogEntry.objects.update(at=datetime(2024, 7, 1, 10, 30, tzinfo=UTC))
    client.force_login(parent)

    page = html(client.get(ACCESS_LOG, **EN))

    assert 'datetime="2024-07-01T12:30:00+02:00"' in page


def test_it_lists_the_newest_first(client, parent, stranger, granted_guardian):
    log(parent.person, actor=stranger, basis="authorisation")
    AccessLogEntry.objects.update(at=datetime(2024, 1, 1, tzinfo=UTC))
    log(parent.person, actor=granted_guardian, basis="authorisation")
    AccessLogEntry.objects.filter(actor=granted_guardian).update(
        at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    client.force_login(parent)

    page = html(client.get(ACCESS_LOG, **EN))

    assert (
        page.index("viewed the access history")
        < page.index("Halina Kowalska")
        < page.index("Jan Obcy")
    )


# --- pages -----------------------------------------------------------------------------------------------


def test_it_shows_20_entries_a_page_with_pagination(client, parent):
    log(parent.person, actor=parent, how_many=44)  # 45 with the reading itself
    client.force_login(parent)

    first = client.get(ACCESS_LOG, **EN)
    third = client.get(ACCESS_LOG, {"strona": "3"}, **EN)

    assert rows(first) == 20
    assert 'class="govuk-pagination"' in html(first)
    assert 'href="?strona=2"' in html(first) and 'rel="next"' in html(first)
    assert "Page 1 of 3" in html(first)
    assert rows(third) == 46 - 40  # two readings now
    assert 'rel="prev"' in html(third) and 'rel="next"' not in html(third)


def test_a_short_history_has_no_pagination(client, parent):
    client.force_login(parent)

    assert 'class="govuk-pagination"' not in html(client.get(ACCESS_LOG))


@pytest.mark.parametrize(
    ("value", "shown"),
    [("abc", 1), ("", 1), ("1.5", 1), ("0", 2), ("-3", 2), ("999999999999999999999", 2), ("2", 2)],
)
def test_odd_page_numbers_show_the_first_or_last_page(client, parent, value, shown):
    log(parent.person, actor=parent, how_many=25)
    client.force_login(parent)

    response = client.get(ACCESS_LOG, {"strona": value}, **EN)

    assert response.status_code == 200
    assert f"Page {shown} of 2" in html(response)


def _log_page_queries(client, parent, entries: int, django_assert_max_num_queries) -> int:
    log(parent.person, actor=parent, how_many=entries)
    client.force_login(parent)
    client.get(ACCESS_LOG)  # warm the session
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(LOG_QUERIES):
        response = client.get(ACCESS_LOG)
    assert response.status_code == 200
    return len(queries)


def test_the_history_takes_a_pinned_number_of_queries_however_long_it_is(
    client, parent, granted_guardian, stranger, django_assert_max_num_queries
):
    few = _log_page_queries(client, parent, 2, django_assert_max_num_queries)
    log(parent.person, actor=granted_guardian, basis="authorisation", how_many=10)
    log(parent.person, actor=stranger, basis="authorisation", how_many=10)
    many = _log_page_queries(client, parent, 40, django_assert_max_num_queries)

    assert many == few
