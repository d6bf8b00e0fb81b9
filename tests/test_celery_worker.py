"""A real worker on real Redis runs a scheduled task and its effect lands in PostgreSQL."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import clear_expired_sessions
from tests.celery_worker import celery_worker, wait_for


@pytest.mark.django_db(transaction=True)
def test_worker_clears_expired_sessions_and_keeps_live_ones():
    now = timezone.now()
    Session.objects.create(session_key="expired" + "x" * 25, session_data="{}", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="live" + "y" * 28, session_data="{}", expire_date=now + timedelta(minutes=10))

    with celery_worker() as worker:
        worker.send(clear_expired_sessions)
        wait_for(lambda: not Session.objects.filter(session_key__startswith="expired").exists(), timeout=30, what="the task", log=worker.log_path)

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live" + "y" * 28]
