"""The monthly (and daily) billing run as one set-based statement: INSERT ... SELECT of every
due bill with its line, skipping customers already billed for the period (the unique key
uq_bills_customer_period makes a second run create nothing), then one summary ledger
transaction per operator and auto-debit from advance balances. The arithmetic is
rating/pricing.py's, in SQL; a test checks they agree."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

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
           CASE WHEN bp.term = 'daily' THEN CAST(:on AS date)
                WHEN extract(day FROM CAST(:on AS date)) >= bp.due_day
                THEN CAST(date_trunc('month', CAST(:on AS date)) AS date) + bp.due_day - 1
                ELSE CAST(date_trunc('month', CAST(:on AS date)) - interval '1 month' AS date)
                     + bp.due_day - 1 END AS period_start,
           CAST(c.created_at AT TIME ZONE :tz AS date) AS created_on
    FROM customers c
    JOIN billing_profiles bp ON bp.id = c.billing_profile_id
    JOIN packages p ON p.id = c.package_id
    JOIN operators o ON o.id = c.operator_id
    WHERE c.deleted_at IS NULL AND c.status IN ('active', 'fup') AND bp.term <> 'free'
      AND (bp.auto_bill OR NOT :auto_only)
      AND (CAST(:path AS text) IS NULL OR o.path LIKE CAST(:path AS text) || '%')
      AND (CAST(:ids AS int[]) IS NULL OR c.id = ANY(CAST(:ids AS int[])))
), per AS (
    SELECT *, CASE WHEN term = 'daily' THEN period_start + 1
                   ELSE CAST(period_start + interval '1 month' AS date) END AS period_end
    FROM cand
), svc AS (
    SELECT *, greatest(period_start, created_on) AS service_from FROM per
    WHERE created_on < period_end
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
    SELECT *, round((gross - discount) * vat_percent / 100, 2) AS vat FROM disc
), ins AS (
    INSERT INTO bills (customer_id, operator_id, kind, period_start, service_from, service_to,
                       issued_on, due_date, subtotal, discount, vat_percent, vat, total, paid,
                       status)
    SELECT customer_id, operator_id, 'period', period_start, service_from, period_end,
           CAST(:on AS date), service_from, gross, discount, vat_percent, vat,
           gross - discount + vat, 0,
           CAST(CASE WHEN gross - discount + vat = 0 THEN 'paid' ELSE 'open' END AS bill_status)
    FROM priced
    ON CONFLICT (customer_id, period_start) WHERE kind = 'period' DO NOTHING
    RETURNING id, customer_id, operator_id, period_start, service_from, service_to,
              subtotal, vat, total
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
                              'due_date', ins.service_from)
    FROM ins
)
-- per operator: what was billed, and the wholesale its renewals cost (a customer's first
-- period was paid for when it was activated)
SELECT ins.operator_id, count(*) AS n, sum(ins.total) AS total, sum(ins.total - ins.vat) AS net,
       sum(ins.vat) AS vat,
       coalesce(sum(p.wholesale_price) FILTER (WHERE o.parent_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM bills pb WHERE pb.customer_id = ins.customer_id AND pb.kind = 'period'
             AND pb.period_start < ins.period_start)), 0) AS wholesale,
       min(o.parent_id) AS parent_id
FROM ins JOIN customers c ON c.id = ins.customer_id JOIN packages p ON p.id = c.package_id
JOIN operators o ON o.id = ins.operator_id
GROUP BY ins.operator_id
"""


@dataclass
class RunResult:
    bills: int = 0
    total: object = ZERO
    auto_debited: int = 0
    per_operator: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.bills} bills for {self.total}, {self.auto_debited} paid from advance"


def generate(session: Session, on: dt.date, *, operator_path: str | None = None,
             customer_ids: list[int] | None = None, auto_only: bool = True,
             auto_debit: bool = True, actor: str = "scheduler") -> RunResult:
    """Bill every eligible customer for the period containing `on`; safe to run again."""
    session.flush()  # raw SQL does not autoflush, and it must see pending changes
    rows = session.execute(sa.text(GENERATE_SQL), {
        "on": on, "tz": settings.get().time_zone, "auto_only": auto_only,
        "path": operator_path, "ids": customer_ids, "actor": actor}).all()
    result = RunResult()
    for operator_id, n, total, net, vat, wholesale, parent_id in rows:
        ledger.post(session, "billing_run", f"billing run of {on}: {n} bills",
                    ledger.bill_legs(operator_id, total, net, vat), operator_id=operator_id)
        if wholesale:  # each renewed period is an activation the reseller pays its parent for
            ledger.post(session, "activation", f"billing run of {on}: wholesale for renewals",
                        resellers.activation_legs(operator_id, parent_id, wholesale),
                        operator_id=operator_id)
        result.bills += n
        result.total += total
        result.per_operator[operator_id] = n
    if result.bills > 1000:
        # the run just wrote most of the table: statistics from before it (an empty table on a
        # new install) make the auto-debit's plan loop over every bill for every bill (seen:
        # 7 s became 100 s). ANALYZE counts this transaction's own rows.
        session.execute(sa.text("ANALYZE bills"))
    if auto_debit:
        result.auto_debited = debit_advances(session, on, operator_path, customer_ids)
    log.info("billing run %s: %s", on, result)
    return result

