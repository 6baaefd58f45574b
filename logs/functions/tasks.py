"""task and task.cancel: the background tasks (radbill/tasks.py) of the caller's subtree, with
their progress, and stopping one."""
from __future__ import annotations

import sqlalchemy as sa

from radbill import tasks
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.audit import jsonable
from radbill.functions.crud import in_subtree, paged
from radbill.functions.registry import (Call, FuncError, ListResult, NotFound, OkResult, Param,
                                        function)
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import Task
from radbill.models.messaging import TASK_STATUSES

COLUMNS = ["id", "kind", "title", "status", "progress", "done", "failed", "items", "note",
           "created_by", "created_at", "started_at", "heartbeat_at", "finished_at", "attempts"]


def visible(call: Call, stmt: sa.Select) -> sa.Select:
    """The caller's subtree; a task of no operator (the system's) only to the whole tree."""
    if call.caller.operator_path is None:
        return stmt
    return stmt.where(Task.operator_id.is_not(None), in_subtree(call, Task.operator_id))


def find(call: Call, ref: str | None, lock: bool = False) -> Task:
    task_id = F.as_id(ref or "")
    if task_id is None:
        raise FuncError("is a task's id", field="elid")
    stmt = visible(call, sa.select(Task).where(Task.id == task_id))
    if lock:
        stmt = stmt.with_for_update()
    task = call.session.scalars(stmt).first()
    if task is None:
        raise NotFound(f"no task {task_id}", field="elid")
    return task


def row(call: Call, task: Task) -> dict:
    done, failed, total = tasks.progress(call.session, task)
    pct = tasks.percent(done, failed, total)
    return {"id": task.id, "kind": task.kind, "title": task.title, "status": task.status,
            "progress": f"{pct}%" if pct is not None else "", "done": done, "failed": failed,
            "items": total, "note": task.note, "created_by": task.created_by,
            "created_at": jsonable(task.created_at), "started_at": jsonable(task.started_at),
            "heartbeat_at": jsonable(task.heartbeat_at),
            "finished_at": jsonable(task.finished_at), "attempts": task.attempts}


@function("task", kind="list", roles=tuple(sorted(set(CUSTOMER_VIEWERS + DEVICE_STAFF))),
          money=False,
          params=(Param("status", "queued, running, done, failed or cancelled"),
                  Param("kind", "a kind of task (broadcast, ...)"), Param("elid", "one task"),
                  Param("page"), Param("per_page")))
def task_list(call: Call) -> ListResult:
    """Background work (broadcasts, ...) with its progress, newest first."""
    stmt = visible(call, sa.select(Task))
    if call.elid:
        stmt = stmt.where(Task.id == find(call, call.elid).id)
    if status := call.get("status"):
        stmt = stmt.where(Task.status == F.parse_one("status", F.choice(*TASK_STATUSES), status))
    if kind := call.get("kind"):
        kind = F.parse_one("kind", F.text(40), kind).strip()
        stmt = stmt.where(Task.kind == kind)
    return paged(call, stmt, COLUMNS, lambda t: row(call, t), Task.id.desc())


@function("task.cancel", kind="action", roles=RESELLERS, money=False,
          params=(Param("elid", "the task's id", True),))
def task_cancel(call: Call) -> OkResult:
    """Stop a queued or running task before its next step (a broadcast's queued messages are
    not sent)."""
    task = find(call, call.elid, lock=True)
    before = audit.snapshot(task)
    try:
        said = tasks.cancel(call.session, task)
    except ValueError as exc:
        raise FuncError(str(exc), field="elid", status=409) from None
    call.session.flush()
    audit.record(call, "task", task.id, task.title or task.kind, before,
                 audit.snapshot(task), task.operator_id)
    return OkResult(task.id, {"status": "cancelled", "stopped": said or ""})
