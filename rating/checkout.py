"""Online payments: a checkout is started at a gateway, the customer pays there, and the payment
is believed only when the gateway itself confirms it (rating/gateways: the driver asks it).

    start(...)   -> a pending GatewayCheckout with the gateway's redirect URL
    settle(...)  -> asks the gateway; PAID with the amount and currency we asked for becomes a
                    payment through the one pipeline (rating/payments.pay: bills, expiry,
                    resume, events) with the gateway's charge booked to its own account;
                    anything else is recorded on the checkout

`settle` locks the checkout row first, so a callback, its IPN and a replay of either, arriving
together, are one payment: the second waits, then finds it completed. The gateway's
transaction id is unique per gateway (a partial unique index), so a transaction id presented
for a second checkout is flagged for review instead of paying twice.
"""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import events, settings
from radbill.lifecycle import Actor
from radbill.models import Bill, Customer, GatewayCheckout, Operator, PaymentGateway
from radbill.money import ZERO
from rating import bills, gateways, payments
from rating.errors import RatingError
from rating.gateways import secrets as gw_secrets
from rating.terms import today

CENT = Decimal("0.01")
RECHECK_AFTER = dt.timedelta(minutes=30)   # the job asks about pending checkouts this old
GIVE_UP_AFTER = dt.timedelta(days=2)       # ...and marks them expired after this long


def config_of(gw: PaymentGateway) -> gateways.Config:
    cls = gateways.driver_class(gw.kind)
    return gateways.Config(kind=gw.kind, mode=gw.mode, base_url=(gw.base_url or cls.URLS[gw.mode]),
                           credentials=gw_secrets.decrypt(gw.credentials),
                           currency=settings.get().currency,
                           timeout=float(settings.get().gateway_timeout))


def driver_of(gw: PaymentGateway) -> gateways.Driver:
    return gateways.make(config_of(gw))


def available(session: Session, operator_id: int) -> list[PaymentGateway]:
    """The enabled gateways a customer of `operator_id` pays with: per kind, the operator's own,
    else the nearest ancestor's (the reseller tree's cascade)."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == operator_id)) or ""
    chain = [int(p) for p in path.strip("/").split("/") if p] or [operator_id]
    depth = {op: i for i, op in enumerate(chain)}
    rows = session.scalars(sa.select(PaymentGateway).where(
        PaymentGateway.operator_id.in_(chain), PaymentGateway.enabled)
        .order_by(PaymentGateway.id)).all()
    best: dict[str, PaymentGateway] = {}
    for gw in rows:
        have = best.get(gw.kind)
        if have is None or depth[gw.operator_id] > depth[have.operator_id]:
            best[gw.kind] = gw
    return sorted(best.values(), key=lambda g: gateways.KINDS.index(g.kind))


def charge_of(gw: PaymentGateway, amount: Decimal) -> Decimal:
    """What the gateway keeps of `amount`: its percent plus its fixed charge."""
    fee = amount * gw.charge_percent / 100 + gw.charge_fixed
    return min(amount, fee.quantize(CENT, ROUND_HALF_UP))


def amount_due(session: Session, customer: Customer, on: dt.date | None = None) -> Decimal:
    """The default checkout amount: what the open bills still owe, or for a prepaid customer
    with nothing open, one period of the package (VAT included) less the advance balance."""
    due = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), ZERO))
                         .where(Bill.customer_id == customer.id, Bill.status == "open"))
    if due > 0 or customer.billing_profile_id is not None:
        return due
    quote, _ = bills.quote(session, customer, on or today())
    return max(quote.total - customer.advance_balance, ZERO)


def new_invoice() -> str:
    """Our id at the gateway: 16 characters every gateway accepts (letters and digits)."""
    return "RB" + secrets.token_hex(7).upper()


def start(session: Session, customer: Customer, gw: PaymentGateway, amount: Decimal,
          base_url: str, source: str = "staff", created_by: int | None = None,
          ) -> GatewayCheckout:
    """Open a checkout at the gateway; a GatewayError (it could not be reached) refuses."""
    if amount <= 0:
        raise RatingError("nothing is due: give an amount to pay in advance", field="amount")
    co = GatewayCheckout(invoice=new_invoice(), customer_id=customer.id,
                         operator_id=customer.operator_id, gateway_id=gw.id, amount=amount,
                         charge=charge_of(gw, amount), currency=settings.get().currency,
                         source=source, created_by=created_by)
    session.add(co)
    session.flush()
    base = base_url.rstrip("/")
    order = gateways.Order(
        invoice=co.invoice, amount=amount, currency=co.currency,
        callback_url=f"{base}/portal/pay/return/{co.invoice}",
        ipn_url=f"{base}/portal/pay/ipn/{co.invoice}",
        customer_name=customer.name or customer.username, customer_mobile=customer.mobile,
        customer_email=customer.email, description=f"Internet bill of {customer.username}")
    try:
        started = driver_of(gw).start(order)
    except gateways.GatewayError as exc:
        raise RatingError(f"{gw.name} did not answer: {exc}; try again or another way to pay",
                          field="gateway", status=502) from None
    co.gateway_ref, co.redirect_url = started.gateway_ref, started.redirect_url
    co.detail = {"start": started.raw}
    session.flush()
    return co


def ref_of(co: GatewayCheckout) -> gateways.Ref:
    return gateways.Ref(invoice=co.invoice, gateway_ref=co.gateway_ref, amount=co.amount,
                        currency=co.currency, created_at=co.created_at, gateway_txn=co.gateway_txn)


def by_invoice(session: Session, invoice: str, lock: bool = False) -> GatewayCheckout | None:
    stmt = sa.select(GatewayCheckout).where(GatewayCheckout.invoice == invoice)
    return session.scalars(stmt.with_for_update() if lock else stmt).first()


def settle(session: Session, co: GatewayCheckout, params: dict | None, actor: Actor,
           now: dt.datetime | None = None) -> GatewayCheckout:
    """Ask the gateway about `co` and act on its answer (see the module docstring). The caller
    has locked `co` (by_invoice(lock=True) or a FOR UPDATE select)."""
    if co.status not in ("pending", "expired"):
        return co  # completed, failed, cancelled, review, refunded: decided already
    now = now or dt.datetime.now(dt.timezone.utc)
    gw = session.get(PaymentGateway, co.gateway_id)
    co.checked_at = now
    try:
        status = driver_of(gw).confirm(ref_of(co), params)
    except gateways.GatewayError as exc:
        co.message = f"{gw.name} did not answer: {exc}"
        if co.status == "pending" and now - co.created_at > GIVE_UP_AFTER:
            co.status = "expired"
        session.flush()
        return co
    co.detail = {**(co.detail or {}), "confirm": status.raw}
    if status.state == gateways.PENDING:
        co.message = status.message or None
        if now - co.created_at > GIVE_UP_AFTER:
            co.status = "expired"
    elif status.state in (gateways.FAILED, gateways.CANCELLED):
        co.status = "failed" if status.state == gateways.FAILED else "cancelled"
        co.message = status.message or None
    else:
        _paid(session, co, gw, status, actor, now)
    session.flush()
    return co


def _paid(session: Session, co: GatewayCheckout, gw: PaymentGateway, status: gateways.Status,
          actor: Actor, now: dt.datetime) -> None:
    problem = None
    if status.amount is None or status.amount != co.amount:
        problem = f"the gateway says {status.amount} was paid, {co.amount} was asked"
    elif (status.currency or co.currency) != co.currency:
        problem = f"paid in {status.currency}, asked in {co.currency}"
    elif not status.txn_id:
        problem = "the gateway gave no transaction id"
    elif session.scalar(sa.select(GatewayCheckout.id).where(
            GatewayCheckout.gateway_id == co.gateway_id,
            GatewayCheckout.gateway_txn == status.txn_id, GatewayCheckout.id != co.id)):
        problem = f"transaction {status.txn_id} already paid another checkout"
    if problem:
        co.status, co.message = "review", problem
        if status.txn_id and not problem.startswith("transaction"):
            co.gateway_txn = status.txn_id
        events.emit(session, "payment.review", customer_id=co.customer_id,
                    operator_id=co.operator_id, actor=actor.login, func=actor.func,
                    checkout_id=co.id, invoice=co.invoice, gateway=gw.name,
                    amount=co.amount, reason=problem, reported=status.amount)
        return
    customer = session.get(Customer, co.customer_id)
    co.gateway_txn = status.txn_id
    session.flush()  # the unique (gateway, txn) index refuses a twin here, not after paying
    receipt = payments.pay(session, customer, "online", co.amount, f"{gw.kind}:{status.txn_id}",
                           gateway=gw.name, fee=co.charge, actor=actor)
    co.status, co.payment_id, co.completed_at, co.message = (
        "completed", receipt.payment.id, now, None)


def due_for_recheck(session: Session, now: dt.datetime, limit: int = 200) -> list[int]:
    """Pending checkouts old enough that their callback should have come (oldest first)."""
    return list(session.scalars(
        sa.select(GatewayCheckout.id).where(GatewayCheckout.status == "pending",
                                            GatewayCheckout.created_at < now - RECHECK_AFTER)
        .order_by(GatewayCheckout.created_at).limit(limit)))


def refund(session: Session, payment, reason: str) -> str:
    """Give an online payment's money back through its gateway, before our books reverse it;
    answers what happened, in words for staff. A gateway without a refund API is named: the
    books still reverse, and staff refund from the merchant panel."""
    co = session.scalars(sa.select(GatewayCheckout).where(GatewayCheckout.payment_id == payment.id)
                         .with_for_update()).first()
    if co is None:
        return f"payment {payment.id}: no gateway checkout; refund it by hand"
    gw = session.get(PaymentGateway, co.gateway_id)
    try:
        done = driver_of(gw).refund(ref_of(co), co.amount, reason)
    except gateways.Unsupported as exc:
        co.message = str(exc)
        return f"payment {payment.id}: {exc}"
    except gateways.GatewayError as exc:
        raise RatingError(f"{gw.name} did not refund payment {payment.id}: {exc}; nothing was "
                          "reversed, try again", field="elid", status=502) from None
    co.status, co.message = "refunded", f"refund {done.refund_ref}: {done.amount}"
    co.detail = {**(co.detail or {}), "refund": done.raw}
    session.flush()
    return f"payment {payment.id}: {gw.name} refunded {done.amount} (refund {done.refund_ref})"
