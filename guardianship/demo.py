"""The demo world's families (part of `manage.py seed_demo`): one login for every cause of lost
access that the FAQ names ("Czemu nie widzisz konta dziecka"), loaded through the real
`zus-insurance` feed.

| login  | child  | what the insurance says                                    | diagnosis          |
| ------ | ------ | ---------------------------------------------------------- | ------------------ |
| Anna   | Ola    | Anna covers her since birth                                | HAS_ACCESS         |
| Anna   | Zosia  | Anna covers her since birth; Anna shared her with Halina   | HAS_ACCESS         |
| Halina | Zosia  | (a child grant from Anna)                                  | HAS_ACCESS         |
| Piotr  | Antek  | Piotr's registration ended ≈2 months ago (job change)      | REGISTRATION_ENDED |
| Anna   | Antek  | (never registered him)                                     | NO_REGISTRATION    |
| Marta  | Julia  | Marta registered her first; Tomasz covers her since ≈6 mo  | NOT_DECISIVE       |
| Tomasz | Julia  | the later registration                                     | HAS_ACCESS         |
| Tomasz | Kuba   | Kuba has his own title (apprenticeship) since ≈3 months    | NOT_DECISIVE       |
| Marta  | Staś   | registered a few days ago, received, not applied yet       | PROCESSING         |
| Ewa    | Filip  | her new employer typed a wrong PESEL ≈1 month ago: not hers | (reported: "not my child", support/demo.py) |

Kuba (16) sees his own account read-only; Halina has authorised Anna to see hers (read-only).

Dates are relative to the day of the *first* seeding (the day Anna's login was made), like the
children's ages in accounts/demo.py: `make run` seeds on every start, and a line sent again with
the same `event_id` but other dates would be quarantined as a conflict.

Idempotent: events are stored once by their `demo-…` id, and the main file is applied only
when it brought something new; grants and access-log rows are made only when missing.
"""

import json
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.utils import timezone

from accounts.models import Person, User
from accounts.rules import add_months
from feeds.runner import ingest_file
from guardianship.models import AccessGrant, AccessLogEntry, InsuranceEvent
from guardianship.policy import SubjectAccess, access_for, log_access
from guardianship.services import grant_create

FEED = "zus-insurance"


def first_seeding_day(people: dict[str, Person]) -> date:
    """The day the demo was first seeded: every date below counts from it."""
    return timezone.localdate(people["anna"].user.date_joined)


def _registered(
    event_id: str, insured: Person, member: Person, *, valid_from: date, reported_on: date
) -> dict:
    return {
        "event_id": event_id,
        "type": "family_member_registered",
        "insured_pesel": insured.pesel,
        "insured_first_name": insured.first_name,
        "insured_surname": insured.surname,
        "member_pesel": member.pesel,
        "member_first_name": member.first_name,
        "member_surname": member.surname,
        "valid_from": valid_from.isoformat(),
        "reported_on": reported_on.isoformat(),
    }


def _since_birth(event_id: str, insured: Person, member: Person) -> dict:
    # An employer reports a newborn within days.
    born = member.birth_date
    return _registered(
        event_id, insured, member, valid_from=born, reported_on=born + timedelta(days=14)
    )


def insurance_lines(people: dict[str, Person], day: date) -> list[dict]:
    """The ZUS history of the demo families, as the feed sends it."""
    p = people
    job_change = add_months(day, -2)  # the last day Piotr's old employer covered Antek
    other_parent = add_months(day, -6)  # Tomasz's new registration of Julia starts
    apprenticeship = add_months(day, -3)  # Kuba's own title starts
    typo = add_months(day, -1)  # Ewa's new employer registers "her child" under a wrong PESEL
    return [
        # Anna covers Ola and Zosia since birth.
        _since_birth("demo-reg-anna-ola", p["anna"], p["ola"]),
        _since_birth("demo-reg-anna-zosia", p["anna"], p["zosia"]),
        # Job change: Piotr covered Antek until about two months ago; no new employer has
        # registered him since (and Anna does not cover him either).
        _since_birth("demo-reg-piotr-antek", p["piotr"], p["antek"]),
        {
            "event_id": "demo-dereg-piotr-antek",
            "type": "family_member_deregistered",
            "insured_pesel": p["piotr"].pesel,
            "member_pesel": p["antek"].pesel,
            "valid_to": job_change.isoformat(),
            "reported_on": (job_change + timedelta(days=3)).isoformat(),
        },
        # The other parent covers now: Marta registered Julia first, Tomasz later. What counts
        # is who covers the child now, not who registered first.
        _since_birth("demo-reg-marta-julia", p["marta"], p["julia"]),
        _registered(
            "demo-reg-tomasz-julia",
            p["tomasz"],
            p["julia"],
            valid_from=other_parent,
            reported_on=other_parent + timedelta(days=5),
        ),
        # An own title: Tomasz registered Kuba, but Kuba is an apprentice since about three months.
        _since_birth("demo-reg-tomasz-kuba", p["tomasz"], p["kuba"]),
        {
            "event_id": "demo-title-kuba-apprenticeship",
            "type": "own_title_started",
            "pesel": p["kuba"].pesel,
            "title": "apprenticeship",
            "valid_from": apprenticeship.isoformat(),
            "reported_on": (apprenticeship + timedelta(days=7)).isoformat(),
        },
        # A PESEL typo in a declaration: Ewa's employer registered Filip, a stranger's child.
        _registered(
            "demo-reg-ewa-filip",
            p["ewa"],
            p["filip"],
            valid_from=typo,
            reported_on=typo + timedelta(days=2),
        ),
    ]


def processing_lines(people: dict[str, Person], day: date) -> list[dict]:
    """A registration that has just arrived: Marta's new employer reported Staś a few days ago."""
    return [
        _registered(
            "demo-reg-marta-stas",
            people["marta"],
            people["stas"],
            valid_from=day - timedelta(days=5),
            reported_on=day - timedelta(days=3),
        ),
    ]


def _ingest(folder: Path, name: str, lines: list[dict], *, apply: bool) -> None:
    path = folder / name
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    ingest_file(FEED, path, apply=apply)


def load_insurance(people: dict[str, Person], day: date) -> None:
    """Ingest the families' history, then Staś's fresh registration without applying it.

    Staś's registration stays pending (Marta's "why can't I see" page says PROCESSING) until
    the next ingest that applies events: any other zus-insurance file (`ingest_feed`, the inbox
    poll) applies every pending event, this one included, and from then on Marta has access.
    That is expected. Re-seeding applies the main file only when it brought new events, so an
    unchanged demo keeps the case across `make run` restarts.
    """
    main = insurance_lines(people, day)
    known = InsuranceEvent.objects.filter(event_id__in=[line["event_id"] for line in main]).count()
    with tempfile.TemporaryDirectory(prefix="ikp-demo-") as folder:
        _ingest(Path(folder), "demo-zus-insurance.jsonl", main, apply=known < len(main))
        _ingest(
            Path(folder), "demo-zus-insurance-new.jsonl", processing_lines(people, day), apply=False
        )


def _grant_once(actor: User, subject: Person, grantee: Person, kind: str, *, at: datetime) -> None:
    # The database allows one unrevoked grant per subject, grantee and kind.
    live = AccessGrant.objects.filter(
        subject=subject, grantee_pesel=grantee.pesel, kind=kind, revoked_at=None
    )
    if live.exists():
        return
    grant = grant_create(
        actor=actor,
        subject_access=SubjectAccess(subject, access_for(actor, subject)),
        grantee_surname=grantee.surname,
        grantee_pesel=grantee.pesel,
        kind=kind,
        legal_guardian_confirmed=kind == AccessGrant.Kind.CHILD,
    )
    # Backdated (with its log row) so that the access history reads in order.
    AccessGrant.objects.filter(pk=grant.pk).update(created_at=at)
    AccessLogEntry.objects.filter(subject=subject, target=str(grant.public_id)).update(at=at)


def _log_once(actor: User, subject: Person, action: str, *, at: datetime) -> None:
    if AccessLogEntry.objects.filter(actor=actor, subject=subject, action=action).exists():
        return
    entry = log_access(actor, SubjectAccess(subject, access_for(actor, subject)), action)
    AccessLogEntry.objects.filter(pk=entry.pk).update(at=at)


def share_and_log(people: dict[str, Person], day: date) -> None:
    """Anna shares Zosia with Halina; Halina authorises Anna; a few reads of Zosia's account."""
    anna, halina, zosia = people["anna"].user, people["halina"].user, people["zosia"]
    evening = timezone.make_aware(datetime.combine(day, time(18, 30)))
    anna_visit = evening - timedelta(days=6)
    halina_visit = evening - timedelta(days=2, hours=8)
    minute = timedelta(minutes=1)
    action, kind = AccessLogEntry.Action, AccessGrant.Kind
    _log_once(anna, zosia, action.SWITCH_ACCOUNT, at=anna_visit)
    _log_once(anna, zosia, action.VIEW_SUMMARY, at=anna_visit + minute)
    _grant_once(anna, zosia, people["halina"], kind.CHILD, at=anna_visit + 3 * minute)
    _grant_once(
        halina, people["halina"], people["anna"], kind.AUTHORISATION, at=evening - timedelta(days=4)
    )
    _log_once(halina, zosia, action.SWITCH_ACCOUNT, at=halina_visit)
    _log_once(halina, zosia, action.VIEW_GUARDIANS, at=halina_visit + 2 * minute)


def seed(people: dict[str, Person]) -> None:
    day = first_seeding_day(people)
    load_insurance(people, day)
    share_and_log(people, day)
