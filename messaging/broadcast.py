"""Broadcasts: one message to a filtered group of customers, queued in the background.

`broadcast.edit` (messaging/functions/broadcasts.py) saves a `broadcasts` row (channel,
filters, the text or the event whose template to use) and starts a task of kind "broadcast"
(radbill/tasks.py). The task's steps:
  1. queue: once fewer than BACKLOG of its messages wait to be sent (so other messages are not
     stuck behind a whole broadcast), the next BATCH customers the filters match (in id order
     after the last one done, the cursor kept in the task's params and committed with the
     batch), each rendered in the customer's language with their own values (compose.values)
     and queued (the rows compose.queue writes, in one INSERT) with the dedupe key
     `broadcast:<id>:<customer id>`, so a step done twice (a worker killed before its commit)
     queues nobody twice; after the quiet hours of the customer's operator, through the
     customer's gateway cascade (compose.gateway);
  2. wait: until none of its messages is queued or sending any more (the sender sends them,
     throttled to each gateway's rate_per_second, each at most once: messaging/sender.py).
The task's progress is the messages that are no longer queued or sending over the recipients;
it is done when all are queued and sent or failed. Cancelling the task fails its messages that
are still queued.

Filters: operator (its subtree), zone, package, status (some of active, suspended, disabled,
fup), due_above (what the customer owes on open bills is over this), expiring_within (days:
the paid validity ends between the broadcast's creation and that many days later). Deleted
customers never.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from messaging import compose, segments, templating
from radbill import l10n, tasks
from radbill.models import (Bill, Broadcast, Customer, Message, MessageGateway, Operator, Package,
                            Task)

BATCH = 500
# the next batch is queued only when fewer of the broadcast's messages than this wait to be sent,
# so a payment's notice or a one-time code queued meanwhile waits behind a batch at most, not
# behind the whole broadcast (the sender takes the earliest due first)
BACKLOG = BATCH
KIND = "broadcast"
CUSTOMER_CHANNELS = ("sms", "whatsapp", "email")
ZERO = Decimal(0)


# -- whom -------------------------------------------------------------------------------------
def owed():
    """What a customer owes on open bills (a correlated subquery on Customer)."""
    return sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), ZERO)).where(
        Bill.customer_id == Customer.id, Bill.status == "open").scalar_subquery()


def audience(session: Session, operator_id: int, filters: dict, since: dt.datetime) -> sa.Select:
    """The customers (ids) the filters match in the subtree of `operator_id`."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == operator_id)) or ""
    subtree = sa.select(Operator.id).where(Operator.path.startswith(path, autoescape=True))
    stmt = sa.select(Customer.id).where(Customer.operator_id.in_(subtree),
                                        Customer.deleted_at.is_(None))
    if filters.get("zone_id"):
        stmt = stmt.where(Customer.zone_id == int(filters["zone_id"]))
    if filters.get("package_id"):
        stmt = stmt.where(Customer.package_id == int(filters["package_id"]))
    if filters.get("status"):
        stmt = stmt.where(Customer.status.in_(list(filters["status"])))
    if filters.get("due_above") not in (None, ""):
        stmt = stmt.where(owed() > Decimal(str(filters["due_above"])))
    if filters.get("expiring_within") not in (None, ""):
        days = int(filters["expiring_within"])
        stmt = stmt.where(Customer.expires_at >= since,
                          Customer.expires_at < since + dt.timedelta(days=days))
    return stmt


def address_column(channel: str):
    return getattr(Customer, compose.ADDRESS_OF[channel])


def reachable(stmt: sa.Select, channel: str) -> sa.Select:
    col = address_column(channel)
    return stmt.where(col.is_not(None), col != "")


def count(session: Session, stmt: sa.Select) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


# -- what -------------------------------------------------------------------------------------
@dataclass
class Rendered:
    subject: str | None
    body: str
    gateway: MessageGateway
    lang: str


class Renderer:
    """A broadcast's text for one customer: the typed body, or the event's template by the
    customer's operator's cascade, in the customer's language; gateways and templates are looked
    up once per operator (and language)."""

    def __init__(self, session: Session, channel: str, body: str | None, subject: str | None,
                 template: str | None):
        self.session, self.channel = session, channel
        self.body, self.subject, self.template = body, subject, template
        self._gateways: dict[int, MessageGateway | None] = {}
        self._wordings: dict[tuple[int, str], compose.Wording | None] = {}
        self._quiet: dict[int, dt.datetime] = {}

    def gateway(self, operator_id: int) -> MessageGateway | None:
        if operator_id not in self._gateways:
            self._gateways[operator_id] = compose.gateway(self.session, operator_id, self.channel)
        return self._gateways[operator_id]

    def wording(self, operator_id: int, lang: str) -> compose.Wording | None:
        if self.template is None:
            return compose.Wording(self.subject, self.body or "", True, "broadcast")
        key = (operator_id, lang)
        if key not in self._wordings:
            self._wordings[key] = compose.template(self.session, operator_id, self.template,
                                                   self.channel, lang)
        return self._wordings[key]

    def not_before(self, operator_id: int, now: dt.datetime) -> dt.datetime:
        if operator_id not in self._quiet:
            self._quiet[operator_id] = compose.not_before(self.session, operator_id, now)
        return self._quiet[operator_id]

    def render(self, customer: Customer) -> Rendered | str:
        """The message for `customer`, or why there is none."""
        gw = self.gateway(customer.operator_id)
        if gw is None:
            return f"no {self.channel} gateway is set up"
        lang = l10n.pick(customer.lang)
        wording = self.wording(customer.operator_id, lang)
        if wording is None or not wording.enabled:
            return f"no {self.channel} template for {self.template}"
        vals = compose.values(self.session, customer, {}, lang)
        subject, body = compose.render(wording, vals, self.channel)
        if not body:
            return "the text is empty for this customer"
        return Rendered(subject, body, gw, lang)


def renderer_of(session: Session, b: Broadcast) -> Renderer:
    return Renderer(session, b.channel, b.body, b.subject, b.template)


# -- a preview --------------------------------------------------------------------------------
@dataclass
class Preview:
    customers: int
    with_address: int
    sample_customer: Customer | None
    sample: Rendered | str | None
    segments: int
    gateway: MessageGateway | None

    @property
    def messages(self) -> int:
        return self.with_address

    @property
    def cost(self) -> Decimal:
        if not isinstance(self.sample, Rendered):
            return ZERO
        return self.sample.gateway.price * self.segments * self.with_address


def preview(session: Session, operator_id: int, channel: str, filters: dict, since: dt.datetime,
            body: str | None, subject: str | None, template: str | None) -> Preview:
    """How many customers the filters match, how many can be reached on `channel`, and the
    text one of them would get (nothing is written)."""
    stmt = audience(session, operator_id, filters, since)
    matched = count(session, stmt)
    reach = reachable(stmt, channel)
    with_address = count(session, reach)
    first = session.scalar(reach.order_by(Customer.id).limit(1))
    sample_customer = session.get(Customer, first) if first is not None else None
    renderer = Renderer(session, channel, body, subject, template)
    sample, parts, gw = None, 0, renderer.gateway(operator_id)
    if sample_customer is not None:
        sample = renderer.render(sample_customer)
        if isinstance(sample, Rendered):
            gw = sample.gateway
            parts = segments.count(sample.body).segments if channel == "sms" else 1
    return Preview(matched, with_address, sample_customer, sample, parts, gw)


def check_text(body: str | None, subject: str | None) -> dict[str, str]:
    """Every field of a typed broadcast text that cannot be a template of 'broadcast'."""
    errors = {}
    for name, text in (("body", body), ("subject", subject)):
        if text:
            problems = templating.check(text, KIND)
            if problems:
                errors[name] = "; ".join(problems)
    return errors


# -- the task -----------------------------------------------------------------------------------
def counts(session: Session, broadcast_ids: list[int]) -> dict[int, dict[str, int]]:
    """Messages per status of each broadcast."""
    out: dict[int, dict[str, int]] = {b: {} for b in broadcast_ids}
    if not broadcast_ids:
        return out
    for bid, status, n in session.execute(
            sa.select(Message.broadcast_id, Message.status, sa.func.count())
            .where(Message.broadcast_id.in_(broadcast_ids))
            .group_by(Message.broadcast_id, Message.status)):
        out[bid][status] = n
    return out


def progress_of(session: Session, b: Broadcast, queued_all: bool) -> tuple[int, int, int]:
    """(done, failed, total): sent or delivered, failed, and the recipients (the messages once
    all are queued; the count at the start until then)."""
    c = counts(session, [b.id])[b.id]
    done = c.get("sent", 0) + c.get("delivered", 0)
    failed = c.get("failed", 0)
    total = sum(c.values()) if queued_all else max(b.total, sum(c.values()))
    return done, failed, total


def step(session: Session, task: Task) -> tasks.Step:
    """One step of a broadcast's task: queue the next batch, or look at the sending."""
    params = dict(task.params or {})
    b = session.get(Broadcast, params.get("broadcast_id"))
    if b is None:
        return tasks.Step("failed", note="its broadcast was deleted")
    if not params.get("queued_all"):
        waiting = session.scalar(sa.select(sa.func.count()).where(
            Message.broadcast_id == b.id, Message.status.in_(("queued", "sending"))))
        if waiting >= BACKLOG:  # the sender has enough of ours: others' messages go between
            done, failed, total = progress_of(session, b, False)
            return tasks.Step("wait", done, failed, total,
                              note=f"queued {int(params.get('queued') or 0):,} of {b.total:,}, "
                                   f"{waiting:,} waiting to be sent")
        after = int(params.get("after") or 0)
        stmt = reachable(audience(session, b.operator_id, b.filters or {}, b.created_at),
                         b.channel)
        ids = session.scalars(stmt.where(Customer.id > after).order_by(Customer.id)
                              .limit(BATCH)).all()
        if ids:
            made, skipped = queue_batch(session, b, ids)
            params.update(after=ids[-1], queued=int(params.get("queued") or 0) + made,
                          skipped=int(params.get("skipped") or 0) + len(skipped))
            if skipped:
                params["why_skipped"] = sorted(set(skipped.values()))[:5]
            task.params = params
            tasks.wake(session)  # the worker's sender: messages are waiting
            done, failed, total = progress_of(session, b, False)
            return tasks.Step("more", done, failed, total,
                              note=f"queued {params['queued']:,} of {b.total:,}")
        params["queued_all"] = True
        task.params = params
        b.total = session.scalar(sa.select(sa.func.count()).where(
            Message.broadcast_id == b.id)) or 0
    done, failed, total = progress_of(session, b, True)
    pending = total - done - failed
    skipped = int(params.get("skipped") or 0)
    note = f"{done:,} sent, {failed:,} failed, {pending:,} to send" + (
        f"; {skipped:,} customers skipped ({', '.join(params.get('why_skipped', []))})"
        if skipped else "")
    return tasks.Step("done" if pending <= 0 else "wait", done, failed, total, note=note)


def queue_batch(session: Session, b: Broadcast, ids: list[int]) -> tuple[int, dict[int, str]]:
    """Queue the broadcast's message to each of `ids` (customers) in one INSERT of
    compose.row's rows; (queued, {customer id: why not})."""
    renderer = renderer_of(session, b)
    now = dt.datetime.now(dt.timezone.utc)
    skipped: dict[int, str] = {}
    customers = session.scalars(sa.select(Customer).where(Customer.id.in_(ids))
                                .order_by(Customer.id)).all()
    # compose.values looks up each customer's operator and package with session.get: loaded
    # once here and held, the session's (weak) identity map answers those without a query
    held = [*session.scalars(sa.select(Operator).where(
        Operator.id.in_({c.operator_id for c in customers}))),
        *session.scalars(sa.select(Package).where(
            Package.id.in_({c.package_id for c in customers if c.package_id})))]
    col = compose.ADDRESS_OF[b.channel]
    rows = []
    for c in customers:
        out = renderer.render(c)
        if not isinstance(out, Rendered):
            skipped[c.id] = out
            continue
        when = renderer.not_before(c.operator_id, now)
        rows.append(compose.row(operator_id=c.operator_id, customer_id=c.id, event=KIND,
                                broadcast_id=b.id, channel=b.channel, lang=out.lang,
                                recipient=getattr(c, col), subject=out.subject, body=out.body,
                                gateway=out.gateway, not_before=max(when, now),
                                dedupe_key=f"broadcast:{b.id}:{c.id}"))
    del held
    return len(compose.insert_rows(session, rows)), skipped


def live(session: Session, task: Task) -> tuple[int, int, int]:
    b = session.get(Broadcast, (task.params or {}).get("broadcast_id"))
    if b is None:
        return int(task.done), int(task.failed), int(task.total)
    return progress_of(session, b, bool((task.params or {}).get("queued_all")))


def cancelled(session: Session, task: Task) -> str | None:
    """A cancelled broadcast's messages still queued are failed (those being sent go)."""
    bid = (task.params or {}).get("broadcast_id")
    if bid is None:
        return None
    n = session.execute(sa.update(Message).where(
        Message.broadcast_id == bid, Message.status == "queued").values(
        status="failed", reason="the broadcast was cancelled")).rowcount
    return f"{n} queued messages will not be sent"


tasks.register(KIND, step, progress=live, on_cancel=cancelled)
