"""The authorisation matrix: every URL that takes an id × every actor (issue #7, point 1).

One table says what each actor gets: the insuring parent, a granted guardian, a revoked grantee,
the other parent without access, a stranger, a child of 16, an adult former child, support
without and with the request assigned, clinic staff of the clinic and of another clinic, and
anonymous. Any URL pattern with an id and no row fails `test_every_subject_scoped_url_has_a_row`,
so a page added later cannot skip the policy unnoticed. A refusal writes no access-log row; an
allowed request to a page that shows (or changes) a person's data writes one on that person, by
the actor (LOGGED). Every row is either there or in NOT_PERSON_DATA, with the reason, so a row
added later must say which (`test_every_row_says_whether_it_logs`).
"""

import json
import re
from datetime import date

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import get_resolver

from accounts.roles import CLINIC_STAFF_GROUP, SUPPORT_GROUP
from conftest import hpv9, insure, make_clinic, make_grant, make_person, make_slot, make_user, record_dose, years_ago
from feeds.models import QuarantinedLine
from feeds.runner import ingest_file
from guardianship.models import AccessGrant, AccessLogEntry
from records.models import Document
from support.services import NewFile, ticket_assign, ticket_open
from vaccinations.models import Appointment

ACTORS = ["insuring_parent", "granted_guardian", "revoked_grantee", "other_parent", "stranger",
          "child_16", "adult_child", "support", "support_assigned", "clinic_staff", "clinic_other",
          "anonymous"]  # fmt: skip
PATIENTS = ["insuring_parent", "granted_guardian", "revoked_grantee", "other_parent", "stranger", "child_16",
            "adult_child"]  # fmt: skip
STAFF = ["support", "support_assigned", "clinic_staff", "clinic_other"]  # no person of their own

OK, FORBIDDEN, NOT_FOUND, LOGIN, VERIFY = "ok", 403, 404, "login", "verify"


def _row(**cells):
    """A patient page. Cells default to 404: whoever is not named is a stranger to the subject."""
    cells.setdefault("anonymous", LOGIN)
    for actor in STAFF:
        cells.setdefault(actor, VERIFY)  # staff without a person of their own see no one's data
    return {actor: cells.get(actor, NOT_FOUND) for actor in ACTORS}


def _staff_row(**cells):
    """A staff page (/obsluga/): patients are refused (403), staff default to 404 (a clinic or a
    ticket that is not theirs)."""
    cells.setdefault("anonymous", LOGIN)
    return {actor: cells.get(actor, FORBIDDEN if actor in PATIENTS else NOT_FOUND) for actor in ACTORS}


def _desk_row(**cells):
    """The desk: any support user triages (ticket pages); patients and clinic staff get 403."""
    cells.setdefault("clinic_staff", FORBIDDEN)
    cells.setdefault("clinic_other", FORBIDDEN)
    return _staff_row(**cells)


def _clinic_row():
    """A clinic's page: its own staff only; support is not clinic staff (403)."""
    return _staff_row(clinic_staff=OK, support=FORBIDDEN, support_assigned=FORBIDDEN)


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
    # An adult's authorisation of another person (Upoważnienia): only the adult who gave it revokes it.
    ("authorisation_revoke", "post", "/uprawnienia/upowaznienia/{authorisation}/odwolaj/",
     _row(insuring_parent=OK, child_16=FORBIDDEN)),  # 16+ changes nothing, not even a stranger's
    # Booking confirm: a public term judged for the acting account (their own here): any verified adult
    # reaches it; 16+ may not book.
    ("book_confirm", "get", "/profilaktyka/szczepienia/umow/termin/{free_slot}/",
     _row(insuring_parent=OK, granted_guardian=OK, revoked_grantee=OK, other_parent=OK, stranger=OK,
          adult_child=OK, child_16=FORBIDDEN)),
    # The desk: {desk_ticket} is the insuring parent's request about the child, assigned to support_assigned.
    # Every support user triages it; the person's data, attachments and actions are the assignee's only.
    ("desk_ticket", "get", "/obsluga/zgloszenia/{desk_ticket}/", _desk_row(support=OK, support_assigned=OK)),
    ("desk_assign", "post", "/obsluga/zgloszenia/{desk_ticket}/przypisz/", _desk_row(support=OK, support_assigned=OK)),
    ("desk_reply", "post", "/obsluga/zgloszenia/{desk_ticket}/odpowiedz/", _desk_row(support=OK, support_assigned=OK)),
    ("desk_note", "post", "/obsluga/zgloszenia/{desk_ticket}/notatka/", _desk_row(support=OK, support_assigned=OK)),
    ("desk_status", "post", "/obsluga/zgloszenia/{desk_ticket}/status/", _desk_row(support=OK, support_assigned=OK)),
    ("desk_person", "get", "/obsluga/zgloszenia/{desk_ticket}/osoba/", _desk_row(support_assigned=OK)),
    ("desk_resync", "post", "/obsluga/zgloszenia/{desk_ticket}/synchronizacja/", _desk_row(support_assigned=OK)),
    ("desk_grant", "get", "/obsluga/zgloszenia/{desk_ticket}/opiekun/", _desk_row(support_assigned=OK)),
    ("desk_not_my_child", "post", "/obsluga/zgloszenia/{desk_ticket}/to-nie-moje-dziecko/", _desk_row(support_assigned=OK)),
    ("desk_attachment", "get", "/obsluga/zgloszenia/{desk_ticket}/zalaczniki/{desk_attachment}/",
     _desk_row(support_assigned=OK)),
    ("quarantined_line", "get", "/obsluga/synchronizacja/kwarantanna/{line}/", _desk_row(support=OK, support_assigned=OK)),
    # A clinic's pages: {clinic} has clinic_staff on its staff; clinic_other works at another clinic.
    ("clinic_slots", "get", "/obsluga/przychodnia/{clinic}/terminy/", _clinic_row()),
    ("clinic_slot_withdraw", "post", "/obsluga/przychodnia/{clinic}/terminy/{free_slot}/wycofaj/", _clinic_row()),
    ("clinic_visits", "get", "/obsluga/przychodnia/{clinic}/wizyty-otwarte/", _clinic_row()),
    ("clinic_visit_close", "post", "/obsluga/przychodnia/{clinic}/wizyty-otwarte/{open_dose}/zamknij/", _clinic_row()),
    ("clinic_record_dose", "get", "/obsluga/przychodnia/{clinic}/szczepienie/", _clinic_row()),
]  # fmt: skip

# Rows whose allowed cells show or change a person's data: each such request writes an access-log
# row by the actor on each person named here ("self": the actor's own person, the acting account).
LOGGED = {
    "guardians": ("child",), "guardians_add": ("child",), "switch_to": ("child",), "guardian_revoke": ("child",),
    "not_my_child_report": ("child",), "teen_guardians": ("teen",), "teen_guardians_add": ("teen",),
    "teen_switch_to": ("teen",), "adult_guardians": ("adult",),
    "appointment": ("child",), "appointment_cancel_page": ("child",), "appointment_cancel": ("child",),
    "teen_appointment_cancel": ("teen",),
    "document": ("child",), "document_pdf": ("child",), "teen_document": ("teen",), "adult_document_pdf": ("adult",),
    "ticket": ("self",), "ticket_attachment": ("self",), "authorisation_revoke": ("self",),
    "book_confirm": ("self",),  # the acting account's vaccination verdict for the term
    "desk_person": ("child",), "desk_resync": ("child",), "desk_attachment": ("child",),
    "quarantined_line": ("child", "parent"),  # the raw line names both PESELs
    "clinic_visits": ("child",), "clinic_visit_close": ("child",),
}
# Allowed cells of LOGGED rows that open nothing of anyone's: (row, actor) -> why.
NOT_LOGGED_CELLS = {
    ("teen_switch_to", "child_16"): "switching to one's own account is switching back: it only redirects",
}
# Rows whose allowed cells show no person's data, and why.
NOT_PERSON_DATA = {
    "not_my_child": "the form names the child, as the children's list does; the report (its POST) is logged",
    "adult_switch_to": "only the adult themself may: switching to one's own account only redirects",
    "ticket_reply": "adds a message to one's own request and redirects: nothing is read",
    "ticket_reopen": "reopens one's own request and redirects: nothing is read",
    "desk_ticket": "triage data only (category, status, description, diagnosis codes); the person is on desk_person",
    "desk_assign": "moves the ticket between staff; no person's data is read",
    "desk_reply": "a message on the ticket; no person's data is read",
    "desk_note": "an internal note on the ticket; no person's data is read",
    "desk_status": "the ticket's status; no person's data is read",
    "desk_grant": "the empty form; the guardian granted by its POST is logged by the service",
    "desk_not_my_child": "the matrix's ticket is not a 'not my child' report: refused with a message, nothing changes",
    "clinic_slots": "slots say 'booked' and the dose, never for whom",
    "clinic_slot_withdraw": "the term is free: no child's booking is touched",
    "clinic_record_dose": "the empty form; the child is named in its POST, which the service logs",
}  # fmt: skip

# POST bodies that make the request valid for whoever may send it (a refusal must not depend on them).
POST_DATA = {
    "ticket_reply": {"body": "Dziękuję, czekam na odpowiedź."},
    "desk_assign": {"me": "1"},
    "desk_reply": {"body": "Sprawdzamy."},
    "desk_note": {"body": "Notatka wewnętrzna."},
    "desk_status": {"status": "waiting", "body": ""},
    "desk_resync": {"justification": "Rodzic zgłasza brak dostępu po zmianie pracy."},
    "desk_not_my_child": {"outcome": "rejected", "justification": "Sprawdzenie zgłoszenia przez ikp-pomoc."},
}


@pytest.fixture
def world(db, tmp_path, parent, granted_guardian, other_parent, stranger, child_16, support_user):
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
    support_assigned = make_user(email="pomoc-przypisana@example.test", groups=[SUPPORT_GROUP])
    clinic_staff = make_user(email="przychodnia-a@example.test", groups=[CLINIC_STAFF_GROUP])
    clinic_other = make_user(email="przychodnia-b@example.test", groups=[CLINIC_STAFF_GROUP])
    for user in (support_user, support_assigned, clinic_staff, clinic_other):
        TOTP.activate(user, generate_totp_secret())
    clinic = make_clinic(staff=[clinic_staff])
    make_clinic(name="Przychodnia Inna", staff=[clinic_other])
    free_slot = make_slot(clinic, hour=14)
    open_dose = record_dose(child, on=years_ago(0, months=1), clinic=clinic, visit_open=True)
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
    authorisation = make_grant(parent.person, other_parent.person, kind="authorisation", by=parent)
    desk_ticket = ticket_open(category="child_access", description="Proszę o pomoc", requester=parent, person=child,
                              files=(NewFile("akt.pdf", "application/pdf", b"%PDF-1.4 akt"),))
    ticket_assign(ticket=desk_ticket, by=support_assigned, to=support_assigned)
    broken = tmp_path / "zus-matrix.jsonl"  # a registration of the child set aside for a wrong date
    broken.write_text(json.dumps({
        "event_id": "broken", "type": "family_member_registered", "insured_pesel": parent.person.pesel,
        "insured_first_name": "Anna", "insured_surname": "Kowalska", "member_pesel": child.pesel,
        "member_first_name": "Zosia", "member_surname": "Kowalska", "valid_from": "2025-02-30", "reported_on": "2025-03-03",
    }) + "\n", encoding="utf-8")
    ingest_file("zus-insurance", broken)
    return {
        "users": {
            "insuring_parent": parent, "granted_guardian": granted_guardian, "revoked_grantee": revoked,
            "other_parent": other_parent, "stranger": stranger, "child_16": child_16, "adult_child": adult,
            "support": support_user, "support_assigned": support_assigned, "clinic_staff": clinic_staff,
            "clinic_other": clinic_other, "anonymous": None,
        },
        "ids": {"child": child.public_id, "teen": child_16.person.public_id, "adult": adult.person.public_id,
                "grant": grant.public_id, "appointment": appointment.public_id,
                "teen_appointment": teen_appointment.public_id, **documents,
                "ticket": ticket.public_id, "attachment": attachment.public_id,
                "authorisation": authorisation.public_id, "desk_ticket": desk_ticket.public_id, "desk_attachment": desk_ticket.attachments.get().public_id,
                "line": QuarantinedLine.objects.get().public_id, "clinic": clinic.public_id,
                "free_slot": free_slot.public_id, "open_dose": open_dose.public_id},
        "people": {"child": child, "teen": child_16.person, "adult": adult.person, "parent": parent.person},
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
    data = POST_DATA.get(name, {})
    if name.endswith("_add"):
        new = world["new_guardian"]
        data = {"surname": new.surname, "pesel": new.pesel, "legal_guardian_confirmed": "on"}
    last_log = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    response = client.post(url, data) if method == "post" else client.get(url)

    assert _outcome(response) == expected[actor], f"{method.upper()} {name} as {actor}"
    written = AccessLogEntry.objects.filter(pk__gt=last_log)
    if expected[actor] != OK:
        assert not written.exists()  # a refusal reads and writes nothing
    elif name in LOGGED and (name, actor) not in NOT_LOGGED_CELLS:
        people = world["people"] | {"self": user.person}
        logged = set(written.filter(actor=user).values_list("subject", flat=True))
        missing = [key for key in LOGGED[name] if people[key].pk not in logged]
        assert not missing, f"{method.upper()} {name} as {actor} shows data of {missing} but logged no read"


def test_every_row_says_whether_it_logs():
    names = [name for name, _, _, _ in MATRIX]
    assert not set(LOGGED) & set(NOT_PERSON_DATA)
    assert sorted(set(LOGGED) | set(NOT_PERSON_DATA)) == sorted(names), "a row in neither LOGGED nor NOT_PERSON_DATA"
    for name, actor in NOT_LOGGED_CELLS:
        assert name in LOGGED and next(row for row in MATRIX if row[0] == name)[3][actor] == OK


def test_every_subject_scoped_url_has_a_row():
    patterns = []

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry, prefix + str(entry.pattern))
            else:
                patterns.append(prefix + str(entry.pattern))

    walk(get_resolver())
    with_ids = {"/" + re.sub(r"<uuid:\w+>", "{x}", p) for p in patterns if "<uuid:" in p}
    ours = {re.sub(r"\{\w+\}", "{x}", template) for _, _, template, _ in MATRIX}
    missing = with_ids - ours
    assert not missing, f"URLs taking an id without a matrix row: {sorted(missing)}"
