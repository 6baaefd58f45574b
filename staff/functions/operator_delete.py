"""operator.delete (dry run, cascade, archive), operator_archive, operator_archive.file.

`operator.delete dry_run=yes` lists what would go, by table, with counts (the same computation
the delete runs: staff/operator_delete.py). The delete is refused while an operator of the
subtree has a balance (named with its account and amount) or another operator's rows depend
on what would go. Up to INLINE customers it runs in the call; more start the task
`operator.delete` (its staff are shut out first: the operator is suspended), which deletes
BATCH customers a step and the rest last, each step archived as a part.
"""
from __future__ import annotations

import sqlalchemy as sa

from radbill import events, lifecycle, tasks
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, paged
from radbill.functions.registry import (AccessDenied, Call, FileResult, FuncError, ListResult,
                                        NotFound, OkResult, Param, function)
from radbill.functions.roles import RESELLERS
from radbill.lifecycle import Actor
from radbill.models import AuditLog, Customer, Operator, OperatorArchive, Task
from staff import operator_delete as engine

KIND = "operator.delete"
INLINE = 500  # customers deleted within the call; more go to the task
BATCH = 200  # customers a task step
PARENTS = ("group_admin", "operator")
ARCHIVE_COLUMNS = ["id", "operator_name", "parent_id", "status", "parts", "sha256", "created_by",
                   "created_at", "finished_at"]


def _target(call: Call) -> Operator:
    from staff.functions.operators import ENTITY
    if not call.elid:
        raise FuncError("is required", field="elid")
    if "," in call.elid:
        raise FuncError("one operator at a time: its dry run comes first", field="elid")
    op = ENTITY.find(call, call.elid.strip(), lock=True)
    if op.id == call.caller.operator_id:
        raise AccessDenied("you cannot delete your own operator", field="elid")
    if op.parent_id is None:
        raise FuncError("the group at the top of the tree cannot be deleted", field="elid")
    return op


def _refusal(owed: list) -> str | None:
    """Why the delete must wait, from engine.balances (the accounts not at zero)."""
    if owed:
        return "; ".join(f"{name}'s {kind} account is {amount}, not zero"
                         for name, kind, amount in owed) + "; settle it first"
    return None


@function("operator.delete", roles=PARENTS, money=False,
          params=(Param("elid", "the operator (id or name)", True),
                  Param("dry_run", "yes: list what would be deleted and change nothing")))
def delete(call: Call) -> OkResult:
    """Delete an operator below you with its sub-operators, customers, staff and the rest;
    its money history is archived with its parent."""
    op = _target(call)
    dry = F.parse_one("dry_run", F.boolean, call.get("dry_run")) if call.get("dry_run") else False
    p, _doomed = engine.plan(call.session, op)
    owed = engine.balances(call.session, p.subtree)
    refusal = _refusal(owed)
    blocked = engine.blocked_message(p) if p.blockers else None
    if dry:
        return OkResult(op.id, {"rows": engine.describe(p), "total": p.total,
                                "customers": p.deleted.get("customers", 0),
                                "refused": refusal or blocked,
                                "balances": [{"operator": n, "account": k, "amount": str(a)}
                                             for n, k, a in owed],
                                "blockers": [{"table": t, "rows": n}
                                             for t, n in sorted(p.blockers.items())]})
    if refusal or blocked:
        raise FuncError(refusal or blocked, field="elid")
    before = audit.snapshot(op)
    before.pop("logo", None)
    archive = engine.new_archive(call.session, op, call.caller.login)
    actor = Actor.of(call)
    if p.deleted.get("customers", 0) > INLINE:
        if op.status == "active":  # its staff are shut out while it goes
            from rating import operator_billing
            from rating.terms import today
            operator_billing.suspend(call.session, op, "manual", today(), actor,
                                     note="being deleted")
        task = tasks.start(call.session, KIND, {"operator_id": op.id, "archive_id": archive.id,
                                                "by": call.caller.login, "before": before},
                           title=f"delete {op.name}", operator_id=op.parent_id,
                           created_by=call.caller.login)
        return OkResult(op.id, {"task": task.id, "archive": archive.id, "total": p.total})
    _forget_customers(call.session, op, None, actor)
    op_id = op.id
    deleted = engine.execute(call.session, archive, op)
    _finish(call.session, archive, op_id, before, deleted, actor)
    return OkResult(None, {"archive": archive.id, "deleted": deleted})


def _forget_customers(session, op: Operator, ids: list[int] | None, actor: Actor) -> list[int]:
    """Announce each live customer's end through the lifecycle (customer.deleted: a live
    session is disconnected) before its row goes."""
    stmt = sa.select(Customer.id).where(Customer.operator_id.in_(engine.subtree_of(session, op)))
    if ids is not None:
        stmt = stmt.where(Customer.id.in_(ids))
    live = list(session.scalars(stmt.where(Customer.deleted_at.is_(None))))
    lifecycle.apply(session, live, "deleted", "manual", actor, "its operator is deleted")
    return live


def _finish(session, archive: OperatorArchive, op_id: int, before: dict, deleted: dict,
            actor: Actor) -> None:
    rows = sum(deleted.values())
    engine.finish(session, archive, {"deleted": deleted, "rows": rows,
                                     "operator": before.get("name"), "path": before.get("path")})
    session.add(AuditLog(actor=actor.login, actor_user_id=actor.user_id,
                         operator_id=archive.parent_id, func=KIND, object_type="operator",
                         object_id=op_id, object_name=before.get("name"), before=before,
                         after={"archive": archive.id, "deleted": deleted},
                         request=actor.request, ip=actor.ip))
    events.emit(session, "operator.deleted", operator_id=archive.parent_id, actor=actor.login,
                func=KIND, name=before.get("name"), archive_id=archive.id, rows=rows)


def step(session, task: Task) -> tasks.Step:
    """BATCH customers of the operator's subtree a step; the rest (and the subtree) last."""
    p = dict(task.params or {})
    op = session.get(Operator, p["operator_id"])
    archive = session.get(OperatorArchive, p["archive_id"])
    if op is None or archive is None or archive.status == "complete":
        return tasks.Step("done", note="deleted")
    actor = Actor(p.get("by") or "scheduler", KIND)
    refusal = _refusal(engine.balances(session, engine.subtree_of(session, op)))
    if refusal:
        return tasks.Step("failed", note=refusal)
    done = p.get("customers", 0)
    ids = list(session.scalars(sa.select(Customer.id).where(
        Customer.operator_id.in_(engine.subtree_of(session, op))).order_by(Customer.id)
        .limit(BATCH)))
    if ids:
        _forget_customers(session, op, ids, actor)
        deleted = engine.execute(session, archive, op, ids)
        p["customers"] = done + deleted.get("customers", 0)
        p["deleted"] = _add(p.get("deleted", {}), deleted)
        task.params = p
        return tasks.Step("more", done=p["customers"],
                          note=f"{p['customers']} customers deleted and archived")
    _forget_customers(session, op, None, actor)
    op_id, before = op.id, p.get("before") or {"name": op.name}
    deleted = _add(p.get("deleted", {}), engine.execute(session, archive, op))
    _finish(session, archive, op_id, before, deleted, actor)
    return tasks.Step("done", done=done, total=done,
                      note=f"{p.get('before', {}).get('name')} deleted; archive {archive.id}")


def _add(a: dict, b: dict) -> dict:
    return {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}


tasks.register(KIND, step)


# -- the archives ------------------------------------------------------------------------------
@function("operator_archive", money=True, kind="list", roles=RESELLERS,
          params=(Param("page"), Param("per_page")))
def archives(call: Call) -> ListResult:
    """What deleted operators left: their money history, kept with their parent."""
    stmt = sa.select(*(getattr(OperatorArchive, c) for c in ARCHIVE_COLUMNS)).where(
        in_subtree(call, OperatorArchive.parent_id))
    return paged(call, stmt, ARCHIVE_COLUMNS,
                 lambda *values: dict(zip(ARCHIVE_COLUMNS, map(audit.jsonable, values))),
                 OperatorArchive.id.desc())


@function("operator_archive.file", money=True, kind="file", roles=RESELLERS,
          params=(Param("elid", "the archive's id", True),))
def archive_file(call: Call) -> FileResult:
    """A deleted operator's archived rows as JSON, every part's SHA-256 checked."""
    archive_id = F.as_id(call.elid, OperatorArchive.id) if call.elid else None
    if archive_id is None:
        raise FuncError("is required" if not call.elid else "must be an archive's id",
                        field="elid")
    archive = call.session.scalars(sa.select(OperatorArchive).where(
        OperatorArchive.id == archive_id, in_subtree(call, OperatorArchive.parent_id))).first()
    if archive is None:
        raise NotFound(f"no archive {archive_id}", field="elid")
    try:
        rows = engine.read_archive(call.session, archive)
    except ValueError as exc:
        raise FuncError(str(exc), field="elid", status=409) from None
    import json
    body = {"archive": archive.id, "operator": archive.operator_name,
            "operator_id": archive.operator_id, "parent_id": archive.parent_id,
            "sha256": archive.sha256, "summary": archive.summary, "rows": rows}
    return FileResult(f"operator-archive-{archive.id}.json", "application/json",
                      json.dumps(body, sort_keys=True, indent=1).encode())
