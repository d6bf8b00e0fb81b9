"""Every periodic task of the portal, in one place.

Capability issues add their entries here (inbox polling, reminders, deadline checks).
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "accounts-clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
    "ikp-republish-deferred": {"task": "ikp.tasks.republish_deferred", "schedule": 60.0},
    "feeds-poll-inbox": {"task": "feeds.tasks.poll_inbox", "schedule": 60.0},
    "guardianship-daily": {"task": "guardianship.tasks.guardianship_daily", "schedule": crontab(minute=5, hour=0)},
    "vaccinations-daily": {"task": "vaccinations.tasks.vaccinations_daily", "schedule": crontab(minute=30, hour=7)},
    "support-daily": {"task": "support.tasks.support_daily", "schedule": crontab(minute=15, hour=1)},
    "support-poll-mail-inbox": {"task": "support.tasks.poll_mail_inbox", "schedule": 60.0},
    "guardianship-send-access-notices": {"task": "guardianship.tasks.send_access_notices", "schedule": 300.0},
}
