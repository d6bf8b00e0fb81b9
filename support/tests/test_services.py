"""ikp-pomoc workflows (support/services.py) and their e-mails (support/emails.py), on the real
database: the life cycle, who is mailed what and how often, and the 14-day reopening window.

Mail tasks are queued on commit; each service call runs inside
`django_capture_on_commit_callbacks(execute=True)` with the eager Celery fixture, so the mail
is in `mailoutbox` when the call returns.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.roles import SUPPORT_GROUP
from conftest import hpv9, make_user, record_dose
from guardianship.policy import SubjectAccess, access_for
from support import rules
from support.emails import ticket_mail_send
from support.models import Attachment, Ticket, TicketMessage
from support.services import (
    NewFile,
    TicketRefused,
    close_resolved,
    find_by_number,
    note_add,
    patient_message_add,
    patient_reopen,
    staff_reply,
    status_change,
    ticket_assign,
    ticket_open,
)

T = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # when the ticket is resolved in the 14-day cases
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"

pytestmark = pytest.mark.usefixtures("celery_eager")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the queued mail tasks) when it ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def english_parent(parent):
    parent.language = "en"
    parent.save(update_fields=["language"])
    return parent


@pytest.fixture
def opened(committed, english_parent, mailoutbox):
    """A new portal ticket of `english_parent`; its confirmation already sent and cleared."""
    with committed():
        ticket = ticket_open(
            category=Ticket.Category.OTHER,
            description="My records are wrong.",
            requester=english_parent,
        )
    mailoutbox.clear()
    return ticket


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def entries(ticket: Ticket) -> list[tuple]:
    """The thread in the order written (the tests travel in time, so not by created_at)."""
    return [(m.kind, m.status, m.internal) for m in ticket.messages.order_by("pk")]


def resolve_at(committed, ticket: Ticket, staff, when: datetime) -> None:
    with time_machine.travel(when, tick=False), committed():
        status_change(ticket=ticket, staff=staff, to=Ticket.Status.RESOLVED)


# --- opening ---------------------------------------------------------------------------------


def test_opening_records_a_new_ticket_and_mails_its_number_to_the_login_address(
    committed, parent, mailoutbox
):
    with committed():
        ticket = ticket_open(
            category=Ticket.Category.LOGIN, description="I cannot log in.", requester=parent
        )

    ticket = fresh(ticket)
    assert (ticket.status, ticket.source, ticket.requester, ticket.language) == (
        "new",
        "portal",
        parent,
        "pl",
    )
    [opening] = ticket.messages.all()
    assert (opening.kind, opening.status, opening.author, opening.internal) == (
        "event",
        "new",
        parent,
        False,
    )
    assert opening.mailed_at is not None
    [mail] = mailoutbox
    assert mail.to == [parent.email]
    assert mail.reply_to == [settings.SUPPORT_MAIL_ADDRESS]
    assert mail.subject.startswith(f"[{ticket.number}] ")
    assert ticket.number in mail.body


def test_the_confirmation_is_written_in_the_requester_s_language(
    committed, english_parent, mailoutbox
):
    with committed():
        ticket = ticket_open(
            category=Ticket.Category.OTHER, description="Help.", requester=english_parent
        )

    [mail] = mailoutbox
    assert mail.subject == f"[{ticket.number}] We have received your request"
    assert "ikp-pomoc has received your request about: other." in mail.body


def test_a_ticket_without_a_login_is_confirmed_to_its_contact_address(committed, db, mailoutbox):
    with committed():
        ticket = ticket_open(
            category=Ticket.Category.LOGIN, source=Ticket.Source.LOGIN_FORM, description="The code never comes.",
            contact_email="jan@example.test", contact_name="Jan Nowak", language="en",
        )  # fmt: skip

    ticket = fresh(ticket)
    assert (ticket.requester, ticket.contact_email, ticket.language) == (
        None,
        "jan@example.test",
        "en",
    )
    [mail] = mailoutbox
    assert mail.to == ["jan@example.test"]
    assert mail.subject == f"[{ticket.number}] We have received your request"


def test_a_requester_s_ticket_keeps_no_contact_address(committed, parent, mailoutbox):
    with committed():
        ticket = ticket_open(
            category=Ticket.Category.OTHER,
            description="x",
            requester=parent,
            contact_email="other@example.test",
        )

    assert fresh(ticket).contact_email == ""
    assert [m.to for m in mailoutbox] == [[parent.email]]


def test_files_sent_with_a_ticket_are_stored_with_their_checksum(committed, parent):
    with committed():
        ticket = ticket_open(
            category=Ticket.Category.MISSING_DOCUMENTS, description="x", requester=parent,
            files=(NewFile("skan.png", "image/png", PNG),),
        )  # fmt: skip

    [attachment] = Attachment.objects.filter(ticket=ticket)
    assert (attachment.name, attachment.content_type, attachment.size, attachment.message) == (
        "skan.png",
        "image/png",
        len(PNG),
        None,
    )
    assert bytes(attachment.content) == PNG
    assert len(attachment.sha256) == 64


def test_the_number_carries_the_year_in_polish_time(committed, parent):
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False), committed():
        ticket = ticket_open(category=Ticket.Category.OTHER, description="x", requester=parent)

    # 00:30 on 1 January in Warsaw
    assert fresh(ticket).number == rules.ticket_number(2027, ticket.pk)


# --- the patient writes ------------------------------------------------------------------------


def test_a_patient_message_puts_a_waiting_ticket_back_in_progress(
    committed, opened, support_user, english_parent
):
    with committed():
        staff_reply(
            ticket=opened,
            staff=support_user,
            body="Please send the document.",
            wait_for_patient=True,
        )
        patient_message_add(ticket=opened, author=english_parent, body="Here it is.")

    assert fresh(opened).status == "in_progress"
    assert entries(opened)[-2:] == [("message", "", False), ("event", "in_progress", False)]
    message = opened.messages.get(kind="message")
    assert (message.author, message.body) == (english_parent, "Here it is.")


def test_a_patient_message_on_a_new_ticket_leaves_it_new(committed, opened, english_parent):
    with committed():
        patient_message_add(ticket=opened, author=english_parent, body="One more thing.")

    assert fresh(opened).status == "new"
    assert entries(opened) == [("event", "new", False), ("message", "", False)]


def test_a_patient_message_within_14_days_of_the_resolution_reopens_the_ticket(
    committed, opened, support_user, english_parent
):
    resolve_at(committed, opened, support_user, T)
    assert fresh(opened).resolved_at == T

    with (
        time_machine.travel(T + timedelta(days=14) - timedelta(seconds=1), tick=False),
        committed(),
    ):
        patient_message_add(ticket=opened, author=english_parent, body="It happened again.")

    ticket = fresh(opened)
    assert (ticket.status, ticket.resolved_at) == ("in_progress", None)
    assert entries(opened)[-1] == ("event", "in_progress", False)


def test_a_patient_message_14_days_after_the_resolution_is_refused_and_writes_nothing(
    committed, opened, support_user, english_parent, mailoutbox
):
    resolve_at(committed, opened, support_user, T)
    mailoutbox.clear()
    before = entries(opened)

    with (
        time_machine.travel(T + timedelta(days=14), tick=False),
        committed(),
        pytest.raises(TicketRefused) as refused,
    ):
        patient_message_add(ticket=opened, author=english_parent, body="Still broken.")

    assert refused.value.code == "reopen_expired"
    assert (fresh(opened).status, fresh(opened).resolved_at) == ("resolved", T)
    assert entries(opened) == before
    assert mailoutbox == []


def test_a_patient_message_on_a_closed_ticket_is_refused(
    committed, opened, support_user, english_parent
):
    resolve_at(committed, opened, support_user, T)
    with committed():
        status_change(ticket=opened, staff=support_user, to=Ticket.Status.CLOSED)
    before = entries(opened)

    with committed(), pytest.raises(TicketRefused) as refused:
        patient_message_add(ticket=opened, author=english_parent, body="Hello?")

    assert refused.value.code == "closed"
    assert entries(opened) == before


def test_patient_messages_mail_the_assignee_without_their_text(
    committed, opened, support_user, english_parent, mailoutbox
):
    with committed():
        ticket_assign(ticket=opened, by=support_user, to=support_user)
        staff_reply(ticket=opened, staff=support_user, body="Which child?", wait_for_patient=True)
    mailoutbox.clear()

    with committed():
        patient_message_add(
            ticket=opened, author=english_parent, body="My daughter Zosia, PESEL in the scan."
        )

    [mail] = mailoutbox  # the assignee only: the status event it caused is not mailed to anyone
    assert mail.to == [support_user.email]
    assert opened.number in mail.subject
    assert f"/obsluga/zgloszenia/{opened.public_id}/" in mail.body
    assert "Zosia" not in mail.body and "PESEL" not in mail.body


def test_patient_messages_on_an_unassigned_ticket_mail_nobody(
    committed, opened, english_parent, mailoutbox
):
    with committed():
        message = patient_message_add(ticket=opened, author=english_parent, body="Anyone there?")

    assert mailoutbox == []
    assert TicketMessage.objects.get(pk=message.pk).mailed_at is not None  # looked at, nothing owed


def test_a_patient_may_reopen_within_14_days_and_the_assignee_is_told(
    committed, opened, support_user, english_parent, mailoutbox
):
    with committed():
        ticket_assign(ticket=opened, by=support_user, to=support_user)
    resolve_at(committed, opened, support_user, T)
    mailoutbox.clear()

    with time_machine.travel(T + timedelta(days=3), tick=False), committed():
        patient_reopen(ticket=opened, by=english_parent, body="Not fixed.")

    ticket = fresh(opened)
    assert (ticket.status, ticket.resolved_at) == ("in_progress", None)
    assert [m.to for m in mailoutbox] == [[support_user.email]]


def test_a_patient_cannot_reopen_after_14_days(committed, opened, support_user, english_parent):
    resolve_at(committed, opened, support_user, T)

    with (
        time_machine.travel(T + timedelta(days=15), tick=False),
        pytest.raises(TicketRefused) as refused,
    ):
        patient_reopen(ticket=opened, by=english_parent)

    assert refused.value.code == "reopen_expired"
    assert fresh(opened).status == "resolved"


# --- staff replies, notes and status changes ------------------------------------------------------


def test_the_first_reply_stops_the_first_response_clock_once(committed, opened, support_user):
    with time_machine.travel(T, tick=False), committed():
        staff_reply(ticket=opened, staff=support_user, body="We are looking into it.")
    with time_machine.travel(T + timedelta(hours=5), tick=False), committed():
        staff_reply(ticket=opened, staff=support_user, body="Fixed, please check.")

    assert fresh(opened).first_response_at == T


def test_a_reply_that_also_changes_the_status_is_one_e_mail(
    committed, opened, support_user, english_parent, mailoutbox
):
    with committed():
        reply = staff_reply(
            ticket=opened,
            staff=support_user,
            body="Please send the birth certificate.",
            wait_for_patient=True,
        )

    assert fresh(opened).status == "waiting"
    [mail] = mailoutbox
    assert mail.to == [english_parent.email]
    assert mail.subject == f"[{opened.number}] Answer from ikp-pomoc"
    assert "Please send the birth certificate." in mail.body
    assert "We are waiting for your answer" in mail.body
    event = opened.messages.get(kind="event", status="waiting")
    assert event.mailed_at is not None
    assert reply.kind == "reply" and not reply.internal
    assert ticket_mail_send(message_id=event.pk) is False
    assert len(mailoutbox) == 1


def test_a_reply_to_a_new_ticket_puts_it_in_progress(committed, opened, support_user):
    with committed():
        staff_reply(ticket=opened, staff=support_user, body="On it.")

    assert fresh(opened).status == "in_progress"
    assert entries(opened)[-2:] == [("reply", "", False), ("event", "in_progress", False)]


def test_a_note_is_internal_and_never_mailed(committed, opened, support_user, mailoutbox):
    with committed():
        ticket_assign(ticket=opened, by=support_user, to=support_user)
    mailoutbox.clear()

    with committed():
        note = note_add(ticket=opened, staff=support_user, body="Called ZUS, waiting for them.")

    assert (note.kind, note.internal, note.author) == ("note", True, support_user)
    assert mailoutbox == []
    assert ticket_mail_send(message_id=note.pk) is False
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("path", "to", "code"),
    [
        ([], Ticket.Status.CLOSED, "not_allowed"),  # new → closed skips the resolution
        ([], Ticket.Status.NEW, "not_allowed"),
        ([Ticket.Status.IN_PROGRESS], Ticket.Status.IN_PROGRESS, "not_allowed"),
        ([Ticket.Status.RESOLVED, Ticket.Status.CLOSED], Ticket.Status.IN_PROGRESS, "closed"),
        ([Ticket.Status.RESOLVED, Ticket.Status.CLOSED], Ticket.Status.RESOLVED, "closed"),
    ],
)
def test_a_status_change_the_rules_refuse_writes_nothing(
    committed, opened, support_user, mailoutbox, path, to, code
):
    for step in path:
        with committed():
            status_change(ticket=opened, staff=support_user, to=step)
    before, status = entries(opened), fresh(opened).status
    mailoutbox.clear()

    with committed(), pytest.raises(TicketRefused) as refused:
        status_change(ticket=opened, staff=support_user, to=to)

    assert refused.value.code == code
    assert (entries(opened), fresh(opened).status) == (before, status)
    assert mailoutbox == []


@pytest.mark.parametrize("status", list(Ticket.Status))
def test_every_move_the_rules_allow_is_made(committed, opened, support_user, status):
    """From each status reachable by staff, each allowed move sets it and records an event."""
    paths = {
        "new": [], "in_progress": ["in_progress"], "waiting": ["waiting"], "resolved": ["resolved"],
        "closed": ["resolved", "closed"],
    }  # fmt: skip
    for step in paths[status]:
        with committed():
            status_change(ticket=opened, staff=support_user, to=step)

    for to in rules.staff_moves(status):
        Ticket.objects.filter(pk=opened.pk).update(status=status)
        with committed():
            event = status_change(ticket=opened, staff=support_user, to=to)
        assert fresh(opened).status == to
        assert (event.kind, event.status, event.internal) == ("event", to, False)


def test_resolving_sets_the_time_and_tells_the_patient_about_the_14_days(
    committed, opened, support_user, english_parent, mailoutbox
):
    with time_machine.travel(T, tick=False), committed():
        status_change(
            ticket=opened,
            staff=support_user,
            to=Ticket.Status.RESOLVED,
            body="Access granted again.",
        )

    ticket = fresh(opened)
    assert (ticket.status, ticket.resolved_at, ticket.first_response_at) == ("resolved", T, T)
    [mail] = mailoutbox
    assert mail.to == [english_parent.email]
    assert mail.subject == f"[{opened.number}] Your request is now: resolved"
    assert "Access granted again." in mail.body
    assert "reopen the request within 14 days" in mail.body


def test_asking_the_patient_stops_the_first_response_clock(committed, opened, support_user):
    with time_machine.travel(T, tick=False), committed():
        status_change(ticket=opened, staff=support_user, to=Ticket.Status.WAITING)

    assert fresh(opened).first_response_at == T


def test_taking_a_resolved_ticket_back_clears_its_resolution(committed, opened, support_user):
    resolve_at(committed, opened, support_user, T)

    with committed():
        status_change(ticket=opened, staff=support_user, to=Ticket.Status.IN_PROGRESS)

    assert (fresh(opened).status, fresh(opened).resolved_at) == ("in_progress", None)


def test_a_reply_on_a_closed_ticket_is_refused(committed, opened, support_user):
    resolve_at(committed, opened, support_user, T)
    with committed():
        status_change(ticket=opened, staff=support_user, to=Ticket.Status.CLOSED)
    before = entries(opened)

    with pytest.raises(TicketRefused) as refused:
        staff_reply(ticket=opened, staff=support_user, body="Late answer.")

    assert refused.value.code == "closed"
    assert entries(opened) == before


# --- assignment ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["english_parent", "clinic_user"])  # superusers may work the desk
def test_only_support_staff_can_be_assigned(request, committed, opened, support_user, who):
    other = request.getfixturevalue(who)

    with committed(), pytest.raises(TicketRefused) as refused:
        ticket_assign(ticket=opened, by=support_user, to=other)

    assert refused.value.code == "not_support"
    assert fresh(opened).assignee is None
    assert entries(opened) == [("event", "new", False)]


def test_a_deactivated_support_account_cannot_be_assigned(committed, opened, support_user):
    """support_staff() (the desk's menu) lists active accounts only; the service must agree, or
    a ticket could sit with someone who can no longer log in, and mail would go to them."""
    former = make_user(email="byly@example.test", groups=[SUPPORT_GROUP], is_active=False)

    with committed(), pytest.raises(TicketRefused) as refused:
        ticket_assign(ticket=opened, by=support_user, to=former)

    assert refused.value.code == "not_support"
    assert fresh(opened).assignee is None


def test_taking_a_new_ticket_starts_work_and_records_the_assignment_internally(
    committed, opened, support_user, english_parent, mailoutbox
):
    with committed():
        ticket_assign(ticket=opened, by=support_user, to=support_user)

    ticket = fresh(opened)
    assert (ticket.assignee, ticket.status) == (support_user, "in_progress")
    assignment = ticket.messages.get(kind="event", status="")
    assert assignment.internal is True
    assert support_user.email in assignment.body
    assert entries(opened)[-1] == ("event", "in_progress", False)
    [mail] = mailoutbox  # the patient hears of the status, not of who took it
    assert mail.to == [english_parent.email]
    assert mail.subject == f"[{opened.number}] Your request is now: in progress"
    assert support_user.email not in mail.body


def test_handing_a_ticket_back_to_the_queue_keeps_its_status(
    committed, opened, support_user, mailoutbox
):
    colleague = make_user(email="pomoc2@example.test", groups=[SUPPORT_GROUP])
    with committed():
        ticket_assign(ticket=opened, by=support_user, to=colleague)
    mailoutbox.clear()

    with committed():
        ticket_assign(ticket=opened, by=support_user, to=None)

    ticket = fresh(opened)
    assert (ticket.assignee, ticket.status) == (None, "in_progress")
    assert ticket.messages.filter(kind="event", status="", internal=True).count() == 2
    assert mailoutbox == []


# --- closing after 14 days ------------------------------------------------------------------------


def test_the_daily_close_closes_only_tickets_resolved_14_days_ago_and_mails_each_once(
    committed, opened, support_user, stranger, english_parent, mailoutbox
):
    with committed():
        later = ticket_open(category=Ticket.Category.OTHER, description="y", requester=stranger)
        still_open = ticket_open(
            category=Ticket.Category.OTHER, description="z", requester=stranger
        )
    resolve_at(committed, opened, support_user, T)
    resolve_at(committed, later, support_user, T + timedelta(days=1))
    mailoutbox.clear()

    with time_machine.travel(T + timedelta(days=14), tick=False), committed():
        assert close_resolved() == 1
        assert close_resolved() == 0

    ticket = fresh(opened)
    assert (ticket.status, ticket.closed_at, ticket.resolved_at) == (
        "closed",
        T + timedelta(days=14),
        T,
    )
    assert (fresh(later).status, fresh(still_open).status) == ("resolved", "new")
    [mail] = mailoutbox
    assert mail.to == [english_parent.email]
    assert mail.subject == f"[{opened.number}] Your request is now: closed"
    assert entries(opened)[-1] == ("event", "closed", False)

    with time_machine.travel(T + timedelta(days=15), tick=False), committed():
        assert close_resolved() == 1

    assert fresh(later).status == "closed"
    assert [m.to for m in mailoutbox] == [[english_parent.email], [stranger.email]]


def test_the_daily_close_leaves_a_ticket_reopened_in_time(
    committed, opened, support_user, english_parent
):
    resolve_at(committed, opened, support_user, T)
    with time_machine.travel(T + timedelta(days=2), tick=False), committed():
        patient_message_add(ticket=opened, author=english_parent, body="Not fixed.")

    with time_machine.travel(T + timedelta(days=30), tick=False), committed():
        assert close_resolved() == 0

    assert fresh(opened).status == "in_progress"


# --- finding a ticket by its number --------------------------------------------------------------


def test_a_ticket_is_found_by_its_number_in_any_case_and_inside_a_subject(opened):
    assert find_by_number(opened.number) == opened
    assert find_by_number(f"Re: [{opened.number.lower()}] Odpowiedź") == opened


def test_a_number_with_the_wrong_year_or_an_unknown_serial_finds_nothing(opened):
    year = timezone.localtime(opened.created_at).year

    assert find_by_number(rules.ticket_number(year - 1, opened.pk)) is None
    assert find_by_number(rules.ticket_number(year, opened.pk + 1000)) is None
    assert find_by_number(f"Re: IKP-{year}-{'9' * 30}") is None  # beyond a bigint: no error
    assert find_by_number("no number here") is None
    assert find_by_number("") is None


# --- mailing once ----------------------------------------------------------------------------------


def test_mailing_an_entry_twice_sends_one_e_mail(english_parent, mailoutbox):
    # Not committed: the mail task never runs.
    ticket = ticket_open(category=Ticket.Category.OTHER, description="x", requester=english_parent)
    opening = ticket.messages.get()
    assert mailoutbox == [] and opening.mailed_at is None

    assert ticket_mail_send(message_id=opening.pk) is True
    assert ticket_mail_send(message_id=opening.pk) is False

    assert len(mailoutbox) == 1
    assert TicketMessage.objects.get(pk=opening.pk).mailed_at is not None


def test_every_public_change_is_handled_by_the_mail_task(
    committed, opened, support_user, english_parent
):
    """emails.py: "each public change of a ticket is mailed once". An entry nobody is to be
    mailed about is still marked, so that no later run sends it: nothing public stays unmailed."""
    with committed():
        ticket_assign(ticket=opened, by=support_user, to=support_user)
        staff_reply(ticket=opened, staff=support_user, body="Which child?", wait_for_patient=True)
        # waiting → in progress
        patient_message_add(ticket=opened, author=english_parent, body="Zosia.")
        note_add(ticket=opened, staff=support_user, body="Checked.")
        status_change(ticket=opened, staff=support_user, to=Ticket.Status.RESOLVED)
        # resolved → in progress (reopened)
        patient_message_add(ticket=opened, author=english_parent, body="Still broken.")

    unmailed = opened.messages.filter(internal=False, mailed_at__isnull=True)
    assert [(m.kind, m.status) for m in unmailed] == []


def test_mailing_an_unknown_entry_sends_nothing(db, mailoutbox):
    assert ticket_mail_send(message_id=987654) is False
    assert mailoutbox == []


# --- tickets opened from a diagnosis ---------------------------------------------------------------


def assert_opened_from_a_diagnosis(ticket: Ticket, user, mailoutbox) -> None:
    ticket = fresh(ticket)
    assert (ticket.source, ticket.status, ticket.requester) == ("diagnosis", "new", user)
    [opening] = ticket.messages.all()
    assert (opening.kind, opening.status, opening.internal) == ("event", "new", False)
    [mail] = mailoutbox
    assert mail.to == [user.email] and ticket.number in mail.subject


def test_the_child_access_diagnosis_opens_its_ticket_through_the_common_path(
    committed, parent, insured_child, mailoutbox
):
    from guardianship.services import child_access_diagnose, diagnosis_ticket_open

    result = child_access_diagnose(user=parent, child=insured_child)
    with committed():
        ticket = diagnosis_ticket_open(
            user=parent, child=insured_child, result=result, description="Zosia is gone."
        )

    assert_opened_from_a_diagnosis(ticket, parent, mailoutbox)
    assert (ticket.category, ticket.person, ticket.diagnosis["child_access"]["code"]) == (
        "child_access",
        insured_child,
        result.code.value,
    )


def test_a_not_my_child_report_opens_its_ticket_through_the_common_path(
    committed, parent, insured_child, mailoutbox
):
    from guardianship.services import not_my_child_report

    subject = SubjectAccess(insured_child, access_for(parent, insured_child))
    with committed():
        ticket = not_my_child_report(
            user=parent, subject_access=subject, description="Not my daughter."
        )

    assert_opened_from_a_diagnosis(ticket, parent, mailoutbox)
    assert (ticket.category, ticket.person) == ("not_my_child", insured_child)
    assert len(ticket.diagnosis["not_my_child"]["coverages"]) == 1


def test_an_open_visit_opens_its_ticket_through_the_common_path(
    committed, parent, insured_child, mailoutbox
):
    from vaccinations.services import hpv_ticket_open, vaccination_state

    record_dose(insured_child, on=timezone.localdate() - timedelta(days=200), visit_open=True)
    state = vaccination_state(child=insured_child, vaccine=hpv9(), today=timezone.localdate())
    subject = SubjectAccess(insured_child, access_for(parent, insured_child))
    with committed():
        ticket = hpv_ticket_open(by=parent, subject=subject, state=state)

    assert_opened_from_a_diagnosis(ticket, parent, mailoutbox)
    assert (ticket.category, ticket.person) == ("hpv_booking", insured_child)
    assert ticket.diagnosis["hpv_eligibility"]["reason"] == "open_visit"


@pytest.mark.django_db
def test_the_daily_sweep_sends_a_change_whose_mail_was_never_sent(parent, mailoutbox):
    """A mail task lost (a worker died, the server refused for hours): the daily task finds the
    public entry still unmailed after an hour and sends it; internal entries are left alone."""
    from support.tasks import support_daily

    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        ticket = ticket_open(category="other", description="Pomoc", requester=parent)  # on-commit never runs here
    TicketMessage.objects.create(ticket=ticket, kind="note", internal=True, body="internal")
    assert not mailoutbox

    support_daily()

    assert [m.to for m in mailoutbox] == [[parent.email]] and ticket.number in mailoutbox[0].subject
    support_daily()
    assert len(mailoutbox) == 1
