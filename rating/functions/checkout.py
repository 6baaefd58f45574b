"""checkout (the list), payment.checkout, payment.confirm, payment.verify, payment.link: online
payments through the operator's gateways (rating/checkout.py does the work)."""
from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from radbill import events, settings
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree
from radbill.functions.registry import (AccessDenied, Call, FuncError, NotFound, OkResult, Param,
                                        function)
from radbill.functions.roles import MONEY_STAFF
from radbill.lifecycle import Actor
from radbill.models import Customer, GatewayCheckout, PaymentGateway
from rating import checkout, links
from rating.functions.common import customer, money

SOURCES = ("staff", "portal", "link")
LINK_DAYS = 7  # a payment link's default life


def public_url() -> str:
    """How customers' browsers and the gateways reach our portal."""
    s = settings.get()
    return (s.public_url or f"http://{s.admin_host}:{s.admin_port}").rstrip("/")


class Checkouts(Entity):
    name = "checkout"
    money = True
    model = GatewayCheckout
    label = "invoice"
    columns = ["id", "invoice", "customer", "gateway", "amount", "charge", "currency", "status",
               "source", "gateway_txn", "payment_id", "message", "created_at", "checked_at",
               "completed_at"]
    filters = {"customer": "customer_id", "status": "status", "gateway": "gateway_id",
               "operator": "operator_id"}
    search = ["invoice", "gateway_txn"]
    default_sort = "-id"
    list_roles = MONEY_STAFF

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        stmt = stmt.where(in_subtree(call, GatewayCheckout.operator_id))
        if call.caller.role == "manager":
            stmt = stmt.where(GatewayCheckout.created_by == call.caller.user_id)
        return stmt

    def filter(self, stmt, param, column, value):
        if param == "customer" and not F.is_id(value):
            return stmt.where(GatewayCheckout.customer_id.in_(sa.select(Customer.id).where(
                sa.func.lower(Customer.username) == value.lower())))
        return super().filter(stmt, param, column, value)

    def row(self, co: GatewayCheckout) -> dict:
        row = {c: audit.jsonable(getattr(co, c, None)) for c in self.columns}
        session = sa.orm.object_session(co)
        row["customer"] = session.scalar(sa.select(Customer.username)
                                         .where(Customer.id == co.customer_id))
        row["gateway"] = session.scalar(sa.select(PaymentGateway.name)
                                        .where(PaymentGateway.id == co.gateway_id))
        return row


ENTITY = Checkouts()
function("checkout", money=True, kind="list", roles=MONEY_STAFF,
         params=(Param("q", "search"), Param("page"), Param("per_page"), Param("sort"))
         + tuple(Param(k, "filter") for k in Checkouts.filters))(ENTITY.list)


def gateway_for(call: Call, cust: Customer) -> PaymentGateway:
    """The gateway named (by name or kind) among those the customer's operator may use."""
    usable = checkout.available(call.session, cust.operator_id)
    if not usable:
        raise FuncError("no online gateway is set up for this customer's operator",
                        field="gateway")
    ref = (call.get("gateway") or "").strip().lower()
    if not ref:
        if len(usable) == 1:
            return usable[0]
        raise FuncError("is required: " + ", ".join(g.name for g in usable), field="gateway")
    for gw in usable:
        if ref in (gw.name.lower(), gw.kind) or (F.is_id(ref) and gw.id == F.as_id(ref)):
            return gw
    raise FuncError(f"{F.short(ref)!r} is not one of " + ", ".join(g.name for g in usable),
                    field="gateway")


@function("payment.checkout", money=True, roles=MONEY_STAFF + ("card_distributor",), params=(
    Param("customer", "id or username", True), Param("gateway", "name or kind (bkash, ...)"),
    Param("amount", "default: what is due, or one period of a prepaid package"),
    Param("source", "staff, portal or link")))
def start(call: Call) -> OkResult:
    """Start paying at a gateway: answers with the URL to send the customer to and the pending
    checkout's invoice; the payment is taken when the gateway confirms it."""
    cust = customer(call)
    gw = gateway_for(call, cust)
    amount = money(call, required=False) or checkout.amount_due(call.session, cust)
    source = F.parse_one("source", F.choice(*SOURCES), call.get("source") or "staff")
    co = checkout.start(call.session, cust, gw, amount, public_url(), source,
                        created_by=call.caller.user_id)
    audit.record(call, "checkout", co.id, co.invoice, None, audit.snapshot(co), co.operator_id)
    return OkResult(co.id, {"url": co.redirect_url, "invoice": co.invoice,
                            "amount": str(co.amount), "gateway": gw.name})


def _settle(call: Call, co: GatewayCheckout, params: dict | None) -> OkResult:
    before = audit.snapshot(co)
    checkout.settle(call.session, co, params, Actor.of(call))
    if audit.snapshot(co) != before:
        audit.record(call, "checkout", co.id, co.invoice, before, audit.snapshot(co),
                     co.operator_id)
    return OkResult(co.id, {"status": co.status, "payment_id": co.payment_id,
                            "message": co.message, "invoice": co.invoice})


@function("payment.confirm", money=True, roles=("admin",), params=(
    Param("invoice", "our invoice at the gateway", True),
    Param("data", "what the callback or IPN carried, as a JSON object")))
def confirm(call: Call) -> OkResult:
    """A gateway's callback or IPN (the portal's /pay routes call this as the system): the
    gateway is asked, never believed on the callback's word; a replay changes nothing."""
    invoice = F.parse_one("invoice", F.text(40, r"[A-Za-z0-9]+"), call.get("invoice") or "")
    try:
        data = json.loads(call.get("data") or "{}")
    except ValueError:
        raise FuncError("is not JSON", field="data") from None
    if not isinstance(data, dict):
        raise FuncError("must be a JSON object", field="data")
    co = checkout.by_invoice(call.session, invoice, lock=True)
    if co is None:
        raise NotFound(f"no checkout {invoice!r}", field="invoice")
    return _settle(call, co, {str(k): str(v) for k, v in data.items()})


@function("payment.verify", money=True, roles=MONEY_STAFF,
          params=(Param("elid", "checkout id or invoice", True),))
def verify(call: Call) -> OkResult:
    """Ask the gateway now about a checkout (the payment_recheck job does it every few minutes
    for those pending over 30 minutes)."""
    co = ENTITY.find(call, call.elid or "", lock=True)
    return _settle(call, co, None)


@function("payment.link", money=True, changes=True, roles=MONEY_STAFF, params=(
    Param("customer", "id or username", True),
    Param("amount", "default: what is due when the customer opens it"),
    Param("expires", f"a date, or days from now (default {LINK_DAYS})"),
    Param("send", "sms, whatsapp or email: also message the link to the customer")))
def link(call: Call) -> OkResult:
    """A short signed URL that opens the checkout for this customer without a login; with
    `send`, the customer gets it as a message (the payment.link_sent event's notice)."""
    cust = customer(call)
    send = F.parse_one("send", F.choice("", "sms", "whatsapp", "email"),
                       (call.get("send") or "").strip())
    if send and not getattr(cust, "email" if send == "email" else "mobile"):
        raise FuncError(f"the customer has no {'e-mail address' if send == 'email' else 'mobile'}",
                        field="send")
    amount = money(call, required=False)
    raw = (call.get("expires") or "").strip()
    now = dt.datetime.now(dt.timezone.utc)
    if not raw or raw.isdigit():
        days = F.parse_one("expires", F.integer(1, 366), raw or str(LINK_DAYS))
        expires = now + dt.timedelta(days=days)
    else:
        day = F.parse_one("expires", F.day, raw)
        expires = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(),
                                      settings.get().tz)
        if expires <= now:
            raise FuncError("is in the past", field="expires")
    if not checkout.available(call.session, cust.operator_id):
        raise FuncError("no online gateway is set up for this customer's operator",
                        field="customer")
    try:
        token = links.make(cust.id, amount, expires)
    except ValueError:
        raise FuncError("is too large for a link", field="amount") from None
    audit.record(call, "payment_link", cust.id, cust.username, None,
                 {"amount": audit.jsonable(amount), "expires": audit.jsonable(expires),
                  "send": send or None}, cust.operator_id)
    url = f"{public_url()}/portal/pay/l/{token}"
    if send:
        events.emit(call.session, "payment.link_sent", customer_id=cust.id,
                    operator_id=cust.operator_id, actor=call.caller.login, func=call.func,
                    username=cust.username, link=url, channel=send,
                    amount=str(amount if amount is not None
                               else checkout.amount_due(call.session, cust)))
    return OkResult(cust.id, {"url": url, "expires": audit.jsonable(expires),
                              "sent": send or None})


def link_customer(session: sa.orm.Session, token: str) -> tuple[Customer, links.Link]:
    """The customer a link pays for (refused once deleted)."""
    try:
        lk = links.read(token)
    except links.LinkError as exc:
        raise AccessDenied(str(exc), field="token") from None
    cust = session.get(Customer, lk.customer_id)
    if cust is None or cust.deleted_at is not None:
        raise AccessDenied("This payment link is not valid. Please ask for a new one.",
                           field="token")
    return cust, lk
