"""Django admin for guardianship, feeds and support: every model is there, records are read-only,
grants and tickets are editable and audited, and nothing is searched by PESEL."""

import json
from datetime import date, timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Event

from accounts.models import Person
from conftest import give_own_title, make_person
from feeds.models import FeedFile, QuarantinedLine
from feeds.runner import ingest_file
from guardianship.admin import SubjectReadAdmin
from guardianship.models import (
    AccessGrant,
    AccessLogEntry,
    AccessNotice,
    AutomaticGuardian,
    InsuranceEvent,
    LinkSuspension,
)
from support.models import (
    Attachment,
    SetAsideMail,
    StaffAction,
    Ticket,
    TicketMessage,
    ZusCorrection,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
APPS = ("guardianship", "feeds", "support")
RECORDS = [
    "guardianship.InsuranceEvent", "guardianship.Coverage", "guardianship.OwnTitle", "guardianship.AutomaticGuardian",
    "guardianship.AccessLogEntry", "guardianship.AccessNotice", "feeds.FeedFile", "feeds.QuarantinedLine",
    "support.TicketMessage", "support.Attachment", "support.StaffAction", "support.SetAsideMail",
]  # fmt: skip
EDITABLE = [
    "guardianship.AccessGrant", "guardianship.LinkSuspension", "support.Ticket", "support.ResponseTarget",
    "support.ZusCorrection",
]  # fmt: skip


def own_models() -> list:
    """The models of the three apps, without pghistory's event tables (those have the Events admin)."""
    return [
        model for label in APPS for model in apps.get_app_config(label).get_models() if not issubclass(model, Event)
    ]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_client(client, admin_user):
    """A superuser who has set up TOTP (the middleware insists), logged in."""
    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)
    return client


@pytest.fixture
def world(granted_child, parent, granted_guardian, admin_user, tmp_path):
    """At least one row of every model: insurance (events, coverage, the automatic guardian, a
    notice), an own title, a grant, a suspension with its ticket, a log entry, a feed file with a
    quarantined line."""
    teen = make_person(born=date(2009, 5, 5), first_name="Ela", surname="Pracująca")
    give_own_title(teen, valid_from=timezone.localdate() - timedelta(days=30))
    ticket = Ticket.objects.create(category="not_my_child", requester=parent, person=granted_child,
                                   description="To nie moje dziecko", diagnosis={"code": "has_access"})  # fmt: skip
    LinkSuspension.objects.create(person=parent.person, subject=granted_child, ticket=ticket)
    message = TicketMessage.objects.create(ticket=ticket, kind="message", author=parent, body="Proszę o pomoc")
    Attachment.objects.create(ticket=ticket, message=message, name="skan.pdf", content_type="application/pdf",
                              size=8, sha256="0" * 64, content=b"%PDF-1.4")  # fmt: skip
    StaffAction.objects.create(ticket=ticket, actor=parent, kind="resync", person=granted_child, justification="test")
    ZusCorrection.objects.create(ticket=ticket, insured=parent.person, member=granted_child, created_by=parent)
    SetAsideMail.objects.create(filename="x.eml", reason="malformed", size=3)
    AccessLogEntry.objects.create(actor=parent, acting_for=granted_child, subject=granted_child,
                                  action="view_summary", basis="insurance")  # fmt: skip
    path = tmp_path / "zus-admin.jsonl"
    path.write_text('{"event_id": "broken"\n', encoding="utf-8")
    ingest_file("zus-insurance", path)
    assert AutomaticGuardian.objects.exists() and AccessNotice.objects.exists() and QuarantinedLine.objects.exists()
    return {"child": granted_child, "grant": AccessGrant.objects.get(), "ticket": ticket}


def test_every_model_of_guardianship_feeds_and_support_is_in_the_admin():
    registered = {model._meta.label for model in admin.site._registry}

    assert {model._meta.label for model in own_models()} <= registered
    assert sorted(RECORDS + EDITABLE) == sorted(model._meta.label for model in own_models())


MEDICAL_APPS = ("records", "sickleaves", "vaccinations")


def test_every_admin_page_of_a_persons_medical_data_logs_the_read_on_that_person():
    """DESIGN.md: every view that shows data of a subject writes one AccessLogEntry. A model of
    medical data that names a person has its admin page log the read (SubjectReadAdmin), on a
    foreign key to that person."""
    for label in MEDICAL_APPS:
        for model in apps.get_app_config(label).get_models():
            names_a_person = [
                f.name for f in model._meta.get_fields() if f.many_to_one and f.related_model is Person
            ]
            model_admin = admin.site._registry[model]
            if not names_a_person:
                assert not isinstance(model_admin, SubjectReadAdmin), model._meta.label
                continue
            assert isinstance(model_admin, SubjectReadAdmin), model._meta.label
            assert model_admin.subject_field in names_a_person, model._meta.label
            assert model_admin.read_action in AccessLogEntry.Action.values, model._meta.label


def test_no_admin_searches_by_pesel():
    """Admin search is a GET: its query string, PESEL and all, would land in access logs."""
    for model in own_models():
        fields = admin.site._registry[model].search_fields
        assert not [field for field in fields if "pesel" in field], model._meta.label


@pytest.mark.parametrize("label", RECORDS + EDITABLE)
def test_the_changelist_and_change_page_of_every_model_load(admin_client, world, label):
    model = apps.get_model(label)
    obj = model.objects.first()

    changelist = admin_client.get(admin_url(model, "changelist"), **EN)
    change = admin_client.get(admin_url(model, "change", obj.pk), **EN)

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert admin_url(model, "change", obj.pk) in changelist.content.decode()


@pytest.mark.parametrize("label", RECORDS + EDITABLE)
def test_the_changelist_filters_and_searches_load(admin_client, world, label):
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    url = admin_url(model, "changelist")

    if model_admin.search_fields:
        assert admin_client.get(url, {"q": "Kowalska"}).status_code == 200
        assert admin_client.get(url, {"q": "12345"}).status_code == 200
    for filter_spec in model_admin.list_filter:
        field = filter_spec[0] if isinstance(filter_spec, tuple) else filter_spec
        query = {f"{field}__isempty": "1"} if isinstance(filter_spec, tuple) else {}
        assert admin_client.get(url, query).status_code == 200


@pytest.mark.parametrize("label", RECORDS)
def test_records_cannot_be_added_changed_or_deleted(admin_client, world, label):
    model = apps.get_model(label)
    obj = model.objects.first()
    before = model.objects.count()

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    page = admin_client.get(admin_url(model, "change", obj.pk), **EN).content.decode()
    assert 'name="_save"' not in page
    assert model.objects.count() == before


def test_an_insurance_event_is_found_by_event_id_never_by_pesel(admin_client, world, parent):
    event = InsuranceEvent.objects.filter(insured_pesel=parent.person.pesel).get()
    url = admin_url(InsuranceEvent, "changelist")

    by_id = admin_client.get(url, {"q": event.event_id}).content.decode()
    by_pesel = admin_client.get(url, {"q": parent.person.pesel}).content.decode()

    assert admin_url(InsuranceEvent, "change", event.pk) in by_id
    assert admin_url(InsuranceEvent, "change", event.pk) not in by_pesel


def test_a_grant_is_found_by_surname_and_opaque_id_never_by_pesel(admin_client, world, granted_guardian):
    grant = world["grant"]
    url = admin_url(AccessGrant, "changelist")
    change = admin_url(AccessGrant, "change", grant.pk)

    assert change in admin_client.get(url, {"q": "Kowalska"}).content.decode()
    assert change in admin_client.get(url, {"q": str(grant.public_id)}).content.decode()
    assert change not in admin_client.get(url, {"q": granted_guardian.person.pesel}).content.decode()


def test_revoking_a_grant_in_the_admin_is_recorded_with_the_admin(admin_client, admin_user, world):
    grant = world["grant"]
    data = {
        "kind": grant.kind, "source": grant.source, "subject": grant.subject_id, "grantee_surname": grant.grantee_surname,
        "grantee_pesel": grant.grantee_pesel, "legal_guardian_confirmed": "on", "granted_by": grant.granted_by_id or "",
        "valid_until": str(grant.valid_until), "revoked_at_0": str(timezone.localdate()), "revoked_at_1": "10:00:00",
        "revoked_by": admin_user.pk, "_save": "Save",
    }  # fmt: skip

    response = admin_client.post(admin_url(AccessGrant, "change", grant.pk), data)

    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == admin_user
    event = AccessGrant.pgh_event_model.objects.filter(pgh_obj=grant, pgh_label="update").get()
    assert event.pgh_context.metadata["user"] == admin_user.pk


def test_a_grant_without_a_confirmed_legal_guardian_is_refused_in_the_admin(admin_client, world):
    grant = world["grant"]
    data = {
        "kind": "child", "source": "guardian", "subject": grant.subject_id, "grantee_surname": grant.grantee_surname,
        "grantee_pesel": grant.grantee_pesel, "valid_until": str(grant.valid_until), "_save": "Save",
    }  # fmt: skip

    response = admin_client.post(admin_url(AccessGrant, "change", grant.pk), data, **EN)

    assert response.status_code == 200
    grant.refresh_from_db()
    assert grant.legal_guardian_confirmed is True


@pytest.mark.parametrize("label", EDITABLE)
def test_editable_records_are_ended_by_a_date_not_deleted(admin_client, world, label):
    model = apps.get_model(label)
    obj = model.objects.first()

    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_a_ticket_status_can_be_changed_and_its_diagnosis_is_kept(admin_client, world):
    ticket = world["ticket"]
    data = {
        "category": ticket.category, "status": "in_progress", "requester": ticket.requester_id,
        "person": ticket.person_id, "description": ticket.description, "diagnosis": json.dumps({"code": "forged"}),
        "messages-TOTAL_FORMS": "0", "messages-INITIAL_FORMS": "0", "_save": "Save",
    }  # fmt: skip

    response = admin_client.post(admin_url(Ticket, "change", ticket.pk), data)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.diagnosis == {"code": "has_access"}


def test_a_quarantined_line_links_to_its_correction_page(admin_client, world):
    line = QuarantinedLine.objects.get()

    response = admin_client.get(admin_url(QuarantinedLine, "change", line.pk))

    assert reverse("feeds:quarantined_line", kwargs={"public_id": line.public_id}) in response.content.decode()


def test_the_admin_is_closed_to_support_staff(client, support_user, world):
    TOTP.activate(support_user, generate_totp_secret())
    client.force_login(support_user)

    response = client.get(admin_url(FeedFile, "changelist"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]
