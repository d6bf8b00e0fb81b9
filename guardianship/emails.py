"""Access e-mails: subject and text templates, in the recipient's language."""

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def send_access_notice(notice, user, context: dict) -> None:
    with translation.override(user.language or "pl"):
        context = {**context, "portal_url": _portal_url()}
        subject = render_to_string(
            f"guardianship/emails/access_{notice.kind}_subject.txt", context
        ).strip()
        body = render_to_string(f"guardianship/emails/access_{notice.kind}.txt", context)
    send_mail(subject, body, None, [user.email])


def _portal_url() -> str:
    from django.conf import settings

    return settings.PORTAL_BASE_URL.rstrip("/")
