from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feeds.kinds import UnknownFeedKind, kind_names
from feeds.runner import ingest_file


class Command(BaseCommand):
    help = "Ingest a JSON Lines feed file: ingest_feed KIND PATH (DESIGN.md, Feeds)."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="feed kind, e.g. zus-insurance")
        parser.add_argument("path", type=Path)

    def handle(self, *args, kind: str, path: Path, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            result = ingest_file(kind, path)
        except UnknownFeedKind:
            raise CommandError(
                f"Unknown feed kind {kind!r}; known: {', '.join(kind_names())}"
            ) from None
        self.stdout.write(
            f"{kind}: {result.lines} lines, {result.accepted} new, {result.duplicates} already known, "
            f"{result.quarantined} quarantined, {result.applied} applied"
        )
