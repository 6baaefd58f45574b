"""The outbox worker: carries out queued CoA, Disconnect, notify and alert events, each exactly
once, then sends the messages they queued (messaging/sender.py).

An event is claimed with SELECT ... FOR UPDATE SKIP LOCKED and handled inside that transaction,
so a second worker skips it while the first is sending, and the row's new state commits only
after the NAS answered. An event stays pending (with backoff) until it is acknowledged, and is
given up (status 'failed', reason in last_error and the log) only after `max_attempts`.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import select
import threading
import time
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from provisioning import coa, radius_sessions
from provisioning.errors import ProvisioningError
from radbill import settings
from radbill.models import Customer, Outbox, Package
from radbill.outbox import CHANNEL
from radbill.units import format_rate

log = logging.getLogger("radbill.worker")


@dataclass
class Policy:
    max_attempts: int = 8
    base_delay: float = 10.0  # seconds before the first retry; doubles each time
    max_delay: float = 900.0
    coa_timeout: float = 3.0
    coa_retries: int = 2

    def delay(self, attempts: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))


@dataclass
class Outcome:
    state: str  # done | retry | failed
    result: dict
    error: str | None = None


# -- claiming and recording -------------------------------------------------------------------
def claim(session: Session) -> Outbox | None:
    stmt = (sa.select(Outbox)
            .where(Outbox.status == "pending", Outbox.next_attempt_at <= sa.func.now())
            .order_by(Outbox.next_attempt_at, Outbox.id).limit(1)
            .with_for_update(skip_locked=True))
    return session.scalars(stmt).first()


def process_one(factory: sessionmaker, policy: Policy) -> bool:
    """Handle the next due event in its own transaction; False when none is due."""
    with factory.begin() as session:
        event = claim(session)
        if event is None:
            return False
        event.attempts += 1
        try:
            outcome = HANDLERS[event.kind](session, event, policy)
        except ProvisioningError as exc:
            outcome = Outcome("retry", _previous(event), str(exc))
        except Exception as exc:  # a bug must not wedge the queue: retry, then give up
            log.exception("outbox %s (%s) crashed", event.id, event.kind)
            outcome = Outcome("retry", _previous(event), f"{type(exc).__name__}: {exc}")
        record(event, outcome, policy)
    return True


def record(event: Outbox, outcome: Outcome, policy: Policy) -> None:
    event.result = json.dumps(outcome.result, sort_keys=True)
    event.last_error = outcome.error
    now = dt.datetime.now(dt.timezone.utc)
    if outcome.state == "retry" and event.attempts >= policy.max_attempts:
        outcome.state = "failed"
        event.last_error = f"gave up after {event.attempts} attempts: {outcome.error}"
    if outcome.state == "done":
        event.status, event.done_at = "done", now
    elif outcome.state == "failed":
        event.status, event.done_at = "failed", now
        log.warning("outbox %s (%s) failed: %s", event.id, event.kind, event.last_error)
    else:
        event.next_attempt_at = now + dt.timedelta(seconds=policy.delay(event.attempts))
        log.info("outbox %s (%s) attempt %s: %s; retrying", event.id, event.kind,
                 event.attempts, outcome.error)


def _previous(event: Outbox) -> dict:
    try:
        return json.loads(event.result) if event.result else {}
    except ValueError:
        return {}


# -- CoA and Disconnect -----------------------------------------------------------------------
def handle_radius(session: Session, event: Outbox, policy: Policy) -> Outcome:
    payload = event.payload or {}
    if not payload.get("username") and event.customer_id:
        payload = {**payload, "username": session.scalar(
            sa.select(Customer.username).where(Customer.id == event.customer_id))}
    extra = {**coa.known_attributes(payload), **(payload.get("attributes") or {}),
             **event_attributes(session, event)}
    done = _previous(event).get("sessions", {})
    errors, permanent = [], []
    for s in radius_sessions.open_sessions(session, payload):
        if done.get(s.key, {}).get("acked"):
            continue  # acknowledged on an earlier attempt; never send it twice
        target = radius_sessions.target_for(session, s.nasipaddress)
        if target is None:
            errors.append(f"{s.nasipaddress} is not in the nas table")
            continue
        PER_NAS.wait(target.host, settings.get().coa_per_nas_per_second)
        try:
            reply = coa.send(event.kind, target, s.ref, extra, policy.coa_timeout,
                             policy.coa_retries)
        except coa.BadAttribute as exc:
            return Outcome("failed", {"sessions": done}, str(exc))
        except ProvisioningError as exc:
            errors.append(str(exc))
            done[s.key] = {"acked": False, "reply": str(exc)}
            continue
        log.info("outbox %s: %s %s -> %s", event.id, event.kind, s.key, reply.summary())
        entry = {"acked": reply.acked, "reply": reply.summary(), "error_cause": reply.error_cause}
        if reply.session_not_found:
            entry.update(acked=True, stale_closed=radius_sessions.close_stale(session, s))
        elif not reply.acked and 400 <= (reply.error_cause or 0) < 500:
            # 4xx: our request is wrong, so resending it cannot help
            permanent.append(f"{s.key}: {reply.summary()}")
        elif not reply.acked:
            errors.append(f"{s.key}: {reply.summary()}")
        done[s.key] = entry
    result = {"sessions": done}
    if errors:
        return Outcome("retry", result, "; ".join(errors))
    if permanent:
        return Outcome("failed", result, "; ".join(permanent))
    if not done:
        result["note"] = "no open session"
    return Outcome("done", result)


def event_attributes(session: Session, event: Outbox) -> dict[str, str]:
    """What a CoA derived from an event changes on the live session, worked out when it is
    sent (so a package changed since the event counts)."""
    name = (event.payload or {}).get("event")
    if name == "customer.fup_reached" and event.customer_id is not None:
        pkg = session.scalars(sa.select(Package).join(Customer, Customer.package_id == Package.id)
                              .where(Customer.id == event.customer_id)).first()
        if pkg is not None and pkg.fup_rate_up and pkg.fup_rate_down:
            return {"Mikrotik-Rate-Limit":
                    f"{format_rate(pkg.fup_rate_up)}/{format_rate(pkg.fup_rate_down)}"}
    if name == "customer.package_changed" and event.customer_id is not None:
        # issue 14: the new package's rate as authorize hands it out (the FUP rate while the
        # customer is throttled), on the live session, without a Disconnect
        from radius_module.policy import rate_limit
        row = session.execute(sa.select(Package, Customer.status)
                              .join(Customer, Customer.package_id == Package.id)
                              .where(Customer.id == event.customer_id)).first()
        if row is not None:
            pkg, status = row
            if status == "fup" and pkg.fup_rate_up and pkg.fup_rate_down:
                return {"Mikrotik-Rate-Limit":
                        f"{format_rate(pkg.fup_rate_up)}/{format_rate(pkg.fup_rate_down)}"}
            return {"Mikrotik-Rate-Limit": rate_limit(pkg)}
    return {}


class NasPacer:
    """Space the requests this worker sends one NAS at least 1/rate seconds apart (a bulk
    change queues thousands of CoAs; a MikroTik answers a flood late or not at all). Each
    worker paces its own: N workers send a NAS up to N x rate a second."""

    def __init__(self, clock=time.monotonic, sleep=time.sleep):
        self.clock, self.sleep = clock, sleep
        self.next_at: dict[str, float] = {}

    def wait(self, nas: str, rate: float) -> float:
        """Sleep until `nas` may have the next request; returns the seconds waited."""
        if not rate or rate <= 0:
            return 0.0
        now = self.clock()
        at = max(now, self.next_at.get(nas, now))
        self.next_at[nas] = at + 1.0 / rate
        if len(self.next_at) > 10_000:  # NAS long quiet need no entry
            self.next_at = {k: v for k, v in self.next_at.items() if v > now}
        if at > now:
            self.sleep(at - now)
        return at - now


PER_NAS = NasPacer()


# -- notifications ----------------------------------------------------------------------------
def handle_notify(session: Session, event: Outbox, policy: Policy) -> Outcome:
    """A customer's notice becomes messages (messaging/compose.py); the sender sends them."""
    from messaging import compose
    made = compose.notice(session, event)
    return Outcome("done", {"messages": made.queued, "skipped": made.skipped})


def handle_alert(session: Session, event: Outbox, policy: Policy) -> Outcome:
    """A staff alert becomes messages to the operator's chats (messaging/compose.py)."""
    from messaging import compose
    made = compose.alert(session, event)
    return Outcome("done", {"messages": made.queued, "skipped": made.skipped})


HANDLERS = {"coa": handle_radius, "disconnect": handle_radius, "notify": handle_notify,
            "alert": handle_alert}


# -- the loop ---------------------------------------------------------------------------------
def drain(factory: sessionmaker, policy: Policy, limit: int = 10_000) -> int:
    """Handle the due outbox rows; returns how many."""
    n = 0
    while n < limit and process_one(factory, policy):
        n += 1
    return n


ROUND_BUDGET = 5.0  # seconds of sending messages per round before the outbox is looked at again


def drain_all(factory: sessionmaker, policy: Policy,
              budget: float | None = None) -> tuple[int, int]:
    """The outbox, then background tasks, then webhook deliveries (integrations/sender.py) and
    the messages queued (messaging/sender.py), each for at most `budget` seconds of sending;
    returns (outbox rows handled, deliveries and messages sent)."""
    from integrations import sender as webhooks
    from messaging import sender
    from radbill import tasks
    events = drain(factory, policy)
    tasks.run_due(factory)  # background tasks (radbill/tasks.py), e.g. a broadcast's queueing
    hooks = webhooks.drain(factory, budget=budget)
    return events, hooks + sender.drain(factory, budget=budget,
                                        senders=settings.get().message_senders)


def run(factory: sessionmaker, policy: Policy, stop: threading.Event, poll: float = 5.0) -> None:
    """Drain, then sleep until a NOTIFY on radbill_outbox or `poll` seconds (retries come due)."""
    dsn = settings.get().psycopg_dsn
    while not stop.is_set():
        try:
            with psycopg.connect(dsn, autocommit=True) as listener:
                listener.execute(f"LISTEN {CHANNEL}")
                while not stop.is_set():
                    handled, sent = drain_all(factory, policy, budget=ROUND_BUDGET)
                    if not (handled or sent):  # more may be due at once: go round again
                        _wait(listener, stop, poll)
        except (psycopg.OperationalError, sa.exc.OperationalError) as exc:
            # PostgreSQL restarting must not kill the worker (nor `radbill up` with it)
            log.error("database unavailable (%s); retrying in %ss", exc, poll)
            stop.wait(poll)


def _wait(listener: psycopg.Connection, stop: threading.Event, poll: float) -> None:
    deadline = poll
    step = 0.5  # short steps so a stop request is honoured quickly
    while deadline > 0 and not stop.is_set():
        ready, _, _ = select.select([listener.fileno()], [], [], min(step, deadline))
        if ready:
            for _ in listener.notifies(timeout=0):
                pass
            return
        deadline -= step
