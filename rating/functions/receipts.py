"""payment.receipt, receipt.pdf: a money receipt for one payment, to whoever may see that
payment (payment's own visibility: the caller's subtree; a collector or distributor only what
they took). collect.day: the collector's day -- what each collector took on a day (the
ISP's zone), per method, and the cash to hand over.

An SMS or e-mail copy of the receipt needs nothing here: every payment emits payment.received,
whose notify route already sends the customer a receipt message (HACKING: events)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from radbill import settings
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, operator_name
from radbill.functions.registry import (Call, FileResult, ListResult, NotFound, Param,
                                        function)
from radbill.functions.roles import RESELLERS
from radbill.models import Customer, Operator, Payment, StaffUser
from radbill.money import ZERO, q as cents
from rating.functions.common import optional_day
from rating.functions.payments import ENTITY as PAYMENTS, PAYERS
from rating.terms import midnight, today

PREFIX = "MR-"  # money receipt: MR-000123 is payment 123
METHOD_LABELS = {"cash": "Cash", "card": "Recharge card", "online": "Online",
                 "advance": "Advance balance"}
RECEIPT = ["number", "payment_id", "status", "received_at", "received_local", "printed_local",
           "customer", "customer_name", "mobile", "method", "method_label", "amount", "applied",
           "to_advance", "currency", "reference", "collector", "collector_login", "isp",
           "operator_address", "operator_phone"]


def number(payment_id: int) -> str:
    return f"{PREFIX}{payment_id:06d}"


def local(moment: dt.datetime) -> str:
    return moment.astimezone(settings.get().tz).strftime("%d %b %Y, %H:%M %Z")


def receipt(call: Call) -> dict:
    """The receipt's fields for the payment `elid` names (NotFound for one the caller may not
    see, as for one that does not exist)."""
    from customers.functions.customers import national
    ref = (call.get("elid") or "").strip()
    if ref.upper().startswith(PREFIX):
        ref = ref[len(PREFIX):].lstrip("0") or "0"
    p = PAYMENTS.find(call, ref)
    c = call.session.get(Customer, p.customer_id)
    op = call.session.get(Operator, p.operator_id)
    who = call.session.get(StaffUser, p.collected_by) if p.collected_by else None
    s = settings.get()
    return {"number": number(p.id), "payment_id": p.id, "status": p.status,
            "received_at": audit.jsonable(p.received_at), "received_local": local(p.received_at),
            "printed_local": local(dt.datetime.now(dt.timezone.utc)),
            "customer": c.username, "customer_name": c.name, "mobile": national(c.mobile),
            "method": p.method,
            "method_label": METHOD_LABELS.get(p.method, p.method)
            + (f" ({p.gateway})" if p.gateway else ""),
            "amount": str(cents(p.amount)), "applied": str(cents(p.applied)),
            "to_advance": str(cents(p.to_advance)), "currency": s.currency,
            "reference": p.reference if p.method == "online" else None,
            "collector": (who.name or who.login) if who else None,
            "collector_login": who.login if who else None,
            "isp": operator_name(call.session, op),
            "operator_address": op.address, "operator_phone": op.phone}


@function("payment.receipt", money=True, kind="list", roles=PAYERS, params=(
    Param("elid", "payment id (or its receipt number, MR-000123)", True),))
def show(call: Call) -> ListResult:
    """A money receipt: number, time, customer, amount, method, collector."""
    row = receipt(call)
    return ListResult([row], 1, 1, 1, list(RECEIPT))


@function("receipt.pdf", money=True, kind="file", roles=PAYERS, params=(
    Param("elid", "payment id (or its receipt number, MR-000123)", True),))
def pdf(call: Call) -> FileResult:
    """The money receipt as a PDF (A5) to print or send."""
    from rating import receipts
    row = receipt(call)
    lang = call.session.scalar(sa.select(Customer.lang).join(
        Payment, Payment.customer_id == Customer.id).where(Payment.id == row["payment_id"]))
    return FileResult(f"receipt-{row['number']}.pdf", "application/pdf",
                      receipts.render(row, lang))  # in the customer's language


# -- the collector's day --------------------------------------------------------------------------
COLLECTORS = ("manager", "card_distributor")  # they see their own day only
DAY = ["collector_id", "collector", "name", "method", "payments", "amount", "reversed",
       "to_hand_over"]


@function("collect.day", money=True, kind="list", roles=RESELLERS + COLLECTORS, params=(
    Param("day", "the day (the ISP's zone; default today)"),
    Param("collector", "a collector's login or id (default: yours, or all of your subtree's)")))
def day_of(call: Call) -> ListResult:
    """The collector's day: payments taken per collector and method, and the cash to hand
    over (cash taken less cash reversed); a row per collector with method 'total'."""
    day = optional_day(call, "day") or today()
    start, end = midnight(day), midnight(day + dt.timedelta(days=1))
    reversed_ = Payment.status == "reversed"
    stmt = (sa.select(StaffUser.id, StaffUser.login, StaffUser.name, Payment.method,
                      sa.func.count(Payment.id), sa.func.sum(Payment.amount),
                      sa.func.coalesce(sa.func.sum(Payment.amount).filter(reversed_), 0))
            .join(StaffUser, StaffUser.id == Payment.collected_by)
            .where(Payment.received_at >= start, Payment.received_at < end,
                   in_subtree(call, Payment.operator_id), in_subtree(call, StaffUser.operator_id))
            .group_by(StaffUser.id, StaffUser.login, StaffUser.name, Payment.method)
            .order_by(StaffUser.login, StaffUser.id, Payment.method))
    if call.caller.role in COLLECTORS:
        stmt = stmt.where(Payment.collected_by == call.caller.user_id)
    if call.get("collector"):
        stmt = stmt.where(Payment.collected_by == collector(call))
    rows, totals = [], {}
    for uid, login, name, method, count, amount, back in call.session.execute(stmt):
        hand = amount - back if method == "cash" else ZERO
        rows.append(line(uid, login, name, method, count, amount, back, hand))
        t = totals.setdefault(uid, [uid, login, name, "total", 0, ZERO, ZERO, ZERO])
        t[4] += count
        t[5] += amount
        t[6] += back
        t[7] += hand
    out = []
    for uid in dict.fromkeys(r["collector_id"] for r in rows):
        out += [r for r in rows if r["collector_id"] == uid] + [line(*totals[uid])]
    return ListResult(out, len(out), 1, max(len(out), 1), list(DAY))


def line(uid, login, name, method, count, amount, back, hand) -> dict:
    return {"collector_id": uid, "collector": login, "name": name, "method": method,
            "payments": count, "amount": str(cents(Decimal(amount))),
            "reversed": str(cents(Decimal(back))), "to_hand_over": str(cents(Decimal(hand)))}


def collector(call: Call) -> int:
    ref = F.parse_one("collector", F.text(64), (call.get("collector") or "").strip())
    cond = StaffUser.id == F.as_id(ref, StaffUser.id) if F.is_id(ref, StaffUser.id) \
        else sa.func.lower(StaffUser.login) == ref.lower()
    uid = call.session.scalar(sa.select(StaffUser.id).where(
        cond, in_subtree(call, StaffUser.operator_id)))
    if uid is None:
        raise NotFound(f"no collector {ref!r}", field="collector")
    return uid


