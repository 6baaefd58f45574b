"""Sending queued messages, each at most once.

A message is claimed (FOR UPDATE SKIP LOCKED) and marked `sending` in a transaction of its own,
which commits before the gateway is asked; the answer is recorded in the next. So a second
sender skips it, and a sender killed while asking leaves it `sending`: `recover()` (run before
every round) then sends it again only through a gateway that refuses a repeated reference
(`Driver.idempotent`), else marks it failed as interrupted. Nobody gets a message twice.

A permanent refusal (bad key, invalid number) fails the message at once with the gateway's
reason; when it is the gateway's fault (`gateway_wide`) the gateway's `last_error` is set and
staff are alerted once a day (`gateway.error`). Transient trouble retries with backoff (10 s,
doubling, at most 15 min) up to RADBILL_MESSAGE_ATTEMPTS. Each gateway is throttled to its
`rate_per_second` (per sender process).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from messaging import compose, drivers
from radbill import events, settings
from radbill.models import Message, MessageGateway

log = logging.getLogger("radbill.messaging")
INTERRUPTED_AFTER = dt.timedelta(seconds=120)
BASE_DELAY, MAX_DELAY = 10.0, 900.0


def delay(attempts: int) -> float:
    return min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))


@dataclass
class Throttle:
    """Per gateway: the earliest moment the next message may go."""

    next_at: dict[int, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, gateway_id: int, rate: int) -> None:
        with self.lock:
            now = time.monotonic()
            at = max(now, self.next_at.get(gateway_id, now))
            self.next_at[gateway_id] = at + 1.0 / max(1, rate)
        if at > now:
            time.sleep(at - now)


THROTTLE = Throttle()


_DRIVERS: dict[tuple, drivers.Driver] = {}


def driver_of(gw: MessageGateway) -> drivers.Driver:
    """The gateway's driver, made once per version of its settings and credentials."""
    from rating.gateways import secrets
    key = (gw.id, gw.kind, json.dumps(gw.config or {}, sort_keys=True),
           bytes(gw.credentials or b""))
    found = _DRIVERS.get(key)
    if found is None:
        if len(_DRIVERS) > 256:
            _DRIVERS.clear()
        found = _DRIVERS[key] = drivers.make(gw.kind, gw.config or {},
                                             secrets.decrypt(gw.credentials))
    return found


def outgoing(msg: Message) -> drivers.Outgoing:
    html = compose.html_of(msg.body, "") if msg.channel == "email" else None
    return drivers.Outgoing(ref=f"rb{msg.id}", channel=msg.channel, recipient=msg.recipient,
                            body=msg.body, subject=msg.subject, html=html, lang=msg.lang,
                            extra=dict(msg.extra or {}), segments=msg.segments)


def claim(session: Session, now: dt.datetime) -> Message | None:
    msg = session.scalars(sa.select(Message).where(
        Message.status == "queued", Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at, Message.id).limit(1)
        .with_for_update(skip_locked=True)).first()
    if msg is not None:
        msg.status, msg.claimed_at, msg.attempts = "sending", now, msg.attempts + 1
    return msg


def send_one(factory: sessionmaker, throttle: Throttle = THROTTLE) -> bool:
    """Send the next due message; False when none is due."""
    now = dt.datetime.now(dt.timezone.utc)
    with factory.begin() as session:
        msg = claim(session, now)
        if msg is None:
            return False
        mid, gw = msg.id, session.get(MessageGateway, msg.gateway_id) if msg.gateway_id else None
        if gw is None or not gw.enabled:
            _fail(msg, "its gateway was removed or switched off")
            return True
        try:
            driver, out = driver_of(gw), outgoing(msg)
        except Exception as exc:  # unreadable credentials, a kind without a driver
            _fail(msg, f"the gateway cannot be used: {exc}")
            return True
        gid, rate = gw.id, gw.rate_per_second
    throttle.wait(gid, rate)
    try:
        sent, error, permanent = driver.send(out), None, None
    except drivers.Permanent as exc:
        sent, error, permanent = None, driver.mask(str(exc)), exc
    except drivers.Transient as exc:
        sent, error, permanent = None, driver.mask(str(exc)), None
    except Exception as exc:  # a bug in a driver must not wedge the queue: retry, then give up
        log.exception("message %s: driver %s crashed", mid, gw.kind)
        sent, error, permanent = None, driver.mask(f"{type(exc).__name__}: {exc}"), None
    with factory.begin() as session:
        msg = session.get(Message, mid, with_for_update=True)
        if msg is None or msg.status != "sending":
            return True
        gw = session.get(MessageGateway, gid)
        if sent is not None:
            msg.status, msg.gateway_ref, msg.reason = sent.status, sent.gateway_ref, None
            msg.sent_at = sa.func.now()
            if sent.status == "delivered":
                msg.delivered_at = sa.func.now()
            if gw is not None and gw.last_error:
                gw.last_error = None
        elif permanent is not None:
            _fail(msg, error)
            if permanent.gateway_wide and gw is not None:
                gateway_error(session, gw, error)
        else:
            retry(msg, error)
        if msg.event == "otp" and msg.status != "queued":
            msg.body = redact(msg.body)  # the code is a secret once it has gone (or never will)
    return True


def redact(body: str) -> str:
    return re.sub(r"[0-9০-৯]{4,8}", "••••••", body)


def _fail(msg: Message, reason: str) -> None:
    msg.status, msg.reason = "failed", reason
    log.warning("message %s to %s failed: %s", msg.id, msg.channel, reason)


def retry(msg: Message, reason: str) -> None:
    if msg.attempts >= settings.get().message_attempts:
        _fail(msg, f"gave up after {msg.attempts} attempts: {reason}")
        return
    msg.status, msg.reason = "queued", reason
    msg.next_attempt_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(
        seconds=delay(msg.attempts))


def gateway_error(session: Session, gw: MessageGateway, error: str) -> None:
    """Remember the gateway's trouble and tell its operator's staff (once a day per gateway)."""
    gw.last_error = error
    day = dt.datetime.now(settings.get().tz).date()
    events.emit(session, "gateway.error", operator_id=gw.operator_id, actor="worker",
                func="messaging.sender", dedupe_key=f"gateway.error:{gw.id}:{day}",
                gateway=gw.name, kind=gw.kind, error=error[:500], gateway_id=gw.id)


def recover(session: Session, now: dt.datetime | None = None) -> int:
    """Messages left `sending` by a sender that died: again through an idempotent gateway,
    else failed as interrupted."""
    now = now or dt.datetime.now(dt.timezone.utc)
    rows = session.execute(sa.select(Message.id, MessageGateway.kind).outerjoin(
        MessageGateway, MessageGateway.id == Message.gateway_id).where(
        Message.status == "sending", Message.claimed_at < now - INTERRUPTED_AFTER)
        .with_for_update(of=Message, skip_locked=True)).all()
    again, lost = [], []
    for mid, kind in rows:
        try:
            ok = kind is not None and drivers.driver_class(kind).idempotent
        except (ImportError, ValueError):
            ok = False
        (again if ok else lost).append(mid)
    if again:
        session.execute(sa.update(Message).where(Message.id.in_(again)).values(
            status="queued", next_attempt_at=now))
    if lost:
        session.execute(sa.update(Message).where(Message.id.in_(lost)).values(
            status="failed", reason="interrupted while sending; not sent again, so that nobody "
                                    "gets it twice (it may or may not have arrived)"))
    return len(rows)


def drain(factory: sessionmaker, limit: int = 100_000, throttle: Throttle = THROTTLE,
          budget: float | None = None, senders: int = 1) -> int:
    """Send what is due: up to `limit` messages, or for `budget` seconds (the worker's loop
    gives each round a budget, so a broadcast never holds up a Disconnect for long).

    `senders` threads send at once (the worker: RADBILL_MESSAGE_SENDERS): a message spends most
    of its time waiting for the gateway's answer, and each claim skips the rows another holds,
    so they never share a message; each gateway's rate still holds (the Throttle is shared).
    One sender keeps the queue's order exactly."""
    with factory.begin() as session:
        recover(session)
    until = None if budget is None else time.monotonic() + budget
    lock, count, empty = threading.Lock(), [0], threading.Event()

    def loop() -> None:
        while not empty.is_set():
            with lock:  # take a place in the limit before sending, give it back if none due
                if count[0] >= limit or (until is not None and time.monotonic() >= until):
                    return
                count[0] += 1
            if not send_one(factory, throttle):
                with lock:
                    count[0] -= 1
                empty.set()
                return

    if senders <= 1:
        loop()
        return count[0]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(senders, thread_name_prefix="radbill-sender") as pool:
        futures = [pool.submit(loop) for _ in range(senders)]
    for f in futures:
        f.result()  # a database error in a sender is the round's, as with one sender
    return count[0]


def next_due(session: Session) -> dt.datetime | None:
    return session.scalar(sa.select(sa.func.min(Message.next_attempt_at))
                          .where(Message.status == "queued"))

