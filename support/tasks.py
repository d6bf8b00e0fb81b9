"""Thin Celery tasks: load by id, call a service. Safe to run twice."""

import logging
import os
import smtplib
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)

# A file in processing/ untouched for this long was left by a killed worker: it is taken again.
# Younger ones belong to a run still working on them (claiming touches the file).
MAIL_STALE_AFTER_SECONDS = 10 * 60


# A mail server that refuses for a while: the entry stays unmailed (its transaction rolled
# back) and the task tries again later; the daily sweep catches anything still owed.
@shared_task(autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=60, max_retries=6)
def send_ticket_mail(message_id: int) -> None:
    from support.emails import ticket_mail_send

    ticket_mail_send(message_id=message_id)


@shared_task
def support_daily() -> int:
    """Close the tickets resolved 14 days ago that nobody reopened, and queue again any public
    change still unmailed an hour after it happened."""
    from ikp.tasks import enqueue
    from support.emails import unmailed_entries
    from support.services import close_resolved

    for entry_id in unmailed_entries():
        enqueue(send_ticket_mail, entry_id)
    return close_resolved()


@shared_task
def poll_mail_inbox() -> int:
    """Take every inbound e-mail waiting in settings.SUPPORT_MAIL_INBOX (support.inbound); return
    how many were delivered or set aside. Failures are not counted: they wait in failed/.

    A file is claimed by renaming it into processing/ (atomic on one filesystem: two workers
    never take the same file), then goes to done/, set-aside/ or failed/. A file left in
    processing/ by a killed worker goes back to the inbox and is taken again: delivery is
    idempotent (the mail's SHA-256)."""
    from support.inbound import move_into, take_mail_file

    inbox = Path(settings.SUPPORT_MAIL_INBOX)
    if not inbox.is_dir():
        return 0
    processing = inbox / "processing"
    processing.mkdir(exist_ok=True)
    _mail_stale_returned(inbox, processing)
    handled = 0
    for path in sorted(inbox.glob("*.eml")):
        claimed = _mail_claimed(path, processing)
        if claimed is None:
            continue
        try:
            outcome = take_mail_file(claimed)
        except Exception as error:  # noqa: BLE001 — one bad file must not stop the others
            # The file name and the error's type only: a message could hold an address or the text.
            log.error("inbound mail %s failed: %s", claimed.name, type(error).__name__)
            if claimed.exists():
                move_into(claimed, inbox / "failed")
            continue
        if outcome == "delivered":
            move_into(claimed, inbox / "done")
        handled += 1
    return handled


def _mail_claimed(path: Path, processing: Path) -> Path | None:
    """The file renamed into processing/, or None when another worker took it first."""
    claimed = processing / path.name
    if claimed.exists():
        return None  # a namesake is being worked on: this one waits for the next run
    try:
        os.utime(path)  # fresh in processing/: not mistaken for a file left by a killed worker
        path.rename(claimed)
    except FileNotFoundError:
        return None
    return claimed


def _mail_stale_returned(inbox: Path, processing: Path) -> None:
    """Put files a killed worker left in processing/ back in the inbox, to be claimed again."""
    for path in processing.glob("*.eml"):
        try:
            stale = time.time() - path.stat().st_mtime > MAIL_STALE_AFTER_SECONDS
            if stale and not (inbox / path.name).exists():
                path.rename(inbox / path.name)
        except FileNotFoundError:
            continue  # another worker took it back first
