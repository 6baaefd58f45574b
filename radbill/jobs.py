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

JOB_MODULES = ("rating.jobs", "provisioning.jobs")


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
    log.info("%s: %s", name, result)
    return result
