"""report.income_expense, report.yearly, report.payable, report.reseller_receivable, statement,
statement.pdf (issue 19). What each figure means is in rating/books.py.

report.income_expense reads the ledger itself (an expense recorded a minute ago is in it);
report.yearly reads books_monthly, which the daily job yearly_summary keeps. Payable and
receivable are each direct reseller's `upstream` balance with the operator: positive, the
operator holds the reseller's funds (payable: prepaid, debit resellers); negative, the
reseller owes it (receivable: postpaid, credit resellers).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa

from radbill import l10n
from radbill.l10n import tr
from radbill.functions import fields as F
from radbill.functions.crud import page_params, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FileResult, FuncError, ListResult,
                                        Param, function)
from radbill.functions.roles import MONEY_STAFF, RESELLERS
from radbill.models import LedgerAccount, LedgerEntry, LedgerTransaction, Operator
from radbill.models.books import BooksMonthly, Expense
from radbill.money import ZERO
from rating import books, ledger, report_pdf, statement
from rating.functions.common import customer as find_customer
from rating.functions.common import optional_day
from rating.terms import today

MAX_MONTHS = 120
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)


def month_param(call: Call, name: str) -> dt.date | None:
    """A month: 2026-11 (or any day of it, 2026-11-15)."""
    raw = (call.get(name) or "").strip()
    if not raw:
        return None
    if _MONTH.fullmatch(raw):
        raw += "-01"
    return books.first_of(F.parse_one(name, F.day, raw))


def _listed(call: Call, rows: list[dict], columns: list[str]) -> ListResult:
    page, per_page = page_params(call)
    shown = rows[(page - 1) * per_page: page * per_page]
    return ListResult([{k: _cell(v) for k, v in r.items()} for r in shown], len(rows), page,
                      per_page, columns)


def _cell(value):
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# -- income vs expense ------------------------------------------------------------------------
IE_COLUMNS = ["month", "income", "vat", "expenses", "costs", "profit", "received", "cash_in",
              "cash_out"]


@function("report.income_expense", replica=True, money=True, kind="list", roles=RESELLERS,
          params=(Param("operator", "whose books (default: yours)"),
                  Param("from", "first month, 2026-01 (default: 11 months before the last)"),
                  Param("to", "last month (default: this month)"),
                  Param("by", "month, or category (the expenses of the months by category)"),
                  Param("page"), Param("per_page")))
def income_expense(call: Call) -> ListResult:
    """Income (revenue booked: bills net of VAT and discount) against expenses and costs, per
    month of one operator's own books; by=category: the expenses by category."""
    by = F.parse_one("by", F.choice("month", "category"), (call.get("by") or "month").strip())
    op, months = ie_window(call)
    if by == "category":
        return _listed(call, by_category(call, op, months[0], books.next_month(months[-1])),
                       ["category", "amount", "share", "expenses"])
    return _listed(call, ie_rows(call, op, months), IE_COLUMNS)


def ie_window(call: Call) -> tuple[Operator, list[dt.date]]:
    """The operator and the months (from, to) asked for."""
    op = resolve_operator(call, call.get("operator"))
    last = month_param(call, "to") or books.first_of(today())
    first = month_param(call, "from") or books.first_of(
        (last - dt.timedelta(days=320)).replace(day=1))
    if first > last:
        raise FuncError("must not be after 'to'", field="from")
    months = books.months_between(first, last)
    if len(months) > MAX_MONTHS:
        raise FuncError(f"at most {MAX_MONTHS} months at a time", field="from")
    return op, months


def ie_rows(call: Call, op: Operator, months: list[dt.date]) -> list[dict]:
    found = books.figures(call.session, months, [op.id])
    rows = []
    for m in months:
        f = found.get((op.id, m)) or books.zero()
        rows.append({"month": f"{m:%Y-%m}", "income": f["income"], "vat": f["vat"],
                     "expenses": f["expenses"], "costs": f["costs"],
                     "profit": f["income"] - f["expenses"] - f["costs"],
                     "received": f["received"], "cash_in": f["cash_in"],
                     "cash_out": f["cash_out"]})
    return rows


@function("report.income_expense.pdf", money=True, kind="file", roles=RESELLERS, params=(
    Param("operator", "whose books (default: yours)"), Param("from", "first month, 2026-01"),
    Param("to", "last month (default: this month)"),
    Param("language", "en or bn (default: the page's)")))
def income_expense_pdf(call: Call) -> FileResult:
    """Income vs expense as a PDF to print: the months, their total, expenses by category."""
    op, months = ie_window(call)
    lang = language(call)
    rows = [{**r, "month": l10n.date(dt.date.fromisoformat(r["month"] + "-01"), lang, "MMM y")}
            for r in ie_rows(call, op, months)]
    total = {"month": tr(lang, "Total"), report_pdf.TOTAL: True,
             **{k: sum((r[k] for r in rows), ZERO) for k in IE_COLUMNS[1:]}}
    heads = {"month": "Month", "income": "Income", "vat": "VAT", "expenses": "Expenses",
             "costs": "Other costs", "profit": "Profit", "received": "Received",
             "cash_in": "Cash in", "cash_out": "Cash out"}
    columns = [report_pdf.Column("month", tr(lang, heads["month"]), 32, "left")] + [
        report_pdf.Column(k, tr(lang, heads[k])) for k in IE_COLUMNS[1:]]
    cats = by_category(call, op, months[0], books.next_month(months[-1]))
    notes = [tr(lang, "Income: revenue booked (bills net of VAT and discount, and wholesale "
                      "from resellers). Other costs: wholesale, gateway charges, commission, "
                      "messages, service. Profit = income - expenses - other costs.")]
    if cats:
        notes.append(tr(lang, "Expenses by category: %(list)s", list="; ".join(
            f"{c['category']} {report_pdf.cell(c['amount'], lang)}" for c in cats)))
    period = tr(lang, "%(name)s, %(start)s to %(end)s", name=op.name,
                start=l10n.date(months[0], lang, "MMM y"),
                end=l10n.date(months[-1], lang, "MMM y"))
    data = report_pdf.render(call.session, op, tr(lang, "Income vs expense"), [period], columns,
                             rows + [total], notes, lang)
    return FileResult(f"income-expense-{months[0]:%Y-%m}-{months[-1]:%Y-%m}.pdf",
                      "application/pdf", data)


def language(call: Call) -> str:
    lang = (call.get("language") or "").strip()
    if lang and lang not in l10n.LANGS:
        raise FuncError(f"must be one of {', '.join(l10n.LANGS)}", field="language")
    return lang or l10n.current()


def by_category(call: Call, op: Operator, start: dt.date, end: dt.date) -> list[dict]:
    """The operator's expenses standing (not reversed) in [start, end), per category."""
    total = sa.func.sum(Expense.amount)
    found = call.session.execute(
        sa.select(Expense.category_id, total, sa.func.count())
        .where(Expense.operator_id == op.id, Expense.status == "booked",
               Expense.spent_on >= start, Expense.spent_on < end)
        .group_by(Expense.category_id).order_by(total.desc())).all()
    names = books.category_names(call.session, [c for c, _, _ in found])
    grand = sum((t for _, t, _ in found), ZERO)
    return [{"category": names[c], "amount": t, "share": (t * 100 / grand).quantize(
        Decimal("0.1")) if grand else ZERO, "expenses": n} for c, t, n in found]


# -- the yearly summary -----------------------------------------------------------------------
YEAR_COLUMNS = ["month", *books.FIGURES, "profit"]
MONTH_KEYS = [f"m{i:02d}" for i in range(1, 13)]


@function("report.yearly", replica=True, money=True, kind="list", roles=RESELLERS, params=(
    Param("operator", "whose books (default: yours)"), Param("year", "default: this year"),
    Param("by", "month (the operator's months and the year), or operator (each reseller "
                "directly below it: its branch's income per month)"),
    Param("page"), Param("per_page")))
def yearly(call: Call) -> ListResult:
    """The year per month from the monthly summary (the job yearly_summary keeps it), and the
    year's total; by=operator: the income of each reseller below, per month."""
    by = F.parse_one("by", F.choice("month", "operator"), (call.get("by") or "month").strip())
    op = resolve_operator(call, call.get("operator"))
    raw = (call.get("year") or "").strip()
    year = F.parse_one("year", F.integer(F.YEARS[0], F.YEARS[1]), raw) if raw else today().year
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    if by == "operator":
        return _listed(call, by_operator(call, op, start, end), ["operator", *MONTH_KEYS, "total"])
    stored = {r.month: r for r in call.session.scalars(sa.select(BooksMonthly).where(
        BooksMonthly.operator_id == op.id, BooksMonthly.month >= start,
        BooksMonthly.month < end))}
    rows, total = [], books.zero()
    for m in books.months_between(start, dt.date(year, 12, 1)):
        r = stored.get(m)
        values = {k: getattr(r, k) if r is not None else ZERO for k in books.FIGURES}
        for k in books.FIGURES:
            total[k] += values[k]
        rows.append({"month": f"{m:%Y-%m}", **values,
                     "profit": values["income"] - values["expenses"] - values["costs"]})
    rows.append({"month": str(year), **total,
                 "profit": total["income"] - total["expenses"] - total["costs"]})
    return _listed(call, rows, YEAR_COLUMNS)


def by_operator(call: Call, op: Operator, start: dt.date, end: dt.date) -> list[dict]:
    """The operator's own income, then each direct child's branch (it and all below it)."""
    branch = sa.orm.aliased(Operator)
    children = list(call.session.scalars(sa.select(Operator).where(Operator.parent_id == op.id)
                                         .order_by(Operator.name)))
    rows = []
    for who, subtree in [(op, False)] + [(c, True) for c in children]:
        owners = sa.select(branch.id).where(branch.path.startswith(who.path, autoescape=True)) \
            if subtree else sa.select(sa.literal(who.id))
        found = dict(call.session.execute(
            sa.select(BooksMonthly.month, sa.func.sum(BooksMonthly.income))
            .where(BooksMonthly.operator_id.in_(owners), BooksMonthly.month >= start,
                   BooksMonthly.month < end).group_by(BooksMonthly.month)).all())
        months = {f"m{m.month:02d}": found.get(m, ZERO)
                  for m in books.months_between(start, dt.date(start.year, 12, 1))}
        rows.append({"operator": who.name, **months, "total": sum(months.values(), ZERO)})
    return rows


# -- payable and receivable with resellers ----------------------------------------------------
def positions(call: Call) -> tuple[Operator, list[dict]]:
    """Each reseller directly below the operator: its upstream balance, last movement, last
    payment (fund)."""
    op = resolve_operator(call, call.get("operator"))
    amount, at = LedgerEntry.amount, LedgerTransaction.at
    acc = (sa.select(LedgerAccount.operator_id, sa.func.sum(amount).label("balance"),
                     sa.func.max(at).label("last_movement"),
                     sa.func.max(at).filter(LedgerTransaction.kind == "fund").label("last_payment"))
           .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
           .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
           .where(LedgerAccount.kind == "upstream").group_by(LedgerAccount.operator_id).subquery())
    rows = call.session.execute(
        sa.select(Operator, acc.c.balance, acc.c.last_movement, acc.c.last_payment)
        .outerjoin(acc, acc.c.operator_id == Operator.id)
        .where(Operator.parent_id == op.id).order_by(Operator.name)).all()
    return op, [{"op": o, "balance": b or ZERO, "last_movement": lm, "last_payment": lp}
                for o, b, lm, lp in rows]


@function("report.payable", replica=True, money=True, kind="list", roles=RESELLERS, params=(
    Param("operator", "whose resellers (default: yours)"), Param("page"), Param("per_page")))
def payable(call: Call) -> ListResult:
    """What the operator holds for the resellers directly below it: their prepaid balances."""
    _, found = positions(call)
    rows = [{"operator": p["op"].name, "kind": p["op"].kind, "balance": p["balance"],
             "last_movement": p["last_movement"]} for p in found if p["balance"] > 0]
    rows.sort(key=lambda r: (-r["balance"], r["operator"]))
    return _listed(call, rows, ["operator", "kind", "balance", "last_movement"])


@function("report.reseller_receivable", replica=True, money=True, kind="list", roles=RESELLERS,
          params=(Param("operator", "whose resellers (default: yours)"), Param("page"),
                  Param("per_page")))
def reseller_receivable(call: Call) -> ListResult:
    """What the resellers directly below the operator owe it (credit resellers' debt), with
    their credit limit and what they may still spend."""
    _, found = positions(call)
    rows = [{"operator": p["op"].name, "kind": p["op"].kind, "owed": -p["balance"],
             "credit_limit": p["op"].credit_limit if p["op"].kind == "credit" else ZERO,
             "available": p["balance"] + (p["op"].credit_limit if p["op"].kind == "credit"
                                          else ZERO),
             "last_payment": p["last_payment"]} for p in found if p["balance"] < 0]
    rows.sort(key=lambda r: (-r["owed"], r["operator"]))
    return _listed(call, rows, ["operator", "kind", "owed", "credit_limit", "available",
                                "last_payment"])


# -- statements -------------------------------------------------------------------------------
STATEMENT_PARAMS = (
    Param("customer", "a customer (id or username)"),
    Param("operator", "or an operator (id or name); neither: your own operator"),
    Param("account", "an operator's account: upstream (a reseller's, the default), cash, "
                     "bank, receivable, ..."),
    Param("from", "first day (default: the first of this month)"),
    Param("to", "last day (default: today)"))


def build(call: Call) -> statement.Statement:
    start = optional_day(call, "from") or today().replace(day=1)
    end = optional_day(call, "to") or today()
    if start > end:
        raise FuncError("must not be after 'to'", field="from")
    if call.get("customer"):
        return statement.of_customer(call.session, find_customer(call), start, end)
    if call.caller.role not in RESELLERS and not call.caller.is_sysadmin:
        raise AccessDenied(f"the {call.caller.role} role sees customers' statements only",
                           field="operator")
    op = resolve_operator(call, call.get("operator"))
    kind = (call.get("account") or "").strip() or ("upstream" if op.parent_id else "cash")
    if kind not in ledger.LABELS:
        raise FuncError(f"{F.short(kind)!r} is not one of {', '.join(ledger.LABELS)}",
                        field="account")
    return statement.of_operator(call.session, op, kind, start, end)


@function("statement", money=True, kind="list", roles=MONEY_STAFF,
          params=STATEMENT_PARAMS + (Param("page"), Param("per_page")))
def statement_rows(call: Call) -> ListResult:
    """An account's movements in a period with the running balance; the first row is the
    opening balance, the last the closing one."""
    st = build(call)
    columns = ["day", "description", "reference", "debit", "credit", "balance"]
    rows = statement.lines(st, l10n.pick(call.caller.lang))  # in the caller's language
    return _listed(call, [{k: r[k] for k in columns} for r in rows], columns)


@function("statement.pdf", money=True, kind="file", roles=MONEY_STAFF,
          params=STATEMENT_PARAMS + (Param("language", "en or bn (default: the customer's "
                                                       "or the page's)"),))
def statement_pdf(call: Call) -> FileResult:
    """The statement as a PDF to print or send."""
    st = build(call)
    lang = (call.get("language") or "").strip()
    if not lang and call.get("customer"):
        lang = find_customer(call).lang or ""
    data = statement.render(call.session, st, lang or language(call))
    name = re.sub(r"[^\w.-]", "_", st.subject)[:40] or "account"
    return FileResult(f"statement-{name}-{st.start}-{st.end}.pdf", "application/pdf", data)

