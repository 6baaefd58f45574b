"""gateway, gateway.edit, gateway.delete: an operator's accounts with online payment gateways.

Credentials are write-only: gateway.edit takes the kind's fields (bKash's app_key, app_secret,
username, password; SSLCommerz's store_id, store_passwd; Nagad's merchant_id, merchant_number,
merchant_private_key, nagad_public_key; aamarPay's store_id, signature_key), encrypts them
(rating/gateways/secrets.py) and never shows them back: the form and the list say which are set.
A field left empty keeps what is stored. A reseller without a gateway of a kind uses its
parent's (rating/checkout.available)."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, may_manage, resolve_operator
from radbill.functions.registry import AccessDenied, Call, FuncError, Param
from radbill.functions.roles import RESELLERS
from radbill.models import GatewayCheckout, PaymentGateway
from radbill.models.billing import GATEWAY_KINDS, GATEWAY_MODES
from rating import gateways
from rating.gateways import secrets

SECRET_LEN = 8000  # a PEM private key fits


def credential_names() -> list[str]:
    gateways.load()
    names: list[str] = []
    for cls in gateways.DRIVERS.values():
        names += [n for n in cls.CREDENTIALS if n not in names]
    return names


def url(raw: str) -> str:
    value = F.text(300)(raw)
    if not value.startswith(("https://", "http://")) or " " in value:
        raise ValueError("must be an http(s):// address")
    return value.rstrip("/")


class Gateways(Entity):
    name = "gateway"
    model = PaymentGateway
    fields = [
        F.Field("name", F.name_text, required=True),
        F.Field("kind", F.choice(*GATEWAY_KINDS), required=True, clearable=False),
        F.Field("mode", F.choice(*GATEWAY_MODES), clearable=False),
        F.Field("base_url", url),
        F.Field("charge_percent", F.percent, clearable=False),
        F.Field("charge_fixed", F.amount(), clearable=False),
        F.Field("enabled", F.boolean, clearable=False),
        F.Field("operator", str),
    ]
    columns = ["id", "name", "kind", "mode", "base_url", "operator_id", "charge_percent",
               "charge_fixed", "enabled", "credentials", "updated_at"]
    search = ["name"]
    filters = {"kind": "kind", "operator": "operator_id", "enabled": "enabled"}
    money = True
    list_roles = RESELLERS
    edit_roles = RESELLERS

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, PaymentGateway.operator_id))

    def editable(self, call: Call, obj: PaymentGateway) -> bool:
        return may_manage(call, obj.operator_id)

    def row(self, obj: PaymentGateway) -> dict:
        row = super().row(obj)
        row["credentials"] = sorted(secrets.decrypt(obj.credentials)) if obj.credentials else []
        return row

    def form(self, call: Call, obj):
        if obj is not None:
            return self.row(obj)
        return {"mode": "sandbox", "charge_percent": "0", "charge_fixed": "0.00", "enabled": True}

    def apply(self, call: Call, obj: PaymentGateway, values: dict, creating: bool) -> None:
        ref = values.pop("operator", None)
        if creating or ref not in (None, ""):
            obj.operator_id = resolve_operator(call, ref).id
        if not may_manage(call, obj.operator_id):
            raise AccessDenied("not your operator", field="operator")
        if not creating and values.get("kind") not in (None, obj.kind):
            raise FuncError("a gateway's kind cannot change: add another gateway",
                            field="kind")
        super().apply(call, obj, values, creating)
        for key, default in self.form(call, None).items():
            if getattr(obj, key) is None:
                setattr(obj, key, default)
        name = values.get("name")
        if name and call.session.scalar(sa.select(PaymentGateway.id).where(
                PaymentGateway.operator_id == obj.operator_id,
                sa.func.lower(PaymentGateway.name) == name.lower(),
                PaymentGateway.id.is_distinct_from(obj.id))):
            raise FuncError(f"{name!r} is taken", field="name")
        self.set_credentials(call, obj)

    def set_credentials(self, call: Call, obj: PaymentGateway) -> None:
        blob, errors, _ = secrets.write_only(
            obj.credentials, call.params, credential_names(),
            gateways.driver_class(obj.kind).CREDENTIALS, obj.kind,
            check_required=bool(obj.enabled), max_len=SECRET_LEN)
        if errors:
            raise FuncError(errors=errors)
        obj.credentials = blob
        obj.updated_at = sa.func.now()

    def extra_params(self) -> tuple[Param, ...]:
        return tuple(Param(n, "credential (write-only; empty keeps it)")
                     for n in credential_names())

    def remove(self, call: Call, obj: PaymentGateway) -> None:
        used = call.session.scalar(sa.select(GatewayCheckout.id).where(
            GatewayCheckout.gateway_id == obj.id).limit(1))
        if used is not None:
            raise FuncError("payments were taken through it: disable it instead", field="elid")
        call.session.delete(obj)


ENTITY = Gateways().register()
