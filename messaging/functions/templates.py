"""template, template.edit, template.delete, template.preview: what messages say.

A template is an operator's wording of one event on one channel in one language
(message_templates); without one, the parent operator's is used, then the default
(messaging/defaults.py). `template` lists the wording an operator's customers get (its own,
inherited, or the default: `source`) and, below it, what its sub-operators changed.
`template.edit` saves one (a second save of the same event, channel, language and operator
changes that row): the body and subject are checked by messaging.templating.check (plain
documented variables only; `{{ customer.__class__ }}`, loops or an unknown name are refused
naming the field). `template.delete` goes back to the parent's or the default wording.
`template.preview` renders a wording for a real customer without sending anything.
"""
from __future__ import annotations

import re

import datetime as dt

import jinja2
import sqlalchemy as sa

from messaging import compose, defaults, segments, templating
from radbill import l10n
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import (Entity, in_subtree, may_manage, page_params,
                                    resolve_operator)
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError, ListResult,
                                        NotFound, OkResult, Param, function)
from radbill.functions.roles import RESELLERS
from radbill.models import Bill, Customer, MessageTemplate, Operator, Payment
from radbill.models.messaging import CHANNELS

LANGS = ("en", "bn")
EVENTS = tuple(sorted(templating.EVENTS))
SUBJECT_LEN = 300
SOURCES = ("custom", "inherited", "default")
ALERT_CHANNELS = ("telegram", "sms", "email")  # chats, and on-call logins' mobiles and mail


def key_problems(event: str, channel: str) -> dict[str, str]:
    """Whether `event` can be said on `channel` at all."""
    if event == "alert" and channel not in ALERT_CHANNELS:
        return {"channel": "staff alerts go by telegram, sms or email"}
    if event != "alert" and channel == "telegram":
        return {"channel": "telegram carries staff alerts only (event alert)"}
    return {}


def check(text: str, event: str) -> list[str]:
    """templating.check, also when Jinja's own analysis refuses the text (an unknown filter
    such as `attr` raises while the variables are looked up)."""
    try:
        return templating.check(text, event)
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        return [f"{f'line {line}: ' if line else ''}{exc.message or exc} "
                f"(allowed filters: {', '.join(templating.FILTERS)})"]


WHATSAPP_TEMPLATE = re.compile(r"[A-Za-z0-9_]{1,512}(:[A-Za-z]{2,3}(_[A-Za-z]{2})?)?", re.ASCII)


def wording_problems(event: str, channel: str, subject: str | None,
                     body: str | None) -> dict[str, str]:
    errors = {}
    if body is not None:
        problems = check(body, event)
        if problems:
            errors["body"] = "; ".join(problems)
        elif not body.strip():
            errors["body"] = "must not be empty"
    if subject and channel == "whatsapp":
        if not WHATSAPP_TEMPLATE.fullmatch(subject):
            errors["subject"] = ("on WhatsApp, the name of the template Meta approved (letters, "
                                 "digits, _; optionally :language, e.g. welcome_v2:en_US) or "
                                 "Twilio's content SID")
    elif subject:
        if channel != "email":
            errors["subject"] = "only e-mail messages have a subject"
        elif "\n" in subject or "\r" in subject:
            errors["subject"] = "must be one line"
        else:
            problems = check(subject, event)
            if problems:
                errors["subject"] = "; ".join(problems)
    return errors


def _root(call: Call) -> Operator | None:
    return call.session.scalars(sa.select(Operator).where(Operator.parent_id.is_(None))
                                .order_by(Operator.id).limit(1)).first()


def _operator(call: Call, ref: str | None, field: str = "operator") -> Operator | None:
    """The operator named (inside the caller's subtree), else the caller's own, else the ISP
    (never created here: a list changes nothing)."""
    if ref not in (None, ""):
        return resolve_operator(call, ref, field=field)
    if call.caller.operator_id is not None:
        return call.session.get(Operator, call.caller.operator_id)
    return _root(call)


def _choice(call: Call, name: str, options: tuple[str, ...]) -> str | None:
    raw = (call.get(name) or "").strip()
    return F.parse_one(name, F.choice(*options), raw) if raw else None


class Templates(Entity):
    name = "template"
    model = MessageTemplate
    label = "event"
    fields = [
        F.Field("event", F.choice(*EVENTS), help="the event (payment.received, ...)"),
        F.Field("channel", F.choice(*CHANNELS), help="sms, whatsapp, email or telegram"),
        F.Field("lang", F.choice(*LANGS), help="en or bn"),
        F.Field("operator", str, help="whose wording (id or name); default: yours"),
        F.Field("subject", F.text(SUBJECT_LEN),
                help="e-mail: the subject; WhatsApp: the approved template's name (its body "
                     "parameters are the variables in the order the text uses them)"),
        F.Field("body", F.text(templating.MAX_LENGTH),
                help="{{ variable }} text; see the event's variables"),
        F.Field("enabled", F.boolean, clearable=False,
                help="off: send nothing for this event on this channel"),
    ]
    columns = ["id", "event", "channel", "lang", "operator_id", "source", "enabled", "subject",
               "body", "updated_at"]
    filters = {"event": "event", "channel": "channel", "lang": "lang", "operator": "operator_id",
               "source": "source"}
    search = ["event", "body"]
    money = frozenset()
    list_roles = RESELLERS
    edit_roles = RESELLERS
    default_sort = "event"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, MessageTemplate.operator_id))

    def editable(self, call: Call, obj: MessageTemplate) -> bool:
        return may_manage(call, obj.operator_id)

    def find(self, call: Call, ref: str, field: str = "elid", lock: bool = False):
        ref_id = F.as_id(ref, MessageTemplate.id)
        obj = None
        if ref_id is not None:
            stmt = self.visible(call, sa.select(MessageTemplate)
                                .where(MessageTemplate.id == ref_id))
            obj = call.session.scalars(stmt.with_for_update() if lock else stmt).first()
        if obj is None:
            raise NotFound(f"no template {F.short(str(ref))!r}", field=field)
        return obj

    def row(self, obj: MessageTemplate, source: str = "custom") -> dict:
        return {"id": obj.id, "event": obj.event, "channel": obj.channel, "lang": obj.lang,
                "operator_id": obj.operator_id, "source": source, "enabled": obj.enabled,
                "subject": obj.subject, "body": obj.body,
                "updated_at": audit.jsonable(obj.updated_at)}

    # -- the list: the wording in force, then the sub-operators' own ------------------------
    def list(self, call: Call) -> ListResult:
        event = _choice(call, "event", EVENTS)
        channel = _choice(call, "channel", CHANNELS)
        lang = _choice(call, "lang", LANGS)
        source = _choice(call, "source", SOURCES)
        target = _operator(call, call.get("operator"))
        q = (call.get("q") or "").strip().lower()
        page, per_page = page_params(call)
        rows = self.effective(call, target, event, channel, lang)
        if target is not None and not (call.get("operator") or "").strip():
            # below the caller: what sub-operators changed
            stmt = self.visible(call, sa.select(MessageTemplate)).where(
                MessageTemplate.operator_id != target.id)
            for col, value in (("event", event), ("channel", channel), ("lang", lang)):
                if value:
                    stmt = stmt.where(getattr(MessageTemplate, col) == value)
            rows += [self.row(t) for t in call.session.scalars(stmt.order_by(MessageTemplate.id))]
        if source:
            rows = [r for r in rows if r["source"] == source]
        if q:
            rows = [r for r in rows if q in r["event"] or q in (r["body"] or "").lower()
                    or q in (r["subject"] or "").lower()]
        sort = call.get("sort") or self.default_sort
        key = sort.lstrip("-")
        if key not in self.columns:
            raise FuncError(f"cannot sort by {F.short(key)!r}", field="sort")
        rows.sort(key=lambda r: (str(r.get(key) if r.get(key) is not None else ""),
                                 r["event"], r["channel"], r["lang"]),
                  reverse=sort.startswith("-"))
        total = len(rows)
        start = (page - 1) * per_page
        return ListResult(rows[start:start + per_page], total, page, per_page, list(self.columns))

    def effective(self, call: Call, target: Operator | None, event, channel, lang) -> list[dict]:
        """For each event, channel and language: the target operator's wording (custom), an
        ancestor's (inherited) or the default."""
        combos = set(defaults.DEFAULTS)
        combos |= {(e, "whatsapp", lg) for (e, ch, lg) in defaults.DEFAULTS
                   if ch == "sms" and not key_problems(e, "whatsapp")}
        chain = compose.chain(call.session, target.id) if target is not None else []
        stored = call.session.scalars(sa.select(MessageTemplate).where(
            MessageTemplate.operator_id.in_(chain))).all() if chain else []
        combos |= {(t.event, t.channel, t.lang) for t in stored}
        rows = []
        for ev, ch, lg in sorted(combos):
            if (event and ev != event) or (channel and ch != channel) or (lang and lg != lang):
                continue
            found = None
            for op in chain:
                found = next((t for t in stored if t.operator_id == op and
                              (t.event, t.channel, t.lang) == (ev, ch, lg)), None)
                if found is not None:
                    break
            if found is not None and found.operator_id == target.id:
                rows.append(self.row(found))
            elif found is not None:
                row = self.row(found, "inherited")
                row["id"] = None  # the ancestor's: not the caller's to change
                rows.append(row)
            else:
                wording = defaults.get(ev, ch, lg)
                if wording is None:
                    continue
                rows.append({"id": None, "event": ev, "channel": ch, "lang": lg,
                             "operator_id": None, "source": "default", "enabled": True,
                             "subject": wording[0], "body": wording[1], "updated_at": None})
        return rows

    # -- edit: one row per operator, event, channel and language ----------------------------
    def form(self, call: Call, obj: MessageTemplate | None) -> dict:
        if obj is not None:
            values = self.row(obj)
        else:
            event = _choice(call, "event", EVENTS)
            channel = _choice(call, "channel", CHANNELS)
            lang = _choice(call, "lang", LANGS) or "en"
            op = _operator(call, call.get("operator"))
            values = {"event": event or "", "channel": channel or "sms", "lang": lang,
                      "operator": op.name if op else "", "enabled": True}
            if event and channel and op is not None:  # start from the wording in force
                wording = compose.template(call.session, op.id, event, channel, lang)
                if wording is not None:
                    values.update(subject=wording.subject, body=wording.body)
        event = values.get("event")
        if event in templating.EVENTS:
            values["variables"] = ", ".join(templating.variables(event))
        return values

    def edit(self, call: Call) -> FormResult | OkResult:
        obj = self.find(call, call.elid, lock=call.sok) if call.elid else None
        if not call.sok:
            return FormResult(obj.id if obj is not None else None, self.form(call, obj))
        if obj is not None and not self.editable(call, obj):
            raise AccessDenied(f"you may not change this {self.name}")
        values = parse_fields(self.fields, call.params, obj is None)
        if obj is None:
            op = resolve_operator(call, values.pop("operator", None))
            if not may_manage(call, op.id):
                raise AccessDenied("is outside your subtree", field="operator")
            obj = call.session.scalars(sa.select(MessageTemplate).where(
                MessageTemplate.operator_id == op.id,
                MessageTemplate.event == values["event"],
                MessageTemplate.channel == values["channel"],
                MessageTemplate.lang == values["lang"]).with_for_update()).first()
            if obj is None:
                obj = MessageTemplate(operator_id=op.id, event=values["event"],
                                      channel=values["channel"], lang=values["lang"],
                                      enabled=True)
        else:
            values.pop("operator", None)
            moved = {k: f"cannot change: delete this template and add one for {values[k]}"
                     for k in ("event", "channel", "lang")
                     if values.get(k) not in (None, getattr(obj, k))}
            if moved:
                raise FuncError(errors=moved)
        for k in ("event", "channel", "lang"):
            values.pop(k, None)
        errors = key_problems(obj.event, obj.channel)
        if "subject" in values and values["subject"] is not None:
            values["subject"] = values["subject"].strip() or None
        body = values.get("body", obj.body)
        if body is None and obj.id is None:
            # switching off a wording nobody wrote down here: keep the one in force
            wording = compose.template(call.session, obj.operator_id, obj.event, obj.channel,
                                       obj.lang)
            if wording is None or values.get("enabled", True):
                errors.setdefault("body", "is required")
            else:
                values["body"] = wording.body
                values.setdefault("subject", wording.subject)
        if "body" in values and values["body"] is None:
            errors.setdefault("body", "must not be empty")
        errors.update({k: v for k, v in wording_problems(
            obj.event, obj.channel, values.get("subject", obj.subject),
            values.get("body", obj.body)).items() if k not in errors})
        if errors:
            raise FuncError(errors=errors)
        before = self.snapshot(obj) if obj.id is not None else None
        for k, v in values.items():
            setattr(obj, k, v)
        obj.updated_at = dt.datetime.now(dt.timezone.utc)
        if obj.id is None:
            call.session.add(obj)
        call.session.flush()
        audit.record(call, self.name, obj.id, f"{obj.event} {obj.channel} {obj.lang}", before,
                     self.snapshot(obj), obj.operator_id)
        return OkResult(obj.id)

    def operator_of(self, obj):
        return obj.operator_id


def parse_fields(fields, params, creating):
    values = F.parse_fields(fields, params, creating=creating)
    if creating:
        missing = {k: "is required" for k in ("event", "channel", "lang")
                   if not values.get(k)}
        if missing:
            raise FuncError(errors=missing)
    return values


ENTITY = Templates().register()


# -- preview -------------------------------------------------------------------------------------
def sample_payload(call: Call, customer: Customer, event: str) -> dict:
    """What the event would carry for this customer: its latest open bill, latest payment, ..."""
    s = call.session
    payload: dict = {}
    bill = s.scalars(sa.select(Bill).where(Bill.customer_id == customer.id)
                     .order_by((Bill.status == "open").desc(), Bill.id.desc()).limit(1)).first()
    if bill is not None and event.startswith("bill."):
        payload.update(total=str(bill.total), due_date=bill.due_date.isoformat()
                       if bill.due_date else None, bill_id=bill.id)
        if bill.due_date:
            from rating.terms import today
            payload["days_left"] = max((bill.due_date - today()).days, 0)
    if event == "customer.expiring" and customer.expires_at is not None:
        left = customer.expires_at - dt.datetime.now(dt.timezone.utc)
        payload["days_left"] = max(left.days, 0)
    if event.startswith("payment."):
        pay = s.scalars(sa.select(Payment).where(Payment.customer_id == customer.id)
                        .order_by(Payment.id.desc()).limit(1)).first()
        if pay is not None:
            payload.update(amount=str(pay.amount), method=pay.method, payment_id=pay.id)
        else:
            payload.update(amount="500.00", method="cash", payment_id=1)
    if event in ("customer.suspended", "customer.disabled", "payment.reversed"):
        payload["reason"] = "unpaid" if event == "customer.suspended" else "manual"
    if event == "otp":
        payload.update(code="123456", minutes=5)
    if event == "alert":
        payload.update(title="Device down", details="nas: nas1, address: 10.0.0.1")
    return payload


@function("template.preview", kind="form", roles=RESELLERS, changes=False, money=False,
          params=(Param("event", "the event", True), Param("channel", "the channel", True),
                  Param("customer", "id or username", True),
                  Param("lang", "en or bn; default: the customer's"),
                  Param("subject", "a subject to try instead of the saved one (e-mail)"),
                  Param("body", "a text to try instead of the saved wording")))
def preview(call: Call) -> FormResult:
    """The message a customer would get for an event, rendered without sending anything."""
    from rating.functions.common import customer as find_customer
    errors = {}
    event = channel = lang = None
    for name, options in (("event", EVENTS), ("channel", CHANNELS), ("lang", LANGS)):
        raw = (call.get(name) or "").strip()
        if not raw:
            if name != "lang":
                errors[name] = "is required"
            continue
        try:
            value = F.choice(*options)(F.clean(raw))
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        event, channel, lang = (value, channel, lang) if name == "event" else \
            (event, value, lang) if name == "channel" else (event, channel, value)
    if errors:
        raise FuncError(errors=errors)
    errors.update(key_problems(event, channel))
    body = call.get("body")
    subject = call.get("subject")
    for name, raw, limit in (("body", body, templating.MAX_LENGTH),
                             ("subject", subject, SUBJECT_LEN)):
        if raw is not None:
            try:
                F.text(limit)(F.clean(raw))
            except ValueError as exc:
                errors[name] = str(exc)
    if errors:
        raise FuncError(errors=errors)
    cust = find_customer(call)
    lang = lang or l10n.pick(cust.lang)
    if body not in (None, "") or subject not in (None, ""):
        saved = compose.template(call.session, cust.operator_id, event, channel, lang)
        body = body if body not in (None, "") else (saved.body if saved else "")
        subject = subject if subject not in (None, "") else (saved.subject if saved else None)
        errors = wording_problems(event, channel, subject, body)
        if errors:
            raise FuncError(errors=errors)
        wording = compose.Wording(subject, body, True, "given")
    else:
        wording = compose.template(call.session, cust.operator_id, event, channel, lang)
        if wording is None:
            raise FuncError(f"has no wording for {event} in {lang}; write one with template.edit",
                            field="channel")
    vals = compose.values(call.session, cust, sample_payload(call, cust, event), lang)
    try:
        subject, text = compose.render(wording, vals, channel)
    except ValueError as exc:
        raise FuncError(str(exc), field="body") from None
    if channel in ("sms", "whatsapp"):
        count = segments.count(text)
        parts, encoding = (count.segments, count.encoding) if channel == "sms" else (1, "utf8")
    else:
        parts, encoding = 1, "utf8"
    return FormResult(None, {"event": event, "channel": channel, "customer": cust.username,
                             "lang": lang, "subject": subject or "", "body": text,
                             "segments": parts, "encoding": encoding,
                             "characters": len(text), "source": wording.source,
                             "enabled": wording.enabled})
