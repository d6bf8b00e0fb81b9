"""Vaccination e-mails: subject and text templates, in the recipient's language."""

from django.core.mail import send_mail
from django.db import transaction

from ikp import mail
from vaccinations.models import Appointment

APPOINTMENT_KINDS = ("booked", "cancelled", "withdrawn")


def render_mail(template: str, context: dict, language: str) -> tuple[str, str]:
    """(subject, body) of vaccinations/emails/<template>[_subject].txt in `language`."""
    return mail.render_mail(f"vaccinations/emails/{template}", context, language)


def appointment_mail_send(*, appointment_id: int, kind: str) -> bool:
    """Tell the person who booked; False when there is nobody to tell."""
    if kind not in APPOINTMENT_KINDS:
        raise ValueError(kind)
    with transaction.atomic():
        # Locked and marked in the transaction that sends: each kind of mail goes once.
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("booked_by", "child", "slot__clinic", "vaccine")
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None or not appointment.booked_by.email or kind in appointment.mails_sent:
            return False
        user = appointment.booked_by
        subject, body = render_mail(
            f"appointment_{kind}",
            {"appointment": appointment, "child": appointment.child, "slot": appointment.slot},
            user.language,
        )
        appointment.mails_sent = [*appointment.mails_sent, kind]
        appointment.save(update_fields=["mails_sent"])
        send_mail(subject, body, None, [user.email])
    return True
