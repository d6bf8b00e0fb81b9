"""The demo world's e-ZLA (part of `manage.py seed_demo`), loaded through the real
`zus-sickleave` feed.

| series     | whose  | kind                    | what it shows                                          |
| ---------- | ------ | ----------------------- | ------------------------------------------------------ |
| ZD 0000001 | Anna   | own illness             | an old leave, must lie in bed                          |
| ZD 0000002 | Anna   | care of a child (Zosia) | the cared child's name, shown to those who may see her |
| ZD 0000003 | Anna   | care of a family member | Halina, who authorised Anna, so her name is shown      |
|            |        | (Halina)                |                                                        |
| ZD 0000004 | Anna   | own illness             | CANCELLED by the doctor: listed, marked cancelled      |
| ZD 0000005 | Anna   | own illness             | issued 4 days ago, received on the day of seeding:     |
|            |        |                         | both dates                                             |
| ZD 0000006 | Anna   | own illness             | starts on the day of seeding: the employer-notice      |
|            |        |                         | deadline (day 2 of the absence)                        |
| ZD 0000007 | Piotr  | care of a child (Antek) | a care leave on the parent's account, not the child's  |

Dates count from the day of the first seeding (guardianship.demo.first_seeding_day), so a
re-run sends identical lines; "starts today" and "received today" hold on that day and move on
with the calendar, as a real leave would. ZD 0000005 is only "received today" because the
seeding is when the portal receives it.
"""

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

from accounts.models import Person
from feeds.runner import ingest_file
from guardianship.demo import first_seeding_day
from sickleaves.models import SickLeave

FEED = "zus-sickleave"
EMPLOYERS = {"anna": "5250001003", "piotr": "7740001000"}  # valid NIP check digits

# (n, person, kind, cared person, issued (days before), from (days before), length, indication,
#  doctor, status)
LEAVES = [
    (1, "anna", "own_illness", None, 160, 160, 7, "must_lie", "lek. Marek Górski", "issued"),
    (2, "anna", "child_care", "zosia", 152, 152, 5, "may_walk", "dr Joanna Źrebiec", "issued"),
    (3, "anna", "family_care", "halina", 95, 94, 10, "may_walk", "lek. Marek Górski", "issued"),
    (4, "anna", "own_illness", None, 40, 40, 3, "may_walk", "lek. Marek Górski", "cancelled"),
    (5, "anna", "own_illness", None, 4, 4, 6, "must_lie", "dr Tomasz Żak", "issued"),
    (6, "anna", "own_illness", None, 0, 0, 5, "may_walk", "lek. Marek Górski", "issued"),
    (7, "piotr", "child_care", "antek", 33, 33, 4, "may_walk", "dr Joanna Źrebiec", "issued"),
]


def series(n: int) -> str:
    return f"ZD {n:07d}"


def leave_lines(people: dict[str, Person], day: date) -> list[dict]:
    """The demo leaves, as ZUS sends them through the feed."""
    lines = []
    for n, key, kind, cared, issued, starts, length, indication, doctor, status in LEAVES:
        period_from = day - timedelta(days=starts)
        line = {
            "series_number": series(n),
            "pesel": people[key].pesel,
            "issued_on": (day - timedelta(days=issued)).isoformat(),
            "period_from": period_from.isoformat(),
            "period_to": (period_from + timedelta(days=length - 1)).isoformat(),
            "kind": kind,
            "indication": indication,
            "employer_nip": EMPLOYERS[key],
            "doctor_name": doctor,
            "status": status,
        }
        if cared:
            line["cared_person_pesel"] = people[cared].pesel
        lines.append(line)
    return lines


def seed(people: dict[str, Person]) -> None:
    lines = leave_lines(people, first_seeding_day(people))
    numbers = [line["series_number"] for line in lines]
    if SickLeave.objects.filter(series_number__in=numbers).count() == len(numbers):
        return  # all there: a re-run sends no file (and leaves no empty FeedFile behind)
    with tempfile.TemporaryDirectory(prefix="ikp-demo-") as folder:
        path = Path(folder) / "demo-zus-sickleave.jsonl"
        path.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
        )
        ingest_file(FEED, path)
