"""Pure ikp-pomoc rules: the ticket life cycle, response targets, ticket numbers and what an
attachment really is. Values in, values out: no ORM, no clock.

Life cycle (DESIGN.md, the support issue): new → in progress → waiting for the patient →
resolved → closed. Staff move a ticket between the open states and resolve it; a patient's
message on a ticket that waits for them puts it back in progress; within 14 days of being
resolved the patient may reopen it (or write, which reopens it); after that it closes for good
and a new request needs a new ticket.
"""

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING})
REOPEN_WITHIN = timedelta(days=14)

# Where staff may move a ticket from each status. Closing is the daily task's job (14 days
# after resolution) but staff may also close a resolved ticket at once, e.g. a duplicate.
_STAFF_MOVES: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.RESOLVED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class Refusal(StrEnum):
    NOT_ALLOWED = "not_allowed"  # no such move from this status
    CLOSED = "closed"  # a closed ticket takes nothing more
    REOPEN_EXPIRED = "reopen_expired"  # resolved more than 14 days ago


def staff_moves(status: Status) -> frozenset[Status]:
    """The statuses staff may set next (the desk's status menu)."""
    return _STAFF_MOVES[Status(status)]


def staff_move(status: Status, to: Status) -> Refusal | None:
    """None when staff may move a ticket from `status` to `to`, else why not."""
    if Status(status) == Status.CLOSED:
        return Refusal.CLOSED
    return None if Status(to) in _STAFF_MOVES[Status(status)] else Refusal.NOT_ALLOWED


def can_reopen(status: Status, resolved_at: datetime | None, now: datetime) -> bool:
    """A resolved ticket may be reopened by its patient for 14 days."""
    return (
        Status(status) == Status.RESOLVED
        and resolved_at is not None
        and now < resolved_at + REOPEN_WITHIN
    )


def closes_at(resolved_at: datetime) -> datetime:
    """When a resolved ticket that nobody reopened closes."""
    return resolved_at + REOPEN_WITHIN


def after_patient_message(
    status: Status, resolved_at: datetime | None, now: datetime
) -> Status | Refusal:
    """The status a ticket takes when its patient writes: new stays new; waiting, and resolved
    within 14 days, go (back) to in progress; a closed or long-resolved ticket refuses."""
    status = Status(status)
    if status == Status.CLOSED:
        return Refusal.CLOSED
    if status == Status.RESOLVED:
        return (
            Status.IN_PROGRESS if can_reopen(status, resolved_at, now) else Refusal.REOPEN_EXPIRED
        )
    if status == Status.WAITING:
        return Status.IN_PROGRESS
    return status


# --- response targets -------------------------------------------------------------------------


class TargetState(StrEnum):
    MET = "met"  # done within the target
    MISSED = "missed"  # done, late
    RUNNING = "running"  # not done, time left
    OVERDUE = "overdue"  # not done, past the target


class Clock(NamedTuple):
    """One response target measured: how long it took (or has taken so far) against the target."""

    due: datetime
    taken: timedelta  # until done, or until now
    state: TargetState


def target_clock(
    started: datetime, done: datetime | None, target: timedelta, now: datetime
) -> Clock:
    due = started + target
    if done is not None:
        # max(): two servers' clocks may disagree by a little
        return Clock(due, max(done - started, timedelta(0)), TargetState.MET if done <= due else TargetState.MISSED)
    return Clock(
        due,
        max(now - started, timedelta(0)),
        TargetState.RUNNING if now <= due else TargetState.OVERDUE,
    )


# --- ticket numbers ----------------------------------------------------------------------------

_NUMBER = re.compile(r"\bIKP-(\d{4})-(\d{6,12})\b", re.IGNORECASE)


def ticket_number(year: int, serial: int) -> str:
    """IKP-2026-000042: the year the ticket opened and its serial."""
    return f"IKP-{year:04d}-{serial:06d}"


def find_ticket_number(text: str) -> tuple[int, int] | None:
    """(year, serial) of the first ticket number in `text` (an e-mail subject), if any."""
    match = _NUMBER.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


# --- attachments -------------------------------------------------------------------------------

# Signatures of the accepted types. The name and the declared type are never trusted.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff_type(head: bytes) -> str | None:
    """The content type the first bytes prove (PDF, JPEG, PNG), or None for anything else."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


_UNSAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)
_DOTS = re.compile(r"\.{2,}")


def safe_filename(name: str, content_type: str) -> str:
    """A display and download name: no path, no control or shell characters, the extension of
    the real type (a PNG named scan.pdf is served as scan.png)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _DOTS.sub(".", _UNSAFE_NAME.sub("_", stem))[:80].strip(" ._") or "attachment"
    return f"{stem}.{EXTENSIONS[content_type]}"
