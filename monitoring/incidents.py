"""What a check's run means: its state, and incidents opened, resolved and alerted.

An incident opens when a check has failed `failures` runs in a row (one open incident per
check: a unique index) and resolves at the first run that passes, with its duration. Staff are
told through the event stream (incident.opened / incident.resolved, `alert` route: the
operator's chain's Telegram chats, messaging/compose.alert).

Flap suppression: a check that opens an incident again within FLAP_MINUTES of its last resolve
is flapping; its incident.opened carries alert=false (no message). If it is still down
FLAP_MINUTES after it opened, incident.still_down tells the staff once (`alerted_at`); a
resolve is told only when the opening was (so a flapping link costs at most one pair of
messages per FLAP_MINUTES, and a real outage is never silent for longer than that).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import events
from radbill.models import Check, Incident

FLAP_MINUTES = 15
FUNC = "job.checks"


def _payload(check: Check) -> dict:
    return {"check_id": check.id, "name": check.name, "target": check.target,
            "component": check.component or None}


def passed(session: Session, check: Check, now: dt.datetime) -> None:
    """A run that passed: the check is up; its open incident (if any) resolves."""
    check.streak, check.state = 0, "up"
    inc = session.scalar(sa.select(Incident).where(Incident.check_id == check.id,
                                                   Incident.resolved_at.is_(None)))
    if inc is None:
        return
    inc.resolved_at = max(now, inc.opened_at)
    inc.duration_seconds = int((inc.resolved_at - inc.opened_at).total_seconds())
    events.emit(session, "incident.resolved", operator_id=check.operator_id, actor="scheduler",
                func=FUNC, incident_id=inc.id, duration_seconds=inc.duration_seconds,
                alert=inc.alerted_at is not None, **_payload(check))


def failed(session: Session, check: Check, error: str, now: dt.datetime) -> None:
    """A run that failed: after `failures` in a row the check is down and an incident opens."""
    check.streak += 1
    if check.streak < check.failures:
        return
    check.state = "down"
    if session.scalar(sa.select(Incident.id).where(Incident.check_id == check.id,
                                                   Incident.resolved_at.is_(None))):
        return
    flapping = session.scalar(sa.select(sa.func.count()).where(
        Incident.check_id == check.id,
        Incident.resolved_at > now - dt.timedelta(minutes=FLAP_MINUTES))) > 0
    inc = Incident(check_id=check.id, operator_id=check.operator_id, opened_at=now,
                   cause=error or "", alerted_at=None if flapping else now)
    session.add(inc)
    session.flush()
    events.emit(session, "incident.opened", operator_id=check.operator_id, actor="scheduler",
                func=FUNC, incident_id=inc.id, error=error or "", alert=not flapping,
                flapping=flapping or None, **_payload(check))


def late_alerts(session: Session, now: dt.datetime) -> int:
    """Tell staff of flapping checks still down FLAP_MINUTES after their incident opened."""
    due = session.execute(
        sa.select(Incident, Check).join(Check, Check.id == Incident.check_id)
        .where(Incident.resolved_at.is_(None), Incident.alerted_at.is_(None),
               Incident.opened_at <= now - dt.timedelta(minutes=FLAP_MINUTES))
        .with_for_update(of=Incident, skip_locked=True)).all()
    for inc, check in due:
        inc.alerted_at = now
        events.emit(session, "incident.still_down", operator_id=check.operator_id,
                    actor="scheduler", func=FUNC, dedupe_key=f"incident.still_down:{inc.id}",
                    incident_id=inc.id, error=check.last_error or inc.cause,
                    since=inc.opened_at, **_payload(check))
    return len(due)
