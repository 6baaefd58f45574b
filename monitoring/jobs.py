"""The status checks' scheduled jobs: `checks` runs the due checks, `check_rollup` keeps the
hourly rollups and purges old results."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from radbill.jobs import Job, register


def checks_job(session: Session, on: dt.date) -> str:
    """Every 10 s (due times sit on a 10-second grid, so a check runs within its slot):
    `Job("checks", checks_job, "interval", {"seconds": 10})`."""
    from monitoring import checks
    return str(checks.run_due(session))


def rollup_job(session: Session, on: dt.date) -> str:
    """Hourly: `Job("check_rollup", rollup_job, "cron", {"minute": 7})`."""
    from monitoring import rollup
    return rollup.job(session)


register(Job("checks", checks_job, "interval", {"seconds": 10}),
         Job("check_rollup", rollup_job, "cron", {"minute": 7}))
