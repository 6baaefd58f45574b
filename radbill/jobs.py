"""The scheduled-job registry. Each domain registers its jobs; `run` executes one in a single
transaction under a PostgreSQL advisory lock, so two schedulers never run the same job at once.
Every job is idempotent, so running it again later is harmless."""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import logging
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill import db, settings
from radbill.models import JobState

log = logging.getLogger("radbill.jobs")

JOB_MODULES = ("rating.jobs", "provisioning.jobs", "messaging.jobs",
               "rating.package_change",  # issue 14: the package_changes job
               "staff.jobs", "radbill.backup")  # issue 15: api_request_purge; 16: backup


@dataclass(frozen=True)
class Job:
    name: str
    body: Callable[[Session, dt.date], str]
    trigger: str  # apscheduler trigger name
    when: dict


JOBS: dict[str, Job] = {}


def register(*jobs: Job) -> None:
    for job in jobs:
        JOBS[job.name] = job


def load_all() -> dict[str, Job]:
    for module in JOB_MODULES:
        importlib.import_module(module)
    return JOBS


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key per job."""
    return int.from_bytes(hashlib.sha256(f"radbill.job.{name}".encode()).digest()[:8], "big",
                          signed=True)


def run(name: str, on: dt.date | None = None, url: str | None = None) -> str | None:
    """Run job `name` in one transaction under its advisory lock; None if another holds it."""
    job = load_all()[name]
    on = on or dt.datetime.now(settings.get().tz).date()
    try:
        with db.session_scope(url) as session:
            if not session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(lock_key(name)))):
                log.info("%s: skipped, another scheduler is running it", name)
                return None
            session.execute(insert(JobState).values(name=name, last_started_at=sa.func.now())
                            .on_conflict_do_update(index_elements=["name"],
                                                   set_={"last_started_at": sa.func.now()}))
            result = job.body(session, on)
            session.execute(sa.update(JobState).where(JobState.name == name).values(
                last_finished_at=sa.func.now(), last_result=result))
    except Exception as exc:
        failed(name, exc, url)
        raise
    log.info("%s: %s", name, result)
    return result


def failed(name: str, exc: Exception, url: str | None = None) -> None:
    """Tell the staff in a transaction of its own (the job's own rolled back)."""
    try:
        with db.session_scope(url) as session:
            record_failure(session, name, exc)
    except Exception:  # the database itself may be why the job failed
        log.exception("%s: could not record the failure", name)


def record_failure(session: Session, name: str, exc: Exception) -> int | None:
    """A job.failed event (its `alert` route tells the staff), once an hour per job."""
    from radbill import events
    hour = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H")
    return events.emit(session, "job.failed", actor="scheduler", func=f"job.{name}",
                       dedupe_key=f"job.failed:{name}:{hour}", job=name,
                       error=f"{type(exc).__name__}: {exc}"[:500])
