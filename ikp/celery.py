"""The Celery application. Broker is Redis; in development tasks run eagerly in-process."""

import os

from celery import Celery

from ikp.beat import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikp.settings")

app = Celery("ikp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    # Must exceed the longest countdown/ETA we ever schedule (a day).
    broker_transport_options={"visibility_timeout": 2 * 24 * 3600},
    worker_hijack_root_logger=False,
)
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()
