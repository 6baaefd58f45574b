"""Reminders before money is due: bills due today (bill.due) and prepaid validity about to end
(customer.expiring). Each is announced once: the event's dedupe key names the bill, or the
customer and the day validity ends, so running the job again (or on two nodes) adds nothing."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings

BILLS_DUE_SQL = """
INSERT INTO events (name, customer_id, operator_id, actor, dedupe_key, data)
SELECT 'bill.due', b.customer_id, b.operator_id, 'scheduler', 'bill.due:' || b.id,
       jsonb_build_object('bill_id', b.id, 'username', c.username,
                          'total', CAST(b.total AS text), 'due', CAST(b.total - b.paid AS text),
                          'due_date', b.due_date)
FROM bills b JOIN customers c ON c.id = b.customer_id
WHERE b.status = 'open' AND b.due_date = CAST(:today AS date) AND b.total > b.paid
  AND c.deleted_at IS NULL
ORDER BY b.id
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
"""

# prepaid (no billing profile) and still in service; the key holds the local day validity ends,
# so a renewal that moves it gets a reminder of its own next time
EXPIRING_SQL = """
INSERT INTO events (name, customer_id, operator_id, actor, dedupe_key, data)
SELECT 'customer.expiring', c.id, c.operator_id, 'scheduler',
       'customer.expiring:' || c.id || ':' || CAST(c.expires_at AT TIME ZONE :tz AS date),
       jsonb_build_object('username', c.username, 'expires_at', c.expires_at,
                          'days_left', CAST(c.expires_at AT TIME ZONE :tz AS date)
                                       - CAST(:today AS date))
FROM customers c
WHERE c.billing_profile_id IS NULL AND c.deleted_at IS NULL AND c.status IN ('active', 'fup')
  AND c.expires_at > :now AND c.expires_at <= :until
ORDER BY c.id
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
"""


def remind(session: Session, on: dt.date, now: dt.datetime | None = None) -> str:
    """Announce today's due bills and the validity that ends within expiry_notice_days."""
    s = settings.get()
    now = now or dt.datetime.now(dt.timezone.utc)
    session.flush()
    due = session.execute(sa.text(BILLS_DUE_SQL), {"today": on}).rowcount
    expiring = session.execute(sa.text(EXPIRING_SQL), {
        "tz": s.time_zone, "today": on, "now": now,
        "until": now + dt.timedelta(days=s.expiry_notice_days)}).rowcount
    return f"{due} bills due today, {expiring} customers expiring soon"
