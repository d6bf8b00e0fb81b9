"""The registry of feed kinds. One module per kind; the runner (feeds/runner.py) drives them.

A kind provides:
- `staging_table`, `staging_ddl` (a TEMP table) and `copy_sql` (COPY into it);
- `parse_line(line: bytes, number: int, today) -> tuple` for COPY, raising LineProblem;
- `store(cursor, feed_file_id, apply=) -> (accepted, [(line_number, reason)])`: SQL from
  staging into the kind's tables, idempotent (ON CONFLICT), returning lines refused after
  staging;
- `apply(cursor, today) -> int`: in the same transaction, bring derived state up to date;
  safe to run any number of times.
"""

from datetime import date
from typing import Protocol


class LineProblem(Exception):
    """Why a line was set aside: "code: detail" (the staff page translates the code)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class UnknownFeedKind(Exception):
    pass


class FeedKind(Protocol):
    name: str
    staging_table: str
    staging_ddl: str
    copy_sql: str

    def parse_line(self, line: bytes, number: int, today: date) -> tuple: ...

    def store(
        self, cursor, feed_file_id: int | None, *, apply: bool
    ) -> tuple[int, list[tuple[int, str]]]: ...

    def apply(self, cursor, *, today: date) -> int: ...


def _registry() -> dict[str, FeedKind]:
    from feeds.clinic_slots import ClinicSlots
    from feeds.edm_document import EdmDocuments
    from feeds.immunization import Immunizations
    from feeds.zus_insurance import ZusInsurance
    from feeds.zus_sickleave import ZusSickLeaves

    kinds: list[FeedKind] = [
        ZusInsurance(),
        ClinicSlots(),
        Immunizations(),
        EdmDocuments(),
        ZusSickLeaves(),
    ]
    return {kind.name: kind for kind in kinds}


def kind_names() -> list[str]:
    return sorted(_registry())


def get_kind(name: str) -> FeedKind:
    try:
        return _registry()[name]
    except KeyError:
        raise UnknownFeedKind(name) from None
