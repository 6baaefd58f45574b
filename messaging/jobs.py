"""Messaging's scheduled jobs (radbill/jobs.py runs them under an advisory lock)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from messaging import charging
from radbill.jobs import Job, register


def message_charge(session: Session, on: dt.date) -> str:
    return charging.charge(session)


def otp_purge(session: Session, on: dt.date) -> str:
    """One-time codes are kept a day (for the rate limits), then removed."""
    n = session.execute(sa.text(
        "DELETE FROM otp_codes WHERE created_at < now() - interval '1 day'")).rowcount
    return f"{n} old one-time codes removed"


register(
    Job("message_charge", message_charge, "cron", {"hour": "*/6", "minute": 15}),
    Job("otp_purge", otp_purge, "cron", {"hour": 3, "minute": 40}),
)
