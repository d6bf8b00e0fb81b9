"""Every periodic task of the portal, in one place.

Capability issues add their entries here (inbox polling, reminders, deadline checks).
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "accounts-clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
}
