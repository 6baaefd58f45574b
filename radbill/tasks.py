"""Background tasks: long work (a broadcast to 10,000 customers, an import) that a function
starts and the worker carries out in small steps, with progress, surviving a killed worker.

A domain registers a kind with the function that does one step of it:

    tasks.register("broadcast", step, progress=live_counts, on_cancel=drop_queued)

    def step(session, task) -> tasks.Step:   # one small, idempotent piece of the work
        ...
        return tasks.Step("more", done=.., total=.., note="queued 500 of 10,000")

A function starts one with `tasks.start(session, kind, params, ...)`: the `tasks` row commits
with the caller's transaction (so a refused call starts nothing) and a NOTIFY on radbill_outbox
wakes the worker. The worker's round (provisioning/worker.py) calls `run_due(factory)`, which
claims a task (FOR UPDATE SKIP LOCKED): a queued one, one parked between steps, or a running
one whose heartbeat is older than STALE (its runner died). Each step runs in a transaction of
its own with the task's row locked, and commits the step's work together with the progress
(done/failed/total, note) and a fresh heartbeat; so a runner killed in the middle of a step
loses that step only, and the next runner does it again (steps are idempotent: a broadcast's
messages carry a dedupe key). `task.cancel` (logs/functions/tasks.py) is seen between steps.

A step answers one of
  more   call me again at once (the runner goes on until its time budget is spent),
  wait   nothing to do until something else happened (the sender sent the queued messages):
         the task is parked (running, heartbeat NULL) and the next round looks again,
  done / failed   finished; the note says how it ended.
A step that raises fails the task with the error as its note (a database that went away is
not the task's fault: that error propagates and the task is taken up again once stale).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from radbill.models import Task
from radbill.outbox import CHANNEL

log = logging.getLogger("radbill.tasks")

STALE = dt.timedelta(seconds=60)  # a running task's heartbeat older than this: its runner died
MAX_RUNNERS = 5  # a task whose runner died this many times is failed (it kills its runner)
BUDGET = 20.0  # seconds run_due spends on tasks per worker round before the outbox's turn
STATES = ("more", "wait", "done", "failed")


@dataclass
class Step:
    state: str  # more | wait | done | failed
    done: int | None = None
    failed: int | None = None
    total: int | None = None
    note: str | None = None

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(f"a step answers one of {', '.join(STATES)}, not {self.state!r}")


Progress = tuple[int, int, int]  # done, failed, total


@dataclass(frozen=True)
class Kind:
    name: str
    step: Callable[[Session, Task], Step]
    # the live progress of a running task (done, failed, total), for lists between steps
    progress: Callable[[Session, Task], Progress] | None = None
    # what else a cancellation stops (a broadcast's queued messages), in the same transaction
    on_cancel: Callable[[Session, Task], str | None] | None = None


KINDS: dict[str, Kind] = {}


def register(kind: str, step: Callable[[Session, Task], Step], *,
             progress: Callable[[Session, Task], Progress] | None = None,
             on_cancel: Callable[[Session, Task], str | None] | None = None) -> None:
    KINDS[kind] = Kind(kind, step, progress, on_cancel)


def _load_kinds() -> None:
    """The domains register their kinds when their function modules are imported."""
    from radbill.functions.registry import load_all
    load_all()


def start(session: Session, kind: str, params: dict | None = None, *, title: str = "",
          operator_id: int | None = None, created_by: str = "") -> Task:
    """Queue a task; it commits with the caller's transaction, and the worker wakes then."""
    if kind not in KINDS:
        _load_kinds()
    if kind not in KINDS:
        raise ValueError(f"no task kind {kind!r} is registered")
    task = Task(kind=kind, params=dict(params or {}), title=title[:200], operator_id=operator_id,
                created_by=created_by or "")
    session.add(task)
    session.flush()
    wake(session)
    return task


def wake(session: Session) -> None:
    """Wake the worker when the transaction commits (it LISTENs on radbill_outbox)."""
    session.execute(sa.select(sa.func.pg_notify(CHANNEL, "task")))


def percent(done: int, failed: int, total: int) -> int | None:
    if not total:
        return None
    return min(100, int(100 * (done + failed) / total))


def progress(session: Session, task: Task) -> Progress:
    """(done, failed, total) now: the kind's live count for a running task, else the row's."""
    kind = KINDS.get(task.kind)
    if task.status == "running" and kind is not None and kind.progress is not None:
        try:
            return kind.progress(session, task)
        except Exception:  # a list must still show the row
            log.exception("task %s: live progress failed", task.id)
    return int(task.done or 0), int(task.failed or 0), int(task.total or 0)


def cancel(session: Session, task: Task) -> str | None:
    """Cancel a queued or running task (the caller checked it may); a runner sees it before
    its next step. Answers the kind's word on what else stopped."""
    if task.status not in ("queued", "running"):
        raise ValueError(f"is {task.status}; only a queued or running task can be cancelled")
    task.status, task.finished_at = "cancelled", sa.func.now()
    kind = KINDS.get(task.kind)
    said = kind.on_cancel(session, task) if kind is not None and kind.on_cancel else None
    task.note = "cancelled" + (f": {said}" if said else "")
    return said


# -- the runner ---------------------------------------------------------------------------------
def claimable(now=None):
    """Queued, parked between steps, or running with a stale heartbeat (its runner died)."""
    now = sa.func.now() if now is None else now
    return sa.or_(Task.status == "queued",
                  sa.and_(Task.status == "running",
                          sa.or_(Task.heartbeat_at.is_(None),
                                 Task.heartbeat_at < now - STALE)))


def claim(factory: sessionmaker, skip: set[int]) -> int | None:
    """Take a task for this runner (committed at once: its heartbeat says a runner has it)."""
    while True:
        with factory.begin() as session:
            stmt = sa.select(Task).where(claimable()).order_by(Task.id).limit(1) \
                .with_for_update(skip_locked=True)
            if skip:
                stmt = stmt.where(Task.id.not_in(skip))
            task = session.scalars(stmt).first()
            if task is None:
                return None
            if task.status == "queued" or task.heartbeat_at is not None:
                # a new runner (the first, or one after a runner died), not a parked task
                task.attempts += 1
                if task.status == "running":
                    log.warning("task %s (%s): its runner died; taking it over", task.id,
                                task.kind)
            if task.attempts > MAX_RUNNERS:
                _finish(task, "failed", f"its runner died {task.attempts - 1} times; given up")
                continue
            task.status, task.heartbeat_at = "running", sa.func.now()
            task.started_at = task.started_at or sa.func.now()
            return task.id


def run_task(factory: sessionmaker, task_id: int, deadline: float) -> int:
    """Steps of one claimed task until it waits, ends, is cancelled or the budget is spent."""
    steps = 0
    while True:
        with factory.begin() as session:
            task = session.get(Task, task_id, with_for_update=True, populate_existing=True)
            if task is None or task.status != "running":
                return steps  # cancelled (or finished by another runner) between steps
            kind = KINDS.get(task.kind)
            if kind is None:
                _finish(task, "failed", f"no handler for task kind {task.kind!r}")
                return steps
            try:
                with session.begin_nested():
                    step = kind.step(session, task)
            except sa.exc.OperationalError:
                raise  # the database, not the task: it is taken up again once stale
            except Exception as exc:
                log.exception("task %s (%s) crashed", task.id, task.kind)
                _finish(task, "failed", f"{type(exc).__name__}: {exc}"[:1000])
                return steps + 1
            steps += 1
            for name in ("done", "failed", "total"):
                if getattr(step, name) is not None:
                    setattr(task, name, getattr(step, name))
            if step.note is not None:
                task.note = step.note[:1000]
            if step.state in ("done", "failed"):
                _finish(task, step.state, step.note)
                return steps
            over = time.monotonic() >= deadline
            # parked: any runner (this one next round) takes it up again at once
            task.heartbeat_at = None if step.state == "wait" or over else sa.func.now()
        if step.state == "wait" or over:
            return steps


def _finish(task: Task, status: str, note: str | None) -> None:
    task.status, task.finished_at, task.heartbeat_at = status, sa.func.now(), sa.func.now()
    if note is not None:
        task.note = note[:1000]
    log.info("task %s (%s) %s: %s", task.id, task.kind, status, task.note)


def run_due(factory: sessionmaker, budget: float = BUDGET) -> int:
    """Work on the tasks that are due, each until it waits or ends, within `budget` seconds;
    returns the number of steps run."""
    if not KINDS:
        _load_kinds()
    deadline = time.monotonic() + budget
    seen: set[int] = set()
    steps = 0
    while True:  # at least one step, however small the budget
        task_id = claim(factory, seen)
        if task_id is None:
            break
        seen.add(task_id)
        steps += run_task(factory, task_id, deadline)
        if time.monotonic() >= deadline:
            break
    return steps
