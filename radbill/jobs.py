"""The scheduled-job registry. Each domain registers its jobs; `run` executes one in a single
transaction under a PostgreSQL advisory lock, so two schedulers never run the same job at once,
and a scheduled firing (its `slot`: the time the trigger fired, the same on every scheduler)
runs once however many schedulers fire it. Every job is idempotent, so running it again later
is harmless."""
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
               "staff.jobs", "radbill.backup",  # issue 15: api_request_purge; 16: backup
               "radbill.archive",  # issue 16: radacct_partitions
               "monitoring.jobs",  # issue 18: checks, check_rollup
               "monitoring.noc_jobs",  # issue 18: zabbix_sync, radio_poll
               "rating.books",  # issue 19: yearly_summary
               "rating.operator_billing")  # issue 19: operator_billing


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


def schedule(job: Job, text: str | None = None) -> tuple[str, dict]:
    """The job's trigger and its fields, or RADBILL_JOB_SCHEDULE's for it: entries separated by
    ";", each `name=cron field=value ...` or `name=interval unit=number ...` (apscheduler's
    fields), e.g. `billing=cron hour=1 minute=0; expiry=interval minutes=2`."""
    text = settings.get().job_schedule if text is None else text
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        name, _, spec = entry.partition("=")
        if name.strip() != job.name:
            continue
        trigger, *fields = spec.split()
        if trigger not in ("cron", "interval"):
            raise ValueError(f"RADBILL_JOB_SCHEDULE: {name}: cron or interval, not {trigger!r}")
        when = dict(f.split("=", 1) for f in fields)
        if trigger == "interval":
            when = {k: float(v) for k, v in when.items()}
        return trigger, when
    return job.trigger, job.when


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key per job."""
    return int.from_bytes(hashlib.sha256(f"radbill.job.{name}".encode()).digest()[:8], "big",
                          signed=True)


def run(name: str, on: dt.date | None = None, url: str | None = None,
        slot: dt.datetime | None = None) -> str | None:
    """Run job `name` in one transaction under its advisory lock; None if another holds it, or,
    for a scheduled firing (`slot`, its scheduled time), if it started at or after that time
    already (another scheduler served the firing). Its day is the slot's, else today's."""
    job = load_all()[name]
    tz = settings.get().tz
    on = on or (slot.astimezone(tz) if slot else dt.datetime.now(tz)).date()
    try:
        with db.session_scope(url) as session:
            if not session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(lock_key(name)))):
                log.info("%s%s: skipped, another scheduler is running it", name,
                         f" [{slot.isoformat()}]" if slot else "")
                return None
            if slot is not None:
                started = session.scalar(sa.select(JobState.last_started_at)
                                         .where(JobState.name == name))
                if started is not None and started >= slot:
                    log.info("%s [%s]: skipped, another scheduler ran it", name, slot.isoformat())
                    return None
            # a scheduled run records at least its slot, so a scheduler whose clock is behind
            # the database's still sees the firing served
            start = sa.func.now() if slot is None else sa.func.greatest(sa.func.now(), slot)
            session.execute(insert(JobState).values(name=name, last_started_at=start)
                            .on_conflict_do_update(index_elements=["name"],
                                                   set_={"last_started_at": start}))
            result = job.body(session, on)
            session.execute(sa.update(JobState).where(JobState.name == name).values(
                last_finished_at=sa.func.now(), last_result=result))
    except Exception as exc:
        failed(name, exc, url)
        raise
    log.info("%s%s: %s", name, f" [{slot.isoformat()}]" if slot else "", result)
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
