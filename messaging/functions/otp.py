"""otp.send and otp.check: one-time codes by SMS or WhatsApp (messaging/otp.py), for staff and
for the portal (role "customer" now; the self-care portal's anonymous caller of issue 14 calls
them with its own role added to OTP_ROLES)."""
from __future__ import annotations

import sqlalchemy as sa

from messaging import otp
from radbill import l10n
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, resolve_operator
from radbill.functions.registry import Call, FuncError, OkResult, Param, function
from radbill.functions.roles import RESELLERS
from radbill.models import Customer

# staff, and the portal's callers
OTP_ROLES = RESELLERS + ("manager", "noc", "card_distributor", "customer", "visitor")
PURPOSE = F.text(40, r"[a-z][a-z0-9_.-]{0,39}", "a short lower-case word (login, verify, ...)")
CODE = F.text(otp.DIGITS, r"[0-9]{%d}" % otp.DIGITS, f"{otp.DIGITS} digits")
PARAMS = (Param("recipient", "a mobile number (any spelling: 01711..., +8801711...)"),
          Param("customer", "or: the customer (id or username) whose mobile"),
          Param("purpose", "what the code is for (login, verify, ...; default verify)"))


def _fail(exc: otp.OtpError) -> FuncError:
    return FuncError(exc.message, field=exc.field, status=exc.status, keep=exc.keep)


def _customer(call: Call, ref: str) -> Customer:
    if call.caller.role == "customer":
        from customers.functions.portal import me
        mine = me(call)
        if ref not in (str(mine.id), mine.username):
            raise FuncError("is not you", field="customer", status=403)
        return mine
    from customers.functions.customers import ENTITY
    return ENTITY.find(call, ref, field="customer")


def target(call: Call) -> tuple[str, Customer | None]:
    """The E.164 number and the customer it belongs to (if known and visible)."""
    from customers.functions.customers import mobile
    errors = {}
    customer, number = None, None
    if raw := (call.get("customer") or "").strip():
        customer = _customer(call, raw)
    if raw := (call.get("recipient") or "").strip():
        try:
            number = mobile(F.clean(raw))
        except ValueError as exc:
            errors["recipient"] = str(exc)
    elif customer is not None:
        if not customer.mobile:
            errors["customer"] = f"{customer.username} has no mobile number"
        else:
            number = customer.mobile
    else:
        errors["recipient"] = "is required (or name the customer)"
    if errors:
        raise FuncError(errors=errors)
    if customer is None:
        stmt = sa.select(Customer).where(Customer.mobile == number, Customer.deleted_at.is_(None))
        if call.caller.role != "customer" and call.caller.operator_path is not None:
            stmt = stmt.where(in_subtree(call, Customer.operator_id))
        customer = call.session.scalars(stmt.order_by(Customer.id).limit(1)).first()
    return number, customer


def purpose(call: Call) -> str:
    raw = (call.get("purpose") or "").strip()
    return F.parse_one("purpose", PURPOSE, raw) if raw else "verify"


@function("otp.send", roles=OTP_ROLES, money=False,
          params=(*PARAMS, Param("channel", "sms (default) or whatsapp")))
def send(call: Call) -> OkResult:
    """Send a 6-digit one-time code, valid 5 minutes (at most 3 to a number in 15 minutes)."""
    number, customer = target(call)
    why = purpose(call)
    channel = F.parse_one("channel", F.choice(*otp.CHANNELS), (call.get("channel") or "sms")
                          .strip() or "sms")
    operator_id = customer.operator_id if customer is not None else \
        resolve_operator(call, None).id
    lang = l10n.pick(customer.lang if customer is not None else call.caller.lang)
    try:
        sent = otp.send(call.session, recipient=number, purpose=why, operator_id=operator_id,
                        channel=channel, customer=customer, ip=call.caller.ip, lang=lang)
    except otp.OtpError as exc:
        raise _fail(exc) from None
    shown = otp.masked(number)
    audit.record(call, "otp", sent.otp.id, shown, None,
                 {"recipient": shown, "purpose": why, "channel": channel,
                  "customer_id": customer.id if customer is not None else None},
                 operator_id)
    return OkResult(sent.otp.id, {"sent_to": shown, "channel": channel, "purpose": why,
                                  "valid_minutes": int(otp.VALID.total_seconds() // 60)})


@function("otp.check", roles=OTP_ROLES, money=False,
          params=(*PARAMS, Param("code", "the 6 digits", True)))
def check(call: Call) -> OkResult:
    """Check a one-time code: right once; 3 wrong tries or 5 minutes end it."""
    code = F.parse_one("code", CODE, (call.get("code") or "").strip())
    number, _ = target(call)
    why = purpose(call)
    try:
        row = otp.check(call.session, recipient=number, purpose=why, code=code)
    except otp.OtpError as exc:
        raise _fail(exc) from None
    return OkResult(row.id, {"ok": True, "recipient": otp.masked(number), "purpose": why,
                             "customer": row.customer_id})
