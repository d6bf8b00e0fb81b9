"""The store of a feed kind as a list of SQL steps over its staging table.

Each step moves the lines it refuses from `<prefix>_staging` to `<prefix>_refused` (line number
and reason) and records the lines that stored something in `<prefix>_changed`; the runner then
quarantines the refused lines. Used by the clinic-slots, immunization, edm-document and
zus-sickleave kinds (zus-insurance predates it and derives more than it stores).
"""


def run_store_steps(
    cursor, prefix: str, steps, params: dict | None = None
) -> tuple[int, list[tuple[int, str]]]:
    """Run `steps` with the two work tables; return (lines that stored something, refused lines)."""
    cursor.execute(
        f"CREATE TEMP TABLE {prefix}_refused (line_number integer, reason text) ON COMMIT DROP"
    )
    cursor.execute(f"CREATE TEMP TABLE {prefix}_changed (line_number integer) ON COMMIT DROP")
    for step in steps:
        cursor.execute(step, params)
    cursor.execute(f"SELECT count(DISTINCT line_number) FROM {prefix}_changed")
    (accepted,) = cursor.fetchone()
    cursor.execute(f"SELECT line_number, reason FROM {prefix}_refused ORDER BY line_number")
    refused = cursor.fetchall()
    # ON COMMIT DROP does not fire inside an enclosing transaction (tests): drop them now.
    cursor.execute(f"DROP TABLE {prefix}_refused, {prefix}_changed")
    return accepted, refused


def unknown_person_step(prefix: str) -> str:
    """The step that refuses lines whose `pesel` names nobody the portal knows yet (staff run
    them again once the person exists). The PESEL stays out of the reason: the sync monitor
    lists reasons; only a line's own page shows its raw text."""
    return f"""
WITH gone AS (
    DELETE FROM {prefix}_staging s
    WHERE NOT EXISTS (SELECT 1 FROM accounts_person p WHERE p.pesel = s.pesel)
    RETURNING line_number
)
INSERT INTO {prefix}_refused
SELECT line_number, 'unknown_person: no person with this PESEL yet' FROM gone
"""
