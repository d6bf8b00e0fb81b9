"""e-ZLA in the admin: every model registered, leaves read-only (the feed owns them), and no
search by PESEL (an admin search is a GET: the PESEL would land in access logs)."""

from datetime import date

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from guardianship.models import AccessLogEntry
from sickleaves.models import SickLeave

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def admin_client(client, admin_user):
    """A superuser who has set up TOTP (the middleware insists), logged in."""
    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)
    return client


@pytest.fixture
def leave(parent, insured_child):
    return SickLeave.objects.create(
        series_number="ZY1234567", person=parent.person, issued_on=date(2025, 3, 10), period_from=date(2025, 3, 10),
        period_to=date(2025, 3, 14), kind="child_care", cared_person=insured_child,
        cared_person_pesel=insured_child.pesel, indication="may_walk", employer_nip="5260250274",
        doctor_name="lek. Maria Zdrowa", status="cancelled", cancelled_at=timezone.now(),
    )  # fmt: skip


def url(view: str, *args) -> str:
    return reverse(f"admin:sickleaves_sickleave_{view}", args=args)


def test_it_registers_every_sickleaves_model():
    registered = {model._meta.label for model in admin.site._registry}
    assert {m._meta.label for m in apps.get_app_config("sickleaves").get_models()} <= registered


def test_it_never_searches_by_pesel():
    assert not [
        field for field in admin.site._registry[SickLeave].search_fields if "pesel" in field
    ]


def test_it_lists_and_shows_a_leave(admin_client, leave):
    changelist = admin_client.get(url("changelist"), **EN)
    change = admin_client.get(url("change", leave.pk), **EN)

    assert changelist.status_code == 200 and change.status_code == 200
    assert url("change", leave.pk) in changelist.content.decode()
    assert leave.series_number in change.content.decode()


@pytest.mark.parametrize("query", [{"q": "ZY1234567"}, {"q": "Kowalska"}, {"status": "cancelled"}, {"kind": "child_care"},
                                   {"indication": "may_walk"}, {"issued_on__year": "2025"}])  # fmt: skip
def test_it_searches_and_filters(admin_client, leave, query):
    response = admin_client.get(url("changelist"), query, **EN)
    assert response.status_code == 200
    assert leave.series_number in response.content.decode()


def test_it_cannot_add_change_or_delete_a_leave(admin_client, leave):
    assert admin_client.get(url("add")).status_code == 403
    assert admin_client.post(url("change", leave.pk), {"status": "issued"}).status_code == 403
    assert admin_client.post(url("delete", leave.pk), {"post": "yes"}).status_code == 403
    leave.refresh_from_db()
    assert leave.status == "cancelled"


def test_it_is_closed_to_patients(client, parent, leave):
    client.force_login(parent)
    response = client.get(url("changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_opening_a_leave_in_the_admin_is_in_the_employees_access_history(admin_client, admin_user, parent, leave):
    changelist = admin_client.get(url("changelist"), **EN)
    assert parent.person.full_name not in changelist.content.decode()  # the list names nobody
    assert not AccessLogEntry.objects.exists()

    response = admin_client.get(url("change", leave.pk), **EN)

    assert response.status_code == 200
    [entry] = AccessLogEntry.objects.all()
    assert (entry.actor, entry.subject, entry.action, entry.basis, entry.target) == (
        admin_user, parent.person, "view_sick_leaves", "support", str(leave.public_id),
    )  # fmt: skip


def test_an_unknown_leave_in_the_admin_logs_nothing(admin_client):
    assert admin_client.get(url("change", 999999)).status_code == 302
    assert not AccessLogEntry.objects.exists()
