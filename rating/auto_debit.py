"""Auto-debit after a billing run, set-based: each postpaid customer's advance balance pays
its open bills, oldest first, as one 'advance' payment per customer -- the same records the
payment pipeline writes (payment, allocations, bills, balance, expiry, the payment.received
event), then one ledger transaction per operator."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.lifecycle import Actor
from radbill.models import Customer
from rating import ledger, transfer

LOCK_SQL = """
SELECT c.id FROM customers c JOIN operators o ON o.id = c.operator_id
WHERE c.advance_balance > 0 AND c.deleted_at IS NULL AND c.billing_profile_id IS NOT NULL
  AND (CAST(:path AS text) IS NULL OR o.path LIKE CAST(:path AS text) || '%')
  AND (CAST(:ids AS int[]) IS NULL OR c.id = ANY(CAST(:ids AS int[])))
  AND EXISTS (SELECT 1 FROM bills b WHERE b.customer_id = c.id AND b.status = 'open')
ORDER BY c.id FOR UPDATE OF c
"""

AUTO_DEBIT = Actor("scheduler", "job.billing")

# `upto` is the running total due, oldest bill first; a bill gets what the advance has left.
DEBIT_SQL = """
WITH open AS (
    -- the payment is the customer's operator's (as payments.pay makes it), also for a bill a
    -- transfer left with the old operator (rating/transfer.reroute books that part to it)
    SELECT b.id AS bill_id, b.customer_id, c.operator_id, b.total - b.paid AS due,
           c.advance_balance AS adv,
           sum(b.total - b.paid) OVER (PARTITION BY b.customer_id ORDER BY b.due_date, b.id) AS upto
    FROM bills b
    JOIN customers c ON c.id = b.customer_id
    JOIN operators o ON o.id = c.operator_id
    WHERE b.status = 'open' AND c.advance_balance > 0 AND c.deleted_at IS NULL
      AND c.billing_profile_id IS NOT NULL
      AND (CAST(:path AS text) IS NULL OR o.path LIKE CAST(:path AS text) || '%')
      AND (CAST(:ids AS int[]) IS NULL OR c.id = ANY(CAST(:ids AS int[])))
), alloc AS (
    SELECT bill_id, customer_id, operator_id, least(due, adv - (upto - due)) AS amount
    FROM open WHERE adv > upto - due
), per AS (
    SELECT customer_id, min(operator_id) AS operator_id, sum(amount) AS amount
    FROM alloc GROUP BY customer_id
), pay AS (
    INSERT INTO payments (customer_id, operator_id, method, amount, applied, to_advance, note)
    SELECT customer_id, operator_id, 'advance', amount, amount, 0, 'auto-debit' FROM per
    RETURNING id, customer_id, operator_id, amount
), allocated AS (
    INSERT INTO payment_allocations (payment_id, bill_id, amount)
    SELECT pay.id, alloc.bill_id, alloc.amount FROM alloc JOIN pay USING (customer_id)
), settled AS (
    UPDATE bills b SET paid = b.paid + alloc.amount,
           status = CAST(CASE WHEN b.paid + alloc.amount = b.total THEN 'paid' ELSE 'open' END
                         AS bill_status)
    FROM alloc WHERE b.id = alloc.bill_id
    RETURNING b.customer_id, b.kind, b.status, b.service_to
), debited AS (
    UPDATE customers c
    SET advance_balance = c.advance_balance - pay.amount, updated_at = now(),
        -- a paid period keeps a customer with a validity date valid to its end
        expires_at = CASE WHEN c.expires_at IS NULL THEN NULL ELSE greatest(c.expires_at, (
            SELECT max(CAST(s.service_to AS timestamp)) AT TIME ZONE :tz FROM settled s
            WHERE s.customer_id = c.id AND s.status = 'paid' AND s.kind = 'period')) END
    FROM pay WHERE c.id = pay.customer_id
), noted AS (
    INSERT INTO events (name, customer_id, operator_id, actor, data)
    SELECT 'payment.received', pay.customer_id, pay.operator_id, 'scheduler',
           jsonb_build_object('payment_id', pay.id, 'username', c.username,
                              'amount', CAST(pay.amount AS text), 'method', 'advance')
    FROM pay JOIN customers c ON c.id = pay.customer_id ORDER BY pay.id
)
SELECT operator_id, count(*), sum(amount), array_agg(customer_id), array_agg(id)
FROM pay GROUP BY operator_id
"""


def debit_advances(session: Session, on: dt.date, operator_path: str | None = None,
                   customer_ids: list[int] | None = None) -> int:
    """Pay open postpaid bills from advance balances; returns how many customers paid."""
    from rating import payments
    session.flush()
    # lock first, so payments in flight have committed before DEBIT_SQL takes its snapshot
    session.execute(sa.text(LOCK_SQL), {"path": operator_path, "ids": customer_ids})
    rows = session.execute(sa.text(DEBIT_SQL), {"path": operator_path, "ids": customer_ids,
                                                "tz": settings.get().time_zone}).all()
    paid: list[int] = []
    payment_ids: list[int] = []
    for operator_id, n, amount, customer_ids_paid, payments_made in rows:
        ledger.post(session, "auto_debit", f"auto-debit of {n} advance balances",
                    [(operator_id, "advances", amount), (operator_id, "receivable", -amount)],
                    operator_id=operator_id)
        paid += customer_ids_paid
        payment_ids += payments_made
    transfer.reroute(session, payment_ids)  # bills a transfer left with the old operator
    if paid:
        session.expire_all()  # the statement changed rows the session may hold
        suspended = session.scalars(sa.select(Customer).where(
            Customer.id.in_(paid), Customer.status == "suspended")).all()
        for customer in suspended:  # rare: one pipeline step each
            payments.resume_if_settled(session, customer, on, AUTO_DEBIT)
    return len(paid)
