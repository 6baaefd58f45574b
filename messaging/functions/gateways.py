"""msg_gateway, msg_gateway.edit, msg_gateway.delete: an operator's accounts with SMS, WhatsApp,
e-mail and Telegram providers; operator.messaging: an operator's quiet hours, the channels its
customers are told on and its low-balance alert.

A gateway's kind names its driver (messaging/drivers/, `drivers.available()`); the channel
follows from the kind. Its settings are the driver's CONFIG (each parsed by the driver's own
parser; REQUIRED_CONFIG must be there), given as parameters of their own names (`sender_id=`,
`host=`, `chat_id=` ...); an empty value removes a setting. Credentials (the driver's
CREDENTIALS: `api_key=`, `bot_token=` ...) are write-only: encrypted (rating/gateways/secrets.py),
never shown back (the list says which are set), an empty value keeps what is stored. `price` is
what one SMS segment (one message on other channels) costs, charged by message_charge. A
reseller without a gateway of a channel uses its nearest ancestor's (messaging.compose.gateway).
The list shows each gateway's webhook address (delivery reports, incoming messages) and the
last gateway-wide error.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa

from messaging import drivers, webhooks
from radbill import settings
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, may_manage, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError,
                                        OkResult, Param, function)
from radbill.functions.roles import RESELLERS
from radbill.models import Message, MessageGateway, Operator
from radbill.models.messaging import CHANNELS, GATEWAY_KINDS
from rating.gateways import secrets

SECRET_LEN = 4000
PRICE_MAX = Decimal("999999.9999")  # NUMERIC(10, 4)
_PRICE = re.compile(r"[0-9]{1,6}(\.[0-9]{1,4})?", re.ASCII)
# credentials a kind can work without (an SMTP server that takes mail without a login; Meta's
# app secret only checks the webhook's signature)
OPTIONAL_CREDENTIALS = {"smtp": ("user", "password"), "meta": ("app_secret",)}
CUSTOMER_CHANNELS = ("sms", "whatsapp", "email")


def driver(kind: str) -> type[drivers.Driver] | None:
    try:
        return drivers.driver_class(kind)
    except (ImportError, ValueError):
        return None


def config_names() -> list[str]:
    names: list[str] = []
    for cls in drivers.available().values():
        names += [n for n in cls.CONFIG if n not in names]
    return names


def credential_names() -> list[str]:
    names: list[str] = []
    for cls in drivers.available().values():
        names += [n for n in cls.CREDENTIALS if n not in names]
    return names


# the credentials are secrets wherever a call is logged (the audit's request line, the forms'
# password inputs, the access log): the registry's SECRET_PARAMS names them; a test checks
# every driver's credential is there (an SMTP login name is no secret, and `user` may name a
# staff login elsewhere)


def price(raw: str) -> Decimal:
    """What one segment costs: up to 4 decimals, 0 .. 999999.9999."""
    value = raw.strip()
    if not _PRICE.fullmatch(value):
        raise ValueError(f"{F.short(value)!r} is not a price like 0.35 or 0.2500")
    amount = Decimal(value)
    if amount > PRICE_MAX:
        raise ValueError(f"must be at most {PRICE_MAX}")
    return amount


class Gateways(Entity):
    name = "msg_gateway"
    model = MessageGateway
    fields = [
        F.Field("name", F.name_text, required=True),
        F.Field("kind", F.choice(*GATEWAY_KINDS), required=True, clearable=False,
                help="the provider: " + ", ".join(GATEWAY_KINDS)),
        F.Field("price", price, clearable=False, help="per SMS segment (per message elsewhere)"),
        F.Field("rate_per_second", F.integer(1, 10000), clearable=False,
                help="at most this many messages a second"),
        F.Field("enabled", F.boolean, clearable=False),
        F.Field("operator", str, help="whose account (id or name); default: yours"),
    ]
    columns = ["id", "name", "kind", "channel", "operator_id", "enabled", "price",
               "rate_per_second", "config", "credentials", "webhook", "last_error",
               "updated_at"]
    search = ["name"]
    filters = {"kind": "kind", "channel": "channel", "operator": "operator_id",
               "enabled": "enabled"}
    money = frozenset({"price"})
    list_roles = RESELLERS
    edit_roles = RESELLERS

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, MessageGateway.operator_id))

    def editable(self, call: Call, obj: MessageGateway) -> bool:
        return may_manage(call, obj.operator_id)

    def filter(self, stmt, param, column, value):
        if param == "operator":
            ref = F.as_id(value)
            if ref is None:
                return stmt.where(MessageGateway.operator_id.in_(sa.select(Operator.id).where(
                    sa.func.lower(Operator.name) == value.lower())))
            return stmt.where(MessageGateway.operator_id == ref)
        if param == "enabled":
            return stmt.where(MessageGateway.enabled.is_(F.parse_one(param, F.boolean, value)))
        if param == "channel":
            return stmt.where(MessageGateway.channel == F.parse_one(param, F.choice(*CHANNELS),
                                                                    value))
        if param == "kind":
            return stmt.where(MessageGateway.kind == F.parse_one(param,
                                                                 F.choice(*GATEWAY_KINDS), value))
        return super().filter(stmt, param, column, value)

    def row(self, obj: MessageGateway) -> dict:
        row = {c: audit.jsonable(getattr(obj, c)) for c in self.columns
               if c not in ("credentials", "webhook")}
        row["config"] = dict(obj.config or {})
        row["credentials"] = sorted(k for k, v in secrets.decrypt(obj.credentials).items()
                                    if v) if obj.credentials else []
        row["webhook"] = webhooks.url(obj.id) if obj.id else None
        return row

    def snapshot(self, obj):
        values = audit.snapshot(obj)
        if values is not None and values.get("credentials") is not None:
            values["credentials"] = "***"
        return values

    def form(self, call: Call, obj):
        if obj is not None:
            values = self.row(obj)
            values.update({k: v for k, v in (obj.config or {}).items()})
            return values
        return {"price": "0.0000", "rate_per_second": 20, "enabled": True}

    def apply(self, call: Call, obj: MessageGateway, values: dict, creating: bool) -> None:
        ref = values.pop("operator", None)
        if creating or ref not in (None, ""):
            obj.operator_id = resolve_operator(call, ref).id
        if not may_manage(call, obj.operator_id):
            raise AccessDenied("is outside your subtree", field="operator")
        kind = values.get("kind")
        if not creating and kind not in (None, obj.kind):
            raise FuncError("a gateway's kind cannot change: add another gateway", field="kind")
        cls = driver(kind or obj.kind)
        if cls is None:
            have = ", ".join(drivers.available()) or "none yet"
            raise FuncError(f"{kind!r} has no driver yet (drivers: {have})", field="kind")
        super().apply(call, obj, values, creating)
        obj.channel = cls.channel
        for key, default in (("price", Decimal(0)), ("rate_per_second", 20), ("enabled", True)):
            if getattr(obj, key) is None:
                setattr(obj, key, default)
        name = values.get("name")
        if name and call.session.scalar(sa.select(MessageGateway.id).where(
                MessageGateway.operator_id == obj.operator_id,
                sa.func.lower(MessageGateway.name) == name.lower(),
                MessageGateway.id.is_distinct_from(obj.id))):
            raise FuncError(f"{name!r} is taken", field="name")
        errors = self.set_config(call, obj, cls)
        errors.update({k: v for k, v in self.set_credentials(call, obj, cls).items()
                       if k not in errors})
        if errors:
            raise FuncError(errors=errors)
        obj.updated_at = dt.datetime.now(dt.timezone.utc)
        if "status_callback" in cls.CONFIG and not obj.config.get("status_callback") \
                and settings.get().public_url:
            # Twilio posts delivery reports where each message says: our webhook, by default
            if obj.id is None:
                call.session.add(obj)
                call.session.flush()
            obj.config = {**obj.config, "status_callback": webhooks.url(obj.id)}

    def set_config(self, call: Call, obj: MessageGateway, cls) -> dict[str, str]:
        config = dict(obj.config or {})
        errors = {}
        for name in config_names():
            raw = call.get(name)
            if raw is None:
                continue
            raw = raw.strip()
            if name not in cls.CONFIG:
                if raw:
                    errors[name] = f"is not a setting of {cls.kind} (its settings: " \
                                   f"{', '.join(cls.CONFIG) or 'none'})"
                continue
            if not raw:
                config.pop(name, None)
                continue
            try:
                value = cls.CONFIG[name](F.text(1000)(F.clean(raw)))
            except (ValueError, TypeError) as exc:
                errors[name] = str(exc) or "is not valid"
                continue
            config[name] = value if isinstance(value, (str, int, bool)) else str(value)
        for name in cls.REQUIRED_CONFIG:
            if name not in errors and config.get(name) in (None, ""):
                errors[name] = f"is required for {cls.kind}"
        obj.config = config
        return errors

    def set_credentials(self, call: Call, obj: MessageGateway, cls) -> dict[str, str]:
        optional = OPTIONAL_CREDENTIALS.get(cls.kind, ())
        blob, errors, changed = secrets.write_only(
            obj.credentials, call.params, credential_names(), cls.CREDENTIALS, cls.kind,
            required=tuple(n for n in cls.CREDENTIALS if n not in optional),
            check_required=bool(obj.enabled), max_len=SECRET_LEN)
        if not errors:
            obj.credentials = blob
            if changed:
                obj.last_error = None  # the error was the old key's
        return errors

    def extra_params(self) -> tuple[Param, ...]:
        return tuple(Param(n, "setting of the kinds that have it; empty removes it")
                     for n in config_names()) + \
            tuple(Param(n, "credential (write-only; empty keeps it)") for n in credential_names())

    def remove(self, call: Call, obj: MessageGateway) -> None:
        used = call.session.scalar(sa.select(Message.id).where(Message.gateway_id == obj.id)
                                   .limit(1))
        if used is not None:
            raise FuncError("messages went through it (their history and charges name it): "
                            "switch it off instead", field="elid")
        call.session.delete(obj)


ENTITY = Gateways().register()


# -- operator.messaging ---------------------------------------------------------------------------
def clock(raw: str) -> dt.time:
    if not re.fullmatch(r"[0-9]{1,2}:[0-9]{2}", raw, re.ASCII):
        raise ValueError(f"{F.short(raw)!r} is not a time like 22:00")
    hours, minutes = (int(p) for p in raw.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{raw!r} is not a time of day (00:00 to 23:59)")
    return dt.time(hours, minutes)


def channel_list(raw: str) -> list[str]:
    names = [p.strip() for p in raw.split(",") if p.strip()]
    bad = [n for n in names if n not in CUSTOMER_CHANNELS]
    if bad:
        raise ValueError(f"{F.short(bad[0])!r} is not one of {', '.join(CUSTOMER_CHANNELS)}")
    if not names:
        raise ValueError(f"name one or more of {', '.join(CUSTOMER_CHANNELS)}")
    return list(dict.fromkeys(names))


MESSAGING_FIELDS = [
    F.Field("quiet_start", clock, help="scheduled notices wait from this time (e.g. 22:00)"),
    F.Field("quiet_end", clock, help="... until this time (e.g. 08:00); both empty: no quiet hours"),
    F.Field("notify_channels", channel_list,
            help="sms, whatsapp, email (comma-separated); empty: the parent's"),
    F.Field("low_balance", F.amount(), help="alert the staff when the balance falls below"),
]


def _messaging_values(op: Operator) -> dict:
    return {"operator": op.name,
            "quiet_start": op.quiet_start.strftime("%H:%M") if op.quiet_start else "",
            "quiet_end": op.quiet_end.strftime("%H:%M") if op.quiet_end else "",
            "notify_channels": ",".join(op.notify_channels or []),
            "low_balance": str(op.low_balance) if op.low_balance is not None else ""}


@function("operator.messaging", kind="form", roles=RESELLERS, money={"low_balance"},
          params=(Param("elid", "the operator's id or name; default: yours"),
                  *(f.param() for f in MESSAGING_FIELDS)))
def operator_messaging(call: Call) -> FormResult | OkResult:
    """An operator's messaging settings: quiet hours, customers' channels, low-balance alert."""
    op = resolve_operator(call, call.elid, field="elid")
    if not call.sok:
        from messaging import compose
        values = _messaging_values(op)
        values["channels_in_force"] = ",".join(compose.channels(call.session, op.id))
        return FormResult(op.id, values)
    values = F.parse_fields(MESSAGING_FIELDS, call.params, creating=False)
    start = values.get("quiet_start", op.quiet_start)
    end = values.get("quiet_end", op.quiet_end)
    if (start is None) != (end is None):
        field = "quiet_end" if start is not None else "quiet_start"
        raise FuncError("quiet hours need a start and an end (or neither)", field=field)
    if start is not None and start == end:
        raise FuncError("must differ from the start", field="quiet_end")
    before = _messaging_values(op)
    for key, value in values.items():
        setattr(op, key, value)
    call.session.flush()
    audit.record(call, "operator", op.id, op.name, before, _messaging_values(op), op.id)
    return OkResult(op.id)
