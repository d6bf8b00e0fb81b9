"""Thin Celery tasks: load by id, call a service. Safe to run twice."""

from celery import shared_task
from django.utils import timezone


@shared_task
def send_access_notices() -> int:
    from guardianship.services import access_notices_send

    return access_notices_send()


@shared_task
def guardianship_daily() -> None:
    """Access changes by the calendar (coverages starting or ending, 18th birthdays) and the
    month-before-18 notices."""
    from guardianship.sync import guardianship_daily as run

    run(today=timezone.localdate())
