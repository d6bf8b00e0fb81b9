"""Apply stored insurance events, set-based, and recompute access only for the people touched.

The derivation is a function of the *set* of stored events, never of their arrival order:
- a registration's coverage ends at the earliest deregistration of the same pair dated on or
  after its start (guardianship.rules.period_end); an own title likewise;
- an event named by an effective `event_cancelled` counts as never sent, whenever either
  arrives. A cancellation is effective when no effective cancellation names it, at any depth
  (guardianship.rules.void_cancellations): c2 naming c1 naming registration r restores r; c3
  naming c2 cancels r again. A cancellation on a ring (c1 names c2 and c2 names c1, or longer;
  only possible with ids chosen so) is void, whatever else names it: a ring leads to no
  registration, deregistration or title, so that choice changes no coverage or title;
- a cancellation whose target has not arrived yet stays pending (and shows on the sync monitor).

Then, for the children touched, the automatic guardian today is computed in SQL by the rule of
guardianship.rules.automatic_guardian (a property test holds the two equal) and compared with
the last one recorded: gains and losses become AccessNotice rows, sent by a Celery task.
Everything runs under one advisory lock, so two ingests never apply at the same time.
"""

from datetime import date

from django.db import connection, transaction

from guardianship import policy, rules, tasks
from ikp.history import history_context_ensure
from ikp.tasks import enqueue_on_commit

APPLY_LOCK = 4_711_001  # pg_advisory_xact_lock key for applying insurance events
ANALYZE_AFTER = 10_000  # events applied at once from which table statistics are refreshed first

APPLYING_DDL = """
CREATE TEMP TABLE applying (id bigint, event_id text COLLATE "C", type text, insured_pesel text COLLATE "C",
                            person_pesel text COLLATE "C", title text COLLATE "C",
                            cancels_event_id text COLLATE "C") ON COMMIT DROP
"""

# Events left waiting by an earlier run: stored without applying, or a cancellation whose
# target has arrived since.
_CLAIM_PENDING = """
INSERT INTO applying
SELECT e.id, e.event_id, e.type, e.insured_pesel, e.person_pesel, e.title, e.cancels_event_id
FROM guardianship_insuranceevent e
WHERE e.applied_at IS NULL
  AND (e.type <> 'event_cancelled'
       OR EXISTS (SELECT 1 FROM guardianship_insuranceevent t WHERE t.event_id = e.cancels_event_id))
"""


def _touched(named: str) -> str:
    """The pairs and title holders whose derived rows may change: those of the events applied
    now and of the events their cancellations lead to. `named` is a relation of the ids those
    cancellations name (with `event_id`)."""
    return f"""
CREATE TEMP TABLE touched_pair ON COMMIT DROP AS
SELECT DISTINCT insured_pesel, person_pesel FROM (
    SELECT insured_pesel, person_pesel FROM applying
    WHERE type IN ('family_member_registered', 'family_member_deregistered')
    UNION ALL
    SELECT t.insured_pesel, t.person_pesel FROM {named} n
    JOIN guardianship_insuranceevent t ON t.event_id = n.event_id
    WHERE t.type IN ('family_member_registered', 'family_member_deregistered')
) pairs;
CREATE TEMP TABLE touched_title ON COMMIT DROP AS
SELECT DISTINCT person_pesel, title FROM (
    SELECT person_pesel, title FROM applying WHERE type IN ('own_title_started', 'own_title_ended')
    UNION ALL
    SELECT t.person_pesel, t.title FROM {named} n
    JOIN guardianship_insuranceevent t ON t.event_id = n.event_id
    WHERE t.type IN ('own_title_started', 'own_title_ended')
) titles;
ANALYZE touched_pair;
ANALYZE touched_title;
"""


# No cancellation names a cancellation (the common case): what the ones applied now name is all.
_TOUCHED = _touched(
    "(SELECT cancels_event_id AS event_id FROM applying WHERE type = 'event_cancelled')"
)

# Some cancellation names a cancellation: follow each chain down to the registration,
# deregistration or title it ends at (whose liveness the chain decides), through the small
# `cancellation_link` table only. UNION, not UNION ALL: on a ring the walk meets only ids it
# has already seen, and stops.
_TOUCHED_THROUGH_CHAINS = _touched("""(
    WITH RECURSIVE named (event_id) AS (
        SELECT cancels_event_id FROM applying WHERE type = 'event_cancelled'
        UNION
        SELECT l.cancels_event_id FROM named JOIN cancellation_link l ON l.event_id = named.event_id)
    SELECT event_id FROM named)""")

# `cancels_event_id <> ''` lets PostgreSQL use the partial index insevent_cancels: without it
# each lookup may scan every event (quadratic on a large first load, before ANALYZE has run).
_LIVE = """NOT EXISTS (SELECT 1 FROM guardianship_insuranceevent c
                       WHERE c.cancels_event_id = {e}.event_id AND c.cancels_event_id <> ''
                         AND c.type = 'event_cancelled')"""
# When some cancellation is void (only when one names a cancellation): void ones do not count.
_LIVE_UNLESS_VOID = """NOT EXISTS (SELECT 1 FROM guardianship_insuranceevent c
                       WHERE c.cancels_event_id = {e}.event_id AND c.cancels_event_id <> ''
                         AND c.type = 'event_cancelled'
                         AND NOT EXISTS (SELECT 1 FROM cancellation_link v
                                         WHERE v.event_id = c.event_id AND v.void))"""

# Every cancellation that names a cancellation, the one it names and what that one names:
# the links of all chains and rings (with `cancels_event_id <> ''`, the partial index
# insevent_cancels lists the cancellations, a small share of the events).
_CANCELLATION_LINKS = """
SELECT c.event_id, c.cancels_event_id, t.cancels_event_id
FROM guardianship_insuranceevent c
JOIN guardianship_insuranceevent t ON t.event_id = c.cancels_event_id
WHERE c.type = 'event_cancelled' AND c.cancels_event_id <> '' AND t.type = 'event_cancelled'
"""

_CANCELLATION_LINK_DDL = """
CREATE TEMP TABLE cancellation_link (event_id text COLLATE "C" PRIMARY KEY,
                                     cancels_event_id text COLLATE "C", void boolean) ON COMMIT DROP
"""

# Each registration ends at the earliest live deregistration of its pair dated on or after its
# start (rules.period_end): one sort per pair, registrations before deregistrations of the
# same day, and the running minimum of the deregistration dates from that row onwards.
_DERIVE_COVERAGE = f"""
CREATE TEMP TABLE derived_coverage ON COMMIT DROP AS
SELECT r.event_id, insured.id AS insured_id, member.id AS member_id, r.valid_from, r.reported_on, r.valid_to
FROM (
    SELECT e.event_id, e.type, e.insured_pesel, e.person_pesel, e.valid_from, e.reported_on,
           min(e.valid_to) OVER (
               PARTITION BY e.insured_pesel, e.person_pesel
               ORDER BY coalesce(e.valid_from, e.valid_to), e.type = 'family_member_deregistered'
               ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS valid_to
    FROM touched_pair tp
    JOIN guardianship_insuranceevent e
      ON e.person_pesel = tp.person_pesel AND e.insured_pesel = tp.insured_pesel
    WHERE e.type IN ('family_member_registered', 'family_member_deregistered') AND {_LIVE.format(e="e")}
) r
JOIN accounts_person insured ON insured.pesel = r.insured_pesel
JOIN accounts_person member ON member.pesel = r.person_pesel
WHERE r.type = 'family_member_registered';
-- Indexed: the DELETE below probes it per coverage row whenever the planner misjudges the
-- pair join as one row (it does: insured and member are estimated independently), and
-- without an index each probe reads the whole table (minutes for 50,000 coverages).
CREATE INDEX ON derived_coverage (event_id);
ANALYZE derived_coverage;

INSERT INTO guardianship_coverage (registration_event_id, insured_id, member_id, valid_from, valid_to, reported_on)
SELECT event_id, insured_id, member_id, valid_from, valid_to, reported_on FROM derived_coverage
ON CONFLICT (registration_event_id) DO UPDATE SET valid_to = EXCLUDED.valid_to
WHERE guardianship_coverage.valid_to IS DISTINCT FROM EXCLUDED.valid_to;

DELETE FROM guardianship_coverage c
USING touched_pair tp, accounts_person insured, accounts_person member
WHERE c.insured_id = insured.id AND c.member_id = member.id
  AND insured.pesel = tp.insured_pesel AND member.pesel = tp.person_pesel
  AND NOT EXISTS (SELECT 1 FROM derived_coverage d WHERE d.event_id = c.registration_event_id);
"""

_DERIVE_TITLES = f"""
CREATE TEMP TABLE derived_title ON COMMIT DROP AS
SELECT event_id, person_pesel, title, valid_from, valid_to FROM (
    SELECT e.event_id, e.type, e.person_pesel, e.title, e.valid_from,
           min(e.valid_to) OVER (
               PARTITION BY e.person_pesel, e.title
               ORDER BY coalesce(e.valid_from, e.valid_to), e.type = 'own_title_ended'
               ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS valid_to
    FROM touched_title tt
    JOIN guardianship_insuranceevent e ON e.person_pesel = tt.person_pesel AND e.title = tt.title
    WHERE e.type IN ('own_title_started', 'own_title_ended') AND {_LIVE.format(e="e")}
) t
WHERE type = 'own_title_started';
CREATE INDEX ON derived_title (event_id);
ANALYZE derived_title;

INSERT INTO guardianship_owntitle (start_event_id, pesel, title, valid_from, valid_to)
SELECT event_id, person_pesel, title, valid_from, valid_to FROM derived_title
ON CONFLICT (start_event_id) DO UPDATE SET valid_to = EXCLUDED.valid_to
WHERE guardianship_owntitle.valid_to IS DISTINCT FROM EXCLUDED.valid_to;

DELETE FROM guardianship_owntitle o USING touched_title tt
WHERE o.pesel = tt.person_pesel AND o.title = tt.title
  AND NOT EXISTS (SELECT 1 FROM derived_title d WHERE d.event_id = o.start_event_id);
"""


def _unless_void(script: str) -> str:
    """`script` with its liveness test ignoring void cancellations; the common case keeps the
    plain test (and its plans) untouched."""
    live, unless_void = _LIVE.format(e="e"), _LIVE_UNLESS_VOID.format(e="e")
    if live not in script:
        raise ValueError("the script has no liveness test to replace")
    return script.replace(live, unless_void)


_DERIVE_COVERAGE_UNLESS_VOID = _unless_void(_DERIVE_COVERAGE)
_DERIVE_TITLES_UNLESS_VOID = _unless_void(_DERIVE_TITLES)

_SUBJECTS_OF_TOUCHED = """
CREATE TEMP TABLE touched_subject ON COMMIT DROP AS
SELECT p.id FROM accounts_person p WHERE p.pesel IN (
    SELECT person_pesel FROM touched_pair UNION SELECT person_pesel FROM touched_title);
"""

# Whether the person `{alias}.guardian_id` holds no live suspension of their link to
# `{alias}.subject_id` (policy: a suspended link gives no access).
_NOT_SUSPENDED = """NOT EXISTS (SELECT 1 FROM guardianship_linksuspension s
                   WHERE s.person_id = {alias}.guardian_id AND s.subject_id = {alias}.subject_id
                     AND s.lifted_at IS NULL)"""

# guardianship.rules.automatic_guardian, for every touched subject at once.
_RECOMPUTE = """
CREATE TEMP TABLE guardian_now ON COMMIT DROP AS
SELECT s.id AS subject_id,
       CASE WHEN s.birth_date + interval '18 years' <= %(today)s::date THEN NULL
            WHEN EXISTS (SELECT 1 FROM guardianship_owntitle t
                         WHERE t.pesel = s.pesel AND t.valid_from <= %(today)s
                           AND (t.valid_to IS NULL OR t.valid_to >= %(today)s)) THEN NULL
            ELSE (SELECT c.insured_id FROM guardianship_coverage c
                  WHERE c.member_id = s.id AND c.valid_from <= %(today)s
                    AND (c.valid_to IS NULL OR c.valid_to >= %(today)s)
                  ORDER BY c.valid_from DESC, c.reported_on DESC, c.registration_event_id COLLATE "C" DESC
                  LIMIT 1)
       END AS guardian_id
FROM touched_subject ts JOIN accounts_person s ON s.id = ts.id;

-- Notices follow access: a link suspended by its holder ("this is not my child") gives none,
-- so its holder is told nothing about that child (_NOT_SUSPENDED).
INSERT INTO guardianship_accessnotice (recipient_id, subject_id, kind, effective_on, created_at, outcome)
SELECT old.guardian_id, old.subject_id, 'lost', %(today)s, now(), ''
FROM guardianship_automaticguardian old JOIN guardian_now g USING (subject_id)
WHERE old.guardian_id IS NOT NULL AND old.guardian_id IS DISTINCT FROM g.guardian_id
  AND {not_suspended_old}
UNION ALL
SELECT g.guardian_id, g.subject_id, 'gained', %(today)s, now(), ''
FROM guardian_now g LEFT JOIN guardianship_automaticguardian old USING (subject_id)
WHERE g.guardian_id IS NOT NULL AND g.guardian_id IS DISTINCT FROM old.guardian_id
  AND {not_suspended_g}
ON CONFLICT DO NOTHING;

-- A coverage of today's guardian that ends on a known future day (a deregistration dated
-- ahead), with no coverage of the same person continuing after it: warn before it ends.
INSERT INTO guardianship_accessnotice (recipient_id, subject_id, kind, effective_on, created_at, outcome)
SELECT DISTINCT g.guardian_id, g.subject_id, 'ending', c.valid_to, now(), ''
FROM guardian_now g
JOIN guardianship_coverage c ON c.member_id = g.subject_id AND c.insured_id = g.guardian_id
WHERE c.valid_from <= %(today)s AND c.valid_to >= %(today)s AND {not_suspended_g}
  AND NOT EXISTS (SELECT 1 FROM guardianship_coverage later
                  WHERE later.member_id = c.member_id AND later.insured_id = c.insured_id
                    AND later.valid_from <= c.valid_to + 1
                    AND (later.valid_to IS NULL OR later.valid_to > c.valid_to))
ON CONFLICT DO NOTHING;

INSERT INTO guardianship_automaticguardian (subject_id, guardian_id, computed_on)
SELECT subject_id, guardian_id, %(today)s FROM guardian_now
ON CONFLICT (subject_id) DO UPDATE SET guardian_id = EXCLUDED.guardian_id, computed_on = EXCLUDED.computed_on;
""".format(
    not_suspended_old=_NOT_SUSPENDED.format(alias="old"),
    not_suspended_g=_NOT_SUSPENDED.format(alias="g"),
)

_MARK_APPLIED = """
UPDATE guardianship_insuranceevent e SET applied_at = now() FROM applying a
WHERE e.id = a.id AND e.applied_at IS NULL
  AND (e.type <> 'event_cancelled'
       OR EXISTS (SELECT 1 FROM guardianship_insuranceevent t WHERE t.event_id = e.cancels_event_id))
"""


def _run(cursor, script: str, params: dict | None = None) -> None:
    """Run a script of statements separated by ";" at line ends, one execute each (so that
    each gets planned with the statistics the previous ones left)."""
    for statement in script.split(";\n"):
        if statement.strip():
            cursor.execute(statement, params)


def insurance_apply_pending(*, today: date) -> int:
    """Apply every stored event still waiting; return how many were applied."""
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(APPLYING_DDL)
        return apply_events(cursor, today=today)


def apply_events(cursor, *, today: date) -> int:
    """Inside the caller's transaction: apply the events in the temp table `applying` (filled
    by the caller, e.g. the feed's store step) plus every event still waiting, then recompute
    the children they touch. Serialised by an advisory lock."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPLY_LOCK])
    history_context_ensure(cursor, job="insurance_apply")
    cursor.execute(_CLAIM_PENDING)
    cursor.execute(
        "SELECT count(*) FROM applying a WHERE a.type <> 'event_cancelled' OR EXISTS (SELECT 1 FROM guardianship_insuranceevent t WHERE t.event_id = a.cancels_event_id)"
    )
    (count,) = cursor.fetchone()
    if count:
        cursor.execute("ANALYZE applying")
        if count >= ANALYZE_AFTER:
            # A large load inside one transaction: without fresh statistics the planner still
            # believes the tables hold what they held before and picks nested scans.
            cursor.execute("ANALYZE guardianship_insuranceevent")
            cursor.execute("ANALYZE accounts_person")
        chains = _cancellation_links(cursor)
        _run(cursor, _TOUCHED_THROUGH_CHAINS if chains else _TOUCHED)
        _run(cursor, _DERIVE_COVERAGE_UNLESS_VOID if chains else _DERIVE_COVERAGE)
        _run(cursor, _DERIVE_TITLES_UNLESS_VOID if chains else _DERIVE_TITLES)
        if count >= ANALYZE_AFTER:
            cursor.execute("ANALYZE guardianship_coverage")
            cursor.execute("ANALYZE guardianship_owntitle")
        _run(cursor, _SUBJECTS_OF_TOUCHED)
        _recompute(cursor, today)
        cursor.execute(_MARK_APPLIED)
        for table in ("touched_pair", "touched_title", "derived_coverage", "derived_title"):
            cursor.execute(f"DROP TABLE {table}")
        if chains:
            cursor.execute("DROP TABLE cancellation_link")
        enqueue_on_commit(tasks.send_access_notices)
    cursor.execute("DROP TABLE applying")
    return count


def _cancellation_links(cursor) -> bool:
    """Whether some stored cancellation names a cancellation; if so, fill the temp table
    `cancellation_link` with every cancellation of those chains and rings, what it names and
    whether it is void (rules.void_cancellations). Over all stored events, not only those
    applied now, so that the answer stays a function of the set of events. Such chains are
    rare and small: deciding them in Python costs one query when there are none."""
    cursor.execute(_CANCELLATION_LINKS)
    rows = cursor.fetchall()
    if not rows:
        return False
    names: dict[str, str] = {}
    for canceller, named, named_by_named in rows:
        names[canceller] = named
        names[named] = named_by_named
    void = rules.void_cancellations(names)
    cursor.execute(_CANCELLATION_LINK_DDL)
    # One statement (pghistory's context injection does not take executemany's params).
    cursor.execute(
        "INSERT INTO cancellation_link SELECT * FROM unnest(%s::text[], %s::text[], %s::boolean[])",
        [list(names), list(names.values()), [event_id in void for event_id in names]],
    )
    cursor.execute("ANALYZE cancellation_link")
    return True


def _recompute(cursor, today: date) -> None:
    """Recompute the automatic guardian of the subjects in `touched_subject`; record notices."""
    history_context_ensure(cursor, job="guardianship_recompute")
    cursor.execute("ANALYZE touched_subject")
    _run(cursor, _RECOMPUTE, {"today": today})
    cursor.execute("DROP TABLE guardian_now")
    cursor.execute("DROP TABLE touched_subject")


# Date-driven changes: a coverage or title that starts today or ended yesterday, an 18th
# birthday today; and guardians to tell a month before the 18th birthday.
_DUE_TODAY = """
CREATE TEMP TABLE touched_subject ON COMMIT DROP AS
SELECT member_id AS id FROM guardianship_coverage
WHERE valid_from = %(today)s OR valid_to = %(today)s::date - 1
UNION
SELECT p.id FROM guardianship_owntitle t JOIN accounts_person p ON p.pesel = t.pesel
WHERE t.valid_from = %(today)s OR t.valid_to = %(today)s::date - 1
UNION
SELECT subject_id FROM guardianship_automaticguardian g JOIN accounts_person p ON p.id = g.subject_id
WHERE g.guardian_id IS NOT NULL AND p.birth_date + interval '18 years' <= %(today)s
"""

# A month before the 18th birthday, everyone with access to the child is told that it ends:
# the automatic guardian (unless they suspended that link) and the holders of live child grants
# whose surname names them (policy.surnames_match, in Python: a grant whose PESEL belongs to
# someone of another surname gives no access, so its "grantee" must not learn of the child).
_TURNING_ADULT_WINDOW = """p.birth_date + interval '18 years' - interval '1 month' <= %(today)s
  AND p.birth_date + interval '18 years' > %(today)s"""

_TURNING_ADULT_GUARDIANS = f"""
INSERT INTO guardianship_accessnotice (recipient_id, subject_id, kind, effective_on, created_at, outcome)
SELECT g.guardian_id, g.subject_id, 'turning_adult', (p.birth_date + interval '18 years')::date, now(), ''
FROM guardianship_automaticguardian g JOIN accounts_person p ON p.id = g.subject_id
WHERE g.guardian_id IS NOT NULL AND {_NOT_SUSPENDED.format(alias="g")} AND {_TURNING_ADULT_WINDOW}
ON CONFLICT DO NOTHING
"""

_TURNING_ADULT_GRANT_HOLDERS = f"""
SELECT DISTINCT grantee.id, p.id, (p.birth_date + interval '18 years')::date, a.grantee_surname, grantee.surname
FROM guardianship_accessgrant a
JOIN accounts_person p ON p.id = a.subject_id
JOIN accounts_person grantee ON grantee.pesel = a.grantee_pesel
WHERE a.kind = 'child' AND a.revoked_at IS NULL
  AND (a.valid_until IS NULL OR a.valid_until > %(today)s) AND {_TURNING_ADULT_WINDOW}
"""

_NOTICES_FROM_ARRAYS = """
INSERT INTO guardianship_accessnotice (recipient_id, subject_id, kind, effective_on, created_at, outcome)
SELECT recipient_id, subject_id, %(kind)s, effective_on, now(), ''
FROM unnest(%(recipients)s::bigint[], %(subjects)s::bigint[], %(days)s::date[])
     AS n(recipient_id, subject_id, effective_on)
ON CONFLICT DO NOTHING
"""


def _turning_adult(cursor, today: date) -> None:
    cursor.execute(_TURNING_ADULT_GUARDIANS, {"today": today})
    cursor.execute(_TURNING_ADULT_GRANT_HOLDERS, {"today": today})
    holders = [row[:3] for row in cursor.fetchall() if policy.surnames_match(row[3], row[4])]
    if holders:
        # One statement with arrays (pghistory's context injection does not take executemany).
        recipients, subjects, days = (list(column) for column in zip(*holders, strict=True))
        cursor.execute(
            _NOTICES_FROM_ARRAYS,
            {"kind": "turning_adult", "recipients": recipients, "subjects": subjects, "days": days},
        )


def guardianship_daily(*, today: date) -> None:
    """Recompute the children whose access changes today by the calendar; queue the notices."""
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPLY_LOCK])
        cursor.execute(_DUE_TODAY, {"today": today})
        _recompute(cursor, today)
        _turning_adult(cursor, today)
        enqueue_on_commit(tasks.send_access_notices)


def recompute_subjects(*, subject_ids: list[int], today: date) -> None:
    """Recompute given children inside the caller's transaction (support's "re-run the sync"
    for a person writes its audit rows in the same one): apply what is still pending, then
    recompute these subjects, queueing the notices on commit."""
    with connection.cursor() as cursor:
        cursor.execute(APPLYING_DDL)
        apply_events(cursor, today=today)
        cursor.execute("CREATE TEMP TABLE touched_subject (id bigint) ON COMMIT DROP")
        # One statement (pghistory's context injection does not take executemany's params).
        cursor.execute("INSERT INTO touched_subject SELECT unnest(%s::bigint[])", [subject_ids])
        _recompute(cursor, today)
        enqueue_on_commit(tasks.send_access_notices)
