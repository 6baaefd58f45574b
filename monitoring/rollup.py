"""Hourly rollups of check results (kept a year) and the purge of raw results (35 days).

A rollup row is recomputed from the raw results of its hour and written over the old one, so
running it again (a pass, the hourly `check_rollup` job, a job taken over after a crash) gives
the same rows. Hours are UTC hours (date_trunc in UTC, so a +05:30 zone changes nothing).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

RAW_DAYS = 35
HOURLY_DAYS = 366
REDO_HOURS = 3  # complete hours the job recomputes for every check (late results, a crash)

_UPSERT = sa.text("""
    INSERT INTO check_hourly (check_id, hour, runs, ups, ms_sum, ms_count)
    SELECT check_id, date_trunc('hour', at, 'UTC'), count(*), count(*) FILTER (WHERE ok),
           coalesce(sum(ms) FILTER (WHERE ok), 0), count(ms) FILTER (WHERE ok)
      FROM check_results
     WHERE at >= :start AND at < :end AND (CAST(:all AS boolean) OR check_id = ANY(:ids))
     GROUP BY 1, 2
    ON CONFLICT (check_id, hour) DO UPDATE
       SET runs = excluded.runs, ups = excluded.ups, ms_sum = excluded.ms_sum,
           ms_count = excluded.ms_count
""")


def hour_of(at: dt.datetime) -> dt.datetime:
    at = at.astimezone(dt.timezone.utc)
    return at.replace(minute=0, second=0, microsecond=0)


def hours(session: Session, ids: list[int] | None, first: dt.datetime,
          last: dt.datetime) -> None:
    """Recompute the rollups of the hours from `first`'s to `last`'s (ids: those checks,
    None: every check)."""
    start, end = hour_of(first), hour_of(last) + dt.timedelta(hours=1)
    session.execute(_UPSERT, {"start": start, "end": end, "all": ids is None,
                              "ids": list(ids or [])})


def job(session: Session, now: dt.datetime | None = None) -> str:
    """The hourly step: recompute the last REDO_HOURS hours for every check, purge old rows."""
    now = now or session.scalar(sa.select(sa.func.now()))
    hours(session, None, now - dt.timedelta(hours=REDO_HOURS), now)
    raw = session.execute(sa.text("DELETE FROM check_results WHERE at < :t"),
                          {"t": now - dt.timedelta(days=RAW_DAYS)}).rowcount
    old = session.execute(sa.text("DELETE FROM check_hourly WHERE hour < :t"),
                          {"t": now - dt.timedelta(days=HOURLY_DAYS)}).rowcount
    return f"rolled up {REDO_HOURS} h, purged {raw} results and {old} hourly rows"
