"""Helpers the feed kinds' tests share: a feed file from lines, ingesting it, what was set aside."""

import json
from datetime import date, timedelta
from pathlib import Path

from django.utils import timezone

from feeds.models import QuarantinedLine
from feeds.runner import ingest_file


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def encoded(line: dict | str | bytes, *, ascii_json: bool = True) -> bytes:
    """A line as the file holds it: a dict as JSON (non-ASCII escaped unless `ascii_json` is
    False), text as UTF-8, bytes as they are (valid UTF-8 or not)."""
    if isinstance(line, bytes):
        return line
    return (line if isinstance(line, str) else json.dumps(line, ensure_ascii=ascii_json)).encode()


def feed_file(tmp_path: Path, name: str, lines: list, *, ascii_json: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes(b"\n".join(encoded(line, ascii_json=ascii_json) for line in lines) + b"\n")
    return path


def ingest_lines(
    kind: str, tmp_path: Path, name: str, lines: list, *, ascii_json: bool = True, **options
):
    return ingest_file(kind, feed_file(tmp_path, name, lines, ascii_json=ascii_json), **options)


def quarantined() -> dict[int, str]:
    """line number → reason of every line set aside."""
    return dict(QuarantinedLine.objects.values_list("line_number", "reason"))
