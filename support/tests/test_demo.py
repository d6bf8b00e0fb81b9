"""The ikp-pomoc demo (support/demo.py, run by `manage.py seed_demo`): a request of every FAQ
category, some assigned to the demo's support login, the desk shows them, and seeding again
adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from guardianship.models import AccessLogEntry
from guardianship.rules import Diagnosis
from support.demo import SUPPORT_EMAIL
from support.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db

# Not seeded: a report suspends an insurance link, and each demo link is another demo's case.
NOT_SEEDED: set[str] = set()


def seed_demo() -> None:
    call_command("seed_demo", stdout=StringIO())


def login(email_name: str) -> User:
    return User.objects.get(email=f"{email_name}@demo.ikp.pl")


def snapshot() -> list[tuple]:
    """Every ticket with its state and thread length."""
    return [
        (t.pk, t.category, t.status, t.assignee_id, t.created_at, t.messages.count())
        for t in Ticket.objects.order_by("pk")
    ]


@pytest.fixture
def demo():
    seed_demo()


def test_seeding_again_adds_and_changes_nothing(demo):
    before = snapshot()
    logged = AccessLogEntry.objects.count()
    seed_demo()
    assert snapshot() == before
    assert AccessLogEntry.objects.count() == logged


def test_every_category_the_faq_names_has_an_open_request(demo):
    open_tickets = Ticket.objects.filter(status__in=["new", "in_progress", "waiting"])
    categories = set(open_tickets.values_list("category", flat=True))
    assert categories == set(Ticket.Category.values) - NOT_SEEDED


def test_the_support_login_has_requests_assigned_and_others_wait_in_the_queue(demo):
    staff = login("pomoc")
    mine = Ticket.objects.filter(assignee=staff)
    assert mine.filter(status__in=["in_progress", "waiting"]).count() >= 2
    waiting = mine.get(status=Ticket.Status.WAITING)
    assert waiting.messages.filter(kind=TicketMessage.Kind.REPLY, author=staff).exists()
    assert waiting.first_response_at is not None
    resolved = mine.get(status=Ticket.Status.RESOLVED)
    assert resolved.resolved_at is not None and resolved.resolved_at > resolved.created_at
    assert Ticket.objects.filter(assignee__isnull=True, status=Ticket.Status.NEW).count() >= 3
    # An internal note on an assigned request, never a public entry.
    assert mine.filter(messages__kind=TicketMessage.Kind.NOTE, messages__internal=True).exists()


def test_ewa_reported_the_child_registered_under_a_typo_and_no_longer_sees_him(demo):
    from guardianship.models import LinkSuspension
    from guardianship.policy import access_for

    ewa = login("ewa.zielinska")
    ticket = Ticket.objects.get(category=Ticket.Category.NOT_MY_CHILD)
    filip = ticket.person
    assert ticket.requester == ewa and filip.first_name == "Filip"
    assert ticket.diagnosis["not_my_child"]["coverages"][0]["registration_event_id"] == "demo-reg-ewa-filip"
    assert LinkSuspension.objects.filter(person=ewa.person, subject=filip, lifted_at=None).exists()
    assert not access_for(ewa, filip).can_read


def test_piotr_sent_the_real_diagnosis_of_antek_after_his_job_change(demo):
    ticket = Ticket.objects.get(category=Ticket.Category.CHILD_ACCESS)
    assert ticket.requester == login("piotr.kowalski")
    assert ticket.person.first_name == "Antek"
    assert ticket.source == Ticket.Source.DIAGNOSIS
    assert ticket.diagnosis["child_access"]["code"] == Diagnosis.REGISTRATION_ENDED
    assert ticket.diagnosis["child_access"]["on"]  # the day the registration ended


def test_the_thread_reads_in_order_over_the_last_days(demo):
    ticket = Ticket.objects.get(status=Ticket.Status.RESOLVED)
    times = list(ticket.messages.values_list("created_at", flat=True))
    assert times == sorted(times)
    assert (times[-1] - times[0]).total_seconds() > 24 * 3600  # answered and resolved a day later
    assert ticket.messages.first().status == Ticket.Status.NEW  # the opening comes first


def test_requests_without_a_login_came_from_the_form_and_the_inbox(demo):
    login_help = Ticket.objects.get(category=Ticket.Category.LOGIN)
    assert login_help.requester is None and login_help.contact_email
    assert login_help.source == Ticket.Source.LOGIN_FORM
    assert login_help.diagnosis["login_help"]["method"] == "bank"
    mailed = Ticket.objects.get(category=Ticket.Category.OTHER, requester=None)
    assert mailed.requester is None and mailed.source == Ticket.Source.EMAIL
    assert mailed.contact_email == "jan.wojcik@example.com"
    assert "Zmiana adresu e-mail do powiadomień" in mailed.description
    assert mailed.messages.get().via_email


def test_the_desk_shows_the_support_login_its_requests(demo, client):
    client.force_login(login("pomoc"))  # seeded with TOTP, as the desk requires
    page = client.get("/obsluga/zgloszenia/", {"kto": "moje"})
    assert page.status_code == 200
    text = page.content.decode()
    for ticket in Ticket.objects.filter(
        assignee__email=SUPPORT_EMAIL, status__in=["in_progress", "waiting"]
    ):
        assert ticket.number in text
    assert Ticket.objects.get(category=Ticket.Category.LOGIN).number not in text  # unassigned
