"""What the public status page shows (admin/status_page.py draws it): the public checks by
component with their uptime over 24 h, 7 d and 90 d (from the hourly rollups), hourly and daily
bars, average response; open and recent incidents of public checks; public announcements.

One call is one round of five queries; the page caches the result in the process.
"""
from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.crud import first_root
from radbill.models import Announcement, Check, CheckHourly, Incident, Operator

DAYS = 90
RECENT_DAYS = 7


@dataclass
class Bar:
    label: str  # the hour or the day
    uptime: float | None  # percent; None: no runs


@dataclass
class Component:
    name: str
    check_id: int
    state: str
    uptime: dict[str, float | None]  # "24h", "7d", "90d"
    avg_ms: int | None
    hours: list[Bar] = field(default_factory=list)
    days: list[Bar] = field(default_factory=list)


def _pct(ups: int, runs: int) -> float | None:
    return round(100.0 * ups / runs, 2) if runs else None


def snapshot(session: Session, now: dt.datetime, tz: dt.tzinfo) -> dict:
    # the page is the install's ISP's (its first group's tree): another tenant's public checks
    # and announcements are no news to these customers (issue 19)
    root = first_root(session)
    ours = sa.select(Operator.id).where(Operator.path.startswith(root.path if root else "/-/"))
    checks = session.execute(
        sa.select(Check.id, Check.name, Check.component, Check.state)
        .where(Check.public, Check.enabled, Check.operator_id.in_(ours))
        .order_by(Check.component, Check.name, Check.id)).all()
    ids = [c.id for c in checks]
    hour0 = now.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    first_hour = hour0 - dt.timedelta(hours=23)
    today = now.astimezone(tz).date()
    first_day = today - dt.timedelta(days=DAYS - 1)
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=tz)
    hourly: dict[int, dict[dt.datetime, tuple[int, int, int, int]]] = defaultdict(dict)
    if ids:
        for r in session.execute(
                sa.select(CheckHourly.check_id, CheckHourly.hour, CheckHourly.ups,
                          CheckHourly.runs, CheckHourly.ms_sum, CheckHourly.ms_count)
                .where(CheckHourly.check_id.in_(ids), CheckHourly.hour >= start)):
            hourly[r.check_id][r.hour] = (r.ups, r.runs, r.ms_sum, r.ms_count)
    groups: dict[str, list[Component]] = {}
    for c in checks:
        rows = hourly.get(c.id, {})
        day_sum: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
        for hour, (ups, runs, _s, _n) in rows.items():
            d = hour.astimezone(tz).date()
            day_sum[d][0] += ups
            day_sum[d][1] += runs

        def window(since: dt.datetime):
            sel = [v for h, v in rows.items() if h >= since]
            return (sum(v[0] for v in sel), sum(v[1] for v in sel),
                    sum(v[2] for v in sel), sum(v[3] for v in sel))
        u24, r24, ms24, n24 = window(first_hour)
        u7, r7, *_ = window(now - dt.timedelta(days=7))
        u90, r90, *_ = window(start)
        comp = Component(
            name=c.name, check_id=c.id, state=c.state,
            uptime={"24h": _pct(u24, r24), "7d": _pct(u7, r7), "90d": _pct(u90, r90)},
            avg_ms=int(ms24 / n24) if n24 else None)
        for i in range(24):
            h = first_hour + dt.timedelta(hours=i)
            ups, runs, *_ = rows.get(h, (0, 0, 0, 0))
            comp.hours.append(Bar(h.astimezone(tz).strftime("%H:00"), _pct(ups, runs)))
        for i in range(DAYS):
            d = first_day + dt.timedelta(days=i)
            ups, runs = day_sum.get(d, (0, 0))
            comp.days.append(Bar(d.isoformat(), _pct(ups, runs)))
        groups.setdefault(c.component or "", []).append(comp)
    names = {c.id: c.name for c in checks}
    incidents = []
    if ids:
        incidents = [{"check": names[i.check_id], "opened_at": i.opened_at,
                      "resolved_at": i.resolved_at, "duration_seconds": i.duration_seconds,
                      "acked": i.acked_at is not None}
                     for i in session.scalars(
                         sa.select(Incident).where(
                             Incident.check_id.in_(ids),
                             sa.or_(Incident.resolved_at.is_(None),
                                    Incident.resolved_at >= now - dt.timedelta(days=RECENT_DAYS)))
                         .order_by(Incident.opened_at.desc()).limit(20))]
    news = [{"title": a.title, "body": a.body, "starts_at": a.starts_at, "ends_at": a.ends_at}
            for a in session.scalars(
                sa.select(Announcement).where(
                    Announcement.public, Announcement.operator_id.in_(ours),
                    sa.or_(Announcement.ends_at >= now,
                           sa.and_(Announcement.ends_at.is_(None),
                                   Announcement.created_at >= now - dt.timedelta(days=14))))
                .order_by(sa.func.coalesce(Announcement.starts_at, Announcement.created_at))
                .limit(10))]
    logo = None
    if root is not None and root.logo and root.logo_type:
        logo = f"data:{root.logo_type};base64,{base64.b64encode(root.logo).decode()}"
    return {"groups": groups, "incidents": incidents, "announcements": news, "logo": logo,
            "now": now, "open": sum(1 for i in incidents if i["resolved_at"] is None)}
