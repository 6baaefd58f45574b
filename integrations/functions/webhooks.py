"""webhook, webhook.edit, webhook.delete, webhook.redeliver, webhook_delivery: an operator's
receivers of events and the log of what was sent to them (integrations/webhooks.py,
integrations/sender.py).

A webhook belongs to an operator and hears the events of that operator's subtree only (its
customers', its resellers'). `events` names event types from the catalogue, `prefix.*`
patterns or `*`. `secret` is write-only: made when not given and answered once, when the
webhook is created (or given, then never shown); kept Fernet-encrypted. Another secret can be
set later; the next attempt signs with it.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from integrations import webhooks
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, may_manage, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FuncError, OkResult, Param,
                                        function)
from radbill.functions.roles import RESELLERS
from radbill.models import Webhook, WebhookDelivery
from radbill.models.api import DELIVERY_STATUSES

_SECRET = re.compile(r"[!-~]{16,200}", re.ASCII)


def secret_text(raw: str) -> str:
    if not _SECRET.fullmatch(raw):
        raise ValueError("must be 16 to 200 printable ASCII characters without spaces "
                         "(leave it empty and one is made for you)")
    return raw


def url_text(raw: str) -> str:
    return webhooks.check_url(raw)


def events_text(raw: str) -> list[str]:
    return webhooks.parse_events(raw)


class Webhooks(Entity):
    name = "webhook"
    model = Webhook
    label = "url"
    fields = [
        F.Field("url", url_text, required=True,
                help="where to POST: an http(s) URL of a public address"),
        F.Field("events", events_text, required=True,
                help="event names (payment.received), patterns (payment.*) or *, "
                     "comma-separated"),
        F.Field("active", F.boolean, clearable=False),
        F.Field("note", F.text(500)),
        F.Field("operator", str, help="whose events (id or name); default: yours"),
    ]
    columns = ["id", "url", "events", "active", "operator_id", "note", "last_status",
               "last_error", "created_at"]
    search = ["url", "note"]
    filters = {"operator": "operator_id", "active": "active"}
    money = frozenset()
    list_roles = RESELLERS
    edit_roles = RESELLERS

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, Webhook.operator_id))

    def editable(self, call: Call, obj: Webhook) -> bool:
        return may_manage(call, obj.operator_id)

    def filter(self, stmt, param, column, value):
        if param == "active":
            return stmt.where(Webhook.active.is_(F.parse_one(param, F.boolean, value)))
        return super().filter(stmt, param, column, value)

    def row(self, obj: Webhook) -> dict:
        row = super().row(obj)
        row["events"] = ", ".join(obj.events or [])
        return row

    def form(self, call: Call, obj: Webhook | None) -> dict:
        return self.row(obj) if obj is not None else {"active": True, "events": "*"}

    def snapshot(self, obj: Webhook | None) -> dict | None:
        values = audit.snapshot(obj)
        if values is not None and values.get("secret") is not None:
            values["secret"] = "***"
        return values

    def apply(self, call: Call, obj: Webhook, values: dict, creating: bool) -> None:
        ref = values.pop("operator", None)
        if creating or ref not in (None, ""):
            obj.operator_id = resolve_operator(call, ref).id
        if not may_manage(call, obj.operator_id):
            raise AccessDenied("is outside your subtree", field="operator")
        raw = (call.get("secret") or "").strip()
        if raw:
            obj.secret = webhooks.seal(F.parse_one("secret", secret_text, raw))
        elif creating:
            made = webhooks.new_secret()
            obj.secret = webhooks.seal(made)
            call.new_webhook_secret = made  # answered once by edit(), never shown again
        if values.get("note", "") is None:
            values["note"] = ""
        super().apply(call, obj, values, creating)
        if obj.active is None:
            obj.active = True

    def edit(self, call: Call):
        result = super().edit(call)
        made = getattr(call, "new_webhook_secret", None)
        if isinstance(result, OkResult) and made:
            result = OkResult(result.elid, {"secret": made})
        return result

    def extra_params(self) -> tuple[Param, ...]:
        return (Param("secret", "signs every delivery (write-only); empty: keep it, or on "
                                "creation make one and show it once"),)


ENTITY = Webhooks().register()


# -- the delivery log -------------------------------------------------------------------------
def visible_deliveries(call: Call, stmt: sa.Select) -> sa.Select:
    return stmt.where(WebhookDelivery.webhook_id.in_(
        sa.select(Webhook.id).where(in_subtree(call, Webhook.operator_id))))


class Deliveries(Entity):
    name = "webhook_delivery"
    model = WebhookDelivery
    label = "id"
    columns = ["id", "created_at", "webhook_id", "event", "event_id", "status", "attempts",
               "response_code", "duration_ms", "delivered_at", "next_attempt_at",
               "last_error", "body", "response_body"]
    filters = {"webhook": "webhook_id", "event": "event", "status": "status",
               "from": "created_at", "to": "created_at"}
    money = frozenset()
    default_sort = "-id"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return visible_deliveries(call, stmt)

    def filter(self, stmt, param, column, value):
        from messaging.functions.messages import day_bounds
        value = value.strip()
        if param == "status":
            return stmt.where(WebhookDelivery.status == F.parse_one(
                param, F.choice(*DELIVERY_STATUSES), value))
        if param == "webhook":
            ref = F.as_id(value, WebhookDelivery.webhook_id)
            if ref is None:
                raise FuncError(f"{F.short(value)!r} is not a webhook id", field=param)
            return stmt.where(WebhookDelivery.webhook_id == ref)
        if param in ("from", "to"):
            bound = day_bounds(param, value)
            at = WebhookDelivery.created_at
            return stmt.where(at >= bound if param == "from" else at < bound)
        return super().filter(stmt, param, column, value)

    def order(self, call: Call) -> list:
        return super().order(call)[:1] + [WebhookDelivery.id.desc()]


DELIVERIES = Deliveries()
function("webhook_delivery", kind="list", roles=RESELLERS, money=DELIVERIES.money,
         params=(Param("q", "search"), Param("page"), Param("per_page"), Param("sort"))
         + tuple(Param(k, "filter") for k in Deliveries.filters))(DELIVERIES.list)


@function("webhook.redeliver", kind="action", roles=RESELLERS, money=False,
          params=(Param("elid", "delivery ids, comma-separated", True, multi=True),))
def redeliver(call: Call) -> OkResult:
    """Send deliveries again: the same envelope (the same id), as one more attempt, now."""
    refs = [r.strip() for r in (call.elid or "").split(",") if r.strip()]
    if not refs:
        raise FuncError("name the deliveries to send again", field="elid")
    ids = []
    for ref in refs:
        did = F.as_id(ref, WebhookDelivery.id)
        if did is None:
            raise FuncError(f"{F.short(ref)!r} is not a delivery id", field="elid")
        ids.append(did)
    rows = {d.id: (d, hook) for d, hook in call.session.execute(visible_deliveries(
        call, sa.select(WebhookDelivery, Webhook)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id.in_(ids))).with_for_update(of=WebhookDelivery))}
    for did in ids:
        if did not in rows:
            raise FuncError(f"no delivery {did}", field="elid", status=404)
        delivery, hook = rows[did]
        if not may_manage(call, hook.operator_id):
            raise AccessDenied("you may not send this webhook's deliveries", field="elid")
        if delivery.status == "sending":
            raise FuncError(f"delivery {did} is being sent right now", field="elid")
        if not hook.active:
            raise FuncError(f"delivery {did}'s webhook is switched off: switch it on first",
                            field="elid")
    for did in dict.fromkeys(ids):
        delivery, hook = rows[did]
        before = {"status": delivery.status, "attempts": delivery.attempts}
        delivery.status, delivery.next_attempt_at = "pending", sa.func.now()
        audit.record(call, "webhook_delivery", delivery.id,
                     f"{delivery.event} to {hook.url}", before,
                     {"status": "pending", "attempts": delivery.attempts, "redelivered": True},
                     hook.operator_id)
    call.session.flush()
    call.session.execute(sa.text("SELECT pg_notify('radbill_outbox', 'webhook')"))
    return OkResult(",".join(str(i) for i in dict.fromkeys(ids)), {"queued": len(set(ids))})
