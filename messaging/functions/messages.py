"""message, message.retry, incoming: the history of what was sent to whom, and what came back.

`message` lists the messages (queue and history: queued, sending, sent, delivered, failed with
the reason) inside the caller's subtree (a manager: only the customers it manages), filtered by
customer, channel, event, status, operator, gateway and a date range, searchable by recipient,
username or the gateway's message id, exported like every list. A one-time code's text is never
shown. `message.retry` queues a failed message again. `incoming` lists what subscribers sent
(WhatsApp, an SMS gateway's incoming messages).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill import settings
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree
from radbill.functions.registry import Call, FuncError, ListResult, OkResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import Customer, IncomingMessage, Message, MessageGateway, Operator
from radbill.models.messaging import CHANNELS, MESSAGE_STATUSES

HIDDEN_BODY = "(a one-time code: not shown)"


def escape_like(q: str) -> str:
    return q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def local_day(value: str, param: str) -> dt.date:
    return F.parse_one(param, F.day, value)


def day_bounds(param: str, value: str) -> dt.datetime:
    """The start of `from`'s day, or the end (the next day's start) of `to`'s, in the ISP's zone."""
    day = local_day(value, param)
    if param == "to":
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), settings.get().tz)


def customer_filter(model, value: str):
    ref = F.as_id(value)
    if ref is not None:
        return model.customer_id == ref
    return model.customer_id.in_(sa.select(Customer.id).where(
        sa.func.lower(Customer.username) == value.strip().lower()))


def operator_filter(model, value: str):
    ref = F.as_id(value)
    if ref is not None:
        return model.operator_id == ref
    return model.operator_id.in_(sa.select(Operator.id).where(
        sa.func.lower(Operator.name) == value.strip().lower()))


def usernames(call: Call, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(call.session.execute(sa.select(Customer.id, Customer.username)
                                     .where(Customer.id.in_(ids))).all())


def managed(call: Call, model, stmt: sa.Select) -> sa.Select:
    """A manager sees the messages of the customers it manages only."""
    if call.caller.role == "manager":
        stmt = stmt.where(model.customer_id.in_(sa.select(Customer.id).where(
            Customer.manager_id == call.caller.user_id)))
    return stmt


class History(Entity):
    """What the message and incoming lists share: the customer shown by name, filters by
    customer, operator, channel, an id column and a day range in the ISP's zone, a manager's
    customers only."""

    label = "id"
    time_column = "created_at"
    id_filters: tuple[str, ...] = ()
    default_sort = "-id"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return managed(call, self.model, stmt.where(in_subtree(call, self.model.operator_id)))

    def filter(self, stmt, param, column, value):
        value = value.strip()
        model = self.model
        if param == "customer":
            return stmt.where(customer_filter(model, value))
        if param == "operator":
            return stmt.where(operator_filter(model, value))
        if param in ("from", "to"):
            bound, at = day_bounds(param, value), getattr(model, self.time_column)
            return stmt.where(at >= bound if param == "from" else at < bound)
        if param == "channel":
            return stmt.where(model.channel == F.parse_one(param, F.choice(*CHANNELS), value))
        if param in self.id_filters:
            ref = F.as_id(value)
            if ref is None:
                raise FuncError(f"{F.short(value)!r} is not an id", field=param)
            return stmt.where(getattr(model, column) == ref)
        return super().filter(stmt, param, column, value)

    def order(self, call: Call) -> list:
        sort = call.get("sort") or self.default_sort
        key = sort.lstrip("-")
        key = "customer_id" if key == "customer" else key
        col = getattr(self.model, key, None) if key in self.columns + ["customer_id"] else None
        if not isinstance(getattr(col, "property", None), sa.orm.ColumnProperty):
            raise FuncError(f"cannot sort by {F.short(key)!r}", field="sort")
        return [col.desc() if sort.startswith("-") else col.asc(), self.model.id.desc()]

    def row(self, obj) -> dict:
        row = {c: audit.jsonable(getattr(obj, c)) for c in self.columns if c != "customer"}
        row["customer_id"] = obj.customer_id
        return row

    def list(self, call: Call) -> ListResult:
        result = super().list(call)
        names = usernames(call, [r["customer_id"] for r in result.rows])
        for r in result.rows:
            r["customer"] = names.get(r["customer_id"])
        return result


class Messages(History):
    name = "message"
    model = Message
    columns = ["id", "created_at", "customer", "channel", "event", "status", "reason",
               "recipient", "subject", "body", "segments", "cost", "gateway_id", "gateway_ref",
               "attempts", "next_attempt_at", "sent_at", "delivered_at", "operator_id"]
    search = ["recipient", "gateway_ref"]
    filters = {"customer": "customer_id", "channel": "channel", "event": "event",
               "status": "status", "operator": "operator_id", "gateway": "gateway_id",
               "broadcast": "broadcast_id", "from": "created_at", "to": "created_at"}
    money = frozenset({"cost"})
    list_roles = CUSTOMER_VIEWERS
    id_filters = ("gateway", "broadcast")

    def search_terms(self, q: str) -> list:
        return [Message.customer_id.in_(sa.select(Customer.id).where(
            sa.func.lower(Customer.username).like(escape_like(q))))]

    def filter(self, stmt, param, column, value):
        if param == "status":
            return stmt.where(Message.status == F.parse_one(
                param, F.choice(*MESSAGE_STATUSES), value.strip()))
        return super().filter(stmt, param, column, value)

    def row(self, obj: Message) -> dict:
        row = super().row(obj)
        if obj.event == "otp":
            row["body"] = HIDDEN_BODY
        return row


MESSAGES = Messages()
function("message", kind="list", roles=CUSTOMER_VIEWERS, money=MESSAGES.money,
         params=(Param("q", "search: recipient, username or the gateway's message id"),
                 Param("page"), Param("per_page"), Param("sort"))
         + tuple(Param(k, "filter") for k in Messages.filters))(MESSAGES.list)


@function("message.retry", kind="action", roles=RESELLERS, money=False,
          params=(Param("elid", "message ids, comma-separated; failed ones only", True,
                        multi=True),))
def retry(call: Call) -> OkResult:
    """Send failed messages again: each is queued at once, with a fresh count of attempts."""
    refs = [r.strip() for r in (call.elid or "").split(",") if r.strip()]
    if not refs:
        raise FuncError("name the messages to send again", field="elid")
    ids = []
    for ref in refs:
        mid = F.as_id(ref, Message.id)
        if mid is None:
            raise FuncError(f"{F.short(ref)!r} is not a message id", field="elid")
        ids.append(mid)
    rows = {m.id: m for m in call.session.scalars(MESSAGES.visible(call, sa.select(Message).where(
        Message.id.in_(ids))).with_for_update())}
    for mid in ids:
        msg = rows.get(mid)
        if msg is None:
            raise FuncError(f"no message {mid}", field="elid", status=404)
        if msg.status != "failed":
            raise FuncError(f"message {mid} is {msg.status}: only a failed message can be sent "
                            "again", field="elid")
        if msg.gateway_id is None or call.session.get(MessageGateway, msg.gateway_id) is None:
            raise FuncError(f"message {mid}'s gateway is gone: it cannot be sent again",
                            field="elid")
    now = dt.datetime.now(dt.timezone.utc)
    for mid in ids:
        msg = rows[mid]
        before = {"status": msg.status, "reason": msg.reason, "attempts": msg.attempts}
        msg.status, msg.attempts, msg.next_attempt_at, msg.claimed_at = "queued", 0, now, None
        audit.record(call, "message", msg.id, f"{msg.event} to {msg.recipient}", before,
                     {"status": "queued", "reason": msg.reason, "attempts": 0}, msg.operator_id)
    call.session.flush()
    return OkResult(",".join(str(i) for i in ids), {"queued": len(ids)})


class Incoming(History):
    name = "incoming"
    model = IncomingMessage
    columns = ["id", "received_at", "customer", "channel", "sender", "body", "gateway_id",
               "gateway_ref", "operator_id"]
    search = ["sender"]
    filters = {"customer": "customer_id", "channel": "channel", "operator": "operator_id",
               "gateway": "gateway_id", "from": "received_at", "to": "received_at"}
    money = frozenset()
    time_column = "received_at"
    id_filters = ("gateway",)

    def search_terms(self, q: str) -> list:
        like = "%" + escape_like(q)
        return [sa.func.lower(IncomingMessage.body).like(like),
                IncomingMessage.customer_id.in_(sa.select(Customer.id).where(
                    sa.func.lower(Customer.username).like(escape_like(q))))]


INCOMING = Incoming()
function("incoming", kind="list", roles=CUSTOMER_VIEWERS, money=False,
         params=(Param("q", "search: sender, username or text"), Param("page"),
                 Param("per_page"), Param("sort"))
         + tuple(Param(k, "filter") for k in Incoming.filters))(INCOMING.list)
