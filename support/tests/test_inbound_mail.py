"""Inbound e-mail (support.inbound, support.tasks.poll_mail_inbox) on real `.eml` samples in
support/tests/mail/: Polish subjects in encoded words, charsets, attachments checked by content,
replies joining their ticket, and files taken from a temporary inbox."""

import hashlib
import logging
import os
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from support import services
from support.inbound import (
    BODY_MAX_CHARS,
    InboundMail,
    MailSetAside,
    deliver,
    parse_message,
    take_mail_file,
)
from support.models import Attachment, SetAsideMail, Ticket, TicketMessage
from support.tasks import poll_mail_inbox
from support.tests.conftest import open_ticket

MAIL = Path(__file__).parent / "mail"
PDF_SIGNATURE, PNG_SIGNATURE = b"%PDF-", b"\x89PNG\r\n\x1a\n"


def sample(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def reply(number: str, *, sender: str = "anna@example.test") -> bytes:
    """The reply sample answering ticket `number`, sent from `sender`."""
    raw = sample("reply_template.eml").replace(b"{ticket_number}", number.encode())
    return raw.replace(b"<anna@example.test>", f"<{sender}>".encode())


def in_polish(message: str, **values) -> str:
    """What the inbound code writes for staff (in Polish once the catalogue is compiled)."""
    with translation.override("pl"):
        return gettext(message) % values


def key(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- parse_message -------------------------------------------------------------------------------


def test_a_plain_utf8_mail_is_read_with_its_sender_and_polish_letters():
    mail = parse_message(sample("plain_utf8.eml"))

    assert (mail.sender_email, mail.sender_name) == ("jan.nowak@example.test", "Jan Nowak")
    assert mail.subject == "Problem z logowaniem przez profil zaufany"
    assert mail.body.startswith("Dzień dobry,\n\nod wczoraj nie mogę zalogować się do IKP")
    assert "„Sesja wygasła”" in mail.body
    assert mail.body.endswith("Z poważaniem\nJan Nowak")
    assert (mail.files, mail.refused) == ((), ())


@pytest.mark.parametrize(
    ("name", "subject", "sender_name", "body_has"),
    [
        (
            "subject_utf8_b.eml",
            "Nie widzę konta dziecka – proszę o pomoc",
            "Paweł Zieliński",
            "konta mojej córki Zosi",
        ),
        (
            "subject_iso_q.eml",
            "Zgłoszenie IKP-2026-000123: odpowiedź",
            "Małgorzata Wiśniewska",
            "zaświadczenie z przychodni dosłałam",
        ),
        (
            "html_only_cp1250.eml",
            "Brak zwolnienia w e-ZLA",
            "Łukasz Wójcik",
            "że go nie dostał – czy mogą Państwo",
        ),
    ],
)
def test_encoded_word_subjects_and_names_decode_to_polish_letters(
    name, subject, sender_name, body_has
):
    mail = parse_message(sample(name))

    assert mail.subject == subject
    assert mail.sender_name == sender_name
    assert body_has in mail.body
    assert "=C4" not in mail.body and "=B3" not in mail.body  # quoted-printable undone


def test_an_html_only_windows_1250_mail_becomes_plain_text():
    body = parse_message(sample("html_only_cp1250.eml")).body

    assert body == (
        "Dzień dobry,\n\n"
        "proszę o pomoc: w e-ZLA nie widzę zwolnienia wystawionego 20 listopada.\n"
        "Pracodawca twierdzi, że go nie dostał – czy mogą Państwo sprawdzić, gdzie jest błąd?\n\n"
        "Łukasz Wójcik"
    )
    assert "<" not in body and "MsoNormal" not in body and "&nbsp;" not in body


def test_crlf_line_endings_read_the_same_as_lf():
    raw = sample("plain_utf8.eml")

    assert parse_message(raw.replace(b"\n", b"\r\n")) == parse_message(raw)


def test_an_unencoded_utf8_sender_name_is_read_as_utf8():
    assert parse_message(sample("exe_as_pdf.eml")).sender_name == "Biuro Obsługi"


def test_pdf_and_png_attachments_are_accepted_by_their_content():
    mail = parse_message(sample("attachments_pdf_png.eml"))

    assert [(f.name, f.content_type) for f in mail.files] == [
        ("skierowanie szczepienie.pdf", "application/pdf"),
        ("zrzut-ekranu.png", "image/png"),
    ]
    assert mail.files[0].data.startswith(PDF_SIGNATURE) and mail.files[1].data.startswith(
        PNG_SIGNATURE
    )
    assert mail.refused == ()
    # The plain alternative is the body; its HTML twin is not added a second time.
    assert mail.body.count("w załączeniu przesyłam skierowanie") == 1
    assert mail.subject == "Błąd przy rezerwacji szczepienia HPV"


def test_an_exe_named_scan_pdf_is_refused_and_listed():
    mail = parse_message(sample("exe_as_pdf.eml"))

    assert mail.files == ()
    assert len(mail.refused) == 1
    assert "scan.pdf" in mail.refused[0]
    assert mail.refused[0] == in_polish(
        "The file %(name)s is not a PDF, JPEG or PNG file (checked by its content, not its name).",
        name="scan.pdf",
    )
    assert mail.body == "W zalaczniku skan dokumentu."


def test_attachments_beyond_the_per_message_limit_are_listed_not_dropped(settings):
    settings.SUPPORT_ATTACHMENTS_PER_MESSAGE = 1

    mail = parse_message(sample("attachments_pdf_png.eml"))

    assert [f.content_type for f in mail.files] == ["application/pdf"]
    with translation.override("pl"):
        expected = ngettext(
            "The file %(name)s was not added: at most %(limit)s file can be sent with one message.",
            "The file %(name)s was not added: at most %(limit)s files can be sent with one message.",
            1,
        ) % {"name": "zrzut-ekranu.png", "limit": 1}
    assert mail.refused == (expected,)


def test_an_attachment_over_the_size_limit_is_refused(settings):
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 100  # the PDF has 218 bytes, the PNG 69

    mail = parse_message(sample("attachments_pdf_png.eml"))

    assert [f.content_type for f in mail.files] == ["image/png"]
    assert len(mail.refused) == 1 and "skierowanie szczepienie.pdf" in mail.refused[0]


def test_an_inline_picture_without_a_file_name_is_an_attachment():
    message = EmailMessage()
    message["From"] = "Ola Nowak <ola@example.test>"
    message["Subject"] = "Zrzut ekranu"
    message.set_content("<p>Tak wygląda błąd:</p><img src='cid:shot'>", subtype="html")
    png = parse_message(sample("attachments_pdf_png.eml")).files[1].data  # the sample's 1×1 PNG
    message.add_related(png, "image", "png", cid="<shot>")

    mail = parse_message(message.as_bytes())

    assert mail.body == "Tak wygląda błąd:"
    assert [(f.name, f.content_type) for f in mail.files] == [("attachment.png", "image/png")]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("no_from.eml", SetAsideMail.Reason.NO_SENDER),
        ("garbage.eml", SetAsideMail.Reason.MALFORMED),
        ("broken_multipart.eml", SetAsideMail.Reason.MALFORMED),
        ("empty.eml", SetAsideMail.Reason.EMPTY),
    ],
)
def test_mail_that_cannot_become_a_ticket_is_refused_with_a_reason(name, reason):
    with pytest.raises(MailSetAside) as aside:
        parse_message(sample(name))

    assert aside.value.reason == reason
    assert aside.value.detail and "@" not in aside.value.detail


@pytest.mark.parametrize(
    "from_line",
    [
        b"From: Jan Nowak <jan.nowak>",
        b"From: undisclosed-recipients:;",
        b"From: a@example.test, b@example.test",
    ],
)
def test_a_from_without_exactly_one_valid_address_is_no_sender(from_line):
    raw = sample("plain_utf8.eml").replace(b"From: Jan Nowak <jan.nowak@example.test>", from_line)

    with pytest.raises(MailSetAside) as aside:
        parse_message(raw)

    assert aside.value.reason == SetAsideMail.Reason.NO_SENDER
    assert "jan.nowak" not in aside.value.detail


@pytest.mark.parametrize(
    "header",
    [
        b"Auto-Submitted: auto-replied",
        b"Precedence: bulk",
        b"From: ikp-pomoc@ikp.example",
        b"From: MAILER-DAEMON@mail.example.test",
    ],
)
def test_automatic_mail_is_set_aside_so_no_mail_loop_starts(header, settings):
    settings.SUPPORT_MAIL_ADDRESS = "ikp-pomoc@ikp.example"
    raw = sample("plain_utf8.eml")
    if header.startswith(b"From:"):
        raw = raw.replace(b"From: Jan Nowak <jan.nowak@example.test>", header)
    else:
        raw = header + b"\n" + raw

    with pytest.raises(MailSetAside) as aside:
        parse_message(raw)

    assert aside.value.reason == SetAsideMail.Reason.AUTOMATIC


def test_auto_submitted_no_is_a_person_writing():
    mail = parse_message(b"Auto-Submitted: no\n" + sample("plain_utf8.eml"))

    assert mail.sender_email == "jan.nowak@example.test"


def test_a_very_long_body_is_cut_and_says_so():
    message = EmailMessage()
    message["From"] = "jan.nowak@example.test"
    message["Subject"] = "Długi opis"
    message.set_content("Bardzo długi opis. " * 2000)  # 38,000 characters

    body = parse_message(message.as_bytes()).body

    note = in_polish(
        "[The message was cut: only its first %(limit)s characters are kept.]", limit=BODY_MAX_CHARS
    )
    assert body.endswith("\n\n" + note)
    assert len(body) <= BODY_MAX_CHARS + len(note) + 2
    assert body.startswith("Bardzo długi opis. Bardzo")


# --- deliver -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_mail_opens_an_email_ticket_and_confirms_its_number_to_the_sender(
    settings, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    raw = sample("subject_utf8_b.eml")

    with django_capture_on_commit_callbacks(execute=True):
        ticket = deliver(parse_message(raw), mail_key=key(raw))

    ticket.refresh_from_db()
    assert (ticket.category, ticket.source, ticket.status) == (
        Ticket.Category.OTHER,
        Ticket.Source.EMAIL,
        Ticket.Status.NEW,
    )
    assert ticket.requester is None
    assert (ticket.contact_email, ticket.contact_name, ticket.language) == (
        "pawel.zielinski@example.test",
        "Paweł Zieliński",
        "pl",
    )
    assert (
        in_polish("Subject: %(subject)s", subject="Nie widzę konta dziecka – proszę o pomoc")
        in ticket.description
    )
    assert "nie widzę na swoim koncie konta mojej córki Zosi" in ticket.description
    opening = ticket.messages.get()
    assert (opening.mail_key, opening.via_email) == (key(raw), True)

    [confirmation] = mailoutbox
    assert confirmation.to == ["pawel.zielinski@example.test"]
    assert f"[{ticket.number}]" in confirmation.subject
    assert ticket.number in confirmation.body
    assert confirmation.reply_to == [settings.SUPPORT_MAIL_ADDRESS]


@pytest.mark.django_db
def test_attachments_are_stored_and_refused_ones_are_written_into_the_description():
    accepted, refused = sample("attachments_pdf_png.eml"), sample("exe_as_pdf.eml")

    with_files = deliver(parse_message(accepted), mail_key=key(accepted))
    with_exe = deliver(parse_message(refused), mail_key=key(refused))

    assert sorted(with_files.attachments.values_list("name", "content_type")) == [
        ("skierowanie szczepienie.pdf", "application/pdf"),
        ("zrzut-ekranu.png", "image/png"),
    ]
    assert not with_exe.attachments.exists()
    assert with_exe.description.endswith(
        in_polish("Attachments not added:") + "\n- " + parse_message(refused).refused[0]
    )


@pytest.mark.django_db
def test_a_reply_from_the_ticket_address_joins_it_and_takes_it_back_in_progress(
    support_user, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    ticket = services.ticket_open(
        category=Ticket.Category.OTHER, description="Nie widzę dziecka.", source=Ticket.Source.EMAIL,
        contact_email="anna@example.test", contact_name="Anna Kowalska",
    )  # fmt: skip
    services.ticket_assign(ticket=ticket, by=support_user, to=support_user)
    services.status_change(ticket=ticket, staff=support_user, to=Ticket.Status.WAITING)
    raw = reply(ticket.number)

    with django_capture_on_commit_callbacks(execute=True):
        joined = deliver(parse_message(raw), mail_key=key(raw))

    assert joined == ticket
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    message = ticket.messages.get(kind=TicketMessage.Kind.MESSAGE)
    assert (message.author, message.via_email, message.mail_key) == (None, True, key(raw))
    assert message.body.startswith("Dzień dobry,\n\nprzesyłam brakujące informacje")
    # The assigned staff member is told, with the number and without the patient's text.
    [news] = mailoutbox
    assert news.to == [support_user.email]
    assert f"[{ticket.number}]" in news.subject
    assert "brakujące informacje" not in news.body


@pytest.mark.django_db
def test_a_reply_to_a_requester_ticket_is_written_as_the_requester_whatever_the_case(parent):
    ticket = open_ticket(parent)
    raw = reply(ticket.number, sender="Anna@Example.TEST")

    deliver(parse_message(raw), mail_key=key(raw))

    message = ticket.messages.get(kind=TicketMessage.Kind.MESSAGE)
    assert message.author == parent
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_stranger_who_knows_the_number_opens_a_new_ticket_instead(parent):
    ticket = open_ticket(parent)
    raw = reply(ticket.number, sender="obcy@example.test")

    new = deliver(parse_message(raw), mail_key=key(raw))

    assert new != ticket
    assert not ticket.messages.filter(kind=TicketMessage.Kind.MESSAGE).exists()
    assert (new.requester, new.contact_email) == (None, "obcy@example.test")
    assert new.description.splitlines()[0] == in_polish(
        "Refers to %(number)s, but was sent from another address than that request's.",
        number=ticket.number,
    )


@pytest.mark.django_db
def test_a_number_nobody_has_opens_a_new_ticket_that_says_so():
    raw = sample("subject_iso_q.eml")  # IKP-2026-000123: no such ticket here

    new = deliver(parse_message(raw), mail_key=key(raw))

    assert new.contact_email == "m.wisniewska@example.test"
    assert new.description.splitlines()[0] == in_polish(
        "Refers to %(number)s, which is not a known request number.", number="IKP-2026-000123"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["closed", "resolved_15_days_ago"])
def test_a_reply_to_a_ticket_that_takes_no_more_messages_opens_a_follow_up(
    state, parent, support_user
):
    ticket = open_ticket(parent)
    services.status_change(ticket=ticket, staff=support_user, to=Ticket.Status.RESOLVED)
    if state == "closed":
        services.status_change(ticket=ticket, staff=support_user, to=Ticket.Status.CLOSED)
    else:
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=15))
    raw = reply(ticket.number)

    new = deliver(parse_message(raw), mail_key=key(raw))

    assert new != ticket
    assert not ticket.messages.filter(kind=TicketMessage.Kind.MESSAGE).exists()
    lines = new.description.splitlines()
    assert lines[0] == in_polish(
        "Follow-up to %(number)s, which is closed: this message opened a new request.",
        number=ticket.number,
    )
    assert "przesyłam brakujące informacje: córka urodziła się 12 marca 2016 r.," in lines
    assert (new.source, new.requester, new.contact_email) == (
        Ticket.Source.EMAIL,
        None,
        "anna@example.test",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["new_ticket", "reply"])
def test_the_same_mail_is_delivered_once(kind, parent):
    ticket = open_ticket(parent)
    raw = reply(ticket.number) if kind == "reply" else sample("plain_utf8.eml")
    mail = parse_message(raw)

    first = deliver(mail, mail_key=key(raw))
    tickets, entries = Ticket.objects.count(), TicketMessage.objects.count()
    again = deliver(mail, mail_key=key(raw))

    assert again == first
    assert (Ticket.objects.count(), TicketMessage.objects.count()) == (tickets, entries)
    assert TicketMessage.objects.filter(mail_key=key(raw)).count() == 1


@pytest.mark.django_db
def test_a_mail_with_only_refused_attachments_still_reaches_staff():
    mail = InboundMail(
        sender_email="ola@example.test",
        sender_name="",
        subject="",
        body="",
        refused=("The file x.exe is not a PDF.",),
    )

    ticket = deliver(mail, mail_key="0" * 64)

    assert in_polish("(The e-mail had no text, only attachments.)") in ticket.description
    assert ticket.description.endswith("- The file x.exe is not a PDF.")


# --- poll_mail_inbox -----------------------------------------------------------------------------


@pytest.fixture
def inbox(settings, tmp_path, db) -> Path:
    settings.SUPPORT_MAIL_INBOX = tmp_path
    return tmp_path


def drop(folder: Path, name: str, raw: bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(sample(name) if raw is None else raw)
    return path


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def test_poll_delivers_good_mail_and_sets_aside_the_rest_losing_nothing(
    inbox, settings, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    settings.SUPPORT_MAIL_MAX_BYTES = 2000  # attachments_pdf_png.eml has 2,109 bytes
    good = ["html_only_cp1250.eml", "plain_utf8.eml"]
    bad = {
        "attachments_pdf_png.eml": SetAsideMail.Reason.OVERSIZED,
        "garbage.eml": SetAsideMail.Reason.MALFORMED,
        "no_from.eml": SetAsideMail.Reason.NO_SENDER,
        "empty.eml": SetAsideMail.Reason.EMPTY,
    }
    for name in [*good, *bad]:
        drop(inbox, name)

    with django_capture_on_commit_callbacks(execute=True):
        assert poll_mail_inbox() == 6

    assert names(inbox / "done") == good
    assert names(inbox / "set-aside") == sorted(bad)
    assert (
        not list(inbox.glob("*.eml"))
        and names(inbox / "processing") == []
        and names(inbox / "failed") == []
    )
    rows = {row.filename: row for row in SetAsideMail.objects.all()}
    assert {name: row.reason for name, row in rows.items()} == bad
    assert rows["attachments_pdf_png.eml"].size == len(sample("attachments_pdf_png.eml"))
    assert all(row.detail and "@" not in row.detail for row in rows.values())
    assert sorted(Ticket.objects.values_list("contact_email", flat=True)) == [
        "jan.nowak@example.test",
        "lukasz.wojcik@example.test",
    ]
    assert sorted(m.to[0] for m in mailoutbox) == [
        "jan.nowak@example.test",
        "lukasz.wojcik@example.test",
    ]
    for ticket in Ticket.objects.all():
        [confirmation] = [m for m in mailoutbox if m.to == [ticket.contact_email]]
        assert f"[{ticket.number}]" in confirmation.subject


def test_a_reply_dropped_in_the_inbox_joins_its_ticket(inbox, parent, support_user):
    ticket = open_ticket(parent)
    services.status_change(ticket=ticket, staff=support_user, to=Ticket.Status.WAITING)
    drop(inbox, "reply.eml", reply(ticket.number))

    assert poll_mail_inbox() == 1

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.messages.get(kind=TicketMessage.Kind.MESSAGE).author == parent
    assert names(inbox / "done") == ["reply.eml"]


def test_a_second_poll_changes_nothing(inbox, settings):
    settings.SUPPORT_MAIL_MAX_BYTES = 2000
    for name in ("plain_utf8.eml", "attachments_pdf_png.eml", "garbage.eml"):
        drop(inbox, name)
    poll_mail_inbox()
    before = (Ticket.objects.count(), TicketMessage.objects.count(), SetAsideMail.objects.count())
    folders = {sub: names(inbox / sub) for sub in ("done", "set-aside", "processing")}

    assert poll_mail_inbox() == 0

    assert (
        (Ticket.objects.count(), TicketMessage.objects.count(), SetAsideMail.objects.count())
        == before
        == (1, 1, 2)
    )
    assert {sub: names(inbox / sub) for sub in folders} == folders


def age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_file_left_in_processing_by_a_killed_worker_is_taken_again_once(inbox):
    left = drop(inbox / "processing", "plain_utf8.eml")
    age(left, 3600)
    working = drop(inbox / "processing", "subject_utf8_b.eml")  # another run is on it right now

    assert poll_mail_inbox() == 1
    assert poll_mail_inbox() == 0

    assert names(inbox / "done") == ["plain_utf8.eml"]
    assert names(inbox / "processing") == ["subject_utf8_b.eml"]
    assert working.exists()
    assert list(Ticket.objects.values_list("contact_email", flat=True)) == [
        "jan.nowak@example.test"
    ]


def test_a_file_delivered_before_the_worker_was_killed_is_not_delivered_twice(inbox):
    left = drop(inbox / "processing", "attachments_pdf_png.eml")
    assert take_mail_file(left) == "delivered"  # ... and the worker died before moving it to done/
    age(left, 3600)

    assert poll_mail_inbox() == 1

    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 2
    assert names(inbox / "done") == ["attachments_pdf_png.eml"]


def test_a_file_name_already_in_done_is_kept_beside_not_overwritten(inbox):
    drop(inbox, "mail.eml", sample("plain_utf8.eml"))
    poll_mail_inbox()
    drop(inbox, "mail.eml", sample("subject_utf8_b.eml"))

    assert poll_mail_inbox() == 1

    assert names(inbox / "done") == ["mail-1.eml", "mail.eml"]
    assert (inbox / "done" / "mail-1.eml").read_bytes() == sample("subject_utf8_b.eml")
    assert Ticket.objects.count() == 2


def test_an_unexpected_failure_moves_the_file_to_failed_and_logs_no_content(inbox, caplog):
    (inbox / "unreadable.eml").mkdir()  # a folder where a file was expected: reading it fails
    drop(inbox, "plain_utf8.eml")

    with caplog.at_level(logging.ERROR, logger="support.tasks"):
        assert poll_mail_inbox() == 1

    assert names(inbox / "failed") == ["unreadable.eml"]
    assert names(inbox / "done") == ["plain_utf8.eml"]
    [record] = [r for r in caplog.records if r.name == "support.tasks"]
    assert "unreadable.eml" in record.getMessage() and "IsADirectoryError" in record.getMessage()
    assert "@" not in record.getMessage() and record.exc_info is None


def test_no_inbox_folder_means_nothing_to_do(settings, tmp_path, db):
    settings.SUPPORT_MAIL_INBOX = tmp_path / "missing"

    assert poll_mail_inbox() == 0
