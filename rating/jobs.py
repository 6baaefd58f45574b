"""Rating's scheduled jobs. Each body is one function over a session that the CLI (`radbill
job run NAME`) and the scheduler both call through radbill.jobs.run (advisory lock, one
transaction)."""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.jobs import JOBS, Job, lock_key, register, run  # noqa: F401  (re-exported)
from radbill.lifecycle import Actor
from radbill.models import Customer, Package
from rating import billing_run, usage
from rating import reminders as reminders_module

log = logging.getLogger("rating.jobs")
EXPIRY = Actor("scheduler", "job.expiry")
RECHECK = Actor("scheduler", "job.payment_recheck")

OVERDUE = """
    SELECT b.customer_id
    FROM bills b
    JOIN customers c ON c.id = b.customer_id
    JOIN billing_profiles bp ON bp.id = c.billing_profile_id
    WHERE b.status = 'open' AND b.due_date + bp.grace_days < CAST(:today AS date)
      AND c.status IN ('active', 'fup') AND c.deleted_at IS NULL AND bp.term <> 'free'
      -- never while validity paid for is still running (issue 12)
      AND (c.expires_at IS NULL OR c.expires_at <= :now)
"""

LOCK_OVERDUE_SQL = f"SELECT id FROM customers WHERE id IN ({OVERDUE}) ORDER BY id FOR UPDATE"

# the lifecycle's set-based form over every candidate at once (radbill/sql/lifecycle.sql)
TRANSITION_SQL = """
SELECT count(*) FROM radbill_transition(ARRAY({ids}), 'suspended', :reason, 'scheduler', :func)
"""
SUSPEND_SQL = TRANSITION_SQL.format(ids=f"SELECT DISTINCT customer_id FROM ({OVERDUE}) o")
# prepaid customers, and trials (any profile: a trial's end is its expiry; customers/trials.py)
EXPIRE_SQL = TRANSITION_SQL.format(ids="""
    SELECT c.id FROM customers c
    WHERE (c.billing_profile_id IS NULL
           OR c.package_id IN (SELECT id FROM packages WHERE trial_days IS NOT NULL))
      AND c.expires_at <= :now AND c.status IN ('active', 'fup') AND c.deleted_at IS NULL""")


def billing(session: Session, on: dt.date) -> str:
    return str(billing_run.generate(session, on))


def suspension(session: Session, on: dt.date) -> str:
    """Suspend postpaid customers with a bill unpaid past due date + grace; the Disconnect
    makes them re-authenticate into the suspension pool."""
    session.flush()
    now = validity_moment(on)
    # Lock the candidates first: a payment in flight holds its customer's row, so once we
    # have the locks it has committed, and the next statement's snapshot sees it.
    session.execute(sa.text(LOCK_OVERDUE_SQL), {"today": on, "now": now})
    n = session.scalar(sa.text(SUSPEND_SQL), {"today": on, "now": now, "reason": "unpaid",
                                              "func": "job.suspension"})
    return f"{n} customers suspended for unpaid bills"


def validity_moment(on: dt.date) -> dt.datetime:
    """The moment a run for `on` judges validity at: now for today's run; the start of the
    ISP's day `on` for any other day (a run for a past or future day, as tests and benchmarks
    make, does not depend on the wall clock)."""
    from rating.terms import midnight, today
    if on == today():
        return dt.datetime.now(dt.timezone.utc)
    return midnight(on)


def expiry(session: Session, on: dt.date) -> str:
    """Prepaid customers at the end of their validity: renew from the advance balance when it
    covers the package, else suspend (the suspension pool lets them pay)."""
    from rating import bills, payments
    now = dt.datetime.now(dt.timezone.utc)
    renewed = 0
    expiring = session.scalars(sa.select(Customer).where(
        Customer.billing_profile_id.is_(None), Customer.expires_at <= now,
        Customer.status.in_(("active", "fup")), Customer.deleted_at.is_(None),
        Customer.advance_balance > 0,
        # a trial is not renewed: it ends (customers/trials.py)
        Customer.package_id.in_(sa.select(Package.id).where(Package.trial_days.is_(None))))).all()
    for customer in expiring:
        quote, _ = bills.quote(session, customer, on)
        if customer.advance_balance >= quote.total > 0:
            payments.pay(session, customer, "advance", None, on=on, actor=EXPIRY)
            renewed += 1
    session.flush()
    n = session.scalar(sa.text(EXPIRE_SQL), {"now": now, "reason": "expired", "func": "job.expiry"})
    return f"{renewed} renewed from advance, {n} suspended as expired"


def fup_reset(session: Session, on: dt.date) -> str:
    return usage.fup_reset(session, on)


def stale_sessions(session: Session, on: dt.date) -> str:
    return usage.close_stale(session)


def reminders(session: Session, on: dt.date) -> str:
    return reminders_module.remind(session, on)


def usage_rollup(session: Session, on: dt.date) -> str:
    return usage.rollup(session)


def payment_recheck(session: Session, on: dt.date) -> str:
    """Ask the gateways about checkouts pending for over 30 minutes (a lost callback, a
    timeout), each in its own transaction so one slow gateway holds nobody else's rows; a
    checkout a callback is settling right now is skipped (SKIP LOCKED), never settled twice."""
    from sqlalchemy.orm import Session as OwnSession

    from radbill.models import GatewayCheckout
    from rating import checkout
    now = dt.datetime.now(dt.timezone.utc)
    seen: dict[str, int] = {}
    for co_id in checkout.due_for_recheck(session, now):
        with OwnSession(session.get_bind()) as own, own.begin():
            co = own.scalars(sa.select(GatewayCheckout).where(GatewayCheckout.id == co_id)
                             .with_for_update(skip_locked=True)).first()
            if co is None:
                continue
            checkout.settle(own, co, None, RECHECK, now)
            seen[co.status] = seen.get(co.status, 0) + 1
    return ", ".join(f"{n} {state}" for state, n in sorted(seen.items())) or "nothing pending"


def _jobs() -> tuple[Job, ...]:
    from radbill import settings
    interim = settings.get().interim_interval
    return (
        Job("billing", billing, "cron", {"hour": 0, "minute": 20}),
        Job("suspension", suspension, "cron", {"minute": 5}),
        Job("expiry", expiry, "interval", {"minutes": 5}),
        Job("fup_reset", fup_reset, "cron", {"hour": 0, "minute": 1}),
        Job("reminders", reminders, "cron", {"hour": 10, "minute": 0}),
        Job("stale_sessions", stale_sessions, "interval", {"seconds": interim}),
        Job("usage_rollup", usage_rollup, "interval", {"minutes": 10}),
        Job("payment_recheck", payment_recheck, "interval", {"minutes": 5}),
    )


register(*_jobs())
