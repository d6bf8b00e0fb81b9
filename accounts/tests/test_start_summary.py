"""The start page's summary of the acting account (issue #5, point 4): newest documents and
sick leaves, the next vaccination step, the children's accounts, one access-log row, and a
query count that does not grow with the account's data."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from conftest import insure, make_clinic, make_person, make_slot, years_ago
from guardianship.models import AccessLogEntry
from guardianship.policy import SESSION_KEY
from records.models import Document
from sickleaves.models import SickLeave
from vaccinations.models import Appointment

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DOCUMENTS = "/historia-leczenia/dokumenty/"
LEAVES = "/historia-leczenia/zwolnienia/"
CHILDREN = "/uprawnienia/dzieci/"

_serial = iter(range(1, 10**6))


def html(response) -> str:
    return response.content.decode()


def add_document(
    person, *, days_ago: int = 1, title: str | None = None, type: str = "lab_result"
) -> Document:
    n = next(_serial)
    issued = timezone.make_aware(
        datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(9, 0))
    )
    return Document.objects.create(
        document_id=f"test-doc-{n}", person=person, type=type, title=title or f"Dokument {n}", issued_at=issued,
        facility_name="Szpital Miejski", author_name="dr Ewa Lekarska", body="Treść.",
    )  # fmt: skip


def documents(person, count: int) -> None:
    issued = timezone.now() - timedelta(days=1)
    Document.objects.bulk_create(
        Document(
            document_id=f"test-bulk-doc-{next(_serial)}",
            person=person,
            type=Document.Type.DIAGNOSTIC_REPORT,
            title=f"Opis badania {n}",
            issued_at=issued - timedelta(days=n),
            facility_name="Szpital Miejski",
            author_name="dr Ewa Lekarska",
            body="Treść opisu.",
        )
        for n in range(count)
    )


def add_leave(
    person, *, starts_in: int = -10, days: int = 5, issued_days_ago: int | None = None, **fields
) -> SickLeave:
    today = timezone.localdate()
    period_from = today + timedelta(days=starts_in)
    issued = today - timedelta(days=issued_days_ago) if issued_days_ago is not None else period_from
    values = {
        "series_number": f"ZT {next(_serial):07d}", "person": person, "issued_on": issued, "period_from": period_from,
        "period_to": period_from + timedelta(days=days - 1), "kind": SickLeave.Kind.OWN_ILLNESS,
        "indication": SickLeave.Indication.MAY_WALK, "employer_nip": "5250001009", "doctor_name": "dr Jan Zdrowy",
        "status": SickLeave.Status.ISSUED,
    }  # fmt: skip
    return SickLeave.objects.create(**(values | fields))


def leaves(person, count: int) -> None:
    today = timezone.localdate()
    SickLeave.objects.bulk_create(
        SickLeave(
            series_number=f"ZB {next(_serial):07d}",
            person=person,
            issued_on=today - timedelta(days=10 * n + 20),
            period_from=today - timedelta(days=10 * n + 20),
            period_to=today - timedelta(days=10 * n + 15),
            kind=SickLeave.Kind.OWN_ILLNESS,
            indication=SickLeave.Indication.MAY_WALK,
            employer_nip="5250001009",
            doctor_name="dr Jan Zdrowy",
            status=SickLeave.Status.ISSUED,
        )
        for n in range(count)
    )


def open_child_account(client, user, child) -> None:
    client.force_login(user)
    response = client.post(reverse("guardianship:switch_to", args=[child.public_id]))
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(child.public_id)


def summary_rows(**filters):
    return AccessLogEntry.objects.filter(action=AccessLogEntry.Action.VIEW_SUMMARY, **filters)


# --- the ladder ------------------------------------------------------------------------------


def test_it_shows_visitors_the_front_page_without_a_summary(client, db):
    response = client.get("/", **EN)

    assert response.status_code == 200
    assert "Newest documents" not in html(response)
    assert not summary_rows().exists()


def test_it_shows_no_medical_data_without_a_verified_identity(client, unverified_user):
    add_document(unverified_user.person, title="Morfologia krwi")
    client.force_login(unverified_user)

    response = client.get("/", **EN)

    assert response.status_code == 200
    assert "Morfologia krwi" not in html(response)
    assert "Your identity is not confirmed" in html(response)
    assert not summary_rows().exists()


def test_it_shows_no_medical_data_once_the_verification_has_expired(client, parent):
    add_document(parent.person, title="Morfologia krwi")
    expires_at = parent.verifications.get().expires_at

    with time_machine.travel(expires_at + timedelta(minutes=1), tick=False):
        client.force_login(parent)
        response = client.get("/", **EN)

    assert "Morfologia krwi" not in html(response)
    assert not summary_rows().exists()


def test_it_shows_staff_without_a_person_no_summary(client, admin_user):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)

    response = client.get("/", **EN)

    assert response.status_code == 200
    assert "Newest documents" not in html(response)


def test_it_is_read_only(client, parent):
    client.force_login(parent)

    assert client.post("/").status_code == 405
    assert not summary_rows().exists()


# --- documents -------------------------------------------------------------------------------


def test_it_lists_the_five_newest_documents_with_links_to_them(client, parent):
    old = add_document(parent.person, days_ago=30, title="Stary wynik")
    newest = [add_document(parent.person, days_ago=n, title=f"Wynik {n}") for n in range(1, 6)]
    client.force_login(parent)

    page = html(client.get("/", **EN))

    for document in newest:
        assert document.title in page
        assert f'href="{DOCUMENTS}{document.public_id}/"' in page
    assert old.title not in page
    assert page.index("Wynik 1") < page.index("Wynik 5")
    assert "Laboratory result with description" in page
    assert f'href="{DOCUMENTS}"' in page


def test_it_explains_an_empty_history(client, parent):
    client.force_login(parent)

    page = html(client.get("/", **EN))

    assert "once the facility has entered it into the e-health system" in page
    assert "No e-sick leaves on this account." in page


def test_it_never_shows_another_persons_documents(client, parent, stranger):
    add_document(stranger.person, title="Cudzy wynik")
    add_leave(stranger.person, series_number="ZX 9999999")
    client.force_login(parent)

    page = html(client.get("/", **EN))

    assert "Cudzy wynik" not in page
    assert "ZX 9999999" not in page


# --- sick leaves -----------------------------------------------------------------------------


def test_it_lists_the_three_newest_leaves_with_period_kind_and_status(client, parent, child):
    add_leave(parent.person, starts_in=-60, series_number="ZA 0000001")
    add_leave(
        parent.person, starts_in=-30, series_number="ZA 0000002", status=SickLeave.Status.CANCELLED
    )
    add_leave(
        parent.person, starts_in=-20, series_number="ZA 0000003", kind=SickLeave.Kind.CHILD_CARE,
        cared_person=child, cared_person_pesel=child.pesel,
    )  # fmt: skip
    add_leave(parent.person, starts_in=-10, series_number="ZA 0000004", days=3)
    client.force_login(parent)

    page = html(client.get("/", **EN))

    assert "ZA 0000001" not in page
    for number in ("ZA 0000002", "ZA 0000003", "ZA 0000004"):
        assert number in page
    assert page.index("ZA 0000004") < page.index("ZA 0000003") < page.index("ZA 0000002")
    assert "Cancelled" in page
    assert "Care of a child" in page
    assert child.first_name not in page  # the Zwolnienia page decides who sees the cared person
    with translation.override("en"):
        assert date_format(timezone.localdate() - timedelta(days=10)) in page
    assert f'href="{LEAVES}"' in page


def test_it_reminds_to_tell_the_employer_on_the_first_day_of_a_leave(client, parent):
    add_leave(parent.person, starts_in=0, issued_days_ago=0)
    client.force_login(parent)

    page = html(client.get("/", **EN))

    assert "Tell the employer about the absence by" in page
    assert "you do not need to deliver it" in page


def test_it_does_not_remind_about_a_cancelled_or_an_old_leave(client, parent):
    add_leave(parent.person, starts_in=0, status=SickLeave.Status.CANCELLED)
    add_leave(parent.person, starts_in=-5)
    client.force_login(parent)

    assert "Tell the employer" not in html(client.get("/", **EN))


def test_a_childs_account_has_no_care_leave_of_the_parent(client, parent, insured_child):
    add_leave(parent.person, series_number="ZC 0000001", kind=SickLeave.Kind.CHILD_CARE, cared_person=insured_child,
              cared_person_pesel=insured_child.pesel)  # fmt: skip
    open_child_account(client, parent, insured_child)

    assert "ZC 0000001" not in html(client.get("/", **EN))


# --- the acting account ----------------------------------------------------------------------


def test_it_summarises_the_childs_account_after_the_switch_and_logs_it(
    client, parent, insured_child
):
    add_document(parent.person, title="Wynik mamy")
    add_document(insured_child, title="Wypis Zosi", type=Document.Type.DISCHARGE_SUMMARY)
    open_child_account(client, parent, insured_child)

    page = html(client.get("/", **EN))

    assert "Wypis Zosi" in page
    assert "Wynik mamy" not in page
    row = summary_rows().get()
    assert (row.actor, row.subject, row.basis) == (parent, insured_child, "insurance")


def test_it_logs_one_summary_row_for_the_own_account_per_view(client, parent):
    client.force_login(parent)

    client.get("/")
    client.get("/")

    assert summary_rows(actor=parent, subject=parent.person).count() == 2
    assert summary_rows().count() == 2


def test_a_16_year_old_sees_their_own_summary(client, child_16):
    add_document(child_16.person, title="Opis RTG")
    client.force_login(child_16)

    assert "Opis RTG" in html(client.get("/", **EN))
    assert summary_rows(actor=child_16, subject=child_16.person).count() == 1


# --- vaccinations ----------------------------------------------------------------------------


def test_it_shows_the_childs_next_vaccination_step_with_its_window(client, parent, insured_child):
    open_child_account(client, parent, insured_child)

    page = html(client.get("/", **EN))

    assert "Next vaccination step" in page
    assert "The child can be booked for the first dose from" in page
    assert "Can be booked until" in page


def test_it_shows_the_booked_appointment_instead_of_the_step(client, parent, insured_child):
    slot = make_slot(make_clinic(name="Przychodnia Pod Lipami", city="Kraków"), days_ahead=10)
    Appointment.objects.create(
        child=insured_child, slot=slot, vaccine=slot.vaccine, dose_number=1, booked_by=parent
    )
    open_child_account(client, parent, insured_child)

    page = html(client.get("/", **EN))

    assert "Booked appointment" in page
    assert "Przychodnia Pod Lipami" in page
    assert "The child can be booked for the first dose" not in page


def test_an_adult_sees_no_vaccination_step_that_does_not_concern_them(client, parent):
    client.force_login(parent)

    assert "Next vaccination step" not in html(client.get("/", **EN))


# --- children --------------------------------------------------------------------------------


def test_it_lists_the_childrens_accounts_the_parent_can_open(
    client, parent, insured_child, stranger
):
    other = make_person(born=years_ago(7), first_name="Obca", surname="Dziewczynka")
    insure(stranger.person, other)
    client.force_login(parent)

    page = html(client.get("/", **EN))

    assert insured_child.full_name in page
    assert other.full_name not in page
    assert f'href="{CHILDREN}"' in page


def test_a_user_without_children_sees_no_children_section(client, stranger):
    client.force_login(stranger)

    assert f'href="{CHILDREN}"' not in html(client.get("/", **EN)).split("ikp-cards")[0]


# --- pinned query count ------------------------------------------------------------------------

# Measured for the small case (1 child, 1 document, 1 leave): the user with its person, staff-role
# check and verification (1: accounts/backends.py); the verification shown on the page (1);
# documents, leaves (2); for HPV9, its doses and appointment (2; the vaccines and programmes come
# from the cache: vaccinations/catalogue.py); the children with the facts that decide access to
# each (1: guardianship/policy.py); the audit row; notices. The session is written at most once a
# minute, not here.
START_PAGE_QUERIES = 9


def family(parent, *, children: int, document_count: int, leave_count: int):
    kids = [
        make_person(
            born=years_ago(4 + 2 * n, months=n), first_name=f"Dziecko{n}", surname="Kowalska"
        )
        for n in range(children)
    ]
    for kid in kids:
        insure(parent.person, kid)
    documents(parent.person, document_count)
    leaves(parent.person, leave_count)
    return kids


@pytest.mark.parametrize(
    ("children", "document_count", "leave_count"), [(1, 1, 1), (5, 200, 50)], ids=["small", "large"]
)
def test_the_query_count_does_not_grow_with_children_documents_or_leaves(
    client, parent, django_assert_num_queries, children, document_count, leave_count
):
    kids = family(parent, children=children, document_count=document_count, leave_count=leave_count)
    client.force_login(parent)
    client.get("/")

    with django_assert_num_queries(START_PAGE_QUERIES):
        response = client.get("/", **EN)

    page = html(response)
    assert all(kid.full_name in page for kid in kids)
    assert len(re.findall(rf'href="{DOCUMENTS}[0-9a-f-]{{36}}/"', page)) == min(document_count, 5)
    assert page.count("ZB ") == min(leave_count, 3)


# --- staff logins ----------------------------------------------------------------------------------


def test_a_clinic_staff_login_finds_its_pages_on_the_start_page(client, clinic_user):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(clinic_user, generate_totp_secret())
    client.force_login(clinic_user)

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.context["staff_links"] == [
        ("Your clinics: vaccination terms and open visits", "/obsluga/przychodnia/")
    ]
    assert 'href="/obsluga/przychodnia/"' in response.content.decode()


def test_a_support_login_finds_the_desk_and_the_sync_monitor_and_a_patient_no_staff_links(client, support_user, parent):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(support_user, generate_totp_secret())
    client.force_login(support_user)
    assert [url for _, url in client.get("/").context["staff_links"]] == ["/obsluga/zgloszenia/", "/obsluga/synchronizacja/"]

    client.force_login(parent)
    assert "staff_links" not in client.get("/").context
