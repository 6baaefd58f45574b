"""walled_garden, walled_garden.edit, walled_garden.delete: hosts a hotspot visitor may reach
before logging in, per operator (pushed to routers by router.push_walled_garden).

Staff see the rows of their operator's ancestors (read-only: they reach their routers too) and
of their subtree (theirs to edit), never a sibling reseller's; the list adds, with source
`auto` and no id, the hosts every router gets without a row: the portal's and the payment
gateways' (provisioning/walled_garden.py).
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.crud import (Entity, in_subtree, may_manage, page_params, resolve_operator,
                                    usable)
from radbill.functions.registry import Call, FuncError, ListResult, NotFound
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import Operator, PaymentGateway, WalledGardenHost

MAX_HOST = 253  # a DNS name's longest text form (RFC 1035: 255 octets on the wire)
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.ASCII)
_DOTTED = re.compile(r"[0-9.]+", re.ASCII)


def host(raw: str) -> str:
    """A DNS name (portal.example.net), a wildcard over one (*.example.net) or an IPv4 address,
    lower-cased: what RouterOS takes as an allow entry's dst-host."""
    value = raw.strip().lower()
    if len(value) > MAX_HOST:
        raise ValueError(f"is longer than {MAX_HOST} characters")
    if _DOTTED.fullmatch(value):
        return F.host_ipv4(value, loopback=False)
    name = value[2:] if value.startswith("*.") else value
    labels = name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"{F.short(raw)!r} is not a host name, *.name or IPv4 address")
    if value.startswith("*.") and len(labels) < 2:
        raise ValueError(f"{F.short(raw)!r} would open a whole top-level domain; name a domain")
    return value


class WalledGarden(Entity):
    name = "walled_garden"
    model = WalledGardenHost
    label = "host"
    fields = [
        F.Field("host", host, required=True,
                help="a host name, *.domain or an IPv4 address a visitor may reach"),
        F.Field("note", F.text(200)),
        F.Field("operator", str),
    ]
    columns = ["host", "note", "operator", "source", "id"]
    search = ["host", "note"]
    default_sort = "host"
    money = False
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(usable(call, WalledGardenHost.operator_id))

    def editable(self, call: Call, obj: WalledGardenHost) -> bool:
        return may_manage(call, obj.operator_id)

    def find(self, call: Call, ref: str, field: str = "elid", lock: bool = False):
        """By id, or by host: the caller's own row before an ancestor's of the same host."""
        if F.as_id(ref) is not None:
            return super().find(call, ref, field, lock)
        stmt = self.visible(call, sa.select(WalledGardenHost).where(
            WalledGardenHost.host == str(ref).strip().lower()))
        if call.caller.operator_path is not None:  # (everything is the sysadmin's own)
            stmt = stmt.order_by(in_subtree(call, WalledGardenHost.operator_id).desc())
        stmt = stmt.order_by(WalledGardenHost.id).limit(1)
        obj = call.session.scalars(stmt.with_for_update() if lock else stmt).first()
        if obj is None:
            raise NotFound(f"no {self.name} {F.short(str(ref))!r}", field=field)
        return obj

    def row(self, obj: WalledGardenHost) -> dict:
        return {"id": obj.id, "host": obj.host, "note": obj.note, "operator_id": obj.operator_id,
                "source": "staff"}

    def form(self, call: Call, obj):
        if obj is None:
            return {}
        row = self.row(obj)
        row["operator"] = call.session.get(Operator, obj.operator_id).name
        return row

    def apply(self, call: Call, obj: WalledGardenHost, values: dict, creating: bool) -> None:
        if creating or values.get("operator") is not None:
            obj.operator_id = resolve_operator(call, values.pop("operator", None)).id
        values.pop("operator", None)
        if "note" in values and values["note"] is None:
            values["note"] = ""
        name = values.get("host", obj.host)
        if call.session.scalar(sa.select(WalledGardenHost.id).where(
                WalledGardenHost.operator_id == obj.operator_id, WalledGardenHost.host == name,
                WalledGardenHost.id.is_distinct_from(obj.id))) is not None:
            raise FuncError(f"{name!r} is already listed", field="host")
        super().apply(call, obj, values, creating)

    def list(self, call: Call) -> ListResult:
        """The rows the caller sees, then the automatic hosts of the same operators; searched
        and sorted here (the list is short: a few hosts an operator)."""
        from provisioning import walled_garden as wg
        line = None if call.caller.operator_path is None else \
            usable(call, PaymentGateway.operator_id)
        own = [self.row(obj) for obj in call.session.scalars(self.visible(
            call, sa.select(WalledGardenHost)))]
        auto = [{"id": None, "host": e.host, "note": e.note, "operator_id": e.operator_id,
                 "source": e.source} for e in wg.automatic(call.session, line)]
        rows = own + auto
        names = dict(call.session.execute(sa.select(Operator.id, Operator.name).where(
            Operator.id.in_({r["operator_id"] for r in rows if r["operator_id"]}))).all())
        for r in rows:
            r["operator"] = names.get(r.pop("operator_id"))
        q = (call.get("q") or "").strip().lower()
        if q:
            rows = [r for r in rows if q in r["host"] or q in r["note"].lower()]
        sort = call.get("sort") or self.default_sort
        key = sort.lstrip("-")
        if key not in self.columns:
            raise FuncError(f"cannot sort by {F.short(key)!r}", field="sort")
        rows.sort(key=lambda r: (r[key] is None, str(r[key] or "").lower(), r["host"]),
                  reverse=sort.startswith("-"))
        page, per_page = page_params(call)
        start = (page - 1) * per_page
        return ListResult(rows[start:start + per_page], len(rows), page, per_page,
                          list(self.columns))


ENTITY = WalledGarden().register()
