"""Thin Celery tasks: load by id, call a service. Safe to run twice."""

from celery import shared_task
from django.utils import timezone


@shared_task
def send_appointment_mail(appointment_id: int, kind: str) -> None:
    """kind: booked, cancelled (by the parent), withdrawn (the clinic withdrew the term)."""
    from vaccinations.emails import appointment_mail_send

    appointment_mail_send(appointment_id=appointment_id, kind=kind)


@shared_task
def vaccinations_daily() -> None:
    """Next-dose reminders (window opens; two weeks before it closes) and the clinics'
    open-visit reminders."""
    from vaccinations.reminders import dose_reminders_send, open_visit_reminders_send

    today = timezone.localdate()
    dose_reminders_send(today=today)
    open_visit_reminders_send(today=today)
