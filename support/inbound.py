"""Inbound e-mail for ikp-pomoc: one `.eml` file becomes a ticket or a message on one.

The mail server (or fetchmail) drops each message as a file into settings.SUPPORT_MAIL_INBOX,
written under another name and then renamed to `*.eml` (as Maildir does), so that no file is
taken half-written; support.tasks.poll_mail_inbox claims the files and hands each to
`take_mail_file`:

- too large (settings.SUPPORT_MAIL_MAX_BYTES, checked before reading), not an e-mail, without a
  usable sender or without any content: the file is set aside (`<inbox>/set-aside/`) with a
  SetAsideMail row giving the reason; nothing is read into a ticket;
- otherwise `parse_message` reads the sender, the subject, the text (plain preferred, else the
  HTML as text) and the attachments (each checked by support.attachments.accept; the ones
  refused are listed in the stored text, never dropped silently), and `deliver` files it.

The sender is NOT linked to a User account. A From header is written by whoever sends the mail
and anyone can forge it, so an e-mail never logs anyone in, never opens a ticket on someone's
account and never reaches a person's data. It only:

- opens a ticket with the sender as contact address (replies go there, and nowhere else), or
- joins the ticket whose number is in the subject when the sender is that ticket's own reply
  address; a stranger who knows a number but writes from another address opens a new ticket
  instead. Such a message is marked as sent by e-mail (`via_email`) for staff, who know that
  its sender is unproven.

Each mail is delivered once: its SHA-256 (`mail_key`) is stored on the entry it created, so a
file taken twice (a worker killed after delivering it) does not deliver twice.
"""

import hashlib
import html
import logging
import mimetypes
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from support import rules, services
from support.attachments import AttachmentRejected, accept
from support.models import SetAsideMail, Ticket, TicketMessage
from support.services import NewFile, TicketRefused

log = logging.getLogger(__name__)

BODY_MAX_CHARS = 20_000
SUBJECT_MAX_CHARS = 300
NAME_MAX_CHARS = 200  # Ticket.contact_name
ADDRESS_MAX_CHARS = 254  # Ticket.contact_email (an EmailField)
SET_ASIDE = "set-aside"
# The language of a ticket opened by e-mail, and of what staff read: refusals, set-aside reasons.
DESK_LANGUAGE = "pl"

# Parser defects that mean the MIME structure itself is broken (not just a sloppy header).
_STRUCTURE_DEFECTS = (
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
)


class MailSetAside(Exception):
    """The mail cannot become a ticket. `detail` is for the set-aside list: never an address,
    a name or any of the mail's text."""

    def __init__(self, reason: SetAsideMail.Reason, detail: str):
        super().__init__(reason.value)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class InboundMail:
    sender_email: str
    sender_name: str
    subject: str
    body: str
    files: tuple[NewFile, ...] = ()
    refused: tuple[str, ...] = ()  # one line per attachment not accepted, for the stored text


# --- parsing -----------------------------------------------------------------------------------


def parse_message(raw: bytes) -> InboundMail:
    """Read one RFC 5322 message, or raise MailSetAside (malformed, no_sender, empty).

    Messages for refused attachments and a cut body are written in the active language."""
    message = BytesParser(policy=default_policy).parsebytes(raw)
    if not message.keys():
        raise MailSetAside(
            SetAsideMail.Reason.MALFORMED,
            _("No e-mail headers were found: the file is not an e-mail."),
        )
    sender_email, sender_name = _sender(message)
    if _automatic(message, sender_email):
        raise MailSetAside(
            SetAsideMail.Reason.AUTOMATIC,
            _("An automatic reply, bulk mail or our own address: answering it could start a mail loop."),
        )
    body_part = _body_part(message)
    texts = [_text_of(body_part)] if body_part is not None else []
    texts += _extra_texts(message, body_part)
    attachments = _attachment_parts(message, body_part)
    body = _cap("\n\n".join(text for text in texts if text))
    if not body and not attachments:
        if _structure_broken(message):
            raise MailSetAside(
                SetAsideMail.Reason.MALFORMED,
                _("The MIME structure is broken: no text can be read."),
            )
        raise MailSetAside(
            SetAsideMail.Reason.EMPTY, _("The e-mail has neither text nor attachments.")
        )
    files, refused = _accepted(attachments)
    return InboundMail(
        sender_email=sender_email,
        sender_name=sender_name,
        subject=_one_line(_header(message, "Subject"))[:SUBJECT_MAX_CHARS],
        body=body,
        files=files,
        refused=refused,
    )


def _automatic(message: EmailMessage, sender: str) -> bool:
    """RFC 3834 auto-replies (out-of-office), bulk and list mail, bounces, and mail from the
    desk's own address: a ticket and its confirmation for these would answer a robot."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return (
        (auto_submitted not in ("", "no"))
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or sender.casefold() == settings.SUPPORT_MAIL_ADDRESS.casefold()
        or sender.split("@", 1)[0].casefold() in ("mailer-daemon", "postmaster")
    )


def _sender(message: EmailMessage) -> tuple[str, str]:
    """(address, display name) of the single From address, or MailSetAside(no_sender)."""
    if "From" not in message:
        raise MailSetAside(SetAsideMail.Reason.NO_SENDER, _("The e-mail has no From header."))
    try:
        addresses = message["From"].addresses
    except Exception:  # noqa: BLE001 — the stdlib header parser has raised odd errors on odd input
        addresses = ()
    if len(addresses) != 1:
        raise MailSetAside(
            SetAsideMail.Reason.NO_SENDER, _("The From header does not hold exactly one address.")
        )
    address = _eight_bit_decoded(addresses[0].addr_spec).strip()
    try:
        validate_email(address)
    except ValidationError:
        address = ""
    if not address or len(address) > ADDRESS_MAX_CHARS:
        raise MailSetAside(
            SetAsideMail.Reason.NO_SENDER, _("The From header holds no valid e-mail address.")
        )
    return address, _one_line(addresses[0].display_name)[:NAME_MAX_CHARS]


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name) or "")
    except Exception:  # noqa: BLE001 — see _sender
        return ""


def _body_part(message: EmailMessage) -> EmailMessage | None:
    """The text/plain part the sender meant as the body, else the text/html one."""
    if message.get_content_maintype() == "multipart" and not message.is_multipart():
        return None  # a multipart type whose parts could not be found
    return message.get_body(preferencelist=("plain", "html"))


def _text_of(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""  # quoted-printable and base64 undone
    text = _decode(payload, part.get_content_charset())
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return _tidy(text)


def _decode(payload: bytes, charset: str | None) -> str:
    """Text in its declared charset; without one, UTF-8 or else windows-1250 (what Polish mail
    programs send unlabelled). An unknown charset is read as UTF-8, never refused."""
    if charset:
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("windows-1250", errors="replace")


_INVISIBLE = re.compile(r"<(head|style|script|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_PARAGRAPH_END = re.compile(r"</(p|div|h[1-6]|blockquote|table|ul|ol)\s*>", re.IGNORECASE)
_LINE_END = re.compile(r"<br\s*/?>|</(li|tr)\s*>", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML mail: the source's line breaks are spaces (as a browser shows
    them), line and paragraph ends become line breaks, tags and entities go."""
    markup = _INVISIBLE.sub("", markup)
    markup = re.sub(r"\s+", " ", markup)
    markup = _PARAGRAPH_END.sub("\n\n", markup)
    markup = _LINE_END.sub("\n", markup)
    return html.unescape(strip_tags(markup))


def _tidy(text: str) -> str:
    """Trailing spaces and runs of blank lines gone; NUL characters too (PostgreSQL refuses them)."""
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _cap(body: str) -> str:
    if len(body) <= BODY_MAX_CHARS:
        return body
    note = _("[The message was cut: only its first %(limit)s characters are kept.]") % {
        "limit": BODY_MAX_CHARS
    }
    return body[:BODY_MAX_CHARS].rstrip() + "\n\n" + note


def _leaves(part: EmailMessage, parent: str = ""):
    """(leaf part, content type of its multipart parent); an attached e-mail is one leaf, a
    multipart whose parts could not be found (no boundary) yields nothing."""
    if part.get_content_maintype() != "multipart":
        yield part, parent
    elif part.is_multipart():
        for child in part.iter_parts():
            yield from _leaves(child, part.get_content_type())


def _is_attachment(part: EmailMessage) -> bool:
    return part.get_content_disposition() == "attachment" or part.get_content_maintype() != "text"


def _extra_texts(message: EmailMessage, body_part: EmailMessage | None) -> list[str]:
    """Further plain-text parts of a mixed message (some mail programs split the text around
    an inline picture). Alternatives of the body (its HTML twin) are the same text: skipped."""
    return [
        _text_of(part)
        for part, parent in _leaves(message)
        if part is not body_part and not _is_attachment(part) and part.get_content_type() == "text/plain"
        and parent not in ("multipart/alternative", "multipart/related")
    ]  # fmt: skip


def _attachment_parts(
    message: EmailMessage, body_part: EmailMessage | None
) -> list[tuple[str, bytes]]:
    """(name, bytes) of every attachment, and of every inline part that is not text."""
    found = []
    for part, _parent in _leaves(message):
        if part is body_part or not _is_attachment(part):
            continue
        found.append((_filename(part), _payload(part)))
    return found


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 — see _sender
        name = None
    if name:
        return _one_line(name)
    extension = mimetypes.guess_extension(part.get_content_type()) or ""
    return f"attachment{extension}"


def _payload(part: EmailMessage) -> bytes:
    if part.get_content_maintype() == "message":
        return part.as_bytes()  # an attached e-mail: refused by its type, but listed
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _accepted(attachments: list[tuple[str, bytes]]) -> tuple[tuple[NewFile, ...], tuple[str, ...]]:
    """The files support.attachments accepts, up to the per-message limit; a line for each other."""
    limit = settings.SUPPORT_ATTACHMENTS_PER_MESSAGE
    files, refused = [], []
    for name, data in attachments:
        try:
            checked = accept(name, data)
        except AttachmentRejected as rejected:
            refused.append(rejected.message)
            continue
        if len(files) >= limit:
            refused.append(_over_limit(checked.name, limit))
            continue
        files.append(checked)
    return tuple(files), tuple(refused)


def _over_limit(name: str, limit: int) -> str:
    message = ngettext(
        "The file %(name)s was not added: at most %(limit)s file can be sent with one message.",
        "The file %(name)s was not added: at most %(limit)s files can be sent with one message.",
        limit,
    )
    return message % {"name": name, "limit": limit}


def _structure_broken(message: EmailMessage) -> bool:
    return any(
        type(defect).__name__ in _STRUCTURE_DEFECTS
        for part in message.walk()
        for defect in part.defects
    )


def _one_line(value: str | None) -> str:
    return " ".join(_eight_bit_decoded(value or "").replace("\x00", "").split())


def _eight_bit_decoded(value: str) -> str:
    """A header value with raw 8-bit bytes (sent unencoded, as many programs do) comes from the
    parser with those bytes as surrogates, which the database refuses: read them as UTF-8, or
    else windows-1250."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    return _decode(value.encode("utf-8", errors="surrogateescape"), None)


# --- delivering --------------------------------------------------------------------------------


def deliver(mail: InboundMail, *, mail_key: str) -> Ticket:
    """Add the mail to the ticket it answers, or open a new ticket; the same mail (same
    `mail_key`) is delivered once and then returns the ticket it went to."""
    delivered = delivered_to(mail_key)
    if delivered is not None:
        return delivered
    try:
        with translation.override(DESK_LANGUAGE):  # the lines added to a new ticket's text
            return _deliver(mail, mail_key=mail_key)
    except IntegrityError:
        # The same mail delivered at the same moment from another file: it is there once.
        delivered = delivered_to(mail_key)
        if delivered is None:
            raise
        return delivered


def delivered_to(mail_key: str) -> Ticket | None:
    entry = (
        TicketMessage.objects.filter(mail_key=mail_key).select_related("ticket").first()
        if mail_key
        else None
    )
    return entry.ticket if entry is not None else None


def _deliver(mail: InboundMail, *, mail_key: str) -> Ticket:
    referred = rules.find_ticket_number(mail.subject)
    if referred is None:
        return _open(mail, mail_key=mail_key, first_line="")
    number = rules.ticket_number(*referred)
    ticket = services.find_by_number(mail.subject)
    if ticket is None:
        first_line = _("Refers to %(number)s, which is not a known request number.") % {
            "number": number
        }
    elif not same_address(mail.sender_email, ticket.reply_address):
        first_line = _(
            "Refers to %(number)s, but was sent from another address than that request's."
        ) % {"number": number}
    else:
        try:
            services.patient_message_add(
                ticket=ticket, author=ticket.requester, body=_with_refused(mail.body, mail.refused),
                files=mail.files, mail_key=mail_key,
            )  # fmt: skip
            return ticket
        except TicketRefused:
            first_line = _(
                "Follow-up to %(number)s, which is closed: this message opened a new request."
            ) % {"number": ticket.number}
    return _open(mail, mail_key=mail_key, first_line=first_line)


def same_address(sender: str, reply_address: str) -> bool:
    return bool(reply_address) and sender.strip().casefold() == reply_address.strip().casefold()


def _open(mail: InboundMail, *, mail_key: str, first_line: str) -> Ticket:
    parts = [first_line]
    if mail.subject:
        parts.append(_("Subject: %(subject)s") % {"subject": mail.subject})
    parts.append(mail.body or _("(The e-mail had no text, only attachments.)"))
    return services.ticket_open(
        category=Ticket.Category.OTHER,
        description=_with_refused("\n\n".join(part for part in parts if part), mail.refused),
        source=Ticket.Source.EMAIL,
        requester=None,
        contact_email=mail.sender_email,
        contact_name=mail.sender_name,
        language=DESK_LANGUAGE,
        files=mail.files,
        mail_key=mail_key,
    )


def _with_refused(text: str, refused: tuple[str, ...]) -> str:
    if not refused:
        return text
    heading = _("Attachments not added:")
    return "\n\n".join(
        part for part in (text, heading + "\n" + "\n".join(f"- {line}" for line in refused)) if part
    )


# --- one file from the inbox -------------------------------------------------------------------


def take_mail_file(path: Path) -> str:
    """Deliver one claimed mail file, or set it aside with the reason: "delivered" or
    "set_aside". A delivered file stays where it is (the task moves it to done/)."""
    size, limit = path.stat().st_size, settings.SUPPORT_MAIL_MAX_BYTES
    with translation.override(DESK_LANGUAGE):
        if size > limit:
            detail = _("%(size)s bytes, more than the limit of %(limit)s bytes.")
            set_aside(
                path,
                SetAsideMail.Reason.OVERSIZED,
                detail % {"size": size, "limit": limit},
                size=size,
            )
            return "set_aside"
        raw = path.read_bytes()
        try:
            mail = parse_message(raw)
        except MailSetAside as aside:
            set_aside(path, aside.reason, aside.detail, size=size)
            return "set_aside"
        deliver(mail, mail_key=hashlib.sha256(raw).hexdigest())
    return "delivered"


def set_aside(path: Path, reason: SetAsideMail.Reason, detail: str, *, size: int) -> SetAsideMail:
    """Move the file into <inbox>/set-aside/ and record why. The row is written first and kept
    only when the move succeeds: a failure leaves the file where it was, for the task to put
    in failed/."""
    folder = Path(settings.SUPPORT_MAIL_INBOX) / SET_ASIDE
    with transaction.atomic(durable=True):
        target = free_name(folder, path.name)
        aside = SetAsideMail.objects.create(
            filename=target.name, reason=reason, detail=detail[:255], size=size
        )
        path.rename(target)
    log.info("inbound mail %s set aside: %s", target.name, reason.value)
    return aside


def move_into(path: Path, folder: Path) -> Path:
    """Move a file into `folder` under its own name or a free variant of it."""
    target = free_name(folder, path.name)
    path.rename(target)
    return target


def free_name(folder: Path, name: str) -> Path:
    """`folder`/`name`, or `name` with a serial when taken: a file there is never overwritten."""
    folder.mkdir(parents=True, exist_ok=True)
    target, serial = folder / name, 1
    while target.exists():
        target = folder / f"{Path(name).stem}-{serial}{Path(name).suffix}"
        serial += 1
    return target
