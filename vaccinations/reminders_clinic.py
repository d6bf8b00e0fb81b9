"""The clinics' daily open-visit reminder (issue #4, point 6).

A dose recorded while its visit stays open blocks the child's next booking (the FAQ's first
problem), so each morning every clinic with a visit open for more than a day e-mails its staff:
how many visits are open, since when, and the link to close them.

Once a day per clinic and staff user, without a model: the claim is a cache key made with
add(), which only one caller wins, so a task run twice (or by two workers) mails once.
"""

import logging
import smtplib
from datetime import date, timedelta

from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import Count, Min
from django.urls import reverse

from accounts.roles import CLINIC_STAFF_GROUP
from vaccinations.emails import render_mail
from vaccinations.models import Clinic, Immunization

logger = logging.getLogger(__name__)

STALE_AFTER_DAYS = 1  # a visit still open more than this many days after the dose is reminded
CLAIM_SECONDS = 2 * 24 * 3600  # outlives the day it is for


def claim_key(clinic: Clinic, user, today: date) -> str:
    return f"open-visits-mail:{clinic.pk}:{user.pk}:{today.isoformat()}"


def clinics_to_remind(today: date) -> list[tuple[Clinic, int, date]]:
    """(clinic, open visits, oldest dose date) for clinics with a visit open too long: one
    aggregate query, then one for the clinics."""
    stale_before = today - timedelta(days=STALE_AFTER_DAYS)
    counts = {
        row["clinic"]: row
        for row in Immunization.objects.filter(
            visit_status=Immunization.VisitStatus.OPEN, clinic__isnull=False
        )
        .values("clinic")
        .annotate(count=Count("pk"), oldest=Min("administered_on"))
        .filter(oldest__lt=stale_before)
        .order_by()
    }
    clinics = Clinic.objects.filter(pk__in=counts).order_by("pk")
    return [(clinic, counts[clinic.pk]["count"], counts[clinic.pk]["oldest"]) for clinic in clinics]


def _recipients(clinic: Clinic):
    # Only logins that can open the page: active, still clinic staff, with an address.
    return list(
        clinic.staff.filter(is_active=True, groups__name=CLINIC_STAFF_GROUP)
        .exclude(email="")
        .order_by("pk")
    )


def open_visit_reminders_send(*, today: date) -> int:
    """Mail each clinic's staff about its open visits; returns the number of mails sent."""
    sent = 0
    for clinic, count, oldest in clinics_to_remind(today):
        context = {
            "clinic": clinic,
            "count": count,
            "oldest": oldest,
            "visits_path": reverse("clinic:visits", kwargs={"clinic_id": clinic.public_id}),
        }
        for user in _recipients(clinic):
            key = claim_key(clinic, user, today)
            if not cache.add(key, 1, CLAIM_SECONDS):
                continue  # already mailed today
            subject, body = render_mail("open_visits", context, user.language)
            try:
                send_mail(subject, body, None, [user.email])
            except (smtplib.SMTPException, OSError):
                # Not sent: release the claim so that a run later today tries again, and go on
                # with the others (one refused address must not silence the rest).
                cache.delete(key)
                logger.exception(
                    "open-visit reminder to user %s of clinic %s not sent", user.pk, clinic.pk
                )
                continue
            sent += 1
    return sent
