"""The staff domain's scheduled jobs (radbill/jobs.py runs them under an advisory lock)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.jobs import Job, register


def api_request_purge(session: Session, on: dt.date) -> str:
    """The REST API's request log is kept RADBILL_API_LOG_DAYS days; expired OAuth2 access
    tokens are removed (they no longer work anyway)."""
    days = settings.get().api_log_days
    logged = session.execute(sa.text(
        "DELETE FROM api_requests WHERE at < now() - make_interval(days => :days)"),
        {"days": days}).rowcount
    tokens = session.execute(sa.text("DELETE FROM api_tokens WHERE expires_at < now()")).rowcount
    return f"{logged} API requests older than {days} days and {tokens} expired tokens removed"


register(Job("api_request_purge", api_request_purge, "cron", {"hour": 3, "minute": 50}))
