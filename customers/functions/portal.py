"""portal.*: what a subscriber may see and do about their own account (role "customer").

A customer is not staff: their Caller carries role "customer" and login `customer:<username>`,
and can reach only these functions. What they may do that staff functions already do (pay with
a recharge card, print an invoice) is delegated to those functions with a narrow staff role
scoped to the customer's operator, under the same `customer:<username>` login, so the audit
log names the customer and every money rule stays in one place.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import lockout
from radbill.functions import registry
from radbill.functions.audit import jsonable
from radbill.functions.caller import Caller
from radbill.functions.fields import as_id, is_id
from radbill.functions.registry import (AccessDenied, Call, FileResult, FormResult, FuncError,
                                        NotFound, OkResult, Param, function)
from radbill.models import Bill, Customer, Operator, Package, Payment, RadAcct, UsageCounter
from radbill.money import ZERO
from radbill.units import format_speed

CUSTOMER = ("customer",)
PREFIX = "customer:"
# the narrowest staff roles that can do the delegated work: a card distributor takes card
# payments only; the invoice needs a money role, and we check the bill is the customer's first
PAY_AS, INVOICE_AS = "card_distributor", "operator"
REASONS = {"unpaid": "unpaid bills", "expired": "the paid period has ended",
           "data cap reached": "this cycle's data cap is used up"}
SESSION_COLUMNS = ("acctstarttime", "acctstoptime", "acctsessiontime", "framedipaddress",
                   "acctinputoctets", "acctoutputoctets", "acctterminatecause")


def customer_caller(session: Session, customer: Customer, ip: str | None = None,
                    lang: str = "en") -> Caller:
    """The Caller a subscriber acts as on the portal."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == customer.operator_id))
    return Caller(login=f"{PREFIX}{customer.username}", role="customer",
                  operator_id=customer.operator_id, operator_path=path, ip=ip, lang=lang)


def customer_at(session: Session, ip: str | None) -> Customer | None:
    """The subscriber whose open session holds `ip` (the walled garden knows them by address)."""
    try:
        ip = str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None
    username = session.scalar(
        sa.select(RadAcct.username)
        .where(RadAcct.acctstoptime.is_(None), RadAcct.framedipaddress == ip)
        .order_by(RadAcct.acctstarttime.desc().nulls_last()).limit(1))
    if not username:
        return None
    return session.scalars(sa.select(Customer).where(
        sa.func.lower(Customer.username) == username.lower(),
        Customer.deleted_at.is_(None))).first()


def me(call: Call) -> Customer:
    """The calling customer; anyone else, the system administrator included, is refused."""
    login = call.caller.login
    if call.caller.role != "customer" or not login.startswith(PREFIX):
        raise AccessDenied("only a customer may call the portal functions")
    stmt = sa.select(Customer).where(
        sa.func.lower(Customer.username) == login[len(PREFIX):].lower(),
        Customer.operator_id == call.caller.operator_id, Customer.deleted_at.is_(None))
    found = call.session.scalars(stmt).first()
    if found is None:
        raise NotFound("no such customer")
    return found


def delegate(call: Call, role: str) -> Caller:
    """A staff caller for one delegated call, still logged as the customer."""
    return replace(call.caller, role=role, user_id=None)  # same channel, same right to change


def state_of(customer: Customer, now: dt.datetime) -> tuple[str, str | None]:
    """(active|suspended|expired|fup|disabled, why), in radius_module's order of precedence."""
    reason = customer.status_reason
    if customer.status == "disabled":
        return "disabled", reason or "disabled by your provider"
    if customer.status == "suspended":
        return "suspended", REASONS.get(reason or "unpaid", reason)
    if customer.expires_at is not None and customer.expires_at <= now:
        return "expired", REASONS["expired"]
    if customer.status == "fup":
        return "fup", REASONS.get(reason or "data cap reached", reason)
    return "active", None


def usage(session: Session, customer: Customer, package: Package) -> dict[str, Any]:
    row = session.get(UsageCounter, (customer.id, customer.cycle_start))
    used = (row.bytes_in + row.bytes_out) if row else 0
    return {"cycle_start": jsonable(customer.cycle_start), "used": used,
            "bytes_in": row.bytes_in if row else 0, "bytes_out": row.bytes_out if row else 0,
            "data_cap": package.data_cap,
            "percent": min(100, round(100 * used / package.data_cap)) if package.data_cap else None}


def sessions(session: Session, customer: Customer, limit: int = 10) -> list[dict]:
    cols = [getattr(RadAcct, c) for c in SESSION_COLUMNS]
    stmt = (sa.select(*cols).where(RadAcct.username == customer.username)
            .order_by(RadAcct.acctstarttime.desc().nulls_last()).limit(limit))
    return [{k: jsonable(v) for k, v in r._mapping.items()} for r in session.execute(stmt)]


def money(session: Session, customer: Customer) -> dict[str, Any]:
    """Recent bills and payments."""
    pays = session.scalars(sa.select(Payment).where(Payment.customer_id == customer.id)
                           .order_by(Payment.id.desc()).limit(12)).all()
    return {"bills": recent_bills(session, customer),
            "payments": [{"id": p.id, "received_at": jsonable(p.received_at), "method": p.method,
                          "amount": str(p.amount), "status": p.status} for p in pays]}


def recent_bills(session: Session, customer: Customer, limit: int = 12) -> list[dict[str, Any]]:
    bills = session.scalars(sa.select(Bill).where(Bill.customer_id == customer.id)
                            .order_by(Bill.id.desc()).limit(limit)).all()
    return [{"id": b.id, "issued_on": jsonable(b.issued_on), "due_date": jsonable(b.due_date),
             "service_from": jsonable(b.service_from), "service_to": jsonable(b.service_to),
             "total": str(b.total), "paid": str(b.paid), "due": str(b.total - b.paid),
             "status": b.status} for b in bills]


@function("portal.status", kind="form", money=True, roles=CUSTOMER)
def status(call: Call) -> FormResult:
    """My account: status and why, package, expiry, usage, sessions, bills and payments."""
    c = me(call)
    package = call.session.get(Package, c.package_id)
    state, why = state_of(c, _now())
    throttled = state == "fup" and package.fup_rate_down is not None
    recent = sessions(call.session, c)
    online = next((s for s in recent if s["acctstoptime"] is None), None)
    values = {"username": c.username, "name": c.name, "service": c.service, "state": state,
              "reason": why, "package": package.name, "rate_down": package.rate_down,
              "rate_up": package.rate_up,
              "speed": format_speed(package.rate_down, package.rate_up),
              "fup_speed": format_speed(package.fup_rate_down, package.fup_rate_up)
              if throttled else None,
              "price": str(package.price if c.custom_price is None else c.custom_price),
              "expires_at": jsonable(c.expires_at), "advance_balance": str(c.advance_balance),
              "usage": usage(call.session, c, package), "online": online, "sessions": recent,
              **money(call.session, c)}
    due = _due(call.session, c)  # all open bills, not only the recent ones listed
    values.update(due=str(due), owes=due > 0, gateways=gateways_of(call.session, c))
    values["children"] = call.session.scalar(  # accounts I pay for (issue 17, family.py)
        sa.select(sa.func.count()).select_from(Customer)
        .where(Customer.parent_id == c.id, Customer.deleted_at.is_(None)))
    return FormResult(c.id, values)


def gateways_of(session: Session, c: Customer) -> list[dict[str, str]]:
    """The online gateways this customer can pay with (their operator's, else its parent's)."""
    from rating import checkout, gateways
    return [{"kind": g.kind, "name": g.name, "label": gateways.driver_class(g.kind).label}
            for g in checkout.available(session, c.operator_id)]


def _due(session: Session, c: Customer):
    return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), ZERO))
                          .where(Bill.customer_id == c.id, Bill.status == "open"))


@function("portal.recharge", money=True, roles=CUSTOMER, params=(Param("pin", "the recharge card PIN", True),))
def recharge(call: Call) -> OkResult:
    """Pay with a recharge card: bills settle, a suspension lifts, the session is re-dialled."""
    c = me(call)
    before = state_of(c, _now())[0]
    result = pay_by_card(call, c, c)
    call.session.refresh(c)
    after = state_of(c, _now())[0]
    return OkResult(result.elid, {**result.extra, "status": after,
                                  "resumed": before in ("suspended", "expired")
                                  and after in ("active", "fup")})


def pay_by_card(call: Call, payer: Customer, c: Customer) -> OkResult:
    """payment.edit by card for `c`, as the calling customer `payer` (c itself, or a parent
    paying a child: customers/functions/family.py).

    PIN guessing is throttled here for every caller (radbill.lockout, counter "pin"): wrong
    PINs are recorded against the payer, and after too many it is refused for a while."""
    caller = call.caller
    lockout.pin_guard(call.session, caller, payer.username)
    pin = "".join((call.get("pin") or "").split()).replace("-", "")
    if not pin:
        raise FuncError("is required", field="pin")
    if not (pin.isascii() and pin.isdigit()) or len(pin) > 32:
        lockout.pin_failed(call.session, caller.channel, caller.login, payer.username, caller.ip)
        raise FuncError("a PIN is the digits printed on the card", field="pin", keep=True)
    # by username, unless it is all digits: customer.find reads a number as an id first
    ref = str(c.id) if is_id(c.username) else c.username
    attempt = call.session.begin_nested()  # a refused payment leaves nothing but its record
    try:
        result = registry.call(call.session, delegate(call, PAY_AS), "payment.edit",
                               {"sok": "ok", "customer": ref, "method": "card", "pin": pin})
        paid_by = call.session.scalar(sa.select(Payment.customer_id)
                                      .where(Payment.id == result.elid))
        if paid_by != c.id:  # an ambiguous reference must never pay for someone else
            raise FuncError("could not apply the card to this account", field="pin")
    except FuncError as exc:
        if exc.keep:  # payment.edit rolled its own work back and recorded the wrong PIN
            attempt.commit()
        else:
            attempt.rollback()
        raise
    attempt.commit()
    return result


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@function("portal.checkout", money=True, roles=CUSTOMER, params=(
    Param("gateway", "bkash, nagad, sslcommerz or aamarpay", True),
    Param("amount", "default: what is due, or one period of the package"),
    Param("source", "portal, or link (a payment link opened it)")))
def checkout(call: Call) -> OkResult:
    """Pay online: answers with the gateway's page to send me to (payment.checkout does it)."""
    c = me(call)
    source = call.get("source") or "portal"
    if source not in ("portal", "link"):
        raise FuncError("is portal or link", field="source")
    return pay_online(call, c, source)


def pay_online(call: Call, c: Customer, source: str) -> OkResult:
    """payment.checkout for `c` with the call's gateway and amount (the calling customer's own
    account, or a parent's child: customers/functions/family.py)."""
    params = {"customer": str(c.id), "gateway": call.get("gateway") or "", "source": source}
    if call.get("amount"):
        params["amount"] = call.get("amount")
    return registry.call(call.session, delegate(call, PAY_AS), "payment.checkout", params)


@function("portal.invoice", money=True, changes=False, roles=CUSTOMER, params=(Param("elid", "bill id", True),))
def invoice(call: Call) -> FileResult:
    """One of my bills as a PDF invoice; anyone else's bill does not exist for me."""
    c = me(call)
    ref = call.elid or ""
    if not is_id(ref, Bill.id) or call.session.scalar(sa.select(Bill.customer_id).where(
            Bill.id == as_id(ref, Bill.id))) != c.id:
        raise NotFound(f"no bill {ref!r}", field="elid")
    return registry.call(call.session, delegate(call, INVOICE_AS), "bill.pdf", {"elid": ref})


@function("portal.lang", roles=CUSTOMER,
          params=(Param("lang", "en (English) or bn (Bangla)", True),))
def lang(call: Call) -> OkResult:
    """My language: the portal's pages, my invoices and notices (issue 12)."""
    from radbill.functions import audit
    from radbill.functions import fields as F
    c = me(call)
    value = F.parse_one("lang", F.choice("en", "bn"), call.get("lang") or "")
    if value != c.lang:
        before = {"lang": c.lang}
        c.lang = value
        call.session.flush()
        audit.record(call, "customer", c.id, c.username, before, {"lang": value}, c.operator_id)
    return OkResult(c.id, {"lang": value})
