"""The authorisation matrix: every subject-scoped URL × every actor.

One table says what each actor gets. A guardianship URL that takes a subject's id and has no
row here fails `test_every_subject_scoped_url_has_a_row`, so a page added later cannot skip
the policy unnoticed. (The full cross-app matrix grows with later issues.)
"""

from datetime import date

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import get_resolver

from conftest import hpv9, insure, make_clinic, make_grant, make_person, make_slot, make_user, years_ago
from guardianship.models import AccessGrant, AccessLogEntry
from records.models import Document
from support.services import NewFile, ticket_open
from vaccinations.models import Appointment

ACTORS = ["insuring_parent", "granted_guardian", "revoked_grantee", "other_parent", "stranger",
          "child_16", "adult_child", "support", "anonymous"]  # fmt: skip

OK, FORBIDDEN, NOT_FOUND, LOGIN, VERIFY = "ok", 403, 404, "login", "verify"


def _row(**cells):
    """Cells default to 404: whoever is not named is a stranger to the subject."""
    cells.setdefault("anonymous", LOGIN)
    cells.setdefault("support", VERIFY)  # staff without a person of their own see no one's data
    return {actor: cells.get(actor, NOT_FOUND) for actor in ACTORS}


# (name, method, url template, expected). {child}: a 10-year-old covered by the insuring parent
# and shared with the granted guardian; {teen}: a 16-year-old with a login, also covered;
# {adult}: a former child of 19 with a login; {grant}: the granted guardian's grant.
MATRIX = [
    ("guardians", "get", "/uprawnienia/dzieci/{child}/opiekunowie/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("guardians_add", "post", "/uprawnienia/dzieci/{child}/opiekunowie/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("switch_to", "post", "/uprawnienia/dzieci/{child}/przelacz/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("guardian_revoke", "post", "/uprawnienia/dzieci/{child}/opiekunowie/{grant}/odwolaj/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("not_my_child", "get", "/uprawnienia/dzieci/{child}/to-nie-moje-dziecko/",
     _row(insuring_parent=OK)),  # only an insurance link can be "not my child"
    ("not_my_child_report", "post", "/uprawnienia/dzieci/{child}/to-nie-moje-dziecko/",
     _row(insuring_parent=OK)),
    ("teen_guardians", "get", "/uprawnienia/dzieci/{teen}/opiekunowie/",
     _row(insuring_parent=OK, child_16=OK)),  # 16+: sees own account
    ("teen_guardians_add", "post", "/uprawnienia/dzieci/{teen}/opiekunowie/",
     _row(insuring_parent=OK, child_16=FORBIDDEN)),  # ... but does not change it
    ("teen_switch_to", "post", "/uprawnienia/dzieci/{teen}/przelacz/",
     _row(insuring_parent=OK, child_16=OK)),
    ("adult_guardians", "get", "/uprawnienia/dzieci/{adult}/opiekunowie/",
     _row()),  # guardians' access ended on the 18th birthday; an adult has no guardian list
    ("adult_switch_to", "post", "/uprawnienia/dzieci/{adult}/przelacz/",
     _row(adult_child=OK)),
    # HPV vaccination: the child's appointment, booked by the insuring parent.
    ("appointment", "get", "/profilaktyka/szczepienia/wizyty/{appointment}/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("appointment_cancel_page", "get", "/profilaktyka/szczepienia/wizyty/{appointment}/odwolaj/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("appointment_cancel", "post", "/profilaktyka/szczepienia/wizyty/{appointment}/odwolaj/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("teen_appointment_cancel", "post", "/profilaktyka/szczepienia/wizyty/{teen_appointment}/odwolaj/",
     _row(insuring_parent=OK, child_16=FORBIDDEN)),  # 16+ sees their own, changes nothing
    # EDM documents (Historia leczenia → Dokumenty): read by whoever may read the subject.
    ("document", "get", "/historia-leczenia/dokumenty/{document}/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("document_pdf", "get", "/historia-leczenia/dokumenty/{document}/pdf/",
     _row(insuring_parent=OK, granted_guardian=OK)),
    ("teen_document", "get", "/historia-leczenia/dokumenty/{teen_document}/",
     _row(insuring_parent=OK, child_16=OK)),
    ("adult_document_pdf", "get", "/historia-leczenia/dokumenty/{adult_document}/pdf/",
     _row(adult_child=OK)),  # the guardians' access ended on the 18th birthday
    # ikp-pomoc requests: the login that sent one, nobody else (not even the child's other guardians).
    ("ticket", "get", "/pomoc/zgloszenia/{ticket}/", _row(insuring_parent=OK)),
    ("ticket_reply", "post", "/pomoc/zgloszenia/{ticket}/odpowiedz/", _row(insuring_parent=OK)),
    ("ticket_reopen", "post", "/pomoc/zgloszenia/{ticket}/otworz-ponownie/", _row(insuring_parent=OK)),
    ("ticket_attachment", "get", "/pomoc/zgloszenia/{ticket}/zalaczniki/{attachment}/", _row(insuring_parent=OK)),
]  # fmt: skip


@pytest.fixture
def world(db, parent, granted_guardian, other_parent, stranger, child_16, support_user):
    child = make_person(born=years_ago(10), first_name="Zosia", surname="Kowalska")
    insure(parent.person, child)
    grant = make_grant(child, granted_guardian.person, by=parent)
    revoked = make_user(person=make_person(born=date(1970, 1, 1), first_name="Ewa", surname="Była"))
    old = make_grant(child, revoked.person, by=parent)
    AccessGrant.objects.filter(pk=old.pk).update(revoked_at="2025-01-01T00:00:00Z")
    insure(parent.person, child_16.person)
    adult = make_user(
        person=make_person(born=years_ago(19), first_name="Marek", surname="Kowalski", sex="M")
    )
    insure(parent.person, adult.person)  # covered since birth, never deregistered: still no access
    TOTP.activate(support_user, generate_totp_secret())
    clinic = make_clinic()
    appointment = Appointment.objects.create(
        child=child, slot=make_slot(clinic), vaccine=hpv9(), dose_number=1, booked_by=parent
    )
    teen_appointment = Appointment.objects.create(
        child=child_16.person, slot=make_slot(clinic, hour=11), vaccine=hpv9(), dose_number=2, booked_by=parent
    )
    documents = {
        key: Document.objects.create(
            document_id=f"matrix-{key}", person=person, type="lab_result", title="Morfologia",
            issued_at="2025-01-02T09:00:00Z", facility_name="Laboratorium", author_name="lek. A", body="W normie.",
        ).public_id
        for key, person in (("document", child), ("teen_document", child_16.person), ("adult_document", adult.person))
    }
    ticket = ticket_open(category="child_access", description="Nie widzę konta dziecka", requester=parent, person=child,
                         files=(NewFile("skan.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 16),))
    attachment = ticket.attachments.get()
    return {
        "users": {
            "insuring_parent": parent, "granted_guardian": granted_guardian, "revoked_grantee": revoked,
            "other_parent": other_parent, "stranger": stranger, "child_16": child_16, "adult_child": adult,
            "support": support_user, "anonymous": None,
        },
        "ids": {"child": child.public_id, "teen": child_16.person.public_id, "adult": adult.person.public_id,
                "grant": grant.public_id, "appointment": appointment.public_id,
                "teen_appointment": teen_appointment.public_id, **documents,
                "ticket": ticket.public_id, "attachment": attachment.public_id},
        "new_guardian": make_person(born=date(1960, 6, 6), first_name="Jerzy", surname="Nowy", sex="M"),
    }  # fmt: skip


def _outcome(response) -> object:
    if response.status_code in (403, 404):
        return response.status_code
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/konto/login/"):
            return LOGIN
        if location.startswith("/konto/weryfikacja/"):
            return VERIFY
        return OK
    if response.status_code == 200:
        return OK
    return response.status_code


CELLS = [(name, actor) for name, _, _, expected in MATRIX for actor in ACTORS]


@pytest.mark.parametrize(("name", "actor"), CELLS)
def test_matrix_cell(client, world, name, actor):
    _, method, template, expected = next(row for row in MATRIX if row[0] == name)
    user = world["users"][actor]
    if user is not None:
        client.force_login(user)
    url = template.format(**world["ids"])
    data = {}
    if name == "ticket_reply":
        data = {"body": "Dziękuję, czekam na odpowiedź."}
    if name.endswith("_add"):
        new = world["new_guardian"]
        data = {"surname": new.surname, "pesel": new.pesel, "legal_guardian_confirmed": "on"}
    log_before = AccessLogEntry.objects.count()

    response = client.post(url, data) if method == "post" else client.get(url)

    assert _outcome(response) == expected[actor], f"{method.upper()} {name} as {actor}"
    if expected[actor] != OK:
        assert AccessLogEntry.objects.count() == log_before  # a refusal reads and writes nothing


def test_every_subject_scoped_url_has_a_row():
    covered = {
        template.split("{")[0] + "{" + template.split("{", 1)[1] for _, _, template, _ in MATRIX
    }
    patterns = []

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry, prefix + str(entry.pattern))
            else:
                patterns.append(prefix + str(entry.pattern))

    walk(get_resolver())
    subject_scoped = [p for p in patterns if "<uuid:public_id>" in p]
    normalised = {
        "/" + p.replace("<uuid:public_id>", "{x}").replace("<uuid:grant_id>", "{grant}")
        for p in subject_scoped
    }
    ours = {
        t.replace("{child}", "{x}").replace("{teen}", "{x}").replace("{adult}", "{x}")
        .replace("{appointment}", "{x}").replace("{teen_appointment}", "{x}")
        .replace("{ticket}", "{x}").replace("{attachment}", "<uuid:attachment_id>")
        .replace("{document}", "{x}").replace("{teen_document}", "{x}").replace("{adult_document}", "{x}")
        for t in covered
    }
    missing = {p for p in normalised if p not in ours and not p.startswith("/obsluga/")}
    assert not missing, f"subject-scoped URLs without a matrix row: {sorted(missing)}"
