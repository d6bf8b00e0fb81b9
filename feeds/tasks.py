"""Feed files dropped into the inbox folder (settings.INBOX_DIR/<kind>/*.jsonl).

A file is claimed by renaming it into `processing/` (atomic on one filesystem, so two workers
never take the same file), ingested, then moved to `done/` (or `failed/` with the error
logged without its content). A file left in `processing/` by a killed worker is taken again
on the next run: ingest is idempotent.
"""

import logging
from pathlib import Path

from celery import shared_task
from django.conf import settings

from feeds.kinds import kind_names
from feeds.runner import ingest_file

log = logging.getLogger(__name__)


def inbox_files() -> list[tuple[str, Path]]:
    found = []
    for kind in kind_names():
        folder = Path(settings.INBOX_DIR) / kind
        for sub in ("processing", ""):
            base = folder / sub if sub else folder
            if base.is_dir():
                found.extend((kind, path) for path in sorted(base.glob("*.jsonl")))
    return found


@shared_task
def poll_inbox() -> int:
    """Ingest every file waiting in the inbox; return how many were ingested."""
    done = 0
    for kind, path in inbox_files():
        processing = path.parent if path.parent.name == "processing" else path.parent / "processing"
        processing.mkdir(exist_ok=True)
        claimed = processing / path.name
        if path != claimed:
            try:
                path.rename(claimed)
            except FileNotFoundError:
                continue  # another worker took it
        try:
            ingest_file(kind, claimed)
        except Exception:
            log.exception("feed file %s of kind %s failed", claimed.name, kind)
            target = claimed.parent.parent / "failed"
        else:
            target = claimed.parent.parent / "done"
            done += 1
        target.mkdir(exist_ok=True)
        claimed.rename(target / claimed.name)
    return done
