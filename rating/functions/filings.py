"""report.vat, report.vat_file, report.collector_cash, report.collector_cash_file: what an
owner files and hands over (issue 19).

VAT: Bangladesh's VAT falls due when the invoice is issued (the VAT and SD Act 2012's tax
point is the earliest of supply, invoice and payment; an ISP bills before it is paid), so the
figure to file is the VAT on bills issued in the period (`vat`: bills.vat by issued_on), less
the VAT given back by credit notes (a downgrade's credit, ledger kind change_credit). What was
actually collected is shown beside it for information: the VAT share of each payment
allocation received in the period (allocation x bill VAT / bill total, rounded to the paisa per
allocation; reversed payments left out). The ledger's vat_payable account moves with the same
bills and credits.

Collector cash: per day or month and per staff login who took payments (payments.collected_by),
by method: count and amount taken, reversals counted on the day they were reversed (so a day's
net is the cash that day's collector should hold), net; a row per collector and period with
method 'total'. A collector (manager, card distributor) sees only their own."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa

from radbill import settings
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FileResult, FuncError, ListResult,
                                        Param, function)
from radbill.functions.roles import RESELLERS
from radbill.models import (Bill, LedgerAccount, LedgerEntry, LedgerTransaction, Operator,
                            Payment, PaymentAllocation, StaffUser)
from radbill.money import ZERO
from rating import filings
from rating.functions.common import optional_day
from rating.functions.receipts import COLLECTORS, collector as collector_id
from rating.terms import midnight, today

MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)
MAX_DAYS = 3700  # about ten years: a range any filing needs, bounded for the database
VAT_COLUMNS = ["period", "operator_id", "operator", "kind", "vat_rate", "bills", "taxable",
               "vat", "total", "collected", "vat_collected"]
VAT_HEADERS = ["Month", "Operator ID", "Operator", "Kind", "VAT rate (%)", "Bills",
               "Taxable amount", "VAT", "Total with VAT", "Collected against bills",
               "VAT collected"]
CASH_COLUMNS = ["period", "collector_id", "collector", "name", "method", "payments", "amount",
                "reversals", "reversed", "net"]
CASH_HEADERS = ["Period", "Collector ID", "Collector", "Name", "Method", "Payments", "Amount",
                "Reversals", "Reversed", "Net"]
PERIOD_PARAMS = (Param("month", "YYYY-MM (or from/to)"), Param("from", "first day"),
                 Param("to", "last day (default today)"))


def period(call: Call) -> tuple[dt.date, dt.date]:
    """The days asked for: month=YYYY-MM, or from/to (default this month to today)."""
    raw = (call.get("month") or "").strip()
    if raw:
        if call.get("from") or call.get("to"):
            raise FuncError("give a month or from/to, not both", field="month")
        try:
            if not MONTH.fullmatch(raw):
                raise ValueError(raw)
            start = F.day(raw + "-01")
        except ValueError:
            raise FuncError(f"{F.short(raw)!r} is not a month like 2026-11 (YYYY-MM)",
                            field="month") from None
        return start, (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    start, end = optional_day(call, "from"), optional_day(call, "to")
    end = end or max(today(), start or today())
    start = start or end.replace(day=1)
    if start > end:
        raise FuncError("must be on or before 'to'", field="from")
    if (end - start).days > MAX_DAYS:
        raise FuncError(f"a period is at most {MAX_DAYS} days", field="to")
    return start, end


def _operators(call: Call) -> sa.Select:
    """The operators the report covers: `operator`'s subtree, else the caller's."""
    if call.get("operator"):
        path = resolve_operator(call, call.get("operator")).path
        return sa.select(Operator.id).where(Operator.path.startswith(path, autoescape=True))
    return sa.select(Operator.id).where(in_subtree(call, Operator.id))


def _month(column) -> sa.ColumnElement:
    return sa.func.to_char(column, "YYYY-MM")


def _local(column) -> sa.ColumnElement:
    return sa.func.timezone(settings.get().time_zone, column)


@function("report.vat", replica=True, money=True, kind="list", roles=RESELLERS, params=(
    *PERIOD_PARAMS, Param("operator", "its subtree (default yours)")))
def vat(call: Call) -> ListResult:
    """VAT to file per month, operator and rate: taxable amount, VAT on bills issued, credit
    notes, totals per rate and in all; VAT collected against bills beside it."""
    start, end = period(call)
    return ListResult(*_vat_rows(call, start, end))


def _vat_rows(call: Call, start: dt.date, end: dt.date) -> tuple[list[dict], int, int, int,
                                                                    list[str]]:
    ops = _operators(call)
    month = _month(Bill.issued_on)
    issued = call.session.execute(
        sa.select(month, Bill.operator_id, Bill.vat_percent, sa.func.count(),
                  sa.func.sum(Bill.subtotal - Bill.discount), sa.func.sum(Bill.vat),
                  sa.func.sum(Bill.total))
        .where(Bill.issued_on >= start, Bill.issued_on <= end, Bill.operator_id.in_(ops))
        .group_by(month, Bill.operator_id, Bill.vat_percent)).all()
    got = _month(_local(Payment.received_at))
    share = sa.func.round(PaymentAllocation.amount * Bill.vat / Bill.total, 2)
    collected = call.session.execute(
        sa.select(got, Bill.operator_id, Bill.vat_percent,
                  sa.func.sum(PaymentAllocation.amount), sa.func.sum(share))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .join(Bill, Bill.id == PaymentAllocation.bill_id)
        .where(Payment.status != "reversed", Bill.total > 0, Bill.operator_id.in_(ops),
               Payment.received_at >= midnight(start),
               Payment.received_at < midnight(end + dt.timedelta(days=1)))
        .group_by(got, Bill.operator_id, Bill.vat_percent)).all()
    legs = sa.func.sum(LedgerEntry.amount)
    at = _month(_local(LedgerTransaction.at))
    credits = call.session.execute(
        sa.select(at, LedgerAccount.operator_id,
                  -legs.filter(LedgerAccount.kind == "revenue"),
                  -legs.filter(LedgerAccount.kind == "vat_payable"), sa.func.count(
                      sa.distinct(LedgerTransaction.id)))
        .select_from(LedgerEntry)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerTransaction.kind == "change_credit", LedgerAccount.operator_id.in_(ops),
               LedgerAccount.kind.in_(("revenue", "vat_payable")),
               LedgerTransaction.at >= midnight(start),
               LedgerTransaction.at < midnight(end + dt.timedelta(days=1)))
        .group_by(at, LedgerAccount.operator_id)).all()
    rows: dict[tuple, dict] = {}

    def row(key: tuple, kind: str) -> dict:
        return rows.setdefault(key, {"period": key[0], "operator_id": key[1], "kind": kind,
                                     "vat_rate": key[2], "bills": 0, "taxable": ZERO,
                                     "vat": ZERO, "total": ZERO, "collected": ZERO,
                                     "vat_collected": ZERO})
    for m, op, rate, n, taxable, tax, total in issued:
        r = row((m, op, rate), "bills")
        r.update(bills=n, taxable=taxable, vat=tax, total=total)
    for m, op, rate, paid, tax in collected:
        r = row((m, op, rate), "bills")
        r.update(collected=paid, vat_collected=tax)
    for m, op, taxable, tax, n in credits:
        r = row((m, op, None), "credit_notes")
        taxable, tax = taxable or ZERO, tax or ZERO
        r.update(bills=n, taxable=taxable, vat=tax, total=taxable + tax)
    names = dict(call.session.execute(sa.select(Operator.id, Operator.name).where(
        Operator.id.in_({k[1] for k in rows}))).all()) if rows else {}
    order = sorted(rows.values(), key=lambda r: (r["period"], names.get(r["operator_id"], ""),
                                                r["kind"], r["vat_rate"] or Decimal(-1)))
    out = [_vat_out(r, names.get(r["operator_id"])) for r in order]
    sums: dict = {}
    for r in order:  # totals per rate (credit notes apart), then in all
        for key in ((r["kind"], r["vat_rate"]), ("all", None)):
            t = sums.setdefault(key, {"period": "total", "operator_id": None, "kind": key[0],
                                      "vat_rate": key[1], "bills": 0, "taxable": ZERO,
                                      "vat": ZERO, "total": ZERO, "collected": ZERO,
                                      "vat_collected": ZERO})
            for k in ("bills", "taxable", "vat", "total", "collected", "vat_collected"):
                t[k] += r[k]
    for key in sorted(sums, key=lambda k: (k[0] == "all", k[0], k[1] or Decimal(-1))):
        out.append(_vat_out(sums[key], None))
    return out, len(out), 1, max(len(out), 1), list(VAT_COLUMNS)


def _vat_out(r: dict, operator: str | None) -> dict:
    return {**r, "operator": operator,
            "vat_rate": None if r["vat_rate"] is None else str(r["vat_rate"]),
            **{k: str(Decimal(r[k]).quantize(Decimal("0.01")))
               for k in ("taxable", "vat", "total", "collected", "vat_collected")}}


FORMATS = ("xlsx", "csv", "pdf")


@function("report.vat_file", replica=True, money=True, kind="file", roles=RESELLERS, params=(
    *PERIOD_PARAMS, Param("operator", "its subtree (default yours)"),
    Param("format", "xlsx (default), csv or pdf (the printable statement)"),
    Param("lang", "the PDF's language: en or bn")))
def vat_file(call: Call) -> FileResult:
    """The VAT report as a spreadsheet, a CSV or a printable PDF statement."""
    fmt = F.parse_one("format", F.choice(*FORMATS), call.get("format") or "xlsx")
    start, end = period(call)
    rows = _vat_rows(call, start, end)[0]
    name = f"vat-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "pdf":
        data = filings.vat_pdf(call.session, resolve_operator(call, call.get("operator")), rows,
                               start=start, end=end, lang=call.get("lang") or call.caller.lang)
        return FileResult(f"{name}.pdf", "application/pdf", data)
    table = [[r[c] for c in VAT_COLUMNS] for r in rows]
    if fmt == "csv":
        return FileResult(f"{name}.csv", "text/csv; charset=utf-8",
                          filings.csv_bytes(VAT_HEADERS, table))
    return FileResult(f"{name}.xlsx", filings.XLSX,
                      filings.workbook([("VAT", VAT_HEADERS, table)]))


CASH_PARAMS = (Param("period", "daily (default) or monthly"), *PERIOD_PARAMS,
               Param("collector", "a login or id (a collector: only their own)"),
               Param("operator", "payments of its subtree (default yours)"))


@function("report.collector_cash", replica=True, money=True, kind="list",
          roles=RESELLERS + COLLECTORS, params=CASH_PARAMS)
def collector_cash(call: Call) -> ListResult:
    """Cash per collector per day or month: payments taken by method, reversals on the day
    they were reversed, net; a 'total' row per collector and period."""
    rows = _cash_rows(call)
    return ListResult(rows, len(rows), 1, max(len(rows), 1), list(CASH_COLUMNS))


def _cash_rows(call: Call) -> list[dict]:
    unit = F.parse_one("period", F.choice("daily", "monthly"), call.get("period") or "daily")
    start, end = period(call)
    lo, hi = midnight(start), midnight(end + dt.timedelta(days=1))
    who = _collector(call)
    scope = [Payment.collected_by.is_not(None), Payment.method != "advance",
             Payment.operator_id.in_(_operators(call))]
    if who is not None:
        scope.append(Payment.collected_by == who)
    taken = sa.select(Payment.collected_by.label("uid"), Payment.method, Payment.amount,
                      Payment.received_at.label("at"), sa.literal(True).label("taken")) \
        .where(*scope, Payment.received_at >= lo, Payment.received_at < hi)
    back = sa.select(Payment.collected_by, Payment.method, Payment.amount, Payment.reversed_at,
                     sa.literal(False)) \
        .where(*scope, Payment.status == "reversed", Payment.reversed_at >= lo,
               Payment.reversed_at < hi)
    ev = sa.union_all(taken, back).subquery()
    fmt = "YYYY-MM-DD" if unit == "daily" else "YYYY-MM"
    bucket = sa.func.to_char(_local(ev.c.at), fmt).label("period")
    amount = sa.func.sum(ev.c.amount)
    stmt = (sa.select(bucket, StaffUser.id, StaffUser.login, StaffUser.name, ev.c.method,
                      sa.func.count().filter(ev.c.taken),
                      sa.func.coalesce(amount.filter(ev.c.taken), 0),
                      sa.func.count().filter(~ev.c.taken),
                      sa.func.coalesce(amount.filter(~ev.c.taken), 0))
            .join(StaffUser, StaffUser.id == ev.c.uid)
            .where(in_subtree(call, StaffUser.operator_id))
            .group_by(bucket, StaffUser.id, StaffUser.login, StaffUser.name, ev.c.method)
            .order_by(bucket, StaffUser.login, StaffUser.id, ev.c.method))
    out, totals = [], {}
    for p, uid, login, name, method, n, amt, nback, amt_back in call.session.execute(stmt):
        out.append(_cash_line(p, uid, login, name, method, n, amt, nback, amt_back))
        t = totals.setdefault((p, uid), [p, uid, login, name, "total", 0, ZERO, 0, ZERO])
        for i, v in ((5, n), (6, amt), (7, nback), (8, amt_back)):
            t[i] += v
    rows = []
    for key in totals:  # each collector's methods, then their total, period by period
        rows += [r for r in out if (r["period"], r["collector_id"]) == key]
        rows.append(_cash_line(*totals[key]))
    return rows


def _cash_line(p, uid, login, name, method, n, amt, nback, amt_back) -> dict:
    q = Decimal("0.01")
    return {"period": p, "collector_id": uid, "collector": login, "name": name,
            "method": method, "payments": n, "amount": str(Decimal(amt).quantize(q)),
            "reversals": nback, "reversed": str(Decimal(amt_back).quantize(q)),
            "net": str((Decimal(amt) - Decimal(amt_back)).quantize(q))}


def _collector(call: Call) -> int | None:
    """Whose payments: a collector's own always; else `collector` when given."""
    asked = collector_id(call) if (call.get("collector") or "").strip() else None
    if call.caller.role in COLLECTORS:
        if asked is not None and asked != call.caller.user_id:
            raise AccessDenied("a collector sees only their own cash", field="collector")
        return call.caller.user_id
    return asked


@function("report.collector_cash_file", replica=True, money=True, kind="file",
          roles=RESELLERS + COLLECTORS,
          params=CASH_PARAMS + (Param("format", "xlsx (default) or csv"),))
def collector_cash_file(call: Call) -> FileResult:
    """Collector cash as a spreadsheet or a CSV."""
    fmt = F.parse_one("format", F.choice("xlsx", "csv"), call.get("format") or "xlsx")
    rows = [[r[c] for c in CASH_COLUMNS] for r in _cash_rows(call)]
    start, end = period(call)
    name = f"collector-cash-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "csv":
        return FileResult(f"{name}.csv", "text/csv; charset=utf-8",
                          filings.csv_bytes(CASH_HEADERS, rows))
    return FileResult(f"{name}.xlsx", filings.XLSX,
                      filings.workbook([("Collector cash", CASH_HEADERS, rows)]))
