"""Next-dose reminders (DESIGN.md, "HPV vaccination"; issue #4, point 7): an e-mail to the
child's guardians on the day the next dose's window opens, and another two weeks before it
closes.

Run daily (vaccinations.tasks.vaccinations_daily), in two set-based steps:
1. Owe: judge the children whose next-dose window opens today, or closes in two weeks, with
   the pure rule (rules.booking_window) and insert a DoseReminder for each. The database keeps
   one per child, vaccine, dose and kind (`one_reminder_per_dose`), so a second run owes nothing.
2. Send: claim every unsent reminder whose window has not closed with one conditional
   `UPDATE … WHERE sent_at IS NULL` (STYLE.md, after healthchecks' sendalerts), then mail the
   claimed ones. Two runs at once claim disjoint rows. A crash while mailing loses that batch
   rather than mailing it twice (at most once: a reminder, not a notice of lost access).

Decisions (DESIGN.md is silent):
- Only the exact days count (today == opens_on; today == closes_on - 14 days). A day the task
  does not run sends nothing for that day's windows.
- A child who already holds a booked appointment for the vaccine gets neither reminder: the
  "you can book now" mail would be as pointless as the "two weeks left" one.
- A closing reminder is sent only inside the window (a window shorter than two weeks gets the
  opening one only).
- Recipients are the guardians with an active login and an e-mail: the automatic guardian
  (unless they reported "not my child" and the link is suspended) and the holders of a live
  child grant whose PESEL and surname match, as guardianship.policy decides access.
- Children old enough for their own login are not written to: guardians are.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.mail import send_mass_mail
from django.db import connection
from django.db.models import Q

from accounts.models import Person, User
from accounts.rules import add_months
from guardianship.models import AccessGrant, LinkSuspension
from guardianship.policy import automatic_guardians, live_grants, surname_matches
from vaccinations import rules
from vaccinations.emails import render_mail
from vaccinations.models import Appointment, DoseReminder, Immunization, Programme

CLOSING_NOTICE = timedelta(days=14)  # "two weeks before it closes"
# add_months clamps to the month's end: up to four dose dates (28th-31st) map to one day.
_CLAMP_SLACK = timedelta(days=3)


def dose_reminders_send(*, today: date) -> int:
    """Owe today's reminders, then send every unsent one; return the number of e-mails sent."""
    dose_reminders_owe(today=today)
    return _send_claimed(_claim_unsent(today), today=today)


# --- 1. Owe ---------------------------------------------------------------------------------


def dose_reminders_owe(*, today: date) -> int:
    """Insert the reminders due today (idempotent: a known one is skipped by the database);
    return how many were due."""
    programmes = _programmes_by_vaccine()
    if not programmes:
        return 0
    candidates = Q()
    for vaccine_id, versions in programmes.items():
        candidates |= Q(vaccine_id=vaccine_id) & _due_today(versions, today)
    children = Immunization.objects.filter(candidates).values("person_id")  # a subquery
    # One query for the doses of every candidate child (of every vaccine with a programme).
    doses = (
        Immunization.objects.filter(vaccine_id__in=programmes, person_id__in=children)
        .select_related("person", "vaccine", "clinic")
        .order_by("person_id", "vaccine_id", "administered_on", "dose_number")
    )
    courses: dict[tuple[int, int], list[Immunization]] = defaultdict(list)
    for dose in doses:
        courses[dose.person_id, dose.vaccine_id].append(dose)
    booked = set(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED, child_id__in=children
        ).values_list("child_id", "vaccine_id")
    )
    owed = [
        reminder
        for key, course in courses.items()
        if key not in booked
        and (reminder := _reminder_for(course, programmes[key[1]], today)) is not None
    ]
    DoseReminder.objects.bulk_create(owed, ignore_conflicts=True)
    return len(owed)


def _programmes_by_vaccine() -> dict[int, list[rules.Programme]]:
    result: dict[int, list[rules.Programme]] = defaultdict(list)
    for programme in Programme.objects.select_related("vaccine").order_by("pk"):
        result[programme.vaccine_id].append(programme.as_rule())
    return result


def _due_today(versions: Iterable[rules.Programme], today: date) -> Q:
    """Doses that may make today a reminder day, as a superset the rule then narrows: a
    previous dose whose next window opens today or closes in two weeks (and, where later doses
    must come before the upper age, a child whose upper-age birthday caps the window)."""
    closing = today + CLOSING_NOTICE
    q = Q()
    for p in versions:
        opens_from = add_months(today, -p.min_interval_months)
        closes_from = add_months(closing, -p.max_interval_months)
        q |= Q(administered_on__range=(opens_from, opens_from + _CLAMP_SLACK))
        q |= Q(administered_on__range=(closes_from, closes_from + _CLAMP_SLACK))
        if not p.later_doses_after_max_age:  # closes_on = the day before the upper-age birthday
            born = add_months(closing + timedelta(days=1), -12 * p.first_dose_max_age)
            q |= Q(person__birth_date__range=(born - timedelta(days=1), born + timedelta(days=1)))
    return q


def _reminder_for(
    course: list[Immunization], programmes: list[rules.Programme], today: date
) -> DoseReminder | None:
    child = course[0].person
    step = rules.booking_window(
        vaccine_code=course[0].vaccine.code,
        birth_date=child.birth_date,
        doses=[dose.as_rule() for dose in course],
        programmes=programmes,
        today=today,
    )
    # Only a later dose that can be booked today: not a completed course, an open visit
    # (the clinic must close it first) or a window that has passed.
    if step.reason != rules.Reason.NEXT_DOSE:
        return None
    if step.opens_on == today:
        kind = DoseReminder.Kind.WINDOW_OPENS
    elif step.closes_on is not None and step.closes_on - CLOSING_NOTICE == today:
        kind = DoseReminder.Kind.WINDOW_CLOSING
    else:
        return None
    return DoseReminder(
        person=child,
        vaccine=course[0].vaccine,
        dose_number=step.dose_number,
        kind=kind,
        window_opens_on=step.opens_on,
        window_closes_on=step.closes_on,
    )


# --- 2. Send --------------------------------------------------------------------------------


def _claim_unsent(today: date) -> list[DoseReminder]:
    """Mark every unsent reminder whose window is still open as sent, atomically; the rows this
    call marked are its to mail (a parallel run gets the others, or none)."""
    table = DoseReminder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET sent_at = now()"  # the table name is ours, not input
            " WHERE sent_at IS NULL AND window_closes_on >= %s RETURNING id",
            [today],
        )
        claimed = [pk for (pk,) in cursor.fetchall()]
    return list(
        DoseReminder.objects.filter(pk__in=claimed)
        .select_related("person", "vaccine")
        .order_by("pk")
    )


def _send_claimed(reminders: list[DoseReminder], *, today: date) -> int:
    if not reminders:
        return 0
    children = list({reminder.person_id: reminder.person for reminder in reminders}.values())
    guardians = guardian_users(children, on=today)  # who acts for the child now
    messages = [
        _message(reminder, user)
        for reminder in reminders
        for user in guardians.get(reminder.person_id, [])
    ]
    return send_mass_mail(messages) if messages else 0  # one connection for all


def _message(reminder: DoseReminder, user: User) -> tuple[str, str, None, list[str]]:
    subject, body = render_mail(
        f"dose_window_{reminder.kind}",
        {
            "child": reminder.person,
            "vaccine": reminder.vaccine,
            "dose_number": reminder.dose_number,
            "opens_on": reminder.window_opens_on,
            "closes_on": reminder.window_closes_on,
        },
        user.language,
    )
    return subject, body, None, [user.email]


def guardian_users(children: list[Person], *, on: date) -> dict[int, list[User]]:
    """child id → the active logins (with an e-mail) that act for the child as a guardian on
    `on`: the automatic guardian and the holders of a live child grant. Five queries."""
    holders: dict[int, set[int]] = {child.pk: set() for child in children}
    suspended = set(
        LinkSuspension.objects.filter(subject__in=children, lifted_at__isnull=True).values_list(
            "person_id", "subject_id"
        )
    )
    for child_id, guardian_id in automatic_guardians(children, on).items():
        if guardian_id is not None and (guardian_id, child_id) not in suspended:
            holders[child_id].add(guardian_id)
    grants = list(live_grants(on).filter(subject__in=children, kind=AccessGrant.Kind.CHILD))
    grantees = {
        person.pesel: person
        for person in Person.objects.filter(pesel__in={grant.grantee_pesel for grant in grants})
    }
    for grant in grants:
        grantee = grantees.get(grant.grantee_pesel)
        if grantee is not None and surname_matches(grant.grantee_surname, grantee):
            holders[grant.subject_id].add(grantee.pk)
    users = {
        user.person_id: user
        for user in User.objects.filter(
            person_id__in=set().union(*holders.values()), is_active=True
        ).exclude(email="")
    }
    return {
        child_id: [users[person_id] for person_id in sorted(people) if person_id in users]
        for child_id, people in holders.items()
    }


def open_visit_reminders_send(*, today: date) -> int:
    """The clinics' daily open-visit reminders live in vaccinations/reminders_clinic.py; imported
    on call so that this module does not depend on it at import time."""
    from vaccinations.reminders_clinic import open_visit_reminders_send as send

    return send(today=today)
