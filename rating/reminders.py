"""Reminders before money is due: bills due in the profile's due_reminder_days
(bill.due_soon), bills due today (bill.due) and validity about to end (customer.expiring). Each is announced once: the event's dedupe key names the bill, or the
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

# the profile's due_reminder_days before the due day (0: only the day's own reminder); the key
# names the bill and the days, so a rerun, or a due date moved, never repeats one
BILLS_DUE_SOON_SQL = """
INSERT INTO events (name, customer_id, operator_id, actor, dedupe_key, data)
SELECT 'bill.due_soon', b.customer_id, b.operator_id, 'scheduler',
       'bill.due_soon:' || b.id || ':' || bp.due_reminder_days,
       jsonb_build_object('bill_id', b.id, 'username', c.username,
                          'total', CAST(b.total AS text), 'due', CAST(b.total - b.paid AS text),
                          'due_date', b.due_date, 'days_left', bp.due_reminder_days)
FROM bills b JOIN customers c ON c.id = b.customer_id
JOIN billing_profiles bp ON bp.id = c.billing_profile_id
WHERE b.status = 'open' AND bp.due_reminder_days > 0
  AND b.due_date = CAST(:today AS date) + bp.due_reminder_days AND b.total > b.paid
  AND c.deleted_at IS NULL
ORDER BY b.id
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
"""

# prepaid (no billing profile; RADBILL_EXPIRY_NOTICE_DAYS) or a profile with
# expiry_notice_days, and still in service; the key holds the local day validity ends,
# so a renewal that moves it gets a reminder of its own next time
EXPIRING_SQL = """
INSERT INTO events (name, customer_id, operator_id, actor, dedupe_key, data)
SELECT 'customer.expiring', c.id, c.operator_id, 'scheduler',
       'customer.expiring:' || c.id || ':' || CAST(c.expires_at AT TIME ZONE :tz AS date),
       jsonb_build_object('username', c.username, 'expires_at', c.expires_at,
                          'days_left', CAST(c.expires_at AT TIME ZONE :tz AS date)
                                       - CAST(:today AS date))
FROM customers c LEFT JOIN billing_profiles bp ON bp.id = c.billing_profile_id
WHERE (c.billing_profile_id IS NULL OR bp.expiry_notice_days IS NOT NULL)
  AND c.deleted_at IS NULL AND c.status IN ('active', 'fup')
  AND c.expires_at > :now
  AND c.expires_at <= :now + make_interval(days => COALESCE(bp.expiry_notice_days, :days))
ORDER BY c.id
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
"""


def remind(session: Session, on: dt.date, now: dt.datetime | None = None) -> str:
    """Announce today's due bills and the validity that ends within expiry_notice_days."""
    s = settings.get()
    now = now or dt.datetime.now(dt.timezone.utc)
    session.flush()
    soon = session.execute(sa.text(BILLS_DUE_SOON_SQL), {"today": on}).rowcount
    due = session.execute(sa.text(BILLS_DUE_SQL), {"today": on}).rowcount
    expiring = session.execute(sa.text(EXPIRING_SQL), {
        "tz": s.time_zone, "today": on, "now": now, "days": s.expiry_notice_days}).rowcount
    return f"{soon} bills due soon, {due} bills due today, {expiring} customers expiring soon"
