"""nas, nas.edit, nas.delete: routers allowed to talk RADIUS to us (FreeRADIUS' `nas` table).

The RouterOS API password and the SNMP community are write-only (`api_password=`,
`community=`: an empty value keeps the stored one, `forget=` drops one), kept encrypted in
nas_settings.credentials (provisioning/device_secrets.py); the list and the form say which
are set (`credentials_set`). The RADIUS shared secret stays in nas.secret, where FreeRADIUS
reads it, and is never shown back either.
"""
from __future__ import annotations

import sqlalchemy as sa

from provisioning import device_secrets
from radbill.functions import audit, fields as F
from radbill.functions.crud import Entity, may_manage, resolve_operator, usable
from radbill.functions.registry import AccessDenied, Call, FuncError, Param
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import Nas, NasSettings

NAS_TYPES = ("mikrotik", "cisco", "juniper", "other")


def secret(raw: str) -> str:
    if len(raw) < 6:
        raise ValueError("must be at least 6 characters")
    if len(raw) > 128 or any(c in raw for c in "\"'\\\n"):
        raise ValueError("must be under 128 characters without quotes or backslashes")
    return raw


class NasEntity(Entity):
    name = "nas"
    model = Nas
    label = "shortname"
    fields = [
        F.Field("name", F.text(64, r"[A-Za-z0-9_.-]{1,64}", "letters, digits and _.-"), required=True),
        F.Field("ip", F.host_ipv4, required=True, help="the address the NAS sends RADIUS from"),
        F.Field("secret", secret, required=True, clearable=False),
        F.Field("type", F.choice(*NAS_TYPES), clearable=False),
        F.Field("coa_port", F.port, clearable=False),
        F.Field("description", F.text(200)),
        F.Field("snmp_version", F.choice("1", "2c"), clearable=False),
        F.Field("snmp_port", F.port, clearable=False),
        F.Field("api_user", F.text(64)),
        F.Field("api_port", F.port, clearable=False),
        F.Field("operator", str),
    ]
    columns = ["id", "name", "ip", "type", "coa_port", "description", "operator_id", "api_user",
               "api_port", "snmp_version", "snmp_port", "credentials_set"]
    search = ["shortname", "nasname"]
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS + DEVICE_STAFF

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        stmt = stmt.outerjoin(NasSettings, NasSettings.nas_id == Nas.id)
        return stmt.where(usable(call, NasSettings.operator_id))

    def settings(self, call: Call, obj: Nas) -> NasSettings:
        s = call.session.get(NasSettings, obj.id) if obj.id else None
        return s or NasSettings(nas_id=obj.id)

    def editable(self, call: Call, obj: Nas) -> bool:
        return may_manage(call, self.settings(call, obj).operator_id)

    def find(self, call: Call, ref: str, field: str = "elid", lock: bool = False):
        try:
            return super().find(call, ref, field, lock)
        except FuncError:
            stmt = self.visible(call, sa.select(Nas).where(Nas.nasname == str(ref)))
            obj = call.session.scalars(stmt).first()
            if obj is None:
                raise
            return obj

    def row(self, obj: Nas) -> dict:
        s = obj.settings or NasSettings()
        return {"id": obj.id, "name": obj.shortname, "ip": obj.nasname, "type": obj.type,
                "coa_port": s.coa_port or 3799, "description": obj.description,
                "operator_id": s.operator_id, "api_user": s.api_user,
                "api_port": s.api_port or 8728, "snmp_version": s.snmp_version or "2c",
                "snmp_port": s.snmp_port or 161,
                "credentials_set": device_secrets.names_set(s.credentials)}

    def form(self, call: Call, obj):
        if obj is None:
            return {"type": "mikrotik", "coa_port": 3799, "api_port": 8728, "snmp_version": "2c",
                    "snmp_port": 161}
        return self.row(obj)

    def apply(self, call: Call, obj: Nas, values: dict, creating: bool) -> None:
        s = self.settings(call, obj)
        ref = values.pop("operator", None)
        if ref not in (None, ""):
            s.operator_id = resolve_operator(call, ref).id
        elif creating and not call.caller.is_sysadmin:
            s.operator_id = call.caller.operator_id
        if not may_manage(call, s.operator_id):
            raise AccessDenied("only the system administrator edits shared routers", field="operator")
        if "ip" in values:
            taken = call.session.scalar(sa.select(Nas.shortname).where(
                Nas.nasname == values["ip"], Nas.id.is_distinct_from(obj.id)))
            if taken:
                raise FuncError(f"{values['ip']} is already NAS {taken!r}", field="ip")
            obj.nasname = values.pop("ip")
        if "name" in values:
            taken = call.session.scalar(sa.select(Nas.id).where(
                sa.func.lower(Nas.shortname) == values["name"].lower(), Nas.id.is_distinct_from(obj.id)))
            if taken:
                raise FuncError(f"{values['name']!r} is taken", field="name")
            obj.shortname = values.pop("name")
        for key in ("secret", "type", "description"):
            if key in values:
                setattr(obj, key, values.pop(key))
        if obj.type is None:
            obj.type = "mikrotik"
        for key, value in values.items():
            setattr(s, key, value)
        s.credentials = device_secrets.edit(call, s.credentials, device_secrets.NAS_CREDENTIALS,
                                            "a router")
        obj.community = None  # FreeRADIUS' column; the community is in s.credentials
        if creating:
            call.session.add(obj)
        call.session.flush()
        s.nas_id = obj.id
        call.session.add(s)
        call.session.expire(obj, ["settings"])  # viewonly: reload it to see a new settings row

    def snapshot(self, obj: Nas | None) -> dict | None:
        """The nas row and its settings as the audit log keeps them (`secret` and
        `credentials` are masked there: audit.SECRET_COLUMNS)."""
        values = audit.snapshot(obj)
        if values is not None and obj.settings is not None:
            values.update({k: v for k, v in audit.snapshot(obj.settings).items()
                           if k != "nas_id"})
        return values

    def extra_params(self) -> tuple[Param, ...]:
        return (Param("api_password", "the RouterOS API password (write-only; empty keeps it)"),
                Param("community", "the SNMP community (write-only; empty keeps it)"),
                Param("forget", "credentials to drop, comma-separated: api_password, community"))

    def remove(self, call: Call, obj: Nas) -> None:
        call.session.delete(obj)

    def operator_of(self, obj: Nas) -> int | None:
        return obj.settings.operator_id if obj.settings else None


ENTITY = NasEntity().register()
