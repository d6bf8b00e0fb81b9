"""Access e-mails: subject and text templates, in the recipient's language."""

from django.core.mail import send_mail

from ikp.mail import render_mail


def send_access_notice(notice, user, context: dict) -> None:
    subject, body = render_mail(f"guardianship/emails/access_{notice.kind}", context, user.language)
    send_mail(subject, body, None, [user.email])
