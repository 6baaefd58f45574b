"""Recharge cards: batches of unique PINs for a package or an amount, sold by distributors,
redeemed by customers through the payment pipeline (reference card:SERIAL, so a double
submission counts once)."""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill import events
from radbill.models import Customer, Operator, Package, RechargeCard
from radbill.money import ZERO
from rating import payments, pricing
from rating.errors import RatingError
from rating.terms import today

PIN_DIGITS = 14  # ~47 bits: guessing one of a million live cards takes ~10^8 tries


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


def package_amount(operator: Operator, package: Package, on: dt.date | None = None) -> Decimal:
    """What a card for `package` is worth by default: one period of it with the issuing
    operator's VAT, priced as the bill it will pay (a prepaid period: the whole validity, no
    profile discount), so redeeming it settles that bill and extends validity."""
    start = on or today()
    quote = pricing.period_quote(
        package=package.name, price=package.price, validity_days=package.validity_days,
        term="prepaid", period=(start, start + dt.timedelta(days=package.validity_days)),
        service_from=start, discount_kind="none", discount_value=ZERO,
        vat_percent=operator.vat_percent or ZERO)
    return quote.total


def generate(session: Session, *, operator: Operator, count: int, amount: Decimal,
             package: Package | None, distributor_id: int | None, batch: str,
             valid_until: dt.date | None) -> list[RechargeCard]:
    """Make `count` cards with unique PINs (a clash, vanishingly rare, is simply redrawn)."""
    prefix = f"{operator.id}-{batch}-"
    made: list[int] = []
    attempts = 0
    while len(made) < count:
        attempts += 1
        if attempts > count * 3 + 10:
            raise RatingError("could not draw unique PINs", field="count")
        n = len(made) + 1
        stmt = insert(RechargeCard).values(
            pin=new_pin(), serial=f"{prefix}{n:06d}", batch=batch, operator_id=operator.id,
            package_id=package.id if package else None, amount=amount,
            distributor_id=distributor_id, valid_until=valid_until,
        ).on_conflict_do_nothing().returning(RechargeCard.id)
        card_id = session.scalar(stmt)
        if card_id is not None:
            made.append(card_id)
    return list(session.scalars(sa.select(RechargeCard).where(RechargeCard.id.in_(made))
                                .order_by(RechargeCard.id)))


def redeem(session: Session, customer: Customer, pin: str,
           actor: payments.Actor = payments.SYSTEM_ACTOR, **extra) -> payments.Receipt:
    """Pay with a card: the PIN must be live, of the customer's operator line and package."""
    # a card outside the customer's operator line (the operator and those above it) is not even
    # read: it is answered exactly as a PIN that does not exist, before anything about it
    # (status, expiry, package) is said, so the answer never confirms someone else's PIN (issue 10)
    owner_path = session.scalar(sa.select(Operator.path).where(Operator.id == customer.operator_id))
    line = [int(x) for x in (owner_path or "").strip("/").split("/") if x]
    card = session.scalars(sa.select(RechargeCard).where(
        RechargeCard.pin == pin.strip(),
        sa.or_(RechargeCard.operator_id.in_(line), RechargeCard.used_by == customer.id))
        .with_for_update()).first()
    if card is None:
        raise RatingError("no such card", field="pin")
    reference = f"card:{card.serial}"
    if card.status == "used" and card.used_by == customer.id:
        return payments.pay(session, customer, "card", card.amount, reference, card_id=card.id,
                            actor=actor, **extra)
    if card.status != "unused":
        raise RatingError(f"this card is {card.status}", field="pin")
    if card.valid_until is not None and card.valid_until < today():
        raise RatingError("this card has expired", field="pin")
    if card.package_id is not None and card.package_id != customer.package_id:
        name = session.scalar(sa.select(Package.name).where(Package.id == card.package_id))
        raise RatingError(f"this card is for package {name!r}", field="pin")
    card.status, card.used_by, card.used_at = "used", customer.id, sa.func.now()
    session.flush()
    receipt = payments.pay(session, customer, "card", card.amount, reference, card_id=card.id,
                           actor=actor, **extra)
    events.emit(session, "card.redeemed", customer_id=customer.id,
                operator_id=customer.operator_id, actor=actor.login, func=actor.func,
                card_id=card.id, serial=card.serial, username=customer.username, amount=card.amount,
                payment_id=receipt.payment.id)
    return receipt
