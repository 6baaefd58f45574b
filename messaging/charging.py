"""Charging operators for their messages (the job message_charge, every 6 hours).

Every sent message has a `cost` (its SMS segments x the gateway's price, fixed when it was
queued). The job books each operator's uncharged messages as one ledger transaction and marks
them with it, in one statement per operator, so a rerun finds nothing left to charge:
- through an ancestor's gateway, the operator buys them from its parent, like a wholesale
  price: its `messaging_cost` and `upstream` (owed to the parent), the parent's `downstream`
  and `revenue`;
- through its own gateway (or the ISP's own messages), it owes its provider: `messaging_cost`
  and `payable`.
A reseller whose balance with its parent is then below its `low_balance` gets an
`operator.low_balance` alert (once a day).
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import events, settings
from radbill.models import Operator
from rating import ledger, resellers

CENT = Decimal("0.01")

PENDING_SQL = """
SELECT m.operator_id, (g.operator_id = m.operator_id) AS own, sum(m.cost) AS cost, count(*) AS n
FROM messages m JOIN message_gateways g ON g.id = m.gateway_id
WHERE m.charge_txn_id IS NULL AND m.cost > 0 AND m.status IN ('sent', 'delivered')
GROUP BY 1, 2 ORDER BY 1, 2
"""
MARK_SQL = """
UPDATE messages m SET charge_txn_id = :tx
FROM message_gateways g
WHERE g.id = m.gateway_id AND m.operator_id = :op AND (g.operator_id = m.operator_id) = :own
  AND m.charge_txn_id IS NULL AND m.cost > 0 AND m.status IN ('sent', 'delivered')
"""


def charge(session: Session, now: dt.datetime | None = None) -> str:
    session.flush()
    booked, total, alerts = 0, Decimal(0), 0
    for op_id, own, cost, n in session.execute(sa.text(PENDING_SQL)).all():
        op = resellers.locked(session, op_id)  # serialised with activations and billing
        amount = Decimal(cost).quantize(CENT, ROUND_HALF_UP)
        if own or op.parent_id is None:
            legs = [(op.id, "messaging_cost", amount), (op.id, "payable", -amount)]
        else:
            legs = [(op.id, "messaging_cost", amount), (op.id, "upstream", -amount),
                    (op.parent_id, "downstream", amount), (op.parent_id, "revenue", -amount)]
        tx = ledger.post(session, "messaging", f"{n} messages", legs, operator_id=op.id)
        # a fraction of a cent books nothing yet: leave those messages for the next run
        if tx is not None:
            session.execute(sa.text(MARK_SQL), {"tx": tx, "op": op.id, "own": bool(own)})
            booked, total = booked + n, total + amount
        if not own and op.parent_id is not None:
            alerts += low_balance(session, op)
    return f"{booked} messages charged, {total} in all; {alerts} low-balance alerts"


def low_balance(session: Session, op: Operator) -> int:
    if op.low_balance is None:
        return 0
    balance = resellers.available(session, op)
    if balance >= op.low_balance:
        return 0
    day = dt.datetime.now(settings.get().tz).date()
    made = events.emit(session, "operator.low_balance", operator_id=op.id, actor="scheduler",
                       func="job.message_charge", dedupe_key=f"operator.low_balance:{op.id}:{day}",
                       balance=str(balance), threshold=str(op.low_balance))
    return 1 if made else 0
