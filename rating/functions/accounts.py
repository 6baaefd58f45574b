"""operator.fund, operator.transfer, journal, ledger, report.cash, report.receivable."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, page_params, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, OkResult,
                                        Param, function)
from radbill.functions.roles import MONEY_STAFF, RESELLERS
from radbill.models import (Bill, Customer, LedgerAccount, LedgerEntry, LedgerTransaction, Operator)
from rating import approvals, ledger, resellers
from rating.functions.common import money, optional_day
from rating.terms import midnight

ACCOUNTANTS = RESELLERS


def _below(call: Call, ref: str | None, field: str) -> Operator:
    """An operator strictly below the caller (nobody funds their own node)."""
    if not ref:
        raise FuncError("is required", field=field)
    op = resolve_operator(call, ref, field=field)
    if op.id == call.caller.operator_id and not call.caller.is_sysadmin:
        raise AccessDenied("your parent operator funds you, not yourself", field=field)
    return op


@function("operator.fund", money=True, roles=ACCOUNTANTS,
          params=(Param("elid", "the reseller (id or name)", True), Param("amount", "", True),
                  Param("note")))
def fund(call: Call) -> OkResult:
    """Record a reseller's payment to its parent: a debit one tops up, a credit one pays down."""
    op = _below(call, call.elid, "elid")
    amount, note = money(call), _note(call)
    if op.parent_id is None:  # refused now, not when a second login approves it
        raise FuncError("the ISP itself has no upstream to fund it", field="elid")
    held = approvals.hold(call, operator_id=op.id, amount=amount, params={
        "elid": op.id, "amount": amount, "note": note},
        summary=f"funds of {amount} for {op.name}")
    if held is not None:  # above the approval threshold: nothing booked
        return held.ok()
    tx = resellers.fund(call.session, op, amount, note)
    audit.record(call, "operator", op.id, op.name, None, {"funded": str(money(call)), "tx": tx},
                 op.id)
    return OkResult(tx, {"available": str(resellers.available(call.session, op))})


@function("operator.transfer", money=True, roles=ACCOUNTANTS,
          params=(Param("from", "operator (id or name)", True), Param("to", "operator", True),
                  Param("amount", "", True), Param("note")))
def transfer(call: Call) -> OkResult:
    """Move spendable balance from one reseller to another."""
    src = resolve_operator(call, call.get("from"), field="from") if call.get("from") else None
    if src is None:
        raise FuncError("is required", field="from")
    dst = _below(call, call.get("to"), "to")
    tx = resellers.transfer(call.session, src, dst, money(call), _note(call))
    audit.record(call, "operator", src.id, src.name, None,
                 {"transferred": str(money(call)), "to": dst.name, "tx": tx}, src.id)
    return OkResult(tx)


def _note(call: Call) -> str | None:
    return F.parse_one("note", F.text(500), (call.get("note") or "").strip()) or None


def _dates(call: Call, stmt, column):
    start, end = optional_day(call, "from"), optional_day(call, "to")
    if start:
        stmt = stmt.where(column >= midnight(start))
    if end:
        stmt = stmt.where(column < midnight(end + dt.timedelta(days=1)))
    return stmt


def _listed(call: Call, stmt, columns: list[str]) -> ListResult:
    page, per_page = page_params(call)
    total = call.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = [{k: audit.jsonable(v) for k, v in r._mapping.items()}
            for r in call.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))]
    return ListResult(rows, total, page, per_page, columns)


@function("journal", money=True, kind="list", roles=ACCOUNTANTS,
          params=(Param("operator"), Param("kind"), Param("from"), Param("to"), Param("page"),
                  Param("per_page")))
def journal(call: Call) -> ListResult:
    """Every ledger transaction with its legs, newest first."""
    legs = (sa.select(sa.func.string_agg(
        sa.func.concat(Operator.name, " ", LedgerAccount.kind, " ", LedgerEntry.amount), "; "))
        .select_from(LedgerEntry).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .join(Operator, Operator.id == LedgerAccount.operator_id)
        .where(LedgerEntry.transaction_id == LedgerTransaction.id).scalar_subquery())
    stmt = sa.select(LedgerTransaction.id, LedgerTransaction.at, LedgerTransaction.kind,
                     LedgerTransaction.description, LedgerTransaction.operator_id,
                     LedgerTransaction.payment_id, LedgerTransaction.bill_id,
                     LedgerTransaction.reference, legs.label("legs"))
    stmt = stmt.where(in_subtree(call, LedgerTransaction.operator_id))
    if call.get("operator"):
        op = resolve_operator(call, call.get("operator"))
        stmt = stmt.where(LedgerTransaction.operator_id == op.id)
    if call.get("kind"):
        stmt = stmt.where(LedgerTransaction.kind == call.get("kind"))
    stmt = _dates(call, stmt, LedgerTransaction.at).order_by(LedgerTransaction.id.desc())
    return _listed(call, stmt, ["id", "at", "kind", "description", "operator_id", "legs"])


@function("ledger", money=True, kind="list", roles=ACCOUNTANTS,
          params=(Param("operator", "default: yours"), Param("account", "cash, receivable, ..."),
                  Param("page"), Param("per_page")))
def account_ledger(call: Call) -> ListResult:
    """One account's entries with the running balance after each (debit positive)."""
    op = resolve_operator(call, call.get("operator"))
    kind = call.get("account") or "cash"
    if kind not in ledger.LABELS:
        raise FuncError(f"{kind!r} is not one of {', '.join(ledger.LABELS)}", field="account")
    acc = call.session.scalar(sa.select(LedgerAccount.id).where(
        LedgerAccount.operator_id == op.id, LedgerAccount.kind == kind))
    if acc is None:
        return ListResult([], 0, 1, 50, [])
    running = sa.func.sum(LedgerEntry.amount).over(order_by=LedgerEntry.id)
    amount = LedgerEntry.amount
    inner = (sa.select(LedgerEntry.id, LedgerTransaction.at,
                       LedgerTransaction.id.label("transaction"),
                       LedgerTransaction.kind, LedgerTransaction.description,
                       sa.case((amount > 0, amount), else_=0).label("debit"),
                       sa.case((amount < 0, -amount), else_=0).label("credit"),
                       running.label("balance"))
             .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
             .where(LedgerEntry.account_id == acc).subquery())
    stmt = sa.select(inner).order_by(inner.c.id)
    return _listed(call, stmt, ["id", "at", "transaction", "kind", "description", "debit",
                                "credit", "balance"])


@function("report.cash", replica=True, money=True, kind="list", roles=ACCOUNTANTS,
          params=(Param("period", "daily or monthly"), Param("operator"), Param("from"),
                  Param("to"), Param("page"), Param("per_page")))
def cash_report(call: Call) -> ListResult:
    """Cash in and cash out per day or per month."""
    from radbill import settings
    unit = {"daily": "day", "monthly": "month"}.get(call.get("period") or "daily")
    if unit is None:
        raise FuncError("must be daily or monthly", field="period")
    op = resolve_operator(call, call.get("operator"))
    bucket = sa.func.date_trunc(unit, sa.func.timezone(settings.get().time_zone,
                                                       LedgerTransaction.at)).label("period")
    amount, total = LedgerEntry.amount, sa.func.sum(LedgerEntry.amount)
    stmt = (sa.select(bucket,
                      sa.func.coalesce(total.filter(amount > 0), 0).label("cash_in"),
                      sa.func.coalesce(-total.filter(amount < 0), 0).label("cash_out"),
                      total.label("net"))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerAccount.operator_id == op.id, LedgerAccount.kind == "cash"))
    stmt = _dates(call, stmt, LedgerTransaction.at).group_by(bucket).order_by(bucket.desc())
    return _listed(call, stmt, ["period", "cash_in", "cash_out", "net"])


@function("report.receivable", replica=True, money=True, kind="list", roles=MONEY_STAFF,
          params=(Param("operator"), Param("page"), Param("per_page")))
def receivable(call: Call) -> ListResult:
    """What each customer owes: open bills, amount due, oldest due date."""
    due = sa.func.sum(Bill.total - Bill.paid)
    stmt = (sa.select(Customer.id, Customer.username, Customer.name, Customer.operator_id,
                      Customer.status, sa.func.count(Bill.id).label("bills"), due.label("due"),
                      sa.func.min(Bill.due_date).label("oldest_due"))
            .join(Bill, Bill.customer_id == Customer.id)
            .where(Bill.status == "open", in_subtree(call, Customer.operator_id))
            .group_by(Customer.id).order_by(due.desc(), Customer.id))
    if call.caller.role == "manager":
        stmt = stmt.where(Customer.manager_id == call.caller.user_id)
    if call.get("operator"):
        path = resolve_operator(call, call.get("operator")).path
        stmt = stmt.where(Customer.operator_id.in_(sa.select(Operator.id).where(
            Operator.path.startswith(path, autoescape=True))))
    return _listed(call, stmt, ["id", "username", "name", "operator_id", "status", "bills",
                                "due", "oldest_due"])
