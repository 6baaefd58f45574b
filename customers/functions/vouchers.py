"""portal.voucher (issue 14): a recharge card for a hotspot package is a voucher.

Someone at a hotspot types the card's PIN on the hotspot login page; the first time, a hotspot
customer is made under the card's operator (customer.edit: username `v` + the card's id, a fresh
random password, no mobile, the custom field `voucher` = the card's serial) and its first period
is paid with the card through `payment.edit method=card`, exactly as a recharge (the ledger, the
card's status, the distributor's commission, card.redeemed and payment.received). The answer is
the account's username and password, which the page hands to the router's CHAP login.

A PIN whose card already paid for its voucher account answers that account again, every time,
so the PIN stays the login (a double submit waits on the card's row lock and gets the same
account). Unknown, used by anyone else, expired and not-a-hotspot-package PINs get one message;
wrong PINs count against the client address (radbill.lockout, counter "pin"), as recharge PINs.
"""
from __future__ import annotations

import secrets
from dataclasses import replace

import sqlalchemy as sa

from radbill import lockout
from radbill.functions import audit
from radbill.functions.registry import (Call, FuncError, OkResult, Param, call as registry_call,
                                        function)
from radbill.models import Customer, Operator, Package, RechargeCard
from rating.terms import today

from customers.functions.signups import PASSWORD_ALPHABET, VISITORS

MARK = "voucher"  # customers.custom_fields key: the serial of the card that made the account
LOGIN = "portal:voucher"  # the login_attempts row of a wrong voucher PIN (counted per address)
PASSWORD_LENGTH = 8
REFUSED = "this PIN is not a valid hotspot voucher"
UNAVAILABLE = "this voucher cannot be activated right now; please ask the seller"


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _guard(call: Call) -> None:
    """Refuse while the client address (or, without one, every voucher) has used up its
    wrong PINs; the refusal is recorded uncounted, so it never extends the block."""
    c = call.caller
    blocked = lockout.address_blocked(call.session, "pin", c.ip) if c.ip else \
        lockout.blocked(call.session, "pin", LOGIN)
    if blocked:
        lockout.record(call.session, c.channel, LOGIN, False, lockout.PIN_LOCKED, c.ip)
        raise FuncError(lockout.TOO_MANY_PINS, field="pin", status=429, keep=True)


def _refuse(call: Call) -> FuncError:
    """One answer for every PIN that is not a usable voucher; the try is counted."""
    c = call.caller
    lockout.record(call.session, c.channel, LOGIN, False, lockout.PIN_FAILURE, c.ip)
    return FuncError(REFUSED, field="pin", keep=True)


def _account(call: Call, card: RechargeCard) -> Customer | None:
    """The live voucher account this card made (its payment may since have been reversed)."""
    return call.session.scalars(sa.select(Customer).where(
        Customer.operator_id == card.operator_id, Customer.deleted_at.is_(None),
        Customer.custom_fields[MARK].astext == card.serial).order_by(Customer.id).limit(1)).first()


def _as_operator(call: Call, card: RechargeCard, role: str):
    """The card's operator acting (logged as the voucher), with the visitor's channel and
    address: what customer.edit and payment.edit are called as."""
    path = call.session.scalar(sa.select(Operator.path).where(Operator.id == card.operator_id))
    return replace(call.caller, login=f"voucher:{card.serial}"[:64], role=role,
                   operator_id=card.operator_id, operator_path=path, user_id=None)


def _username(call: Call, card: RechargeCard) -> str:
    """`v` + the card's id; in the rare case staff took that name, a few random digits more."""
    name = f"v{card.id}"
    while call.session.scalar(sa.select(Customer.id).where(
            sa.func.lower(Customer.username) == name.lower()).limit(1)) is not None:
        name = f"v{card.id}-{secrets.randbelow(9000) + 1000}"
    return name


def _create(call: Call, card: RechargeCard, pkg: Package) -> Customer:
    params = {"sok": "ok", "username": _username(call, card), "password": new_password(),
              "service": "hotspot", "package": str(pkg.id), "operator": str(card.operator_id),
              "lang": call.caller.lang if call.caller.lang in ("en", "bn") else "en",
              "notes": f"hotspot voucher: card {card.serial}"}
    made = registry_call(call.session, _as_operator(call, card, "operator"), "customer.edit",
                         params)
    customer = call.session.get(Customer, made.elid)
    # the card's mark is ours, not a staff-defined custom field (customer.edit's cf_<name> takes
    # only those: customers/custom_fields.py), so it is set here, in the same transaction
    customer.custom_fields = {**(customer.custom_fields or {}), MARK: card.serial}
    call.session.flush()
    return customer


def _pay(call: Call, card: RechargeCard, customer: Customer, pin: str) -> None:
    registry_call(call.session, _as_operator(call, card, "card_distributor"), "payment.edit",
                  {"sok": "ok", "customer": customer.username, "method": "card", "pin": pin})


@function("portal.voucher", money=True, roles=VISITORS,
          params=(Param("pin", "the voucher's PIN (a recharge card for a hotspot package)", True),))
def voucher(call: Call) -> OkResult:
    """Log in to the hotspot with a voucher: the first time its account is made and paid with
    the card; the answer is the account's username and password, the same every time."""
    _guard(call)
    pin = "".join((call.get("pin") or "").split()).replace("-", "")
    if not pin:
        raise FuncError("is required", field="pin")
    if not (pin.isascii() and pin.isdigit()) or len(pin) > 32:
        raise _refuse(call)
    card = call.session.scalars(sa.select(RechargeCard).where(RechargeCard.pin == pin)
                                .with_for_update()).first()  # a double submit waits here
    if card is None:
        raise _refuse(call)
    account = _account(call, card)
    first = card.status == "unused"
    if not first:
        if account is None or card.status != "used" or card.used_by != account.id:
            raise _refuse(call)
    else:
        pkg = call.session.get(Package, card.package_id) if card.package_id else None
        if pkg is None or not pkg.hotspot or (card.valid_until is not None
                                              and card.valid_until < today()):
            raise _refuse(call)
        attempt = call.session.begin_nested()
        try:
            if account is None:
                account = _create(call, card, pkg)
            _pay(call, card, account, pin)
        except FuncError:
            attempt.rollback()  # e.g. the reseller's credit: the card stays unused
            raise FuncError(UNAVAILABLE, field="pin", status=409) from None
        attempt.commit()
    if account.password is None:  # made hash-only by staff since: no password to hand out
        raise FuncError(UNAVAILABLE, field="pin", status=409)
    call.session.refresh(account)
    audit.record(call, "customer", account.id, account.username, None,
                 {"login": "voucher", "card": card.serial, "first": first}, account.operator_id)
    return OkResult(account.id, {"username": account.username, "password": account.password,
                                 "first": first, "expires_at": audit.jsonable(account.expires_at)})
