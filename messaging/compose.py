"""Turning an event into messages: whom, on which channels, in which words.

For a customer's notice (outbox `notify`): the channels the operator tells customers on
(operators.notify_channels, nearest ancestor's, at the top sms + email) that have a gateway
(the operator's own, else the nearest ancestor's) and a template that is not switched off (the
operator's, its parent's, ..., then messaging/defaults.py), in the customer's language, to the
customer's mobile (sms, whatsapp) or e-mail. One `messages` row per channel, keyed by the event
and channel, so composing the same event again adds nothing.

A notice from a job (reminders, the billing run) waits for the end of the operator's quiet
hours; one about something the customer just did (a payment) goes at once.

For staff (outbox `alert`): every telegram gateway on the operator's chain (the bot's chat), in
English; and each on-call login of the chain (staff_users.on_call, inside its hours and days in
the ISP's zone, not disabled) by SMS to its mobile and e-mail to its address, through the
gateway nearest its own operator, in its language, each keyed by event, login and channel so a
retried outbox row queues nothing twice. `title` and `details` are what a template may say.
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from messaging import defaults, segments, templating
from radbill import events as catalogue
from radbill import l10n, settings
from radbill.functions.crud import operator_name
from radbill.models import (Bill, Customer, Event, Message, MessageGateway, MessageTemplate,
                            Operator, Outbox, Package, Signup, StaffUser)

DEFAULT_CHANNELS = ("sms", "email")
ADDRESS_OF = {"sms": "mobile", "whatsapp": "mobile", "email": "email"}
ZERO = Decimal(0)


# -- the operator's chain ---------------------------------------------------------------------
def chain(session: Session, operator_id: int) -> list[int]:
    """The operator and its ancestors, nearest first."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == operator_id)) or ""
    ids = [int(p) for p in path.strip("/").split("/") if p] or [operator_id]
    if ids[-1] != operator_id:
        ids.append(operator_id)
    return list(reversed(ids))


def channels(session: Session, operator_id: int) -> tuple[str, ...]:
    rows = dict(session.execute(sa.select(Operator.id, Operator.notify_channels)
                                .where(Operator.id.in_(chain(session, operator_id)))).all())
    for op in chain(session, operator_id):
        if rows.get(op) is not None:
            return tuple(rows[op])
    return DEFAULT_CHANNELS


def gateway(session: Session, operator_id: int, channel: str) -> MessageGateway | None:
    """The enabled gateway of `channel` nearest up the operator's chain."""
    ops = chain(session, operator_id)
    rows = session.scalars(sa.select(MessageGateway).where(
        MessageGateway.operator_id.in_(ops), MessageGateway.channel == channel,
        MessageGateway.enabled).order_by(MessageGateway.id)).all()
    for op in ops:
        for gw in rows:
            if gw.operator_id == op:
                return gw
    return None


@dataclass(frozen=True)
class Wording:
    subject: str | None
    body: str
    enabled: bool
    source: str  # "operator 3" | "default"


def template(session: Session, operator_id: int, event: str, channel: str,
             lang: str) -> Wording | None:
    """The wording of `event` on `channel` in `lang` for a customer of `operator_id` (the
    operator's, then its ancestors', then the default; English when nothing is in `lang`)."""
    ops = chain(session, operator_id)
    rows = session.scalars(sa.select(MessageTemplate).where(
        MessageTemplate.operator_id.in_(ops), MessageTemplate.event == event,
        MessageTemplate.channel == channel)).all()
    for want in dict.fromkeys((lang, "en")):
        for op in ops:
            for t in rows:
                if t.operator_id == op and t.lang == want:
                    return Wording(t.subject, t.body, t.enabled, f"operator {op}")
        found = defaults.get(event, channel, want)
        if found is not None:
            return Wording(found[0], found[1], True, "default")
    return None


def means(session: Session, operator_id: int, event: str, channel: str,
          lang: str) -> tuple[MessageGateway, Wording] | str:
    """The gateway and the enabled wording one message of `event` on `channel` goes with, for
    `operator_id` (whose message it is), or why it cannot go."""
    gw = gateway(session, operator_id, channel)
    if gw is None:
        return f"no {channel} gateway is set up"
    wording = template(session, operator_id, event, channel, lang)
    if wording is None or not wording.enabled:
        return f"no {channel} template for {event}"
    return gw, wording


# -- what a template may say --------------------------------------------------------------------
def values(session: Session, customer: Customer | None, payload: dict, lang: str) -> dict:
    """The documented variables (templating.VARIABLES) for this customer and event, formatted
    for `lang`."""
    s = settings.get()
    money = lambda v: l10n.number(v, lang, 2) if v not in (None, "") else ""  # noqa: E731
    out: dict[str, str] = {"currency": s.currency}
    if customer is not None:
        op = session.get(Operator, customer.operator_id)
        pkg = session.get(Package, customer.package_id) if customer.package_id else None
        due = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), ZERO))
                             .where(Bill.customer_id == customer.id, Bill.status == "open"))
        out.update(name=customer.name or customer.username, username=customer.username,
                   package=pkg.name if pkg else "", operator=operator_name(session, op),
                   operator_phone=(op.phone or "") if op else "",
                   expires=l10n.date(_local(customer.expires_at, s), lang),
                   amount_due=money(due) if due > 0 else "",
                   portal=f"{s.public_url.rstrip('/')}/portal" if s.public_url else "")
        if due > 0 and s.public_url:
            out["link"] = payment_link(customer.id, None)
    for key in ("amount", "bill_total"):
        if key in payload:
            out[key] = money(payload[key])
    if "total" in payload:
        out["bill_total"] = money(payload["total"])
    if "due_date" in payload:
        out["due_date"] = l10n.date(payload["due_date"], lang)
    if payload.get("bill_id"):
        out["bill_number"] = l10n.digits(payload["bill_id"], lang)
    if "days_left" in payload:
        out["days_left"] = l10n.digits(payload["days_left"], lang)
    if payload.get("to") and "kind" in payload:  # a package change: the package it moves to
        out["new_package"] = str(payload["to"])
    if "effective_on" in payload:
        out["effective_on"] = l10n.date(payload["effective_on"], lang)
    if payload.get("link"):
        out["link"] = payload["link"]
    if payload.get("payment_id"):
        out["receipt"] = f"MR-{payload['payment_id']}"
    if payload.get("method"):
        out["method"] = l10n.tr(lang, str(payload["method"]))
    reason = payload.get("note") or payload.get("reason")
    if reason:
        out["reason"] = l10n.tr(lang, str(reason))
    for key in ("code", "minutes", "title", "details", "complaint_id", "subject", "status",
                "comment"):
        if key in payload:
            out[key] = str(payload[key])
    return out


def payment_link(customer_id: int, amount: Decimal | None, days: int = 7) -> str:
    from rating import links
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)
    return f"{settings.get().public_url.rstrip('/')}/portal/pay/l/{links.make(customer_id, amount, expires)}"


def _local(value: dt.datetime | None, s: settings.Settings):
    return value.astimezone(s.tz) if isinstance(value, dt.datetime) else value


# -- quiet hours -----------------------------------------------------------------------------
def not_before(session: Session, operator_id: int, now: dt.datetime) -> dt.datetime:
    """`now`, or the end of the operator's quiet hours (nearest on the chain that sets them)
    when `now` falls inside them, in the ISP's zone."""
    ops = chain(session, operator_id)
    rows = {r.id: r for r in session.execute(sa.select(
        Operator.id, Operator.quiet_start, Operator.quiet_end).where(Operator.id.in_(ops)))}
    for op in ops:
        r = rows.get(op)
        if r is not None and r.quiet_start is not None and r.quiet_end is not None:
            return quiet_until(now, r.quiet_start, r.quiet_end, settings.get().tz)
    return now


def quiet_until(now: dt.datetime, start: dt.time, end: dt.time, tz) -> dt.datetime:
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start == end:
        return now
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return now
    day = local.date() if (start < end or t < end) else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tz).astimezone(dt.timezone.utc)


# -- queueing -----------------------------------------------------------------------------------
def row(*, operator_id: int, event: str, channel: str, recipient: str, body: str,
        gateway: MessageGateway, lang: str = "en", subject: str | None = None,
        customer_id: int | None = None, event_id: int | None = None,
        broadcast_id: int | None = None, dedupe_key: str | None = None,
        extra: dict | None = None, not_before: dt.datetime | None = None) -> dict:
    """A queued message's row: its SMS segments and its cost (segments x the gateway's price)
    worked out here, once for every writer."""
    parts = segments.count(body).segments if channel == "sms" else 1
    return dict(operator_id=operator_id, customer_id=customer_id, event=event,
                event_id=event_id, broadcast_id=broadcast_id, channel=channel, lang=lang,
                recipient=recipient, subject=subject, body=body, extra=extra,
                gateway_id=gateway.id, segments=parts, cost=gateway.price * parts,
                dedupe_key=dedupe_key,
                next_attempt_at=not_before if not_before is not None else sa.func.now())


def insert_rows(session: Session, rows: list[dict]) -> list[int]:
    """Insert queued messages in one statement; a row whose dedupe key was queued before is
    skipped. The ids of those inserted."""
    if not rows:
        return []
    return list(session.scalars(insert(Message).values(rows).on_conflict_do_nothing(
        index_elements=["dedupe_key"], index_where=sa.text("dedupe_key IS NOT NULL"))
        .returning(Message.id)))


def queue(session: Session, **kw) -> int | None:
    """Insert one queued message (`row`'s arguments); None when its dedupe key was queued
    before."""
    made = insert_rows(session, [row(**kw)])
    return made[0] if made else None


def render(wording: Wording, vals: dict, channel: str) -> tuple[str | None, str]:
    body = templating.render(wording.body, vals)
    subject = templating.render(wording.subject, vals) if wording.subject else None
    if channel == "email" and not subject:
        subject = body.splitlines()[0][:120] if body else ""
    return subject, body


def html_of(body: str, operator: str) -> str:
    """An e-mail's HTML part: the text's paragraphs, escaped, in a plain frame."""
    paras = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                    for p in body.split("\n\n") if p.strip())
    return ("<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5;"
            "max-width:36em\">" + paras +
            f"<p style=\"color:#666;font-size:90%\">{html.escape(operator)}</p></body></html>")


def whatsapp_template(wording: Wording, vals: dict, lang: str) -> dict | None:
    """A business-initiated WhatsApp message must be an approved template: a wording whose
    `subject` names one ("name" or "name:en_US") is sent as that template, its body parameters
    the values of the variables in the order the text uses them. Without one: free text (which
    Meta delivers only within 24 hours of the customer's last message)."""
    if not wording.subject:
        return None
    name, _, code = wording.subject.partition(":")
    return {"template": name, "language": code or lang,
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": vals.get(v, "") or "-"}
                for v in templating.variables_in_order(wording.body)]}]}


@dataclass
class Composed:
    queued: list[int]
    skipped: dict[str, str]  # channel -> why not


def notice(session: Session, row: Outbox, now: dt.datetime | None = None) -> Composed:
    """The messages of one `notify` outbox row (idempotent)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    payload = dict(row.payload or {})
    name = str(payload.pop("event", ""))
    ev = session.get(Event, row.event_id) if row.event_id else None
    customer = session.get(Customer, row.customer_id) if row.customer_id else None
    out = Composed([], {})
    if customer is None or customer.deleted_at is not None and name != "customer.deleted":
        out.skipped["*"] = "no such customer"
        return out
    if name == "customer.created" and session.scalar(
            sa.select(Signup.id).where(Signup.customer_id == customer.id).limit(1)):
        out.skipped["*"] = "a sign-up's approval message carries the welcome and the login"
        return out
    if name == "bill.created" and payload.get("bill_id"):
        status = session.scalar(sa.select(Bill.status).where(Bill.id == payload["bill_id"]))
        if status == "paid":
            out.skipped["*"] = "the bill was paid before it was announced"
            return out
    wanted = channels(session, customer.operator_id)
    if name == "payment.link_sent" and payload.get("channel"):
        wanted = (payload["channel"],)
    lang = l10n.pick(customer.lang)
    vals = values(session, customer, payload, lang)
    when = not_before(session, customer.operator_id, now) \
        if ev is not None and ev.actor == "scheduler" else None
    for channel in wanted:
        address = getattr(customer, ADDRESS_OF.get(channel, ""), None) if channel in ADDRESS_OF \
            else None
        if not address:
            out.skipped[channel] = f"the customer has no {ADDRESS_OF.get(channel, channel)}"
            continue
        found = means(session, customer.operator_id, name, channel, lang)
        if isinstance(found, str):
            out.skipped[channel] = found
            continue
        gw, wording = found
        subject, body = render(wording, vals, channel)
        extra = None
        if channel == "whatsapp":
            extra, subject = whatsapp_template(wording, vals, lang), None
        mid = queue(session, operator_id=customer.operator_id, event=name, channel=channel,
                    recipient=address, body=body, subject=subject, lang=lang, gateway=gw,
                    customer_id=customer.id, event_id=row.event_id, extra=extra,
                    dedupe_key=f"event:{row.event_id or row.id}:{channel}", not_before=when)
        if mid is not None:
            out.queued.append(mid)
    return out


def alert(session: Session, row: Outbox, now: dt.datetime | None = None) -> Composed:
    """Staff alerts of one `alert` outbox row: the operator's chain's Telegram chats, and SMS
    and e-mail to the chain's on-call staff (idempotent)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    payload = dict(row.payload or {})
    name = str(payload.pop("event", ""))
    ev = session.get(Event, row.event_id) if row.event_id else None
    out = Composed([], {})
    if name == "payment.reversed":
        try:
            big = Decimal(str(payload.get("amount", "0"))) > settings.get().alert_reversal_over
        except ArithmeticError:
            big = False
        if not big:
            out.skipped["*"] = "a small reversal"
            return out
    operator_id = (ev.operator_id if ev is not None else None) or _root(session)
    details = alert_details(payload)
    ops = chain(session, operator_id)
    gws = session.scalars(sa.select(MessageGateway).where(
        MessageGateway.operator_id.in_(ops), MessageGateway.channel == "telegram",
        MessageGateway.enabled).order_by(MessageGateway.id)).all()
    if not gws:
        out.skipped["telegram"] = "no telegram gateway is set up"
    vals = {"title": alert_title(name, "en"), "details": details}
    for gw in gws:
        chat = str((gw.config or {}).get("chat_id") or "")
        if not chat:
            out.skipped[f"telegram {gw.id}"] = "the gateway names no chat"
            continue
        wording = template(session, gw.operator_id, "alert", "telegram", "en")
        _, body = render(wording, vals, "telegram")
        mid = queue(session, operator_id=gw.operator_id, event=name, channel="telegram",
                    recipient=chat, body=body, gateway=gw,
                    event_id=row.event_id, dedupe_key=f"alert:{row.event_id or row.id}:{gw.id}")
        if mid is not None:
            out.queued.append(mid)
    for staff in on_call_staff(session, ops, now):
        _alert_staff(session, staff, name, details, f"{row.event_id or row.id}", out,
                     row.event_id)
    return out


STAFF_ADDRESS = {"sms": "mobile", "email": "email"}


def _alert_staff(session: Session, staff: StaffUser, name: str, details: str, key: str,
                 out: Composed, event_id: int | None) -> None:
    """One on-call login's SMS and e-mail, through the gateways nearest its operator."""
    lang = l10n.pick(staff.lang)
    vals = {"title": alert_title(name, lang), "details": details}
    for channel, attr in STAFF_ADDRESS.items():
        where = f"{channel} {staff.login}"
        address = getattr(staff, attr)
        if not address:
            out.skipped[where] = f"the login has no {attr}"
            continue
        found = means(session, staff.operator_id, "alert", channel, lang)
        if isinstance(found, str):
            out.skipped[where] = found
            continue
        gw, wording = found
        subject, body = render(wording, vals, channel)
        mid = queue(session, operator_id=staff.operator_id, event=name, channel=channel,
                    recipient=address, body=body, subject=subject, lang=lang, gateway=gw,
                    event_id=event_id, dedupe_key=f"alert:{key}:staff{staff.id}:{channel}")
        if mid is not None:
            out.queued.append(mid)


# the payload's keys an alert's reader wants first; `alert` and `flapping` only route it
FIRST = ("name", "username", "error", "target")
HIDDEN = {"alert", "flapping"}


def alert_details(payload: dict) -> str:
    keys = [k for k in FIRST if k in payload] + sorted(k for k in payload if k not in FIRST)
    return ", ".join(f"{k.replace('_', ' ')}: {payload[k]}" for k in keys
                     if k not in HIDDEN and payload[k] is not None)


def alert_title(name: str, lang: str) -> str:
    """The event's title (the catalogue's, in English; messaging/defaults.ALERT_TITLES in
    Bangla)."""
    if lang != "en" and (name, lang) in defaults.ALERT_TITLES:
        return defaults.ALERT_TITLES[(name, lang)]
    return catalogue.CATALOGUE[name].title if name in catalogue.CATALOGUE else name


def on_call_staff(session: Session, operators: list[int], now: dt.datetime) -> list[StaffUser]:
    """The enabled on-call logins of these operators on duty at `now` (the ISP's zone)."""
    local = now.astimezone(settings.get().tz)
    rows = session.scalars(sa.select(StaffUser).where(
        StaffUser.operator_id.in_(operators), StaffUser.on_call, ~StaffUser.disabled,
        sa.or_(StaffUser.mobile.is_not(None), StaffUser.email.is_not(None)))
        .order_by(StaffUser.id)).all()
    return [u for u in rows if on_duty(u.on_call_start, u.on_call_end, u.on_call_days, local)]


def on_duty(start: dt.time | None, end: dt.time | None, days: list[int] | None,
            local: dt.datetime) -> bool:
    """Whether `local` (the ISP's wall clock) is inside a daily window [start, end) on one of
    `days` (ISO weekdays; None: every day). A window past midnight (22:00-06:00) belongs to the
    day it starts: Friday's runs into Saturday morning."""
    t = local.time().replace(tzinfo=None)
    day = local.date()
    if start is not None and end is not None and start != end:
        if start < end:
            if not start <= t < end:
                return False
        elif t < end:
            day -= dt.timedelta(days=1)
        elif t < start:
            return False
    return not days or day.isoweekday() in days


def _root(session: Session) -> int:
    return session.scalar(sa.select(Operator.id).where(Operator.parent_id.is_(None))
                          .order_by(Operator.id).limit(1))
