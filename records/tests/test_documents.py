"""Historia leczenia → Dokumenty: the list (filters, pages, a pinned query count, the FAQ's
empty-history answer) and one document, each behind the access policy and written to the
access log. The PDF has its own file (test_pdf.py)."""

import itertools
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_grant, make_person, make_user, years_ago
from guardianship.models import AccessLogEntry
from guardianship.policy import SESSION_KEY
from records.models import Document

LIST = "/historia-leczenia/dokumenty/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
_serial = itertools.count(1)


def make_document(person, *, issued: date | None = None, hour: int = 9, **fields) -> Document:
    """A document as the edm-document feed would store it; issued at `hour` on `issued`."""
    issued = issued or timezone.localdate() - timedelta(days=10)
    n = next(_serial)
    defaults = {
        "document_id": f"test-doc-{n}",
        "type": Document.Type.LAB_RESULT,
        "title": f"Morfologia krwi {n}",
        "facility_name": "Szpital Miejski w Łodzi",
        "author_name": "lek. Zofia Wąsik",
        "body": "Wynik w normie.",
    }
    return Document.objects.create(
        person=person,
        issued_at=timezone.make_aware(datetime.combine(issued, time(hour))),
        **(defaults | fields),
    )


def detail_url(document) -> str:
    return f"/historia-leczenia/dokumenty/{document.public_id}/"


def open_account(client, user, subject) -> None:
    """Log in and switch to `subject`'s account, as the FAQ tells a parent to."""
    client.force_login(user)
    response = client.post(reverse("guardianship:switch_to", args=[subject.public_id]))
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(subject.public_id)


def logged(action, **filters) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(action=action, **filters))


def titles(response) -> list[str]:
    return [document.title for document in response.context["page"].object_list]


@pytest.fixture
def adult_authoriser(db, granted_guardian):
    """An adult patient who authorised `granted_guardian` to see their data (read-only)."""
    adult = make_person(born=date(1970, 6, 1), first_name="Marek", surname="Zieliński", sex="M")
    make_user(person=adult)
    make_grant(adult, granted_guardian.person, kind="authorisation", source="patient")
    return adult


# --- the permission ladder ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "pdf/"])
def test_it_sends_anonymous_users_to_the_login_page(client, child, suffix):
    document = make_document(child)
    for url in (LIST, detail_url(document) + suffix):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not AccessLogEntry.objects.exists()


def test_it_sends_an_unverified_login_to_identity_verification(client, unverified_user):
    make_document(unverified_user.person)
    client.force_login(unverified_user)
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == reverse("identity_verification_required")


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_refuses_methods_other_than_get(client, parent, method):
    document = make_document(parent.person)
    client.force_login(parent)
    for url in (LIST, detail_url(document), detail_url(document) + "pdf/"):
        assert getattr(client, method)(url).status_code == 405
    assert not AccessLogEntry.objects.exists()


def test_it_lists_the_users_own_documents_newest_first_and_logs_one_view(client, parent):
    today = timezone.localdate()
    old = make_document(
        parent.person, issued=today - timedelta(days=300), title="RTG klatki piersiowej"
    )
    new = make_document(parent.person, issued=today - timedelta(days=2), title="Wypis ze szpitala")
    same_day_later = make_document(
        parent.person, issued=today - timedelta(days=2), hour=15, title="Lipidogram"
    )
    client.force_login(parent)

    response = client.get(LIST)

    assert response.status_code == 200
    assert titles(response) == [same_day_later.title, new.title, old.title]
    body = response.content.decode()
    assert f'href="{detail_url(new)}"' in body
    assert 'data-label="' in body  # the table reflows on phones
    [entry] = logged("view_documents")
    assert (entry.actor, entry.subject, entry.acting_for, entry.basis) == (
        parent, parent.person, parent.person, "own",
    )  # fmt: skip


def test_a_guardian_sees_the_childs_documents_after_switching(client, parent, insured_child):
    make_document(parent.person, title="Dokument rodzica")
    make_document(insured_child, title="Szczepienie — opis badania")
    open_account(client, parent, insured_child)

    response = client.get(LIST)

    assert response.status_code == 200
    assert titles(response) == ["Szczepienie — opis badania"]
    assert response.context["person"] == insured_child
    [entry] = logged("view_documents")
    assert (entry.actor, entry.subject, entry.basis) == (parent, insured_child, "insurance")


def test_a_granted_guardian_sees_the_childs_document(client, granted_child, granted_guardian):
    document = make_document(granted_child, title="Wypis")
    open_account(client, granted_guardian, granted_child)
    assert titles(client.get(LIST)) == ["Wypis"]
    assert client.get(detail_url(document)).status_code == 200
    assert (
        len(logged("view_document", actor=granted_guardian, subject=granted_child, basis="grant"))
        == 1
    )


def test_a_16_year_old_sees_their_own_documents(client, child_16):
    document = make_document(child_16.person, title="Badanie wzroku")
    client.force_login(child_16)
    assert titles(client.get(LIST)) == ["Badanie wzroku"]
    assert client.get(detail_url(document)).status_code == 200
    assert len(logged("view_document", actor=child_16, subject=child_16.person)) == 1


def test_a_read_only_authorisation_sees_an_adults_documents(
    client, granted_guardian, adult_authoriser
):
    document = make_document(adult_authoriser, title="Opis tomografii")
    open_account(client, granted_guardian, adult_authoriser)

    assert titles(client.get(LIST)) == ["Opis tomografii"]
    assert client.get(detail_url(document)).status_code == 200
    entries = AccessLogEntry.objects.filter(
        subject=adult_authoriser, actor=granted_guardian, basis="authorisation"
    )
    assert sorted(entries.values_list("action", flat=True)) == [
        "switch_account",
        "view_document",
        "view_documents",
    ]


def test_a_stranger_forging_the_session_sees_only_their_own_account(
    client, stranger, insured_child
):
    make_document(insured_child, title="Dokument dziecka")
    make_document(stranger.person, title="Własny dokument")
    client.force_login(stranger)
    session = client.session
    session[SESSION_KEY] = str(insured_child.public_id)
    session.save()

    response = client.get(LIST)

    assert response.status_code == 200
    assert titles(response) == ["Własny dokument"]
    assert "Dokument dziecka" not in response.content.decode()
    assert not AccessLogEntry.objects.filter(subject=insured_child).exists()


@pytest.mark.parametrize("suffix", ["", "pdf/"])
def test_a_stranger_gets_404_for_a_real_documents_url_and_no_log_row(
    client, stranger, insured_child, suffix
):
    document = make_document(insured_child)
    client.force_login(stranger)
    assert client.get(detail_url(document) + suffix).status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_a_guardian_whose_access_ended_gets_404(client, parent):
    # Guardians' access ends on the 18th birthday: the former child's documents are theirs alone.
    from conftest import insure

    adult_child = make_person(born=years_ago(19), first_name="Ola", surname="Kowalska")
    insure(parent.person, adult_child)
    document = make_document(adult_child)
    client.force_login(parent)
    assert client.get(detail_url(document)).status_code == 404


def test_an_unknown_document_id_is_404(client, parent):
    client.force_login(parent)
    assert client.get(f"/historia-leczenia/dokumenty/{uuid.uuid4()}/").status_code == 404
    assert client.get("/historia-leczenia/dokumenty/12/").status_code == 404  # never an integer key


# --- one document -------------------------------------------------------------------------------


def test_the_document_page_shows_everything_with_line_breaks_and_logs_the_read(
    client, parent, insured_child
):
    document = make_document(
        insured_child,
        type=Document.Type.DISCHARGE_SUMMARY,
        title="Karta informacyjna leczenia szpitalnego",
        facility_name="Szpital Dziecięcy im. św. Łukasza",
        author_name="dr n. med. Łucja Żółkiewska",
        body="Rozpoznanie: zapalenie oskrzeli.\nZalecenia: odpoczynek, dużo płynów.",
    )
    open_account(client, parent, insured_child)

    response = client.get(detail_url(document))

    body = response.content.decode()
    assert response.status_code == 200
    for text in (document.title, document.facility_name, document.author_name, "Wypis ze szpitala"):
        assert text in body
    assert "zapalenie oskrzeli.<br>Zalecenia" in body
    assert f'href="{detail_url(document)}pdf/"' in body
    assert "records/includes/document_content.html" in [t.name for t in response.templates]
    [entry] = logged("view_document")
    assert (entry.actor, entry.subject, entry.target) == (
        parent,
        insured_child,
        str(document.public_id),
    )


def test_the_document_page_escapes_the_feeds_text(client, parent):
    document = make_document(parent.person, title="<b>Tytuł</b>", body="<script>alert(1)</script>")
    client.force_login(parent)
    body = client.get(detail_url(document)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# --- filters --------------------------------------------------------------------------------------


@pytest.fixture
def history(parent):
    """Four documents of the parent's: two facilities, three types, across a year."""
    today = timezone.localdate()
    return {
        "lab_march": make_document(
            parent.person, issued=date(today.year - 1, 3, 5), title="Lab marzec"
        ),
        "lab_june": make_document(
            parent.person,
            issued=date(today.year - 1, 6, 30),
            hour=23,
            title="Lab czerwiec",
            facility_name="Przychodnia Zdrowie",
        ),
        "discharge": make_document(
            parent.person,
            issued=date(today.year - 1, 7, 1),
            title="Wypis lipiec",
            type=Document.Type.DISCHARGE_SUMMARY,
        ),
        "refusal": make_document(
            parent.person,
            issued=today - timedelta(days=1),
            title="Odmowa przyjęcia",
            type=Document.Type.ADMISSION_REFUSAL,
            facility_name="Przychodnia Zdrowie",
        ),
    }


def test_it_filters_by_type(client, parent, history):
    client.force_login(parent)
    response = client.get(LIST, {"typ": "lab_result"})
    assert titles(response) == ["Lab czerwiec", "Lab marzec"]
    assert 'value="lab_result" selected' in response.content.decode()


def test_it_filters_by_a_date_range_in_polish_or_iso_dates_whole_days_inclusive(
    client, parent, history
):
    client.force_login(parent)
    year = timezone.localdate().year - 1
    # 30 June at 23:00 Warsaw time is 21:00 UTC: still 30 June, so inside a range ending that day.
    polish = client.get(LIST, {"od": f"05.03.{year}", "do": f"30.06.{year}"})
    iso = client.get(LIST, {"od": f"{year}-03-05", "do": f"{year}-06-30"})
    open_end = client.get(LIST, {"od": f"01.07.{year}"})
    assert titles(polish) == titles(iso) == ["Lab czerwiec", "Lab marzec"]
    assert titles(open_end) == ["Odmowa przyjęcia", "Wypis lipiec"]


def test_it_filters_by_facility_and_offers_each_facility_once(client, parent, history):
    client.force_login(parent)
    response = client.get(LIST, {"placowka": "Przychodnia Zdrowie"})
    assert titles(response) == ["Odmowa przyjęcia", "Lab czerwiec"]
    choices = [value for value, _label in response.context["form"].fields["placowka"].choices]
    assert choices == ["", "Przychodnia Zdrowie", "Szpital Miejski w Łodzi"]


def test_filters_combine(client, parent, history):
    client.force_login(parent)
    response = client.get(LIST, {"typ": "lab_result", "placowka": "Przychodnia Zdrowie"})
    assert titles(response) == ["Lab czerwiec"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"od": "31.02.2024"}, "od", "Enter the date as day.month.year, for example 05.03.2024."),
        ({"do": "wczoraj"}, "do", "Enter the date as day.month.year, for example 05.03.2024."),
        (
            {"od": "02.03.2024", "do": "01.03.2024"},
            "do",
            "The end date must be the same as or after the start date.",
        ),
        ({"do": "31.12.9999"}, "do", "Enter a date between 01.01.1900 and 31.12.2099."),
        ({"od": "0001-01-01"}, "od", "Enter a date between 01.01.1900 and 31.12.2099."),
        ({"typ": "prescription"}, "typ", "Choose a document type from the list."),
        ({"placowka": "Szpital obcy"}, "placowka", "Choose a facility from the list."),
    ],
)
def test_a_bad_filter_says_what_to_correct_instead_of_failing(
    client, parent, history, query, field, message
):
    client.force_login(parent)
    response = client.get(LIST, query, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    body = response.content.decode()
    assert message in body and "govuk-error-summary" in body
    assert f'href="#id_{field}"' in body
    assert len(logged("view_documents")) == 1


def test_a_bad_date_is_explained_in_polish(client, parent, history):
    client.force_login(parent)
    response = client.get(LIST, {"od": "2024-13-40"}, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 400
    assert "Wpisz datę" in response.content.decode()


def test_an_empty_filtered_result_says_nothing_matches(client, parent, history):
    client.force_login(parent)
    response = client.get(LIST, {"typ": "diagnostic_report"}, **EN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "No document matches the filters" in body
    assert "must enter it into the e-health system" not in body


def test_an_empty_history_explains_in_the_faqs_words_what_to_ask(client, parent):
    client.force_login(parent)
    english = client.get(LIST, **EN).content.decode()
    polish = client.get(LIST, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "the facility must enter it into the e-health system" in english
    assert (
        "ask your doctor, clinic or diagnostician whether they have put them into the system"
        in english
    )
    assert "placówka musi wprowadzić je do systemu e-zdrowia" in polish
    assert (
        "spytaj swojego lekarza, przychodnię lub diagnostę, czy umieścili je w systemie" in polish
    )
    assert "<select" not in english  # nothing to filter
    assert len(logged("view_documents")) == 2


# --- pages and the pinned query count -----------------------------------------------------------


def test_it_pages_twenty_documents_at_a_time_keeping_the_filters(client, parent):
    for n in range(45):
        make_document(
            parent.person,
            issued=timezone.localdate() - timedelta(days=n + 1),
            title=f"Wynik {n:02d}",
        )
    make_document(parent.person, type=Document.Type.DIAGNOSTIC_REPORT, title="Opis USG")
    client.force_login(parent)

    first = client.get(LIST, {"typ": "lab_result"})
    third = client.get(LIST, {"typ": "lab_result", "strona": "3"})
    beyond = client.get(LIST, {"typ": "lab_result", "strona": "99"})

    assert titles(first) == [f"Wynik {n:02d}" for n in range(20)]
    assert titles(third) == [f"Wynik {n:02d}" for n in range(40, 45)]
    assert titles(beyond) == titles(third)  # a page past the end shows the last one
    assert 'href="?typ=lab_result&amp;strona=2"' in first.content.decode()
    assert 'href="?typ=lab_result&amp;strona=2"' in third.content.decode()


def test_the_list_makes_the_same_number_of_queries_for_3_and_60_documents(
    client, parent, insured_child, django_assert_num_queries
):
    for n in range(3):
        make_document(insured_child, title=f"Dok {n}", facility_name=f"Placówka {n}")
    open_account(client, parent, insured_child)
    client.get(LIST)  # the session and the language settle on the first page
    with CaptureQueriesContext(connection) as three:
        assert client.get(LIST, {"typ": "lab_result"}).status_code == 200

    for n in range(3, 60):
        make_document(insured_child, title=f"Dok {n}", facility_name=f"Placówka {n % 7}")
    with django_assert_num_queries(len(three.captured_queries)):
        response = client.get(LIST, {"typ": "lab_result"})
    assert len(titles(response)) == 20
    assert response.context["page"].paginator.count == 60
