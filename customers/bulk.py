"""Bulk changes (issue 17): one change applied to many customers as a background task.

`customer.bulk` (customers/functions/bulk.py) resolves a selection -- the customer list's own
filters and search (the Customers entity's query, so rights and subtree are the list's), or a
pasted list of usernames or ids -- into customer ids, previews it, and with `sok=ok` starts a
task of kind "customer.bulk" (radbill/tasks.py) whose params hold who started it (re-read each
step: a login disabled since cannot go on), the change and the ids in id order.

Each step takes the next BATCH ids after `done + failed` (the progress committed with the
previous step's work, so a runner killed mid-step loses that step only and the next runner does
it again, nobody twice) and applies the change to each customer in a savepoint of its own:
  - a field (package, billing_profile, zone, operator, expires, extend_days, mac) through the
    Customers entity's edit as the starter, so validation, rights, the audit row (func
    customer.bulk) and the customer.updated event are customer.edit's own;
  - status through radbill/lifecycle.py's set-based form, the refused ones named per customer.
A customer the change refuses counts as failed with its reason (the first MAX_ERRORS are kept
in the task's params); it never stops the task.
"""
from __future__ import annotations

import csv
import datetime as dt
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import lifecycle, settings, tasks
from radbill.functions import audit
from radbill.functions.auth import caller_for
from radbill.functions.caller import Caller
from radbill.functions.registry import Call, FuncError, request_line
from radbill.functions import fields as F
from radbill.models import Customer, Operator, Package, StaffUser, Task

KIND = "customer.bulk"
BATCH = 200
MAX_ERRORS = 200  # per-customer refusals kept in the task's params (the count is all of them)
MAX_LIST = 100_000  # names or ids in one pasted / uploaded list
FIELDS = ("package", "billing_profile", "zone", "operator", "expires", "extend_days", "status",
          "mac")
STATUSES = ("active", "suspended", "disabled")  # what a bulk status change may set


# -- who ----------------------------------------------------------------------------------------
def caller_params(caller: Caller) -> dict:
    return {"login": caller.login, "role": caller.role, "operator_id": caller.operator_id,
            "operator_path": caller.operator_path, "user_id": caller.user_id, "ip": caller.ip}


def caller_again(session: Session, p: dict) -> Caller | str:
    """The task's starter as a Caller now (their login's role and place re-read), or why not."""
    if p.get("user_id") is None:
        return Caller(p["login"], p["role"], p.get("operator_id"), p.get("operator_path"),
                      None, p.get("ip"))
    user = session.get(StaffUser, p["user_id"])
    if user is None or user.disabled:
        return f"{p['login']} can no longer sign in; the rest is not changed"
    return caller_for(session, user, p.get("ip"))


# -- which --------------------------------------------------------------------------------------
SPLIT = re.compile(r"[\s,;]+")


def parse_list(raw: str) -> list[str]:
    """Usernames or ids from pasted text or a file: one a line, or separated by commas,
    semicolons or spaces; from a CSV whose first line names a `username` (or `id`) column,
    that column (the customer list's own export reads back)."""
    lines = [ln.strip().lstrip("\ufeff") for ln in raw.splitlines()]
    lines = [ln for ln in lines if ln]
    if lines:
        header = [h.strip().strip('"').lower() for h in lines[0].split(",")]
        col = next((header.index(n) for n in ("username", "id") if n in header), None)
        if col is not None and len(header) > 1:
            rows = csv.reader(lines[1:])
            lines = [r[col] for r in rows if len(r) > col]
    refs: list[str] = []
    seen: set[str] = set()
    for line in lines:
        for ref in SPLIT.split(line):
            ref = ref.strip().strip("\"'")
            if not ref or ref.lower() in seen or ref.lower() in ("username", "id"):
                continue
            seen.add(ref.lower())
            refs.append(ref)
            if len(refs) > MAX_LIST:
                raise FuncError(f"at most {MAX_LIST:,} customers in one list", field="users")
    return refs


def resolve_refs(session: Session, visible: sa.Select, refs: list[str],
                 ids_only: bool = False) -> tuple[list[int], list[str]]:
    """The visible customers `refs` name and the refs that name none -- a customer outside the
    caller's subtree names none, as if it did not exist. A ref is a username (any case), else
    an id (usernames are often digits: 1001 is the customer called 1001, not the one whose id
    is 1001); with `ids_only` (ticked rows) digits are an id only."""
    from radbill.functions.fields import as_id
    ids_given = {r: as_id(r, Customer.id) for r in refs}
    lowers = [r.lower() for r in refs]
    found: dict[str, int] = {}
    for chunk in range(0, len(refs), 5000):
        part = lowers[chunk:chunk + 5000]
        numbers = [i for r in refs[chunk:chunk + 5000] if (i := ids_given[r]) is not None]
        stmt = visible.with_only_columns(Customer.id, sa.func.lower(Customer.username)).where(
            sa.or_(sa.func.lower(Customer.username).in_(part), Customer.id.in_(numbers)))
        for cid, name in session.execute(stmt):
            found[name] = cid
            found[f"#{cid}"] = cid
    ids, missing = [], []
    for r in refs:
        cid = None if ids_only and ids_given[r] is not None else found.get(r.lower())
        if cid is None and ids_given[r] is not None:
            cid = found.get(f"#{ids_given[r]}")
        if cid is None:
            missing.append(r)
        else:
            ids.append(cid)
    return sorted(set(ids)), missing


# -- what ---------------------------------------------------------------------------------------
def new_expiry(current: dt.datetime | None, days: int) -> dt.datetime:
    """The expiry `days` later on the ISP's wall clock (29 Feb, month ends and a zone's DST
    are the calendar's); a customer without one counts from now."""
    tz = settings.get().tz
    base = (current or dt.datetime.now(dt.timezone.utc)).astimezone(tz)
    return (base.replace(tzinfo=None) + dt.timedelta(days=days)).replace(tzinfo=tz)


def edit_params(field: str, value: str | None, customer: Customer) -> dict[str, str]:
    """What customer.edit is given to make this customer's change."""
    if field == "extend_days":
        return {"expires": new_expiry(customer.expires_at, int(value)).isoformat()}
    return {field: value or ""}


def apply_one(session: Session, caller: Caller, customer: Customer, field: str,
              value: str | None, params_: dict | None = None) -> None:
    """One customer's change by customer.edit's own steps (crud.Entity.save) on the row held;
    FuncError when refused. Not by elid: Entity.find reads digits as an id or a username."""
    from customers.functions.customers import ENTITY
    if customer.deleted_at is not None:
        raise FuncError(f"{customer.username!r} is deleted", field="elid", status=404)
    call = Call(session, caller, (params_ or {}).get("func") or KIND,
                {"elid": str(customer.id), "sok": "ok", **edit_params(field, value, customer)})
    ENTITY.save(call, customer)


def apply_status(session: Session, caller: Caller, customers: list[Customer], dest: str,
                 note: str | None) -> dict[int, str]:
    """Move the allowed ones through the lifecycle (one statement); {id: why not} for the rest."""
    refused: dict[int, str] = {}
    allowed = []
    for c in customers:
        state = lifecycle.state_of(c)
        if state == dest:
            continue  # already there: nothing to do, not a failure
        if lifecycle.find(state, dest, "manual") is None:
            refused[c.id] = str(lifecycle.TransitionRefused(c.username, state, dest, "manual"))
        else:
            allowed.append(c.id)
    params = {"status": dest, **({"reason": note} if note else {})}
    actor = lifecycle.Actor(caller.login, KIND, caller.user_id, caller.ip,
                            request_line(KIND, params))
    lifecycle.apply(session, allowed, dest, "manual", actor, note)
    return refused


# -- the task -----------------------------------------------------------------------------------
def step(session: Session, task: Task) -> tasks.Step:
    """The next BATCH customers of the task's list."""
    p = task.params or {}
    ids: list[int] = p.get("ids") or []
    total = len(ids)
    done, failed = int(task.done or 0), int(task.failed or 0)
    pos = done + failed
    if pos >= total:
        return tasks.Step("done", done, failed, total, note=summary(p, done, failed, total))
    caller = caller_again(session, p["caller"])
    if isinstance(caller, str):
        return tasks.Step("failed", done, failed, total, note=caller)
    batch = ids[pos:pos + BATCH]
    # locked in id order (as every bulk writer does), so two tasks over one customer wait
    customers = {c.id: c for c in session.scalars(
        sa.select(Customer).where(Customer.id.in_(batch)).order_by(Customer.id)
        .with_for_update())}
    session.info.pop("bulk_usable", None)  # answers cached for one step only
    held = hold(session, customers.values(), p)  # noqa: F841  (the identity map answers get())
    errors: dict[int, str] = {}
    field, value = p["field"], p.get("value")
    values = p.get("values") or {}
    mine = visible_ids(session, caller, batch)  # the starter's subtree now, not at the start
    errors.update({i: "not found" for i in batch if i not in mine or i not in customers})
    todo = [customers[i] for i in batch if i not in errors]
    if field == "status":
        errors.update(apply_status(session, caller, todo, value, p.get("note")))
    else:
        applier = APPLIERS.get(field, apply_one)
        for c in todo:
            try:
                with session.begin_nested():
                    applier(session, caller, c, field, values.get(str(c.id), value), p)
            except FuncError as exc:
                errors[c.id] = reason(exc)
    failed += len(errors)
    done += len(batch) - len(errors)
    if errors:
        keep(session, task, customers, errors)
    return tasks.Step("more" if done + failed < total else "done", done, failed, total,
                      note=summary(task.params, done, failed, total))


def reason(exc: FuncError) -> str:
    """A customer's refusal as the task and the preview report it: field: why."""
    return "; ".join(f"{k}: {v}" for k, v in exc.errors.items()) or exc.message


def hold(session: Session, customers, p: dict) -> list:
    """The batch's operators and packages (and a new package), loaded at once and held for the
    step: the checks and relations that look each one up by id find it in the session."""
    ops = {c.operator_id for c in customers}
    pkgs = {c.package_id for c in customers}
    if p["field"] in ("package", "package_replace") and F.is_id(p.get("value") or ""):
        pkgs.add(int(p["value"]))
    return [*session.scalars(sa.select(Operator).where(Operator.id.in_(ops))),
            *session.scalars(sa.select(Package).where(Package.id.in_(pkgs)))]


def visible_ids(session: Session, caller: Caller, ids: list[int]) -> set[int]:
    from customers.functions.customers import ENTITY
    call = Call(session, caller, KIND, {})
    stmt = ENTITY.visible(call, sa.select(Customer.id).where(Customer.id.in_(ids)), deleted=True)
    return set(session.scalars(stmt))


def keep(session: Session, task: Task, customers: dict[int, Customer], errors: dict[int, str]):
    """The first MAX_ERRORS refusals, by username, in the task's params."""
    p = dict(task.params)
    kept = list(p.get("errors") or [])
    for cid, why in errors.items():
        if len(kept) >= MAX_ERRORS:
            break
        c = customers.get(cid)
        kept.append([c.username if c is not None else f"#{cid}", why[:300]])
    p["errors"] = kept
    task.params = p


def summary(p: dict, done: int, failed: int, total: int) -> str:
    out = f"{done:,} of {total:,} changed"
    if failed:
        first = "; ".join(f"{u}: {why}" for u, why in (p.get("errors") or [])[:3])
        out += f", {failed:,} refused ({first})"
    return out


def start(session: Session, call: Call, field: str, value: str | None, ids: list[int], *,
          title: str, values: dict[int, str] | None = None, note: str | None = None,
          kind: str = KIND, extra: dict | None = None) -> Task:
    params = {"caller": caller_params(call.caller), "func": kind, "field": field, "value": value,
              "ids": sorted(ids), "note": note, **(extra or {})}
    if values:
        params["values"] = {str(k): v for k, v in values.items()}
    task = tasks.start(session, kind, params, title=title,
                       operator_id=call.caller.operator_id, created_by=call.caller.login)
    task.total = len(ids)
    audit.record(call, "task", task.id, title, None,
                 {"kind": kind, "field": field, "value": value, "customers": len(ids)})
    return task


# other kinds of per-customer change (package.replace...): field -> fn(session, caller, customer,
# field, value, task params), raising FuncError when that customer is refused
APPLIERS: dict = {}


def register(kind: str, field: str, applier) -> None:
    APPLIERS[field] = applier
    tasks.register(kind, step)


tasks.register(KIND, step)  # progress: the row's done, failed and total (set at the start)
