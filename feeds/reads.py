"""A quarantined line's raw text is a read of the data of the people it names.

Staff need the raw line to correct it (the sync monitor's line page) and admins see it on the
admin's record page; both are reads of the data of everyone the line names whom the portal
knows, so both log them here, on each person (basis support, naming the line).
"""

import json
import re

from django.http import HttpRequest

from accounts.models import Person
from feeds.models import QuarantinedLine
from guardianship.models import AccessLogEntry
from guardianship.policy import SUPPORT_ACCESS, log_access

# The PESEL-valued keys of the feed contract (DESIGN.md, "Feeds"): zus-insurance insured_pesel,
# member_pesel and pesel; immunization and edm-document pesel; zus-sickleave pesel and
# cared_person_pesel; clinic-slots none. Looked for in a line of any kind: the page shows a key
# its kind does not define as well.
PESEL_KEYS = ("pesel", "insured_pesel", "member_pesel", "cared_person_pesel")
ELEVEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")


def log_people_named(request: HttpRequest, line: QuarantinedLine) -> None:
    """The raw line is a read of the data of everyone it names whom the portal knows: one
    access-log row on each (basis support, naming the line). People are found by the values of
    PESEL_KEYS when the line is a JSON object, else by every run of 11 digits in its text."""
    try:
        fields = json.loads(line.raw)
    except (ValueError, RecursionError):  # not JSON (or nested past the parser's depth)
        fields = None
    if isinstance(fields, dict):
        named = {str(fields[key]) for key in PESEL_KEYS if isinstance(fields.get(key), str | int)}
    else:
        named = set(ELEVEN_DIGITS.findall(line.raw))
    if not named:
        return
    for person in Person.objects.filter(pesel__in=named).order_by("pk"):
        log_access(
            request,
            person,
            AccessLogEntry.Action.SUPPORT_VIEW_FEED_LINE,
            target=str(line.public_id),
            basis=SUPPORT_ACCESS.basis,
        )
