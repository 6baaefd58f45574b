"""Running an import: check every row (the dry run stops there), then write the good rows
chunk by chunk. A file of up to one chunk is written at once in the caller's transaction; a
larger one (or background=yes) is staged in customer_import_rows with a customer_imports row,
and the background task `customer_import` writes one chunk per step: the chunk's customers,
bills, ledger, rows' outcomes and the run's `next_line` commit together, so a runner killed
mid-chunk leaves nothing of it and the next runner does that chunk again (never twice)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from radbill import tasks
from radbill.functions.caller import Caller
from radbill.functions.registry import FuncError
from radbill.models import CustomerImport, Task

from customers.importing import rows as parse_rows
from customers.importing.plan import Ctx, Seen, _shares, held_by, plan
from customers.importing.write import write

CHUNK = 2000  # rows a chunk (one transaction) writes
KIND = "customer_import"


@dataclass
class Report:
    rows: int = 0
    creates: int = 0
    updates: int = 0
    errors: dict[int, dict[str, str]] = field(default_factory=dict)
    good: list[tuple[int, dict]] = field(default_factory=list)


def check(ctx: Ctx, rows: list[tuple[int, list[str]]], mapping: dict[int, str],
          database: bool = True) -> Report:
    """Every row parsed and checked against the database and the file's earlier rows;
    nothing is written (the caller rolls back the advisory locks' savepoint if it likes).
    database=False: the file's own checks only (a background run that skips bad rows: the
    chunks check against the database as they write)."""
    report = Report(rows=len(rows))
    parsed: list[tuple[int, dict]] = []
    for line, cells in rows:
        values, errors = parse_rows.parse(cells, mapping)
        if errors:
            report.errors[line] = errors
        parsed.append((line, values))
    if not database:
        in_file(ctx, parsed, report.errors)
        report.good = [(line, v) for line, v in parsed if line not in report.errors]
        return report
    seen = Seen()
    for start in range(0, len(parsed), CHUNK):
        chunk = parsed[start:start + CHUNK]
        p = plan(ctx, chunk, seen)
        for line, errs in p.errors.items():
            report.errors.setdefault(line, {}).update(
                {k: v for k, v in errs.items() if k not in report.errors.get(line, {})})
        report.creates += sum(1 for r in p.creates if r["line"] not in report.errors)
        report.updates += sum(1 for r in p.updates if r["line"] not in report.errors)
    bad = set(report.errors)
    report.good = [(line, v) for line, v in parsed if line not in bad]
    return report


def in_file(ctx: Ctx, parsed: list[tuple[int, dict]], errors: dict) -> None:
    """A value an earlier row of the file holds, with plan.py's messages."""
    from radbill.functions.crud import resolve_operator
    seen = Seen()
    for line, values in parsed:
        username = values.get("username")
        if username is None:
            continue
        if seen.claim("username", username.lower(), username) is not None:
            errors.setdefault(line, {})["username"] = f"{username!r} is taken"
        for name in ("mac", "static_ip", "mobile", "national_id"):
            value = values.get(name)
            if value is None:
                continue
            if name == "mobile":
                try:
                    op = ctx.once(("operator", (values.get("operator") or "").lower()),
                                  lambda: resolve_operator(ctx, values.get("operator")).id)
                except FuncError:
                    continue  # the chunk names the operator
                if _shares(ctx, {op})[op]:
                    continue
            earlier = seen.claim(name, str(value), username)
            if earlier is not None:
                errors.setdefault(line, {}).setdefault(name, held_by(name, value, repr(earlier)))


def write_now(ctx: Ctx, good: list[tuple[int, dict]], reference: str) -> tuple[int, int]:
    """Write rows in the caller's transaction (a small file); (created, updated)."""
    p = plan(ctx, good)
    if p.errors:  # the rows were checked a moment ago in this very transaction
        raise RuntimeError(f"rows changed between the check and the write: {p.errors}")
    done = write(ctx, p, reference)
    return done.created, done.updated


def stage(ctx: Ctx, report: Report, mapping: dict[int, str], header: list[str],
          file_name: str) -> CustomerImport:
    """A customer_imports row and every row (good ones with their values, bad ones with their
    errors), COPYed; then the task that writes them."""
    s, caller = ctx.session, ctx.caller
    run = CustomerImport(operator_id=caller.operator_id, created_by=caller.login,
                         file_name=file_name[:200], rows=report.rows,
                         bad_rows=len(report.errors),
                         mapping={header[i] if i < len(header) else str(i): f
                                  for i, f in sorted(mapping.items())},
                         caller={"login": caller.login, "role": caller.role,
                                 "operator_id": caller.operator_id,
                                 "operator_path": caller.operator_path,
                                 "user_id": caller.user_id, "ip": caller.ip,
                                 "func": ctx.func})
    s.add(run)
    s.flush()
    raw = s.connection().connection.driver_connection
    good = dict(report.good)
    lines = sorted(set(good) | set(report.errors))
    with raw.cursor() as cur:
        with cur.copy("COPY customer_import_rows (import_id, line, username, data, errors) "
                      "FROM STDIN") as cp:
            for line in lines:
                values = good.get(line, {})
                errs = report.errors.get(line)
                cp.write_row((run.id, line, values.get("username"), json.dumps(values),
                              json.dumps(errs) if errs else None))
    task = tasks.start(s, KIND, {"import_id": run.id},
                       title=f"import {file_name or 'customers'}"[:200],
                       operator_id=caller.operator_id, created_by=caller.login)
    run.task_id = task.id
    return run


def caller_of(session, run: CustomerImport) -> Caller | str:
    """The import's starter as a Caller now, built as every request builds it
    (auth.caller_for: the login's role, place and special permissions re-read), or why the
    run may not go on: the login can no longer sign in, or the import function is no longer
    in its hands (revoked from it since; its role changed). A caller without a staff login
    (the CLI's system administrator) is as it was saved."""
    from radbill.functions.auth import caller_for
    from radbill.functions.registry import load_all
    from radbill.models import StaffUser
    c = run.caller
    func = c.get("func") or "customer.import"
    if c.get("user_id") is None:
        return Caller(login=c["login"], role=c["role"], operator_id=c.get("operator_id"),
                      operator_path=c.get("operator_path"), ip=c.get("ip"))
    user = session.get(StaffUser, c["user_id"])
    if user is None or user.disabled:
        return f"{c['login']} can no longer sign in; the rows not yet written stay out"
    caller = caller_for(session, user, c.get("ip"))
    fn = load_all().get(func)
    if fn is None or not fn.permits(caller):
        why = "has been revoked from" if func in caller.revoked else "is no longer allowed to"
        return f"{func} {why} {c['login']}; the rows not yet written stay out"
    return caller


ROWS = sa.text("SELECT line, data FROM customer_import_rows WHERE import_id = :id "
               "AND errors IS NULL AND line > :after ORDER BY line LIMIT :n")
OUTCOMES = sa.text("""
UPDATE customer_import_rows r SET outcome = x.outcome, errors = x.errors
  FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(line int, outcome text, errors jsonb)
 WHERE r.import_id = :id AND r.line = x.line""")


def step(session, task: Task) -> tasks.Step:
    """One chunk of a staged import, in the task's transaction (with its progress)."""
    run = session.get(CustomerImport, task.params["import_id"], with_for_update=True)
    if run is None:
        return tasks.Step("failed", note="the import is gone")
    run.status = "running"
    # the chunk and its progress commit together, so a commit lost in a crash is a chunk the
    # next runner does again: no need to wait for the WAL flush
    session.execute(sa.text("SET LOCAL synchronous_commit = off"))
    rows = session.execute(ROWS, {"id": run.id, "after": run.next_line, "n": CHUNK}).all()
    if not rows:
        run.status, run.finished_at = "done", sa.func.now()
        return tasks.Step("done", *_progress(run), note=_summary(run))
    caller = caller_of(session, run)
    if isinstance(caller, str):  # refused now as the login would be at the function itself
        run.status, run.finished_at = "failed", sa.func.now()
        return tasks.Step("failed", *_progress(run), note=caller)
    ctx = Ctx(session, caller, func=run.caller.get("func") or "customer.import",
              params={"import": str(run.id)})
    p = plan(ctx, [(line, data) for line, data in rows])
    done = write(ctx, p, f"import:{run.id}:{rows[0].line}")
    outcomes = [{"line": line, "outcome": "failed", "errors": errs}
                for line, errs in p.errors.items()]
    outcomes += [{"line": r["line"], "outcome": "created", "errors": None} for r in p.creates]
    outcomes += [{"line": r["line"], "outcome": "updated", "errors": None} for r in p.updates]
    session.execute(OUTCOMES, {"id": run.id, "rows": json.dumps(outcomes)})
    run.created += done.created
    run.updated += len(p.updates)
    run.failed += len(p.errors)
    run.next_line = rows[-1].line
    return tasks.Step("more", *_progress(run), note=_summary(run))


def _progress(run: CustomerImport) -> tuple[int, int, int]:
    return run.created + run.updated, run.bad_rows + run.failed, run.rows


def _summary(run: CustomerImport) -> str:
    return (f"{run.created} created, {run.updated} updated, "
            f"{run.bad_rows + run.failed} not imported, of {run.rows} rows")


def live_progress(session, task: Task) -> tuple[int, int, int]:
    run = session.scalar(sa.select(CustomerImport).where(CustomerImport.task_id == task.id))
    return _progress(run) if run else (int(task.done or 0), int(task.failed or 0),
                                       int(task.total or 0))


def on_cancel(session, task: Task) -> str | None:
    session.execute(sa.update(CustomerImport).where(CustomerImport.task_id == task.id)
                    .values(status="cancelled", finished_at=sa.func.now()))
    return "the rows not yet written stay out"


tasks.register(KIND, step, progress=live_progress, on_cancel=on_cancel)
