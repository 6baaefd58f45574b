"""broadcast and broadcast.edit: a message to a filtered group of customers
(messaging/broadcast.py), sent in the background by a task (radbill/tasks.py) with progress."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from messaging import broadcast as bc
from messaging import templating
from radbill import tasks
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.audit import jsonable
from radbill.functions.crud import in_subtree, paged, resolve_operator
from radbill.functions.registry import (Call, FormResult, FuncError, ListResult, OkResult, Param,
                                        function)
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import Broadcast, Task
from radbill.models.customers import STATUSES

# a broadcast to more customers than this needs confirm=<the count its preview showed>
LARGE = 100
FILTERS = ("operator", "zone", "package", "status", "due_above", "expiring_within")
TEMPLATE_EVENTS = tuple(e for e in templating.EVENTS if e not in ("alert", "otp", "broadcast"))


def parse(call: Call) -> dict:
    """Every parameter checked, all bad ones reported at once."""
    errors: dict[str, str] = {}
    out: dict = {}

    def take(name, fn):
        raw = call.get(name)
        if raw is None or raw.strip() == "":
            return None
        try:
            return fn(F.clean(raw.strip()))
        except ValueError as exc:
            errors[name] = str(exc)
        except FuncError as exc:
            errors[name] = exc.errors.get(exc.field or name, exc.message)
        return None

    out["channel"] = take("channel", F.choice(*bc.CUSTOMER_CHANNELS)) or "sms"
    out["body"] = take("body", F.text(templating.MAX_LENGTH))
    out["subject"] = take("subject", F.text(200))
    out["template"] = take("template", F.choice(*TEMPLATE_EVENTS))
    out["confirm"] = take("confirm", F.integer(0))
    filters: dict = {}
    op = take("operator", lambda r: resolve_operator(call, r))
    if op is None and "operator" not in errors:
        op = resolve_operator(call, None)
    if z := take("zone", lambda r: _zone(call, r)):
        filters["zone_id"] = z.id
    if p := take("package", lambda r: _package(call, r)):
        filters["package_id"] = p.id
    if s := take("status", _statuses):
        filters["status"] = s
    due = take("due_above", F.amount())
    if due is not None:
        filters["due_above"] = str(due)
    days = take("expiring_within", F.integer(0, 3650))
    if days is not None:
        filters["expiring_within"] = days
    if out["body"] is None and out["template"] is None and "body" not in errors:
        errors["body"] = "is required: the text to send (or name an event's template in template)"
    elif out["body"] is not None and out["template"] is not None:
        errors["template"] = "give body or template, not both"
    if out["body"] is not None and "body" not in errors:
        errors.update(bc.check_text(out["body"], out["subject"]))
    elif out["subject"] and "subject" not in errors:
        errors.update({k: v for k, v in bc.check_text(None, out["subject"]).items()})
    if errors:
        raise FuncError(errors=errors)
    out["operator"], out["filters"] = op, filters
    return out


def _statuses(raw: str) -> list[str]:
    values = [v.strip() for v in raw.split(",") if v.strip()]
    bad = [v for v in values if v not in STATUSES]
    if bad or not values:
        raise ValueError(f"{F.short(','.join(bad) or raw)!r}: each is one of {', '.join(STATUSES)}")
    return sorted(set(values))


def _zone(call: Call, ref: str):
    from customers.functions.zones import ENTITY
    return ENTITY.find(call, ref, field="zone")


def _package(call: Call, ref: str):
    from packages.functions.packages import ENTITY
    return ENTITY.find(call, ref, field="package")


def describe(filters: dict) -> str:
    parts = []
    for key in ("zone_id", "package_id", "status", "due_above", "expiring_within"):
        if filters.get(key) not in (None, "", []):
            value = filters[key]
            parts.append(f"{key}={','.join(value) if isinstance(value, list) else value}")
    return " ".join(parts) or "everyone"


@function("broadcast.edit", kind="form", roles=RESELLERS, money=("due_above", "cost_estimate",
                                                                   "price"),
          params=(Param("channel", "sms (default), whatsapp or email"),
                  Param("body", "the text, a template: {{ name }}, {{ amount_due }}, ..."),
                  Param("template", "or: the event whose template to send (bill.due, ...)"),
                  Param("subject", "e-mail only"),
                  Param("operator", "customers of this operator's subtree (default yours)"),
                  Param("zone", "only this zone"), Param("package", "only this package"),
                  Param("status", "only these statuses (active,suspended,disabled,fup)",
                        multi=True),
                  Param("due_above", "only customers owing more than this"),
                  Param("expiring_within", "only customers whose validity ends within N days"),
                  Param("confirm", "for a large group: the number of recipients the preview "
                                   "showed")))
def edit(call: Call):
    """Send a message to a group of customers. Without sok=ok it shows how many customers the
    filters match, how many can be reached, the cost and the text one of them would get, and
    sends nothing; with sok=ok the worker sends it in the background (a large group needs
    confirm=<the count shown>)."""
    p = parse(call)
    op, filters, channel = p["operator"], p["filters"], p["channel"]
    now = dt.datetime.now(dt.timezone.utc)
    if p["template"] and not _has_template(call, op.id, p["template"], channel):
        raise FuncError(f"there is no {channel} template for {p['template']}", field="template")
    pv = bc.preview(call.session, op.id, channel, filters, now, p["body"], p["subject"],
                    p["template"])
    large = pv.with_address > LARGE
    if not call.sok:
        return FormResult(None, form(call, p, pv, large))
    if pv.with_address == 0:
        raise FuncError(f"no customer matching these filters has a {bc.compose.ADDRESS_OF[channel]}"
                        f" ({pv.customers} match)", field="channel")
    if isinstance(pv.sample, str):
        raise FuncError(f"cannot send: {pv.sample}", field="template" if p["template"]
                        else "channel")
    if large and p["confirm"] != pv.with_address:
        said = (f"confirm={p['confirm']} does not match: " if p["confirm"] is not None
                else "a large broadcast needs confirm: ")
        raise FuncError(f"{said}it goes to {pv.with_address} customers; look at its preview "
                        f"(without sok=ok), then send confirm={pv.with_address}", field="confirm")
    b = Broadcast(operator_id=op.id, created_by=call.caller.login, channel=channel,
                  filters=filters, template=p["template"], subject=p["subject"], body=p["body"],
                  total=pv.with_address, created_at=now)
    call.session.add(b)
    call.session.flush()
    title = f"broadcast {b.id}: {channel} to {pv.with_address:,} customers of {op.name}"
    task = tasks.start(call.session, bc.KIND, {"broadcast_id": b.id}, title=title,
                       operator_id=op.id, created_by=call.caller.login)
    b.task_id = task.id
    call.session.flush()
    audit.record(call, "broadcast", b.id, title, None, audit.snapshot(b), op.id)
    return OkResult(b.id, {"task": task.id, "recipients": pv.with_address,
                           "matched": pv.customers})


def _has_template(call: Call, operator_id: int, event: str, channel: str) -> bool:
    wording = bc.compose.template(call.session, operator_id, event, channel, "en")
    return wording is not None and wording.enabled


def form(call: Call, p: dict, pv: bc.Preview, large: bool) -> dict:
    """The preview: the parameters given (so OK sends the same; never confirm, which must be
    typed), then whom it reaches and what one of them would read."""
    given = {k: call.get(k) for k in ("channel", "body", "template", "subject", *FILTERS)
             if call.get(k)}
    sample = pv.sample
    values = {**given, "matched": pv.customers, "with_address": pv.with_address,
              "without_address": pv.customers - pv.with_address,
              "gateway": pv.gateway.name if pv.gateway is not None else "none",
              "sample_customer": pv.sample_customer.username if pv.sample_customer else None,
              "sample": sample.body if isinstance(sample, bc.Rendered) else None,
              "sample_subject": sample.subject if isinstance(sample, bc.Rendered) else None,
              "cannot_send": sample if isinstance(sample, str) else None,
              "segments": pv.segments, "cost_estimate": str(pv.cost.quantize(Decimal("0.01")))
              if pv.cost else "0", "confirm_needed": large}
    if pv.gateway is not None:
        values["price"] = str(pv.gateway.price)
    if large:
        values["to_send"] = f"type {pv.with_address} in confirm, then OK"
    return values


COLUMNS = ["id", "created_at", "created_by", "operator_id", "channel", "filters", "template",
           "text", "recipients", "queued", "sending", "sent", "delivered", "failed", "progress",
           "task_id", "task_status"]


@function("broadcast", kind="list", roles=CUSTOMER_VIEWERS, money=False,
          params=(Param("channel", "sms, whatsapp or email"), Param("elid", "one broadcast"),
                  Param("page"), Param("per_page")))
def broadcast_list(call: Call) -> ListResult:
    """Broadcasts of the caller's subtree with their sending's progress, newest first."""
    stmt = sa.select(Broadcast, Task.status).outerjoin(Task, Task.id == Broadcast.task_id)
    if call.caller.operator_path is not None:
        stmt = stmt.where(in_subtree(call, Broadcast.operator_id))
    if ch := call.get("channel"):
        stmt = stmt.where(Broadcast.channel == F.parse_one("channel",
                                                           F.choice(*bc.CUSTOMER_CHANNELS), ch))
    if call.elid:
        bid = F.as_id(call.elid)
        if bid is None:
            raise FuncError("is a broadcast's id", field="elid")
        stmt = stmt.where(Broadcast.id == bid)
    result = paged(call, stmt, COLUMNS, lambda b, status: (b, status), Broadcast.id.desc())
    per = bc.counts(call.session, [b.id for b, _ in result.rows])
    rows = []
    for b, status in result.rows:
        c = per.get(b.id, {})
        made = sum(c.values())
        total = made if made and status in ("done", "failed", "cancelled") else max(b.total, made)
        finished = c.get("sent", 0) + c.get("delivered", 0) + c.get("failed", 0)
        pct = tasks.percent(finished, 0, total)
        rows.append({"id": b.id, "created_at": jsonable(b.created_at),
                     "created_by": b.created_by, "operator_id": b.operator_id,
                     "channel": b.channel, "filters": describe(b.filters or {}),
                     "template": b.template, "text": (b.body or "")[:160],
                     "recipients": total, **{s: c.get(s, 0) for s in
                                             ("queued", "sending", "sent", "delivered", "failed")},
                     "progress": f"{pct}%" if pct is not None else "", "task_id": b.task_id,
                     "task_status": status})
    result.rows = rows
    return result
