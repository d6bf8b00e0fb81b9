from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions() -> None:
    """Sessions live in the database (cached_db); remove the expired ones nightly."""
    call_command("clearsessions")
