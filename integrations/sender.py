"""Sending webhook deliveries, at least once.

The events trigger (radbill/sql/events.sql) writes each delivery, envelope included, in the
transaction of its event. The worker's round (provisioning/worker.drain_all) calls `drain`: a
due delivery is claimed (FOR UPDATE SKIP LOCKED) and marked `sending` in a transaction that
commits before the receiver is asked, its `next_attempt_at` becoming the claim's lease; the
answer is recorded in the next. A sender that died leaves it `sending`: once the lease is over
`recover` makes it pending again, so the receiver may see it twice (it de-duplicates by the
envelope's id, which every attempt and redelivery repeats).

A 2xx answer delivers it; anything else (another status, a timeout, a refused connection)
retries after 10 s, doubling to at most an hour, until RADBILL_WEBHOOK_ATTEMPTS, then fails it.
A target that is not a public address fails at once. The webhook keeps the last answer
(`last_status`, `last_error`). Logs name the delivery, the webhook and the host, never the
secret, the signature or the URL's path and query.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from integrations import webhooks
from radbill import settings
from radbill.models import Webhook, WebhookDelivery

log = logging.getLogger("radbill.webhooks")
TIMEOUT = 5.0  # seconds for the receiver to answer
LEASE = dt.timedelta(seconds=60)  # a `sending` claim older than this was its sender's last act
BASE_DELAY, MAX_DELAY = 10.0, 3600.0
RESPONSE_KEPT = 500


def delay(attempts: int) -> float:
    return min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))


@dataclass
class Attempt:
    delivery_id: int
    webhook_id: int
    url: str
    secret: str
    envelope_id: str
    body: str


@dataclass
class Answer:
    code: int | None = None
    text: str | None = None
    error: str | None = None
    permanent: bool = False
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def claim(session: Session) -> tuple[WebhookDelivery, Webhook] | None:
    at = now()
    found = session.execute(
        sa.select(WebhookDelivery, Webhook).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= at)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(1)
        .with_for_update(of=WebhookDelivery, skip_locked=True)).first()
    if found is None:
        return None
    delivery, hook = found
    delivery.status, delivery.attempts = "sending", delivery.attempts + 1
    delivery.next_attempt_at = at + LEASE
    return delivery, hook


def envelope_id(body: str) -> str:
    try:
        return str(json.loads(body)["id"])
    except (ValueError, KeyError, TypeError):
        return ""


def send_one(factory: sessionmaker) -> bool:
    """Send the next due delivery; False when none is due."""
    with factory.begin() as session:
        claimed = claim(session)
        if claimed is None:
            return False
        delivery, hook = claimed
        if not hook.active:
            finish(session, delivery, hook, Answer(error="the webhook is switched off",
                                                   permanent=True))
            return True
        try:
            secret = webhooks.unseal(hook.secret)
        except ValueError as exc:
            finish(session, delivery, hook, Answer(error=str(exc), permanent=True))
            return True
        attempt = Attempt(delivery.id, hook.id, hook.url, secret, envelope_id(delivery.body),
                          delivery.body)
    answer = post(attempt)
    with factory.begin() as session:
        delivery = session.get(WebhookDelivery, attempt.delivery_id, with_for_update=True)
        if delivery is None or delivery.status != "sending":
            return True  # the webhook was removed meanwhile
        finish(session, delivery, session.get(Webhook, attempt.webhook_id), answer)
    return True


def post(attempt: Attempt) -> Answer:
    """One signed POST of the envelope; never raises."""
    host = urlsplit(attempt.url).hostname or ""
    started = time.monotonic()
    answer = Answer()
    try:
        parts = urlsplit(attempt.url)
        webhooks.check_url(attempt.url)
        webhooks.check_resolved(host, parts.port or (443 if parts.scheme == "https" else 80))
        stamp = int(time.time())
        reply = requests.post(attempt.url, data=attempt.body.encode(), timeout=TIMEOUT,
                              allow_redirects=False,
                              headers=webhooks.headers(attempt.secret, attempt.envelope_id,
                                                       stamp, attempt.body))
        answer.code, answer.text = reply.status_code, reply.text[:RESPONSE_KEPT]
        if not answer.ok:
            answer.error = f"the receiver answered {reply.status_code}"
    except webhooks.TargetRefused as exc:
        answer.error, answer.permanent = f"refused to send: {exc}", True
    except requests.Timeout:
        answer.error = f"no answer within {TIMEOUT:g} s"
    except requests.ConnectionError as exc:
        answer.error = f"cannot connect to {host}: {_reason(exc)}"
    except (requests.RequestException, OSError, ValueError) as exc:
        answer.error = f"{type(exc).__name__}: {_reason(exc)}"
    answer.duration_ms = int((time.monotonic() - started) * 1000)
    log.info("webhook delivery %s (webhook %s, %s): %s in %s ms", attempt.delivery_id,
             attempt.webhook_id, host, answer.code or answer.error, answer.duration_ms)
    return answer


def _reason(exc: Exception) -> str:
    """The innermost reason of a requests error, without the URL it quotes."""
    inner = exc
    while inner.__context__ is not None and inner.__context__ is not inner:
        inner = inner.__context__
    text = str(inner) or type(inner).__name__
    return text.split("): ")[-1][:300]


def finish(session: Session, delivery: WebhookDelivery, hook: Webhook | None,
           answer: Answer) -> None:
    """Record an attempt's answer: delivered, again later, or failed."""
    delivery.response_code, delivery.response_body = answer.code, answer.text
    delivery.duration_ms, delivery.last_error = answer.duration_ms, answer.error
    if answer.ok:
        delivery.status, delivery.delivered_at = "delivered", now()
    elif answer.permanent or delivery.attempts >= settings.get().webhook_attempts:
        delivery.status = "failed"
        if not answer.permanent:
            delivery.last_error = f"gave up after {delivery.attempts} attempts: {answer.error}"
        log.warning("webhook delivery %s failed: %s", delivery.id, delivery.last_error)
    else:
        delivery.status = "pending"
        delivery.next_attempt_at = now() + dt.timedelta(seconds=delay(delivery.attempts))
    if hook is not None:
        hook.last_status, hook.last_error = answer.code, None if answer.ok else answer.error


def recover(session: Session) -> int:
    """Deliveries left `sending` past their lease by a sender that died: pending again."""
    done = session.execute(sa.update(WebhookDelivery).where(
        WebhookDelivery.status == "sending", WebhookDelivery.next_attempt_at < now())
        .values(status="pending", next_attempt_at=now(),
                last_error="interrupted while sending; sent again (the receiver may see it "
                           "twice)"))
    return done.rowcount or 0


_recovered_at = float("-inf")  # looking for lost claims once a lease is enough (no index)


def drain(factory: sessionmaker, limit: int = 100_000, budget: float | None = None) -> int:
    """Send what is due: up to `limit` deliveries or for `budget` seconds."""
    global _recovered_at
    if time.monotonic() - _recovered_at > LEASE.total_seconds():
        with factory.begin() as session:
            recover(session)
        _recovered_at = time.monotonic()
    n, until = 0, None if budget is None else time.monotonic() + budget
    while n < limit and (until is None or time.monotonic() < until) and send_one(factory):
        n += 1
    return n
