"""What gateways post back: delivery reports and incoming messages.

Each gateway has its own address, /hooks/messages/<gateway id>/<token>, where the token is an
HMAC of the id (so nobody can post reports for a gateway by guessing its number); the gateway's
driver reads the request (`Driver.webhook`, which also checks the provider's own signature where
it has one) and this module applies what it found. A report moves a message forward only
(sent -> delivered or failed; delivered stays delivered), so a repeated or late report changes
nothing; an incoming message is stored once per gateway reference, against the customer whose
mobile sent it.
"""
from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from messaging import drivers
from radbill import keys, settings
from radbill.models import Customer, IncomingMessage, Message, MessageGateway

FORWARD = {"delivered": ("queued", "sending", "sent"), "failed": ("queued", "sending", "sent")}


def token(gateway_id: int) -> str:
    return hmac.new(keys.derived("message-webhook"), str(gateway_id).encode(),
                    hashlib.sha256).hexdigest()[:32]


def path(gateway_id: int) -> str:
    return f"/hooks/messages/{gateway_id}/{token(gateway_id)}"


def url(gateway_id: int) -> str:
    return settings.get().public_url.rstrip("/") + path(gateway_id)


def gateway_for(session: Session, gateway_id: int, given: str) -> MessageGateway | None:
    if not hmac.compare_digest(token(gateway_id), given or ""):
        return None
    return session.get(MessageGateway, gateway_id)


def receive(session: Session, gw: MessageGateway, request: drivers.Request) -> drivers.Hook:
    from messaging.sender import driver_of
    hook = driver_of(gw).webhook(request)
    for report in hook.reports:
        apply_report(session, gw, report)
    for msg in hook.incoming:
        store_incoming(session, gw, msg)
    return hook


def apply_report(session: Session, gw: MessageGateway, report: drivers.Report) -> bool:
    if report.status not in FORWARD:
        return False
    where = [Message.gateway_id == gw.id]
    if report.gateway_ref:
        where.append(Message.gateway_ref == report.gateway_ref)
    elif report.ref and report.ref.startswith("rb") and report.ref[2:].isdigit():
        where.append(Message.id == int(report.ref[2:]))
    else:
        return False
    values = {"status": report.status}
    if report.status == "delivered":
        values["delivered_at"] = sa.func.now()
    else:
        values["reason"] = report.reason or "the gateway reports it undelivered"
    n = session.execute(sa.update(Message).where(*where, Message.status.in_(
        FORWARD[report.status])).values(**values)).rowcount
    return bool(n)


def store_incoming(session: Session, gw: MessageGateway, msg: drivers.Incoming) -> int | None:
    from radbill.models import Operator
    path_ = session.scalar(sa.select(Operator.path).where(Operator.id == gw.operator_id)) or ""
    customer_id = session.scalar(
        sa.select(Customer.id).join(Operator, Operator.id == Customer.operator_id)
        .where(Customer.mobile == msg.sender, Customer.deleted_at.is_(None),
               Operator.path.startswith(path_))
        .order_by(Customer.id).limit(1)) if msg.sender.startswith("+") else None
    stmt = insert(IncomingMessage).values(
        gateway_id=gw.id, operator_id=gw.operator_id, channel=gw.channel, sender=msg.sender,
        customer_id=customer_id, body=msg.body[:4000], gateway_ref=msg.gateway_ref)
    if msg.gateway_ref:
        stmt = stmt.on_conflict_do_nothing(constraint="uq_incoming_messages_ref")
    return session.scalar(stmt.returning(IncomingMessage.id))
