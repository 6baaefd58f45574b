"""From radacct to usage: the daily rollup, closing stale sessions, and FUP cycle resets."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import lifecycle, settings
from radbill.models import JobState

# Days whose sessions changed since the watermark. A session's bytes count on the day it
# started (radacct keeps running totals, not per-day deltas). Sessions of usernames that are
# no customer's are not counted. A session changed since then is open (the open sessions'
# partial indexes: as many as are online) or stopped since (ix_radacct_stop): neither reads the
# years of closed sessions (issue 16: radacct at 10,000,000 rows), where one condition on
# greatest(start, update, stop) read all of radacct every run.
CHANGED_DAYS_SQL = """
SELECT DISTINCT CAST(acctstarttime AT TIME ZONE :tz AS date) FROM (
    SELECT acctstarttime, username FROM radacct
     WHERE acctstoptime IS NULL AND greatest(acctstarttime, acctupdatetime) > :since
    UNION ALL
    SELECT acctstarttime, username FROM radacct WHERE acctstoptime > :since
) r
WHERE username IS NOT NULL
"""

# The newest time radacct holds, by the same two paths
MARK_SQL = """
SELECT greatest((SELECT max(acctstoptime) FROM radacct),
                (SELECT max(greatest(acctstarttime, acctupdatetime)) FROM radacct
                  WHERE acctstoptime IS NULL))
"""

# Whole days recomputed from radacct, in the key's order (index inserts stay local).
AGGREGATE_SQL = """
INSERT INTO usage_daily (customer_id, day, bytes_in, bytes_out, session_time, sessions)
SELECT c.id, CAST(r.acctstarttime AT TIME ZONE :tz AS date) AS day,
       sum(coalesce(r.acctinputoctets, 0)), sum(coalesce(r.acctoutputoctets, 0)),
       sum(coalesce(r.acctsessiontime, 0)), count(*)
FROM radacct r
JOIN customers c ON lower(c.username) = lower(r.username)  -- NAS may change the case
WHERE r.username IS NOT NULL AND r.acctstarttime IS NOT NULL
  AND (CAST(:days AS date[]) IS NULL      -- everything
       OR r.acctstarttime >= :lo AND r.acctstarttime < :hi
          AND CAST(r.acctstarttime AT TIME ZONE :tz AS date) = ANY(CAST(:days AS date[])))
GROUP BY 1, 2
ORDER BY 1, 2
"""

# Upsert: running it again writes the same numbers (idempotent), and rows whose numbers did
# not change are not rewritten. Into an empty table a plain insert is cheaper.
UPSERT_SQL = AGGREGATE_SQL + """
ON CONFLICT (customer_id, day) DO UPDATE SET
    bytes_in = excluded.bytes_in, bytes_out = excluded.bytes_out,
    session_time = excluded.session_time, sessions = excluded.sessions
WHERE (usage_daily.bytes_in, usage_daily.bytes_out, usage_daily.session_time,
       usage_daily.sessions)
      IS DISTINCT FROM (excluded.bytes_in, excluded.bytes_out, excluded.session_time,
                        excluded.sessions)
"""

# Accounting that commits a little after our snapshot may carry a slightly older time.
OVERLAP = dt.timedelta(minutes=15)


def rollup(session: Session, now: dt.datetime | None = None) -> str:
    """Roll radacct up into usage_daily for every day touched since the last run."""
    tz = settings.get().time_zone
    state = session.get(JobState, "usage_rollup", with_for_update=True)
    if state is None:
        state = JobState(name="usage_rollup")
        session.add(state)
    since = state.watermark - OVERLAP if state.watermark else None
    mark = session.scalar(sa.text(MARK_SQL))
    # the first run aggregates all of radacct: keep the hash aggregate in memory
    session.execute(sa.text("SET LOCAL work_mem = '128MB'"))
    if since is None:
        empty = session.scalar(sa.text("SELECT NOT EXISTS (SELECT 1 FROM usage_daily)"))
        written = session.execute(sa.text(AGGREGATE_SQL if empty else UPSERT_SQL), {
            "tz": tz, "lo": None, "hi": None, "days": None}).rowcount
        state.watermark = mark
        return f"all days recomputed, {written} rows written"
    days = sorted(session.scalars(sa.text(CHANGED_DAYS_SQL), {"tz": tz, "since": since}))
    written = 0
    if days:
        zone = settings.get().tz
        lo = dt.datetime.combine(days[0], dt.time(), zone)
        hi = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), zone)
        written = session.execute(sa.text(UPSERT_SQL), {
            "tz": tz, "lo": lo, "hi": hi, "days": days}).rowcount
    state.watermark = mark or state.watermark
    return f"{len(days)} days recomputed, {written} rows written"


STALE_SQL = """
UPDATE radacct SET acctstoptime = coalesce(acctupdatetime, acctstarttime),
                   acctterminatecause = 'Stale-Session'
WHERE acctstoptime IS NULL
  AND coalesce(acctupdatetime, acctstarttime)
      < CAST(:now AS timestamptz)
        - make_interval(secs => 3 * coalesce(nullif(acctinterval, 0), :interval))
"""


def close_stale(session: Session, now: dt.datetime | None = None) -> str:
    """Close sessions with no interim update for three intervals (the NAS lost them): the
    stop time is the last time the NAS spoke of them."""
    now = now or dt.datetime.now(dt.timezone.utc)
    session.flush()
    n = session.execute(sa.text(STALE_SQL), {"now": now,
                                             "interval": settings.get().interim_interval}).rowcount
    return f"{n} stale sessions closed"


# A customer's cycle is a month when billed monthly, else the package's validity. A monthly
# cycle is anchored on a day of the month (cycle_day, else cycle_start's day): it starts on that
# day, or on the last day of a month too short for it, so a cycle from the 31st starts on 28
# February and on 31 March. `radbill_month_day` gives this month's start; before it, last month's.
FUP_RESET_SQL = """
WITH base AS (
    SELECT c.*, coalesce(c.cycle_day, CAST(extract(day FROM c.cycle_start) AS int)) AS anchor,
           CAST(date_trunc('month', CAST(:today AS date)) AS date) AS month1
    FROM customers c
    WHERE c.deleted_at IS NULL AND c.cycle_start < CAST(:today AS date)
), due AS (
    SELECT c.id, c.username, c.status AS old_status, c.anchor,
           CASE WHEN bp.term = 'monthly'
                THEN CASE WHEN radbill_month_day(c.month1, c.anchor) <= CAST(:today AS date)
                          THEN radbill_month_day(c.month1, c.anchor)
                          ELSE radbill_month_day(CAST(c.month1 - interval '1 month' AS date), c.anchor)
                     END
                ELSE c.cycle_start + ((CAST(:today AS date) - c.cycle_start) / p.validity_days)
                                     * p.validity_days
           END AS new_start
    FROM base c
    JOIN packages p ON p.id = c.package_id
    LEFT JOIN billing_profiles bp ON bp.id = c.billing_profile_id
), upd AS (
    UPDATE customers c SET cycle_start = due.new_start, updated_at = now(),
                           cycle_day = coalesce(c.cycle_day, due.anchor)
    FROM due WHERE c.id = due.id AND due.new_start > c.cycle_start
    RETURNING c.id, c.status
)
SELECT id, status FROM upd
"""


def fup_reset(session: Session, today: dt.date) -> str:
    """Start a new usage cycle for every customer whose cycle ended: counters start from zero
    (a new usage_counters key) and throttled ones get their speed back (the lifecycle's
    fup -> active, whose event's Disconnect makes them dial in at full speed)."""
    session.flush()
    rows = session.execute(sa.text(FUP_RESET_SQL), {"today": today}).all()
    restored = lifecycle.apply(session, [r.id for r in rows if r.status == "fup"], "active",
                               "new_cycle", lifecycle.Actor("scheduler", "job.fup_reset"))
    cycles, restored = len(rows), len(restored)
    return f"{cycles} cycles started, {restored} customers back from FUP"
