"""A file whose name Django cannot read (only control or format characters, "." or "..", a name
ending in a path separator) is never lost: Django's multipart parser would drop such a part and
the message would be saved without it; the portal keeps it under the name "attachment" with the
extension of its real type (ikp/uploads.py), on the patient's side and on the desk's alike."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape

from support import services
from support.models import Attachment, Ticket, TicketMessage
from support.tests.conftest import open_ticket
from support.tests.test_attachments import JPEG, PDF, PNG

pytestmark = pytest.mark.django_db

NEW = "/pomoc/zgloszenia/nowe/"
BOUNDARY = "BoUnDaRyIkP"

# Names Django's MultiPartParser.sanitize_file_name() turns into nothing (and so drops the file).
UNREADABLE = [
    "\x01\x02",
    "\u200b",
    "\u200f\u2066\u2069",
    "\x7f\x1b",
    ".",
    "..",
    "skany/",
    "C:\\skany\\",
]


def polish(message: str) -> str:
    with translation.override("pl"):
        return escape(translation.gettext(message))


def upload(
    name: str, data: bytes = PDF, content_type: str = "application/pdf"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> bytes:
    """A multipart body written by hand, so that any file name reaches the server as it is (the
    test client refuses "." and "..", and cannot send a name ending in "/")."""
    lines = []
    for name, value in fields.items():
        lines += [f"--{BOUNDARY}", f'Content-Disposition: form-data; name="{name}"', "", value]
    body = "\r\n".join(lines).encode() + b"\r\n"
    for filename, data in files:
        body += (
            (
                f"--{BOUNDARY}\r\n"
                f'Content-Disposition: form-data; name="attachments"; filename="{filename}"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode()


def post_raw(client, url: str, body: bytes, **kwargs):
    return client.post(
        url, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}", **kwargs
    )


@pytest.mark.parametrize("name", UNREADABLE, ids=repr)
def test_a_new_request_keeps_a_file_whose_name_cannot_be_read(client, parent, name):
    client.force_login(parent)

    body = multipart(
        {"category": "other", "person": "", "description": "Skan w załączeniu."}, [(name, PDF)]
    )

    response = post_raw(client, NEW, body, follow=True)

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    item = ticket.attachments.get()
    assert (item.name, item.content_type, bytes(item.content)) == (
        "attachment.pdf",
        "application/pdf",
        PDF,
    )
    assert ticket.description == "Skan w załączeniu."
    page = response.content.decode()
    assert (
        polish("Your request has been sent. Its number is %(number)s.") % {"number": ticket.number}
        in page
    )
    assert "attachment.pdf" in page  # the person sees the file under the name it was given


@pytest.mark.parametrize("name", UNREADABLE, ids=repr)
def test_a_reply_keeps_a_file_whose_name_cannot_be_read(client, parent, name):
    ticket = open_ticket(parent)
    client.force_login(parent)

    body = multipart({"body": "Dosyłam skan."}, [(name, PNG)])

    response = post_raw(
        client, f"/pomoc/zgloszenia/{ticket.public_id}/odpowiedz/", body, follow=True
    )

    assert response.status_code == 200
    assert polish("Your message has been added to the request.") in response.content.decode()
    message = ticket.messages.get(kind=TicketMessage.Kind.MESSAGE, body="Dosyłam skan.")
    assert [(a.name, a.content_type, bytes(a.content)) for a in message.attachments.all()] == [
        ("attachment.png", "image/png", PNG)
    ]


@pytest.mark.parametrize("name", UNREADABLE, ids=repr)
def test_a_desk_reply_keeps_a_file_whose_name_cannot_be_read(client, desk_user, parent, name):
    ticket = open_ticket(parent)
    services.ticket_assign(ticket=ticket, by=desk_user, to=desk_user)
    client.force_login(desk_user)

    body = multipart({"body": "Instrukcja w załączniku."}, [(name, JPEG)])

    response = post_raw(
        client, f"/obsluga/zgloszenia/{ticket.public_id}/odpowiedz/", body, follow=True
    )

    assert response.status_code == 200
    assert polish("The reply is sent to the patient.") in response.content.decode()
    reply = ticket.messages.get(kind=TicketMessage.Kind.REPLY)
    assert [(a.name, bytes(a.content)) for a in reply.attachments.all()] == [
        ("attachment.jpg", JPEG)
    ]


def test_unreadable_names_next_to_ordinary_ones(client, parent):
    """Through the test client's own encoding too; a name of spaces only (which Django keeps)
    gets the same name, and an ordinary name keeps its own."""
    client.force_login(parent)

    response = client.post(NEW, {
        "category": "other", "person": "", "description": "Trzy pliki.",
        "attachments": [upload("\u200b", PDF), upload("   ", PNG, "image/png"), upload("wynik.jpg", JPEG, "image/jpeg")],
    })  # fmt: skip

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert sorted((a.name, bytes(a.content)) for a in ticket.attachments.all()) == sorted(
        [("attachment.pdf", PDF), ("attachment.png", PNG), ("wynik.jpg", JPEG)]
    )


def test_a_file_input_left_empty_still_sends_no_file(client, parent):
    """A browser sends an unused file input as a part with filename="" and no content: that is
    no file, not a file without a name."""
    client.force_login(parent)
    body = multipart({"category": "other", "person": "", "description": "Bez pliku."}, [("", b"")])

    response = post_raw(client, NEW, body)

    assert response.status_code == 302
    assert Ticket.objects.count() == 1 and not Attachment.objects.exists()


def test_an_unreadable_name_does_not_let_a_bad_file_through(client, parent):
    """The kept file is judged by its content like any other: an EXE is refused, with the form
    and its text shown again, and nothing is saved."""
    client.force_login(parent)

    response = client.post(
        NEW,
        {"category": "other", "person": "", "description": "Opis, który ma zostać.",
         "attachments": upload("\x01\x02", b"MZ\x90\x00" + b"\x00" * 60, "application/pdf")},
    )  # fmt: skip

    assert response.status_code == 400
    page = response.content.decode()
    assert "Opis, który ma zostać." in page and 'class="govuk-error-summary' in page
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_an_ordinary_name_is_kept_as_it_is(client, parent):
    client.force_login(parent)

    response = client.post(
        NEW,
        {
            "category": "other",
            "person": "",
            "description": "Skan.",
            "attachments": upload("skierowanie.pdf"),
        },
    )

    assert response.status_code == 302
    assert [(a.name, bytes(a.content)) for a in Attachment.objects.all()] == [
        ("skierowanie.pdf", PDF)
    ]
