"""olt, olt.edit, olt.delete, olt.sync, olt.vlans, olt.log, onu, device, device.traffic: devices
without money.

An OLT's CLI password and SNMP community are write-only (`password=`, `community=`: an empty
value keeps the stored one, `forget=` drops one), kept encrypted in olts.credentials
(provisioning/device_secrets.py); the list and the form say which are set (`credentials_set`).
"""
from __future__ import annotations

from typing import Callable, TypeVar

import sqlalchemy as sa

from provisioning import device_secrets
from provisioning.errors import ProvisioningError
from provisioning.olt import Driver, driver_for, sync
from provisioning.olt.base import SEVERITIES
from radbill.functions import audit, fields as F
from radbill.functions.crud import Entity, page_params, usable
from radbill.functions.registry import (Call, FileResult, FuncError, ListResult, Param,
                                        function)
from radbill.functions.roles import DEVICE_STAFF
from radbill.functions.shared import SharedEntity
from radbill.models import Customer, DeviceStatus, InterfaceSample, Nas, NasSettings, Olt, Onu
from radbill.models.devices import (CLI_ONLY_BRANDS, MIN_OPTICS_INTERVAL, MIN_SYNC_INTERVAL,
                                    OLT_BRANDS, OLT_PROTOCOLS)

T = TypeVar("T")


class Olts(SharedEntity):
    name = "olt"
    model = Olt
    fields = [
        F.Field("name", F.text(64, r"[A-Za-z0-9_.-]{1,64}", "letters, digits and _.-"),
                required=True),
        F.Field("brand", F.choice(*OLT_BRANDS), required=True,
                help="vsol, bdcom and dbc are read over their CLI (SSH or Telnet), huawei and "
                     "zte over SNMP or their CLI (protocol)"),
        F.Field("protocol", F.choice(*OLT_PROTOCOLS),
                help="huawei and zte: snmp (the default) or cli; the others are CLI only"),
        F.Field("host", F.host_ipv4, required=True), F.Field("ssh_port", F.port, clearable=False),
        F.Field("cli_transport", F.choice("ssh", "telnet"), clearable=False,
                help="how an OLT read over its CLI is reached (ssh by default)"),
        F.Field("telnet_port", F.port, clearable=False),
        F.Field("username", F.text(64)),
        F.Field("ssh_host_key", F.text(4000), help="pinned on the first sync; empty it after "
                "replacing the OLT"),
        F.Field("snmp_port", F.port, clearable=False),
        F.Field("nas", str, help="the NAS router behind this OLT"),
        F.Field("sync_interval", F.integer(MIN_SYNC_INTERVAL, 86400), clearable=False,
                help=f"seconds between ONU discoveries (at least {MIN_SYNC_INTERVAL})"),
        F.Field("optics_interval", F.integer(MIN_OPTICS_INTERVAL, 7 * 86400), clearable=False,
                help=f"seconds between optical readings (at least {MIN_OPTICS_INTERVAL}: polling "
                     "every ONU's optics more often crashes some OLT line cards)"),
        F.Field("enabled", F.boolean, clearable=False), F.Field("description", F.text(200)),
        F.Field("operator", str),
    ]
    columns = ["id", "name", "brand", "protocol", "host", "cli_transport", "ssh_port",
               "telnet_port", "username", "snmp_port", "nas_id", "operator_id", "sync_interval",
               "optics_interval", "enabled", "last_sync_at", "last_optics_at", "last_error",
               "vlans_at", "vlans_error", "description", "credentials_set"]
    search = ["name", "host"]
    filters = {"brand": "brand"}
    list_roles = DEVICE_STAFF
    edit_roles = DEVICE_STAFF

    def row(self, obj: Olt) -> dict:
        row = {c: audit.jsonable(getattr(obj, c)) for c in self.columns if c != "credentials_set"}
        row["credentials_set"] = device_secrets.names_set(obj.credentials)
        return row

    def form(self, call: Call, obj):
        if obj is None:
            return {"cli_transport": "ssh", "ssh_port": 22, "telnet_port": 23, "snmp_port": 161,
                    "sync_interval": 900, "optics_interval": 3600, "enabled": True}
        return self.row(obj)

    def extra_params(self) -> tuple[Param, ...]:
        return (Param("password", "the CLI login's password (write-only; empty keeps it)"),
                Param("community", "the SNMP community (write-only; empty keeps it)"),
                Param("forget", "credentials to drop, comma-separated: password, community"))

    def apply(self, call: Call, obj: Olt, values: dict, creating: bool) -> None:
        if "nas" in values:
            from provisioning.functions.nas import ENTITY as nas_entity
            ref = values.pop("nas")
            obj.nas_id = None if ref is None else nas_entity.find(call, ref, field="nas").id
        if not creating and values.get("host", obj.host) != obj.host:
            values.setdefault("ssh_host_key", None)  # another device: its key is not pinned yet
        super().apply(call, obj, values, creating)
        obj.credentials = device_secrets.edit(call, obj.credentials,
                                              device_secrets.OLT_CREDENTIALS, "an OLT")
        stored = device_secrets.names_set(obj.credentials)  # what is set now, never values
        if obj.brand in CLI_ONLY_BRANDS and obj.protocol == "snmp":
            raise FuncError(f"{obj.brand} OLTs are read over their CLI only", field="protocol")
        if (obj.brand in CLI_ONLY_BRANDS or obj.protocol == "cli") and \
                not (obj.username and "password" in stored):
            raise FuncError(f"{obj.brand} OLTs read over their CLI need a username and password",
                            field="username" if not obj.username else "password")
        if obj.brand not in CLI_ONLY_BRANDS and obj.protocol != "cli" and \
                "community" not in stored:
            raise FuncError(f"{obj.brand} OLTs are read over SNMP: give the community",
                            field="community")

    def remove(self, call: Call, obj: Olt) -> None:
        # device_status and the traffic series name devices by (kind, id), without a foreign key
        for model in (DeviceStatus, InterfaceSample):
            call.session.execute(sa.delete(model).where(model.kind == "olt",
                                                        model.device_id == obj.id))
        call.session.delete(obj)


OLTS = Olts().register()


@function("olt.sync", kind="list", changes=True, roles=DEVICE_STAFF,
          params=(Param("elid", "the OLT's id or name", True),))
def sync_now(call: Call) -> ListResult:
    """Discover the OLT's ONUs now (optics only when its optics interval has passed)."""
    import datetime as dt
    olt = OLTS.find(call, call.elid or "", lock=True)
    now = dt.datetime.now(dt.timezone.utc)
    result = sync.sync_olt(call.session, olt, sync.optics_due(olt, now))
    audit.record(call, "olt", olt.id, olt.name, None, result, olt.operator_id)
    return ListResult([result], 1, 1, 1, list(result))


def ask_olt(olt: Olt, read: Callable[[Driver], T]) -> T:
    """What `read` gets from the OLT through its driver, or a 502 naming the setting to check."""
    try:
        return read(driver_for(olt.brand, sync.access(olt)))
    except ProvisioningError as exc:
        raise FuncError(str(exc), field=exc.field, status=502) from None


@function("olt.config", kind="file", roles=DEVICE_STAFF,
          params=(Param("elid", "the OLT's id or name", True),))
def running_config(call: Call) -> FileResult:
    """Download the OLT's running configuration (SSH/Telnet brands)."""
    olt = OLTS.find(call, call.elid or "")
    text = ask_olt(olt, lambda driver: driver.running_config())
    audit.record(call, "olt", olt.id, olt.name, None, {"downloaded": "running-config"},
                 olt.operator_id)
    return FileResult(f"{olt.name}-running-config.txt", "text/plain; charset=utf-8",
                      text.encode())


VLAN_COLUMNS = ["vlan_id", "name", "ports"]


@function("olt.vlans", kind="list", changes="sok", roles=DEVICE_STAFF,
          params=(Param("elid", "the OLT's id or name", True),
                  Param("refresh", "yes: read the VLANs from the OLT now (with sok=ok)"),
                  Param("sok"), Param("page"), Param("per_page")))
def olt_vlans(call: Call) -> ListResult:
    """The OLT's VLANs as last read (the sync job reads them daily); refresh=yes reads them now."""
    refresh = F.parse_one("refresh", F.boolean, call.get("refresh")) \
        if call.get("refresh") not in (None, "") else False
    if refresh and call.get("sok") != "ok":
        raise FuncError("reading the OLT again changes its stored VLANs: send sok=ok with it",
                        field="refresh")
    page, per_page = page_params(call)
    olt = OLTS.find(call, call.elid or "", lock=refresh)
    if refresh:
        result = sync.refresh_vlans(olt)
        audit.record(call, "olt", olt.id, olt.name, None,
                     {"read": "vlans", **{k: v for k, v in result.items() if k != "olt"}},
                     olt.operator_id)
        if not result["ok"]:  # the attempt and its error stay on the OLT (keep=True)
            raise FuncError(result["error"], field="refresh", status=502, keep=True)
    rows = [{"vlan_id": v.get("vlan_id"), "name": v.get("name"),
             "ports": ", ".join(v.get("ports") or [])} for v in olt.vlans or []]
    return ListResult(rows[(page - 1) * per_page:page * per_page], len(rows), page, per_page,
                      VLAN_COLUMNS)


LOG_COLUMNS = ["at", "severity", "message"]
LOG_LIMIT = 200  # entries read from the OLT's buffer unless `limit` says otherwise


@function("olt.log", kind="list", roles=DEVICE_STAFF,
          params=(Param("elid", "the OLT's id or name", True),
                  Param("severity", "this severity or worse: " + ", ".join(SEVERITIES)),
                  Param("q", "text in the message"),
                  Param("limit", f"how many of the newest entries to read (default {LOG_LIMIT})"),
                  Param("page"), Param("per_page")))
def olt_log(call: Call) -> ListResult:
    """The OLT's own log / alarm buffer, read from the device now, newest first (audited)."""
    worst = F.parse_one("severity", F.choice(*SEVERITIES), call.get("severity")) \
        if call.get("severity") not in (None, "") else None
    needle = F.parse_one("q", F.text(100), call.get("q")) if call.get("q") else None
    limit = number(call, "limit", 1, 1000, LOG_LIMIT)
    page, per_page = page_params(call)
    olt = OLTS.find(call, call.elid or "")
    entries = ask_olt(olt, lambda driver: driver.logs(limit))
    if worst is not None:
        entries = [e for e in entries if SEVERITIES.index(e.severity) <= SEVERITIES.index(worst)]
    if needle:
        entries = [e for e in entries if needle.lower() in e.message.lower()]
    audit.record(call, "olt", olt.id, olt.name, None,
                 {"read": "log", "severity": worst, "q": needle, "entries": len(entries)},
                 olt.operator_id)
    rows = [e.row() for e in entries[(page - 1) * per_page:page * per_page]]
    return ListResult(rows, len(entries), page, per_page, LOG_COLUMNS)


class Onus(Entity):
    name = "onu"
    model = Onu
    label = "serial"
    columns = ["id", "olt_id", "port", "onu_id", "serial", "mac", "status", "rx_power",
               "temperature", "distance", "description", "customer_id", "customer",
               "last_seen_at", "updated_at"]
    search = ["serial", "mac", "description"]
    filters = {"olt": "olt_id", "status": "status", "customer": "customer_id"}
    list_roles = DEVICE_STAFF
    default_sort = "port"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.join(Olt, Olt.id == Onu.olt_id).where(usable(call, Olt.operator_id))

    def order(self, call: Call) -> list:
        if (call.get("sort") or "port") == "port":
            return [Onu.olt_id, Onu.port, Onu.onu_id]
        return super().order(call)

    def row(self, obj: Onu) -> dict:
        row = {c: audit.jsonable(getattr(obj, c)) for c in self.columns if c != "customer"}
        row["customer"] = obj.__dict__.get("_customer")
        return row

    def list(self, call: Call) -> ListResult:
        result = super().list(call)
        ids = {r["customer_id"] for r in result.rows if r["customer_id"]}
        names = dict(call.session.execute(sa.select(Customer.id, Customer.username)
                                          .where(Customer.id.in_(ids))).all()) if ids else {}
        for r in result.rows:
            r["customer"] = names.get(r["customer_id"])
        return result


ONUS = Onus()
function("onu", kind="list", roles=DEVICE_STAFF,
         params=(Param("q", "serial, MAC or description"), Param("olt"), Param("status"),
                 Param("customer"), Param("page"), Param("per_page")))(ONUS.list)

DEVICE_COLUMNS = ["kind", "id", "name", "host", "up", "changed_at", "checked_at", "sys_uptime",
                  "last_error", "api_ok", "api_checked_at", "api_version", "api_error"]


@function("device", kind="list", roles=DEVICE_STAFF)
def devices(call: Call) -> ListResult:
    """Routers and OLTs with their last SNMP verdict and since when it holds."""
    nas = (sa.select(sa.literal("nas").label("kind"), Nas.id, Nas.shortname.label("name"),
                     Nas.nasname.label("host"))
           .outerjoin(NasSettings, NasSettings.nas_id == Nas.id)
           .where(usable(call, NasSettings.operator_id)))
    olt = (sa.select(sa.literal("olt").label("kind"), Olt.id, Olt.name, Olt.host)
           .where(usable(call, Olt.operator_id)))
    both = sa.union_all(nas, olt).subquery()
    stmt = (sa.select(both, DeviceStatus.up, DeviceStatus.changed_at, DeviceStatus.checked_at,
                      DeviceStatus.sys_uptime, DeviceStatus.last_error, DeviceStatus.api_ok,
                      DeviceStatus.api_checked_at, DeviceStatus.api_version,
                      DeviceStatus.api_error)
            .outerjoin(DeviceStatus, sa.and_(sa.cast(DeviceStatus.kind, sa.Text) == both.c.kind,
                                             DeviceStatus.device_id == both.c.id))
            .order_by(both.c.kind, both.c.name))
    rows = [{c: audit.jsonable(v) for c, v in r._mapping.items()}
            for r in call.session.execute(stmt)]
    return ListResult(rows, len(rows), 1, len(rows), DEVICE_COLUMNS)


TRAFFIC_COLUMNS = ["at", "if_index", "if_name", "in_bps", "out_bps"]


@function("device.traffic", kind="list", roles=DEVICE_STAFF,
          params=(Param("kind", "nas or olt", True), Param("elid", "the device id", True),
                  Param("if_index"), Param("hours", "how far back (default 24)"),
                  Param("page"), Param("per_page")))
def traffic(call: Call) -> ListResult:
    """Per-interface traffic rates (bits/s) of one device, newest first."""
    kind = call.get("kind")
    if kind not in ("nas", "olt"):
        raise FuncError("must be nas or olt", field="kind")
    device_id = number(call, "elid", 1, None, None)
    if device_id is None:
        raise FuncError("is required", field="elid")
    if not _visible_device(call, kind, device_id):
        raise FuncError(f"no {kind} {device_id}", field="elid", status=404)
    hours = number(call, "hours", 1, 24 * 35, 24)
    stmt = sa.select(InterfaceSample).where(
        InterfaceSample.kind == kind, InterfaceSample.device_id == device_id,
        InterfaceSample.at > sa.func.now() - sa.func.make_interval(0, 0, 0, 0, hours))
    if call.get("if_index"):
        stmt = stmt.where(InterfaceSample.if_index == number(call, "if_index", 0, None, 0))
    total = call.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    page, per_page = page_params(call)
    stmt = stmt.order_by(InterfaceSample.at.desc(), InterfaceSample.if_index)
    rows = [{c: audit.jsonable(getattr(s, c)) for c in TRAFFIC_COLUMNS}
            for s in call.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))]
    return ListResult(rows, total, page, per_page, TRAFFIC_COLUMNS)


def number(call: Call, name: str, lo: int, hi: int | None, default: int | None) -> int | None:
    raw = call.get(name)
    if raw in (None, ""):
        return default
    try:
        return F.integer(lo, hi)(raw)
    except ValueError as exc:
        raise FuncError(str(exc), field=name) from None


def _visible_device(call: Call, kind: str, device_id: int) -> bool:
    if kind == "olt":
        stmt = sa.select(Olt.id).where(Olt.id == device_id, usable(call, Olt.operator_id))
    else:
        stmt = (sa.select(Nas.id).outerjoin(NasSettings, NasSettings.nas_id == Nas.id)
                .where(Nas.id == device_id, usable(call, NasSettings.operator_id)))
    return call.session.scalar(stmt) is not None
