"""The books (issue 19): booking expenses, an operator's month from its own ledger, and the
monthly summary the yearly report reads (the job `yearly_summary`).

An expense is one balanced transaction dated at the start of its day in the ISP's zone
(`midnight`): debit `expense`, credit `cash` or `bank`. A change of amount, day or source
reverses that booking (dated like the booking it undoes, so the month it was in is corrected)
and books anew; a removal reverses it. Every transaction of an expense carries the reference
`expense:<id>`.

A month's figures, per operator, from its own accounts (months in the ISP's zone):
  cash_in / cash_out  debits / credits of `cash` and `bank` (every source: customers, funds
                      from resellers, transfers); a reversal counts against the side it
                      undoes, so cash_in - cash_out is the accounts' movement
  received            customers' payments into cash/bank, less reversals (cash basis)
  income              revenue booked: bills net of VAT and discount (and a parent's wholesale
                      from its resellers' activations), less voids and credits (accrual basis)
  vat                 VAT booked on bills (credits to vat_payable by bills, voids, credits)
  expenses            the `expense` account: expense.edit (by category on the expense rows)
  costs               the other costs radbill books itself: wholesale_cost, gateway_fees,
                      commission, messaging_cost, service_cost
  card_sales          cash from recharge cards a card distributor sold, less reversals
  card_commission     commission booked on those card payments (part of costs)
Profit = income - expenses - costs.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.jobs import Job, register
from radbill.models import JobState, LedgerTransaction
from radbill.models.books import BooksMonthly, Expense, ExpenseCategory
from radbill.money import ZERO
from rating import ledger
from rating.terms import midnight

FIGURES = ("cash_in", "cash_out", "received", "income", "vat", "expenses", "costs",
           "card_sales", "card_commission")
COSTS = ("wholesale_cost", "gateway_fees", "commission", "messaging_cost", "service_cost")
BILLING = ("bill", "billing_run", "bill_void", "change_credit")  # transactions that book VAT
# a reversal takes back the side it undoes: a payment's reversal is less cash in, an expense's
# less cash out (so a payment or expense booked and taken back counts for nothing)
REVERSALS = ("payment_reversal", "expense_reversal")
JOB = "yearly_summary"


# -- expenses in the ledger ------------------------------------------------------------------
def reference(e: Expense) -> str:
    return f"expense:{e.id}"


def book(session: Session, e: Expense, category: str) -> int:
    """Debit the expense, credit where it was paid from, dated at its day."""
    return ledger.post(session, "expense", f"expense {e.id}: {category}",
                       [(e.operator_id, "expense", e.amount), (e.operator_id, e.paid_from, -e.amount)],
                       operator_id=e.operator_id, reference=reference(e), at=midnight(e.spent_on))


def unbook(session: Session, e: Expense, why: str) -> int | None:
    """Reverse the expense's booking in force, dated as it was (its month is corrected)."""
    tx = session.get(LedgerTransaction, e.transaction_id)
    return ledger.reverse(session, [e.transaction_id], "expense_reversal",
                          f"expense {e.id} reversed: {why}", operator_id=e.operator_id,
                          reference=reference(e), at=tx.at)


def category_names(session: Session, ids) -> dict[int, str]:
    """Each category's full name: 'Utilities / Electricity'."""
    parent = sa.orm.aliased(ExpenseCategory)
    rows = session.execute(sa.select(ExpenseCategory.id, ExpenseCategory.name, parent.name)
                           .outerjoin(parent, parent.id == ExpenseCategory.parent_id)
                           .where(ExpenseCategory.id.in_(list(set(ids)))))
    return {i: f"{p} / {n}" if p else n for i, n, p in rows}


# -- a month from the ledger -----------------------------------------------------------------
def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first_of(first)
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


FIGURES_SQL = f"""
SELECT a.operator_id,
       CAST(date_trunc('month', timezone(:tz, t.at)) AS date) AS month,
       coalesce(sum(e.amount) FILTER (WHERE a.kind IN ('cash', 'bank')
           AND (e.amount > 0) <> (t.kind IN {REVERSALS!r})), 0) AS cash_in,
       coalesce(-sum(e.amount) FILTER (WHERE a.kind IN ('cash', 'bank')
           AND (e.amount < 0) <> (t.kind IN {REVERSALS!r})), 0) AS cash_out,
       coalesce(sum(e.amount) FILTER (WHERE a.kind IN ('cash', 'bank')
                                      AND t.kind IN ('payment', 'payment_reversal')), 0)
           AS received,
       coalesce(-sum(e.amount) FILTER (WHERE a.kind = 'revenue'), 0) AS income,
       coalesce(-sum(e.amount) FILTER (WHERE a.kind = 'vat_payable'
                                       AND t.kind IN {BILLING!r}), 0) AS vat,
       coalesce(sum(e.amount) FILTER (WHERE a.kind = 'expense'), 0) AS expenses,
       coalesce(sum(e.amount) FILTER (WHERE a.kind IN {COSTS!r}), 0) AS costs,
       coalesce(sum(e.amount) FILTER (WHERE a.kind IN ('cash', 'bank')
                                      AND t.kind IN ('payment', 'payment_reversal')
                                      AND rc.distributor_id IS NOT NULL), 0) AS card_sales,
       coalesce(sum(e.amount) FILTER (WHERE a.kind = 'commission'
                                      AND rc.distributor_id IS NOT NULL), 0) AS card_commission
FROM ledger_entries e
JOIN ledger_accounts a ON a.id = e.account_id
JOIN ledger_transactions t ON t.id = e.transaction_id
LEFT JOIN payments p ON p.id = t.payment_id
LEFT JOIN recharge_cards rc ON rc.id = p.card_id
WHERE t.at >= :start AND t.at < :end
  AND (CAST(:ops AS int[]) IS NULL OR a.operator_id = ANY(CAST(:ops AS int[])))
GROUP BY 1, 2
"""


def figures(session: Session, months: list[dt.date],
            operator_ids: list[int] | None = None) -> dict[tuple[int, dt.date], dict]:
    """{(operator, month): {figure: Decimal}} for the months, from the ledger (rows only where
    the operator's accounts moved)."""
    if not months:
        return {}
    wanted = set(months)
    rows = session.execute(sa.text(FIGURES_SQL), {
        "tz": settings.get().time_zone, "start": midnight(min(months)),
        "end": midnight(next_month(max(months))), "ops": operator_ids})
    return {(r.operator_id, r.month): {k: getattr(r, k) for k in FIGURES}
            for r in rows if r.month in wanted}


def zero() -> dict[str, Decimal]:
    return {k: ZERO for k in FIGURES}


# -- the job: the months it touches, written over --------------------------------------------
def touched_months(session: Session, on: dt.date) -> list[dt.date]:
    """The months to recompute for a run on `on`: from the month before the last run finished
    (or the first ledger month, on the first run) to `on`'s, and every month an expense changed
    since then was ever booked in (an expense is dated at its day, which may be long past)."""
    this = first_of(on)
    last = session.scalar(sa.select(JobState.last_finished_at).where(JobState.name == JOB))
    if last is None:
        first = session.scalar(sa.select(sa.func.min(LedgerTransaction.at)))
        start = first_of(first.astimezone(settings.get().tz).date()) if first else this
    else:
        start = first_of(first_of(last.astimezone(settings.get().tz).date()) - dt.timedelta(days=1))
    start = min(start, first_of(this - dt.timedelta(days=1)))
    months = set(months_between(start, this))
    if last is not None:
        months |= set(expense_months(session, last - dt.timedelta(days=1)))
    return sorted(months)


def expense_months(session: Session, since: dt.datetime) -> list[dt.date]:
    """The months of every booking and reversal of the expenses changed since `since`."""
    month = sa.cast(sa.func.date_trunc("month", sa.func.timezone(settings.get().time_zone,
                                                                 LedgerTransaction.at)), sa.Date)
    changed = sa.select(Expense.id, Expense.operator_id).where(Expense.updated_at >= since).subquery()
    return list(session.scalars(
        sa.select(month).distinct().join(changed, sa.and_(
            LedgerTransaction.operator_id == changed.c.operator_id,
            LedgerTransaction.kind.in_(("expense", "expense_reversal")),
            LedgerTransaction.reference == sa.func.concat("expense:", changed.c.id)))))


def summarise(session: Session, on: dt.date, months: list[dt.date] | None = None) -> str:
    """Recompute `months` (default: touched_months) into books_monthly: each month's rows are
    deleted and written again from the ledger, so a second run gives the same rows."""
    months = sorted(set(months if months is not None else touched_months(session, on)))
    rows = figures(session, months)
    session.execute(sa.delete(BooksMonthly).where(BooksMonthly.month.in_(months)))
    if rows:
        session.execute(sa.insert(BooksMonthly), [
            {"operator_id": op, "month": m, **values} for (op, m), values in sorted(rows.items())])
    span = f"{months[0]:%Y-%m}..{months[-1]:%Y-%m}" if months else "none"
    return f"{len(months)} months ({span}), {len(rows)} operator-months"


def yearly_summary(session: Session, on: dt.date) -> str:
    return summarise(session, on)


register(Job(JOB, yearly_summary, "cron", {"hour": 2, "minute": 10}))
