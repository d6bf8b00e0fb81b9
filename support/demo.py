"""The demo world's ikp-pomoc requests (part of `manage.py seed_demo`): a request of every
category the FAQ sends to ikp-pomoc, made by the same services the portal, the diagnosis pages,
the login help form and the mail inbox use, so each carries its real thread and evidence.

| category          | from                          | how it came                        | state (desk: pomoc@demo.ikp.pl)     |
| ----------------- | ----------------------------- | ---------------------------------- | ----------------------------------- |
| child_access      | Piotr, about Antek            | "Why can't I see my child's        | assigned, waiting for Piotr: a      |
|                   |                               | account?" (REGISTRATION_ENDED)     | reply asks for the birth cert.      |
| missing_documents | Halina                        | portal form                        | assigned, in progress, a note; no   |
|                   |                               |                                    | reply yet (first response overdue)  |
| other             | Tomasz                        | portal form: how to share Julia's  | assigned, answered and resolved     |
|                   |                               | account with her mother            |                                     |
| sick_leave        | Anna                          | portal form, about ZD 0000004      | new, in the queue                   |
| hpv_booking       | Anna, about Maja              | Szczepienia: the open visit        | new, in the queue                   |
| login             | Krystyna (no login)           | login help form, not logged in     | new, in the queue                   |
| other             | Jan Wójcik (no login)         | an e-mail to the desk's inbox      | new, in the queue                   |

No "not my child" report: reporting suspends the reporter's insurance link at once, and every
insurance link of the demo is some other demo's case (vaccinations and guardianship test them).
A report needs its own wrongly registered child in guardianship/demo.py's insurance file.

Each request's history is spread over the last days the way a desk works through it: after
each step the request's timestamps so far (thread, response times, its access-log rows) are
moved back together (`_earlier`), so order and intervals stay those the services recorded.
Requests are found again by category and sender, so seeding again adds nothing. Mail is left to
the services (queued after commit, as for every request).
"""

import hashlib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from django.db.models import F
from django.utils import timezone

from accounts.models import Person, User
from guardianship.models import AccessLogEntry
from guardianship.policy import SubjectAccess, access_for
from guardianship.rules import Diagnosis
from guardianship.services import child_access_diagnose, diagnosis_ticket_open, not_my_child_report
from support import inbound, services
from support.models import Attachment, Ticket, TicketMessage
from vaccinations.models import Vaccine
from vaccinations.services import hpv_ticket_open, vaccination_state

SUPPORT_EMAIL = "pomoc@demo.ikp.pl"  # accounts/demo.py STAFF
LOGIN_HELP_EMAIL = "krystyna.zielinska@example.com"
MAIL_SENDER = ("Jan Wójcik", "jan.wojcik@example.com")
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def seed(people: dict[str, Person]) -> None:
    staff = User.objects.get(email=SUPPORT_EMAIL)
    _child_access(people, staff)
    _missing_documents(people, staff)
    _sharing_question(people, staff)
    _sick_leave(people)
    _not_my_child(people)
    _hpv_booking(people)
    _login_help()
    _email()


# --- assigned to the demo's support login -----------------------------------------------------


def _child_access(people: dict[str, Person], staff: User) -> None:
    """The FAQ's job change: Piotr's registration of Antek ended; he sends the diagnosis."""
    piotr, antek = people["piotr"].user, people["antek"]
    if _exists(Ticket.Category.CHILD_ACCESS, requester=piotr):
        return
    result = child_access_diagnose(user=piotr, child=antek)
    if result.code == Diagnosis.HAS_ACCESS:
        return  # someone gave Piotr access in this demo already: nothing to ask for
    ticket = diagnosis_ticket_open(
        user=piotr,
        child=antek,
        result=result,
        description="Zmieniłem pracę i od tego czasu nie widzę konta syna. Nowy pracodawca jeszcze "
        "go nie zgłosił, a syn potrzebuje recepty.",
    )
    _earlier(ticket, DAY + 3 * HOUR)
    services.ticket_assign(ticket=ticket, by=staff, to=staff)
    services.note_add(
        ticket=ticket,
        staff=staff,
        body="Rejestracja przez poprzedniego pracodawcę zakończona, nowej brak. Do nadania dostępu "
        "jako opiekunowi prawnemu potrzebny akt urodzenia.",
    )
    _earlier(ticket, 20 * HOUR)
    services.staff_reply(
        ticket=ticket,
        staff=staff,
        body="Dzień dobry, możemy nadać Panu dostęp do konta syna jako jego opiekunowi prawnemu. "
        "Prosimy o przesłanie skanu lub zdjęcia aktu urodzenia syna w odpowiedzi na to "
        "zgłoszenie.",
        wait_for_patient=True,
    )
    _earlier(ticket, 22 * HOUR)


def _missing_documents(people: dict[str, Person], staff: User) -> None:
    halina = people["halina"].user
    if _exists(Ticket.Category.MISSING_DOCUMENTS, requester=halina):
        return
    ticket = services.ticket_open(
        category=Ticket.Category.MISSING_DOCUMENTS,
        requester=halina,
        person=people["halina"],
        description="Po wypisie ze szpitala nie widzę w IKP karty informacyjnej leczenia "
        "szpitalnego. Minęły już dwa tygodnie.",
    )
    _earlier(ticket, DAY)
    services.ticket_assign(ticket=ticket, by=staff, to=staff)
    services.note_add(
        ticket=ticket,
        staff=staff,
        body="Szpital potwierdził telefonicznie, że dokument nie trafił do P1. Czekamy na ponowne "
        "wysłanie, potem odpowiedź do pacjentki.",
    )
    _earlier(ticket, 4 * DAY + 2 * HOUR)


def _sharing_question(people: dict[str, Person], staff: User) -> None:
    """Tomasz asks how to share a child's account: answered with the FAQ's steps, resolved."""
    tomasz = people["tomasz"].user
    if _exists(Ticket.Category.OTHER, requester=tomasz):
        return
    ticket = services.ticket_open(
        category=Ticket.Category.OTHER,
        requester=tomasz,
        description="Jak udostępnić konto córki jej mamie? Żona nie widzi konta Julii w IKP.",
    )
    _earlier(ticket, 5 * HOUR)
    services.ticket_assign(ticket=ticket, by=staff, to=staff)
    services.staff_reply(
        ticket=ticket,
        staff=staff,
        body="Dzień dobry, w IKP prosimy wybrać „Uprawnienia”, potem „Konta Twoich dzieci”, na "
        "kafelku Julii „Lista opiekunów” i „Dodaj opiekuna”. Wystarczy nazwisko i numer PESEL "
        "mamy oraz potwierdzenie, że jest opiekunem prawnym.",
    )
    _earlier(ticket, DAY)
    services.status_change(
        ticket=ticket,
        staff=staff,
        to=Ticket.Status.RESOLVED,
        body="Przesłaliśmy instrukcję udostępnienia konta dziecka drugiemu rodzicowi.",
    )
    _earlier(ticket, 2 * DAY + 4 * HOUR)


# --- in the queue, nobody assigned ------------------------------------------------------------


def _sick_leave(people: dict[str, Person]) -> None:
    """Anna asks about her cancelled leave (sickleaves/demo.py, ZD 0000004)."""
    anna = people["anna"].user
    if _exists(Ticket.Category.SICK_LEAVE, requester=anna):
        return
    ticket = services.ticket_open(
        category=Ticket.Category.SICK_LEAVE,
        requester=anna,
        person=people["anna"],
        description="Zwolnienie ZD 0000004 jest oznaczone jako anulowane, a lekarz nic mi o tym "
        "nie mówił. Czy pracodawca je widzi i czy muszę coś zrobić?",
    )
    _earlier(ticket, 9 * HOUR)


def _not_my_child(people: dict[str, Person]) -> None:
    """Ewa sees Filip, whom her employer registered under a PESEL typo, and reports it: her link
    is suspended at once and the request carries her registration (guardianship/demo.py)."""
    ewa, filip = people["ewa"].user, people["filip"]
    if _exists(Ticket.Category.NOT_MY_CHILD, requester=ewa):
        return
    ticket = not_my_child_report(
        user=ewa,
        subject_access=SubjectAccess(filip, access_for(ewa, filip)),
        description="To nie jest moje dziecko. Mam jedną córkę, Lenę; pracodawca musiał się pomylić w numerze PESEL.",
    )
    _earlier(ticket, 2 * DAY + 3 * HOUR)


def _hpv_booking(people: dict[str, Person]) -> None:
    """Anna reports Maja's open visit from the Szczepienia page (vaccinations/demo.py)."""
    anna = people["anna"].user
    if _exists(Ticket.Category.HPV_BOOKING, requester=anna):
        return
    maja = Person.objects.get(first_name="Maja", surname="Kowalska", pesel__regex=r"^[0-9]{6}921")
    vaccine = Vaccine.objects.get(code="HPV9")
    ticket = hpv_ticket_open(
        by=anna,
        subject=SubjectAccess(maja, access_for(anna, maja)),
        state=vaccination_state(child=maja, vaccine=vaccine, today=timezone.localdate()),
    )
    _earlier(ticket, DAY + 6 * HOUR)


def _login_help() -> None:
    """The login help form sent by someone who cannot log in (no login, a contact address)."""
    if _exists(Ticket.Category.LOGIN, contact_email=LOGIN_HELP_EMAIL):
        return
    ticket = services.ticket_open(
        category=Ticket.Category.LOGIN,
        source=Ticket.Source.LOGIN_FORM,
        contact_email=LOGIN_HELP_EMAIL,
        contact_name="Krystyna Zielińska",
        description="Po wybraniu logowania przez bank strona banku pokazuje błąd i wracam do "
        "ekranu logowania. Próbowałam trzy razy.",
        # As support.views_login_help._evidence stores it for a sender who is not logged in.
        diagnosis={
            "login_help": {"method": "bank", "when": "dziś około 8:30", "verification": None}
        },
    )
    _earlier(ticket, 3 * HOUR)


def _email() -> None:
    """An e-mail to the desk's inbox, delivered as the inbox task delivers it."""
    name, address = MAIL_SENDER
    if _exists(Ticket.Category.OTHER, contact_email=address):
        return
    raw = _mail(name, address, sent=timezone.now() - 2 * DAY)
    ticket = inbound.deliver(inbound.parse_message(raw), mail_key=hashlib.sha256(raw).hexdigest())
    _earlier(ticket, 2 * DAY)


def _mail(name: str, address: str, *, sent: datetime) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{address}>"
    message["To"] = "ikp-pomoc <pomoc@ikp.example>"
    message["Subject"] = "Zmiana adresu e-mail do powiadomień"
    message["Date"] = format_datetime(timezone.localtime(sent))
    message["Message-ID"] = "<demo-other-1@demo.ikp.pl>"
    message.set_content(
        "Dzień dobry,\n\nzmieniłem adres e-mail i powiadomienia z IKP nadal przychodzą na stary. "
        "Jak to zmienić?\n\nPozdrawiam\nJan Wójcik\n"
    )
    return message.as_bytes()


# --- helpers ----------------------------------------------------------------------------------


def _exists(category: str, **sender) -> bool:
    return Ticket.objects.filter(category=category, **sender).exists()


def _earlier(ticket: Ticket, by: timedelta) -> None:
    """Move everything recorded so far for the ticket `by` into the past (never before 1 January
    of the year it opened: its number names that year, and the e-mails already quote it)."""
    opened = Ticket.objects.values_list("created_at", flat=True).get(pk=ticket.pk)
    new_year = timezone.localtime(opened).replace(
        month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    by = min(by, opened - new_year)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=F("created_at") - by,
        first_response_at=F("first_response_at") - by,
        resolved_at=F("resolved_at") - by,
        closed_at=F("closed_at") - by,
    )
    TicketMessage.objects.filter(ticket=ticket).update(
        created_at=F("created_at") - by, mailed_at=F("mailed_at") - by
    )
    Attachment.objects.filter(ticket=ticket).update(created_at=F("created_at") - by)
    # What the diagnosis pages logged when the request was sent (the patient's own history).
    AccessLogEntry.objects.filter(target=str(ticket.public_id)).update(at=F("at") - by)
