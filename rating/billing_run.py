"""The monthly (and daily) billing run as one set-based statement: INSERT ... SELECT of every
due bill with its line, skipping customers already billed for the period (the unique key
uq_bills_customer_period makes a second run create nothing), then one summary ledger
transaction per operator and auto-debit from advance balances. The arithmetic is
rating/pricing.py's, in SQL; a test checks they agree.

A reseller's renewal (a period after a customer's first) costs it the package's wholesale
price, as an activation does (rating/resellers.py). The run books only the renewals each
reseller can pay for, oldest customer first; from the first one its balance cannot cover, that
reseller's later renewals are refused (no bill: the customer is not renewed), listed in the
result and announced by a `bill.refused` event to the reseller, once per customer and period.
A later run, once the reseller is funded, bills them for the same period."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.money import ZERO
from rating import ledger, resellers
from rating.auto_debit import debit_advances

log = logging.getLogger("rating.billing")

# :on is the billing day; the period is the one containing it (see pricing.monthly_period).
GENERATE_SQL = """
WITH cand AS (
    SELECT c.id AS customer_id, c.operator_id,
           CASE WHEN bp.term = 'daily' THEN coalesce(c.custom_price, p.price) / p.validity_days
                ELSE coalesce(c.custom_price, p.price) END AS base,
           bp.term, bp.discount_kind, bp.discount_value, o.vat_percent,
           o.parent_id, coalesce(p.wholesale_price, 0) AS wholesale_price,
           CASE WHEN bp.term = 'daily' THEN CAST(:on AS date)
                WHEN extract(day FROM CAST(:on AS date)) >= bp.due_day
                THEN CAST(date_trunc('month', CAST(:on AS date)) AS date) + bp.due_day - 1
                ELSE CAST(date_trunc('month', CAST(:on AS date)) - interval '1 month' AS date)
                     + bp.due_day - 1 END AS period_start,
           -- service starts when the customer was created, or a trial was converted (issue 17)
           coalesce(c.billing_from, CAST(c.created_at AT TIME ZONE :tz AS date)) AS created_on,
           -- the validity already paid for (paid in advance, prepaid validity running): a
           -- period it lasts to the end of is not billed again (pricing.covered)
           CAST(c.expires_at AT TIME ZONE :tz AS date) AS paid_to,
           -- due on the profile's next due day on or after the issue day, never before it
           -- (pricing.due_on)
           CASE WHEN bp.term = 'daily' THEN CAST(:on AS date)
                WHEN extract(day FROM CAST(:on AS date)) <= bp.due_day
                THEN CAST(date_trunc('month', CAST(:on AS date)) AS date) + bp.due_day - 1
                ELSE CAST(date_trunc('month', CAST(:on AS date)) + interval '1 month' AS date)
                     + bp.due_day - 1 END AS due_on
    FROM customers c
    JOIN billing_profiles bp ON bp.id = c.billing_profile_id
    JOIN packages p ON p.id = c.package_id
    JOIN operators o ON o.id = c.operator_id
    WHERE c.deleted_at IS NULL AND c.status IN ('active', 'fup') AND bp.term <> 'free'
      AND p.trial_days IS NULL  -- a trial is never billed (customers/trials.py)
      AND (bp.auto_bill OR NOT :auto_only)
      AND (CAST(:path AS text) IS NULL OR o.path LIKE CAST(:path AS text) || '%')
      AND (CAST(:ids AS int[]) IS NULL OR c.id = ANY(CAST(:ids AS int[])))
), per AS (
    SELECT *, CASE WHEN term = 'daily' THEN period_start + 1
                   ELSE CAST(period_start + interval '1 month' AS date) END AS period_end
    FROM cand
), svc AS (
    SELECT *, greatest(period_start, created_on) AS service_from FROM per
    WHERE created_on < period_end AND (paid_to IS NULL OR paid_to < period_end)
      -- skip the billed cheaply; ON CONFLICT below still decides under concurrency
      AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.customer_id = per.customer_id
                      AND b.kind = 'period' AND b.period_start = per.period_start)
), amt AS (
    SELECT *, CASE WHEN service_from > period_start
                   THEN round(base * (period_end - service_from) / (period_end - period_start), 2)
                   ELSE round(base, 2) END AS gross
    FROM svc
), disc AS (
    SELECT *, CASE discount_kind WHEN 'percent' THEN round(gross * discount_value / 100, 2)
                                 WHEN 'fixed' THEN least(round(discount_value, 2), gross)
                                 ELSE 0 END AS discount
    FROM amt
), priced AS (
    SELECT *, round((gross - discount) * vat_percent / 100, 2) AS vat,
           -- a renewal is an activation its reseller pays the parent for (the first period was
           -- paid when the customer was activated); the ISP's own customers cost nothing
           CASE WHEN parent_id IS NULL OR wholesale_price <= 0 THEN 0
                WHEN EXISTS (SELECT 1 FROM bills pb WHERE pb.customer_id = disc.customer_id
                               AND pb.kind = 'period' AND pb.period_start < disc.period_start)
                THEN wholesale_price ELSE 0 END AS cost
    FROM disc
), funds AS MATERIALIZED (
    -- what each reseller with renewals to pay may spend: resellers.available, in SQL (its
    -- row is locked by resellers.lock_for_billing before this statement). Materialized: once
    -- per reseller (inlined, the planner re-read `priced` and the ledger for every renewal)
    SELECT o.id AS operator_id,
           CASE WHEN o.kind = 'credit' THEN o.credit_limit ELSE 0 END
           + coalesce((SELECT sum(e.amount) FROM ledger_accounts a
                       JOIN ledger_entries e ON e.account_id = a.id
                       WHERE a.operator_id = o.id AND a.kind = 'upstream'), 0) AS available
    FROM (SELECT DISTINCT operator_id FROM priced WHERE cost > 0) r
    JOIN operators o ON o.id = r.operator_id
), decided AS (
    -- a reseller's renewals, oldest customer first, with its spending up to and including
    -- each (the rest pass untouched: no sort, no join for them)
    SELECT p.*, CAST(NULL AS numeric) AS available, CAST(NULL AS numeric) AS upto
    FROM priced p WHERE p.cost = 0
    UNION ALL
    SELECT p.*, f.available,
           sum(p.cost) OVER (PARTITION BY p.operator_id ORDER BY p.customer_id)
    FROM priced p JOIN funds f ON f.operator_id = p.operator_id
    WHERE p.cost > 0
), ins AS (
    INSERT INTO bills (customer_id, operator_id, kind, period_start, service_from, service_to,
                       issued_on, due_date, subtotal, discount, vat_percent, vat, total, paid,
                       status)
    SELECT customer_id, operator_id, 'period', period_start, service_from, period_end,
           CAST(:on AS date), due_on, gross, discount, vat_percent, vat,
           gross - discount + vat, 0,
           CAST(CASE WHEN gross - discount + vat = 0 THEN 'paid' ELSE 'open' END AS bill_status)
    FROM decided WHERE upto IS NULL OR upto <= available
    ON CONFLICT (customer_id, period_start) WHERE kind = 'period' DO NOTHING
    RETURNING id, customer_id, operator_id, period_start, service_from, service_to,
              subtotal, vat, total, due_date
), lines AS (
    INSERT INTO bill_lines (bill_id, description, amount)
    SELECT ins.id, p.name || ', ' || ins.service_from || ' to ' || (ins.service_to - 1)
           || CASE WHEN ins.service_from > ins.period_start
                   THEN ' (' || (ins.service_to - ins.service_from) || ' of '
                        || (ins.service_to - ins.period_start) || ' days)' ELSE '' END,
           ins.subtotal
    FROM ins JOIN customers c ON c.id = ins.customer_id JOIN packages p ON p.id = c.package_id
), announced AS (
    -- the customer is the event's customer_id: no join for the username (a tenth of the run)
    INSERT INTO events (name, customer_id, operator_id, actor, func, data)
    SELECT 'bill.created', ins.customer_id, ins.operator_id, CAST(:actor AS text), 'job.billing',
           jsonb_build_object('bill_id', ins.id, 'total', CAST(ins.total AS text),
                              'due_date', ins.due_date)
    FROM ins
), spent AS MATERIALIZED (
    SELECT operator_id, max(upto) AS spent FROM decided WHERE upto <= available
    GROUP BY operator_id
), refused AS (
    -- the balance is what the reseller has left once the renewals it could pay are paid
    SELECT d.customer_id, d.operator_id, d.service_from, d.period_start, d.cost,
           d.available - coalesce(k.spent, 0) AS balance, c.username, o.name AS reseller
    FROM decided d LEFT JOIN spent k ON k.operator_id = d.operator_id
    JOIN customers c ON c.id = d.customer_id JOIN operators o ON o.id = d.operator_id
    WHERE d.upto > d.available
), told AS (
    -- to the reseller's staff (operator_id), once per customer and period however many runs
    INSERT INTO events (name, customer_id, operator_id, actor, func, data, dedupe_key)
    SELECT 'bill.refused', customer_id, operator_id, CAST(:actor AS text), 'job.billing',
           jsonb_build_object('username', username, 'cost', CAST(cost AS text),
                              'balance', CAST(balance AS text), 'period_from', service_from,
                              'reason', 'reseller balance too low'),
           'bill.refused:' || customer_id || ':' || period_start
    FROM refused
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
)
-- per operator: what was billed, and the wholesale its renewals cost (costed again from the
-- tables, as `priced` did: a join of two CTEs has no statistics to plan it by); then each
-- refused renewal
SELECT 'billed' AS what, ins.operator_id, count(*) AS n, sum(ins.total) AS total,
       sum(ins.total - ins.vat) AS net, sum(ins.vat) AS vat,
       coalesce(sum(p.wholesale_price) FILTER (WHERE o.parent_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM bills pb WHERE pb.customer_id = ins.customer_id AND pb.kind = 'period'
             AND pb.period_start < ins.period_start)), 0) AS cost,
       min(o.parent_id) AS parent_id, NULL AS customer_id, NULL AS username,
       NULL AS reseller, NULL AS balance
FROM ins JOIN customers c ON c.id = ins.customer_id JOIN packages p ON p.id = c.package_id
JOIN operators o ON o.id = ins.operator_id
GROUP BY ins.operator_id
UNION ALL
SELECT 'refused', operator_id, NULL, NULL, NULL, NULL, cost, NULL, customer_id, username,
       reseller, balance
FROM refused
ORDER BY 1, 2, 9
"""


@dataclass
class Refusal:
    """A renewal not billed: the reseller could not pay its wholesale price."""

    customer_id: int
    customer: str
    reseller_id: int
    reseller: str
    cost: Decimal
    balance: Decimal
    reason: str = "reseller balance too low"

    def as_dict(self) -> dict:
        return {"customer": self.customer, "customer_id": self.customer_id,
                "reseller": self.reseller, "reseller_id": self.reseller_id,
                "cost": str(self.cost), "balance": str(self.balance), "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.customer} ({self.reseller}: needs {self.cost}, has {self.balance})"


@dataclass
class RunResult:
    bills: int = 0
    total: object = ZERO
    auto_debited: int = 0
    per_operator: dict = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)

    def __str__(self) -> str:
        said = f"{self.bills} bills for {self.total}, {self.auto_debited} paid from advance"
        if self.refused:
            n = len(self.refused)
            shown = ", ".join(str(r) for r in self.refused[:SHOWN])
            more = f" and {n - SHOWN} more" if n > SHOWN else ""
            said += (f"; {n} renewal{'s' if n > 1 else ''} refused for want of reseller "
                     f"balance: {shown}{more}")
        return said


SHOWN = 20  # refusals named in the run's one-line summary (the result lists them all)


# Customers scope of a run (bill.generate's "large run" rule counts them): the live ones
SCOPE_SQL = """
SELECT count(*) FROM customers c JOIN operators o ON o.id = c.operator_id
WHERE c.deleted_at IS NULL
  AND (CAST(:path AS text) IS NULL OR o.path LIKE CAST(:path AS text) || '%')
  AND (CAST(:ids AS int[]) IS NULL OR c.id = ANY(CAST(:ids AS int[])))
"""

# What the run's still-open bills (after the auto-debit) do to their customers: from which day
# the suspension job would take each (its OVERDUE: due date + grace passed, and no validity
# running), the earliest of a customer's bills
OVERDUE_IMPACT_SQL = """
SELECT since, count(*) AS customers FROM (
    SELECT b.customer_id,
           min(greatest(b.due_date + bp.grace_days + 1,
                        CAST(c.expires_at AT TIME ZONE :tz AS date))) AS since
    FROM bills b JOIN customers c ON c.id = b.customer_id
    JOIN billing_profiles bp ON bp.id = c.billing_profile_id
    WHERE b.id > :after AND b.kind = 'period' AND b.status = 'open'
    GROUP BY b.customer_id) o
GROUP BY since ORDER BY since
"""


@dataclass
class Impact:
    """What a billing run would do, found by running it and rolling it back (writes nothing)."""

    run: RunResult
    on: dt.date
    in_scope: int  # live customers in the run's scope
    overdue: list[tuple[dt.date, int]]  # (from which day, customers) for its unpaid bills

    @property
    def overdue_customers(self) -> int:
        return sum(n for _, n in self.overdue)

    @property
    def overdue_at_once(self) -> int:
        """Customers the next suspension run (on the run's day) would already take."""
        return sum(n for since, n in self.overdue if since <= self.on)


def in_scope(session: Session, operator_path: str | None = None,
             customer_ids: list[int] | None = None) -> int:
    return session.scalar(sa.text(SCOPE_SQL), {"path": operator_path, "ids": customer_ids})


def preview(session: Session, on: dt.date, *, operator_path: str | None = None,
            customer_ids: list[int] | None = None, auto_only: bool = True) -> Impact:
    """The run `generate` would make now, with the auto-debit, computed in a savepoint that is
    rolled back: the same statement, so the numbers are the ones a confirmed run gets (unless
    something changes in between). Nothing is kept but the sequences' advance."""
    session.flush()
    after = session.scalar(sa.text("SELECT coalesce(max(id), 0) FROM bills"))
    savepoint = session.begin_nested()
    try:
        result = generate(session, on, operator_path=operator_path, customer_ids=customer_ids,
                          auto_only=auto_only, actor="preview")
        rows = session.execute(sa.text(OVERDUE_IMPACT_SQL),
                               {"after": after, "tz": settings.get().time_zone}).all()
    finally:
        savepoint.rollback()
    return Impact(result, on, in_scope(session, operator_path, customer_ids),
                  [(r.since, r.customers) for r in rows])


def generate(session: Session, on: dt.date, *, operator_path: str | None = None,
             customer_ids: list[int] | None = None, auto_only: bool = True,
             auto_debit: bool = True, actor: str = "scheduler") -> RunResult:
    """Bill every eligible customer for the period containing `on`; safe to run again.
    Renewals a reseller cannot pay for are refused (result.refused)."""
    session.flush()  # raw SQL does not autoflush, and it must see pending changes
    resellers.lock_for_billing(session, operator_path, customer_ids)
    rows = session.execute(sa.text(GENERATE_SQL), {
        "on": on, "tz": settings.get().time_zone, "auto_only": auto_only,
        "path": operator_path, "ids": customer_ids, "actor": actor}).all()
    result = RunResult()
    for r in rows:
        if r.what == "refused":
            result.refused.append(Refusal(r.customer_id, r.username, r.operator_id, r.reseller,
                                          r.cost, r.balance))
            continue
        ledger.post(session, "billing_run", f"billing run of {on}: {r.n} bills",
                    ledger.bill_legs(r.operator_id, r.total, r.net, r.vat),
                    operator_id=r.operator_id)
        if r.cost:  # each renewed period is an activation the reseller pays its parent for
            ledger.post(session, "activation", f"billing run of {on}: wholesale for renewals",
                        resellers.activation_legs(r.operator_id, r.parent_id, r.cost),
                        operator_id=r.operator_id)
        result.bills += r.n
        result.total += r.total
        result.per_operator[r.operator_id] = r.n
    if result.bills > 1000:
        # the run just wrote most of the table: statistics from before it (an empty table on a
        # new install) make the auto-debit's plan loop over every bill for every bill (seen:
        # 7 s became 100 s). ANALYZE counts this transaction's own rows.
        session.execute(sa.text("ANALYZE bills"))
    if auto_debit:
        result.auto_debited = debit_advances(session, on, operator_path, customer_ids)
    log.info("billing run %s: %s", on, result)
    return result
