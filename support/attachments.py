"""What ikp-pomoc accepts as an attachment, for the portal's forms and for inbound e-mail alike:
PDF, JPEG or PNG proved by the file's first bytes (never by its name or declared type), not
empty, and at most settings.SUPPORT_ATTACHMENT_MAX_BYTES."""

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from support import rules
from support.services import NewFile


class AttachmentRejected(ValueError):
    """`code`: type, size or empty; `message` is for the person who sent the file."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code = code
        self.message = message


def accept(name: str, data: bytes) -> NewFile:
    """The file as a NewFile with a safe name and its real type, or AttachmentRejected."""
    if not data:
        raise AttachmentRejected(
            "empty", _("The file %(name)s is empty.") % {"name": _display(name)}
        )
    limit = settings.SUPPORT_ATTACHMENT_MAX_BYTES
    if len(data) > limit:
        raise AttachmentRejected(
            "size",
            _("The file %(name)s is larger than %(limit)s.")
            % {"name": _display(name), "limit": filesizeformat(limit)},
        )
    content_type = rules.sniff_type(data[:16])
    if content_type is None:
        raise AttachmentRejected(
            "type",
            _(
                "The file %(name)s is not a PDF, JPEG or PNG file (checked by its content, not its name)."
            )
            % {"name": _display(name)},
        )
    return NewFile(rules.safe_filename(name, content_type), content_type, data)


def _display(name: str) -> str:
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1][:80] or "—"
