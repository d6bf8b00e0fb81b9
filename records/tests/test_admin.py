"""Documents in the admin: shown, never written by hand, never searched by PESEL, and a
document opened there is in the patient's access history like any other read."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from guardianship.models import AccessLogEntry
from records.models import Document
from records.tests.test_documents import make_document


@pytest.fixture
def admin_client(client, admin_user):
    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)
    return client


def url(view: str, *args) -> str:
    return reverse(f"admin:records_document_{view}", args=args)


def test_every_records_model_is_in_the_admin():
    registered = {model._meta.label for model in admin.site._registry}
    assert {m._meta.label for m in apps.get_app_config("records").get_models()} <= registered


def test_documents_are_listed_and_searchable_but_never_searched_by_pesel(admin_client, child):
    wanted = make_document(child, title="Opis RTG", document_id="EDM-2024-0001")
    make_document(child, title="Inny")
    model_admin = admin.site._registry[Document]
    assert not [field for field in model_admin.search_fields if "pesel" in field]

    listed = admin_client.get(url("changelist"))
    by_id = admin_client.get(url("changelist"), {"q": "EDM-2024-0001"})
    by_pesel = admin_client.get(url("changelist"), {"q": child.pesel})

    assert listed.status_code == 200
    assert list(by_id.context["cl"].result_list) == [wanted]
    assert list(by_pesel.context["cl"].result_list) == []


def test_documents_cannot_be_added_changed_or_deleted_by_hand(admin_client, child):
    document = make_document(child, title="Wynik")
    assert admin_client.get(url("add")).status_code == 403
    assert admin_client.get(url("delete", document.pk)).status_code == 403
    assert admin_client.post(url("change", document.pk), {"title": "Zmieniony"}).status_code == 403
    document.refresh_from_db()
    assert document.title == "Wynik"


def test_opening_a_document_in_the_admin_is_in_the_patients_access_history(
    admin_client, admin_user, child
):
    document = make_document(child, body="Treść dokumentu: żółć w normie.")

    response = admin_client.get(url("change", document.pk))

    assert response.status_code == 200
    assert "żółć w normie" in response.content.decode()
    [entry] = AccessLogEntry.objects.all()
    assert (entry.actor, entry.subject, entry.action, entry.basis, entry.target) == (
        admin_user, child, "view_document", "support", str(document.public_id),
    )  # fmt: skip


def test_an_unknown_document_in_the_admin_logs_nothing(admin_client):
    response = admin_client.get(url("change", 999999))
    assert response.status_code == 302  # the admin redirects to its index with a message
    assert not AccessLogEntry.objects.exists()
