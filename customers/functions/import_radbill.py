"""customer.import_radbill, imported_record: the cut-over from another radbill instance (issue 17;
the work is customers/importing/radbill_*.py).

`source` is a `radbill backup` folder: its files are checked against its manifest (a file that
differs is named and nothing is read), the dump is restored into a scratch database, read and
dropped. Packages, billing profiles, zones and custom fields the customers use are found by
name here or created (a same-named one with other terms is a conflict: reported, this
instance's is used); the customers go through customer.import's own rows (created or updated
by username, into `operator`: passwords or NT hashes, MAC, static IP, expiry, status, custom
fields; customer.created carries cutover, so no welcome SMS); then their money
(radbill_money.py): open bills become opening-due bills, advance balances advances, and every
source bill and payment is kept in imported_records as read-only history. Everything is keyed
by the source's ids, so a second import of the same instance changes nothing. `dry_run=yes`
reports counts and conflicts and keeps nothing.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from radbill import settings
from radbill.functions import audit
from radbill.functions.crud import resolve_operator
from radbill.functions.registry import (Call, FuncError, ListResult, OkResult, Param,
                                        function)
from radbill.functions.roles import ISP_ADMINS, MONEY_STAFF

from customers.functions.imports import run_rows, split_key, yes
from customers.importing import radbill_catalog as catalog, radbill_money as money
from customers.importing import radbill_source
from customers.importing.plan import Ctx

HEADER = ["username", "password", "nt_hash", "name", "mobile", "email", "national_id", "lang",
          "address", "mac", "service", "static_ip", "package", "zone", "billing_profile",
          "expires", "custom_price", "notes", "status", "operator"]


def folder_of(call: Call) -> Path:
    """The backup folder: any path from the CLI; from the web or the API only one under
    RADBILL_VAR_DIR (var/backups, or uploaded beside the imports)."""
    from radbill.functions import fields as F
    raw = F.parse_one("source", F.text(1000), call.get("source") or "")
    try:
        path = Path(raw).resolve()
    except (OSError, RuntimeError, ValueError):
        raise FuncError(f"{F.short(raw)!r} is not a folder", field="source") from None
    if call.caller.channel != "cli":
        var = Path(settings.get().var_dir).resolve()
        if var not in path.parents:
            raise FuncError("must be a backup folder under the server's var/backups",
                            field="source")
    if not path.is_dir():
        raise FuncError(f"no folder {F.short(raw)!r}", field="source")
    return path


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def customer_rows(source, operator_id: int):
    """The source's live customers as customer.import rows (line = position, from 1)."""
    names = sorted({k for c in source.customers for k in (c.get("custom_fields") or {})})
    header = HEADER + [f"cf_{n}" for n in names]
    rows = []
    for n, c in enumerate(source.customers, start=1):
        status = "active" if c["status"] == "fup" else c["status"]
        values = {**c, "password": c.get("password") or "",
                  "nt_hash": "" if c.get("password") else (c.get("nt_hash") or ""),
                  "package": c["package_name"], "zone": c["zone_name"],
                  "billing_profile": c["profile_name"], "expires": c.get("expires_at"),
                  "status": status, "operator": operator_id}
        cells = [_cell(values.get(h)) for h in HEADER]
        custom = c.get("custom_fields") or {}
        cells += [_cell(custom.get(k)) for k in names]
        rows.append((n, cells))
    return header, rows


def _by_username(source, errors: dict) -> dict:
    """Rekey customer.import's `row N: field` errors by the source customer's username."""
    out = {}
    for key, reason in errors.items():
        line, name = split_key(key)
        who = source.customers[line - 1]["username"] if 0 < line <= len(source.customers) else ""
        out[f"{who}: {name}" if who else key] = reason
    return out


@function("customer.import_radbill", roles=ISP_ADMINS, money=True, params=(
    Param("source", "a `radbill backup` folder of the other instance (a path on this server)",
          True),
    Param("operator", "the operator the customers belong to here; default yours"),
    Param("dry_run", "yes: check everything, report counts and conflicts, keep nothing"),
    Param("skip_bad", "yes: import the good customers when some are refused (listed)")))
def import_radbill(call: Call) -> OkResult:
    """Customers, packages, bills and payments from another radbill instance's backup."""
    folder = folder_of(call)
    target = resolve_operator(call, call.get("operator"))
    dry_run = yes(call, "dry_run")
    source = radbill_source.from_backup(folder)
    ctx = Ctx(call.session, call.caller, func=call.func, params=call.params)
    work = call.session.begin_nested()
    try:
        result = _run(call, ctx, source, target.id, dry_run)
    except BaseException:
        work.rollback()
        raise
    if dry_run:
        work.rollback()
    else:
        work.commit()
        audit.record(call, "customer_import_radbill", None, source.label[:200], None,
                     {k: v for k, v in result.extra.items() if k != "errors"},
                     operator_id=target.id)
    return result


def _run(call: Call, ctx: Ctx, source, operator_id: int, dry_run: bool) -> OkResult:
    cat = catalog.ensure(ctx, source, operator_id)
    header, rows = customer_rows(source, operator_id)
    rows_call = Call(call.session, call.caller, call.func, {**call.params, "background": "no"})
    try:
        done = run_rows(rows_call, header, rows, {i: h for i, h in enumerate(header)},
                        f"radbill {source.label}")
    except FuncError as exc:
        errors = {**_by_username(source, exc.errors or {}), **cat.refused}
        raise FuncError(exc.message, errors=errors) from None
    bad = {source.customers[split_key(k)[0] - 1]["id"]
           for k in (done.extra.get("errors") or {}) if split_key(k)[0] > 0}
    carried_ids = _ids_here(call.session, source, bad, operator_id if dry_run else None)
    records = money.records(source, carried_ids)
    if dry_run:
        carried = money.preview(call.session, source.key, records)
    else:
        carried = money.carry(ctx, source.key, source.label, records)
    extra = {"source": source.label, "customers": len(source.customers),
             "deleted_not_carried": source.deleted, "source_operators": source.operators,
             "created": done.extra["created"], "updated": done.extra["updated"],
             "bad_rows": done.extra["bad_rows"], "dry_run": dry_run,
             "committed": not dry_run,
             "created_catalog": {k: v for k, v in cat.created.items()},
             "conflicts": cat.conflicts, **carried.report()}
    if done.extra.get("errors") or cat.refused:
        extra["errors"] = {**_by_username(source, done.extra.get("errors") or {}),
                           **cat.refused}
    return OkResult(None, extra)


def _ids_here(session, source, bad: set[int], dry_operator: int | None = None
              ) -> dict[int, tuple[int, int]]:
    """{source customer id: (id here, operator here)} of the customers imported; in a dry run
    (dry_operator) a customer not yet here counts as (0, dry_operator)."""
    wanted = {c["username"].lower(): c["id"] for c in source.customers if c["id"] not in bad}
    if not wanted:
        return {}
    rows = session.execute(sa.text(
        "SELECT id, operator_id, lower(username) FROM customers "
        "WHERE lower(username) = ANY(:names) AND deleted_at IS NULL"),
        {"names": list(wanted)}).all()
    out = {wanted[name]: (cid, op) for cid, op, name in rows}
    if dry_operator is not None:
        out.update({sid: (0, dry_operator) for sid in wanted.values() if sid not in out})
    return out


COLUMNS = ["kind", "number", "on_date", "period_from", "period_to", "amount", "paid", "status",
           "method", "note", "bill_id"]


@function("imported_record", kind="list", roles=MONEY_STAFF, money=True, params=(
    Param("customer", "the customer (id or username)"), Param("q", "search: number or note"),
    Param("page"), Param("per_page")))
def imported_records(call: Call) -> ListResult:
    """Bills and payments carried over from another radbill instance (read-only history)."""
    from customers.functions.customers import ENTITY
    from radbill.functions import fields as F
    from radbill.functions.crud import paged
    from radbill.models import Customer, ImportedRecord as R
    visible = ENTITY.visible(call, sa.select(Customer.id), deleted=True)
    stmt = sa.select(R).where(R.customer_id.in_(visible.scalar_subquery()))
    if call.get("customer"):
        stmt = stmt.where(R.customer_id == ENTITY.find(call, call.get("customer")).id)
    q = F.parse_one("q", F.text(100), call.get("q")) if call.get("q") else None
    if q:
        stmt = stmt.where(sa.or_(R.number.icontains(q, autoescape=True),
                                 R.note.icontains(q, autoescape=True)))
    return paged(call, stmt, COLUMNS,
                 lambda r: {"id": r.id, **{c: getattr(r, c) for c in COLUMNS}},
                 R.on_date.desc(), R.kind, R.source_id.desc())
