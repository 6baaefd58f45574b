"""radio, radio.edit, radio.delete, radio.poll: wireless radios (Ubiquiti airMAX, Cambium ePMP)
polled over HTTP and SNMP (monitoring/radios/); radio_sample (a radio's series),
radio_station (its stations).

A radio belongs to an operator and is seen, changed and polled only inside that operator's
subtree. The HTTP password and the SNMP community are write-only (encrypted, never shown
back). Its host may be private (radios sit on the ISP's network) but never link-local or
multicast, and loopback only for the ISP's own radios. A new radio gets a ping status check,
removed with it (monitoring/devices.py, as for routers and OLTs).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket

import sqlalchemy as sa

from monitoring.functions.checks import host as host_name, isp_owned
from monitoring.zabbix import _database_ports, address_allowed
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, may_manage, own_operator, paged
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, OkResult,
                                        Param, function)
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import Radio, RadioSample, RadioStation
from radbill.models.noc import MIN_RADIO_INTERVAL
from rating.gateways import secrets

STAFF = RESELLERS + DEVICE_STAFF
BUILT_KINDS = ("airmax", "epmp")  # monitoring.radios.POLLERS
CREDENTIALS = ("password", "community")


def host_refusal(host: str, allow_private: bool, resolve: bool = False) -> str | None:
    """Why a radio may not be asked at `host` (None: it may): never link-local, reserved or
    multicast (as a Zabbix server); private always (radios sit on the ISP's network), loopback
    only for the ISP's own."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if not resolve:
            return None
        try:
            addresses = list({i[4][0] for i in socket.getaddrinfo(host, None)})
        except (socket.gaierror, UnicodeError) as exc:
            return f"cannot resolve {host}: {exc}"
    for a in addresses:
        if why := address_allowed(a, allow_private=True):
            return why
        if ipaddress.ip_address(a.split("%")[0]).is_loopback and not allow_private:
            return f"{a} is a loopback address: only the ISP's own radios may be there"
    return None


def radio_name(raw: str) -> str:
    return F.text(64, r"[A-Za-z0-9_.-]{1,64}", "letters, digits, '_', '.' and '-'")(raw)


def http_port(raw: str) -> int:
    port = F.port(raw)
    if port in _database_ports():
        raise ValueError(f"port {port} is a database's, not a radio's")
    return port


class Radios(Entity):
    name = "radio"
    model = Radio
    fields = [
        F.Field("name", radio_name, required=True),
        F.Field("kind", F.choice(*BUILT_KINDS), required=True, clearable=False,
                help="airmax (Ubiquiti airOS) or epmp (Cambium ePMP)"),
        F.Field("host", host_name, required=True, help="the radio's address or name"),
        F.Field("http_port", http_port, help="empty: 443 (https) or 80"),
        F.Field("https", F.boolean, clearable=False, help="ask its web API over HTTPS"),
        F.Field("username", F.text(64, r"[!-~]{1,64}", "printable ASCII without spaces"),
                help="the web login (empty: SNMP only)"),
        F.Field("snmp_port", F.port, clearable=False),
        F.Field("poll_interval", F.integer(MIN_RADIO_INTERVAL, 86400), clearable=False,
                help="seconds between polls (default 300)"),
        F.Field("enabled", F.boolean, clearable=False),
        F.Field("operator", str, help="whose radio (id or name); default: yours"),
    ]
    columns = ["id", "name", "kind", "host", "up", "signal", "noise", "ccq", "snr", "tx_rate",
               "rx_rate", "cpu", "memory", "uptime", "stations", "model", "firmware", "ssid",
               "mode", "frequency", "last_poll_at", "last_error", "operator_id", "enabled",
               "credentials_set"]
    search = ["name", "host"]
    filters = {"operator": "operator_id", "kind": "kind", "id": "id"}
    money = frozenset()
    list_roles = CUSTOMER_VIEWERS
    edit_roles = STAFF
    default_sort = "name"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, Radio.operator_id))

    def editable(self, call: Call, obj: Radio) -> bool:
        return may_manage(call, obj.operator_id)

    def row(self, obj: Radio) -> dict:
        row = {c: audit.jsonable(getattr(obj, c, None)) for c in self.columns}
        row["credentials_set"] = sorted(k for k, v in secrets.decrypt(obj.credentials).items()
                                        if v) if obj.credentials else []
        return row

    def form(self, call: Call, obj: Radio | None) -> dict:
        if obj is None:
            return {"kind": "airmax", "https": True, "snmp_port": 161, "poll_interval": 300,
                    "enabled": True}
        values = {f.name: getattr(obj, f.name) for f in self.fields if f.name != "operator"}
        values["credentials_set"] = self.row(obj)["credentials_set"]
        return values

    def apply(self, call: Call, obj: Radio, values: dict, creating: bool) -> None:
        own_operator(call, obj, values, creating)
        super().apply(call, obj, values, creating)
        why = host_refusal(obj.host, isp_owned(call.session, obj.operator_id))
        if why:
            raise FuncError(f"may not aim there: {why}", field="host")
        if call.session.scalar(sa.select(Radio.id).where(
                sa.func.lower(Radio.name) == obj.name.lower(), Radio.id.is_distinct_from(obj.id))):
            raise FuncError(f"{obj.name!r} is taken", field="name")
        for key, default in (("https", True), ("snmp_port", 161), ("poll_interval", 300),
                             ("enabled", True)):
            if getattr(obj, key) is None:
                setattr(obj, key, default)
        blob, errors, _changed = secrets.write_only(
            obj.credentials, call.params, list(CREDENTIALS), CREDENTIALS, "a radio",
            check_required=False, max_len=128)
        if errors:
            raise FuncError(errors=errors)
        stored = secrets.decrypt(blob)
        if obj.username and not stored.get("password"):
            raise FuncError("a web login needs its password", field="password")
        if not obj.username and not stored.get("community"):
            raise FuncError("give a web login (username, password) or an SNMP community",
                            field="community")
        obj.credentials = blob

    def extra_params(self) -> tuple[Param, ...]:
        return (Param("password", "the web login's password (write-only; empty keeps it)"),
                Param("community", "the SNMP community (write-only; empty keeps it)"))


ENTITY = Radios().register()


@function("radio.poll", kind="action", roles=STAFF, money=False,
          params=(Param("elid", "radio ids or names, comma-separated", True, multi=True),))
def poll_now(call: Call) -> OkResult:
    """Poll radios now (as the scheduler does) and keep what they answer."""
    from monitoring.noc_jobs import poll_radios
    found = []
    for ref in (call.elid or "").split(","):
        if ref.strip():
            obj = ENTITY.find(call, ref.strip())
            if not ENTITY.editable(call, obj):
                raise AccessDenied("you may not poll this radio", field="elid")
            found.append(obj)
    if not found:
        raise FuncError("name the radios to poll", field="elid")
    if len(found) > 50:
        raise FuncError("at most 50 radios at once", field="elid")
    ok, failed = poll_radios(call.session, found, actor=call.caller.login, func=call.func,
                             user_id=call.caller.user_id, ip=call.caller.ip)
    return OkResult(",".join(str(r.id) for r in found), {"polled": ok, "failed": failed})


SAMPLE_COLUMNS = ["at", "signal", "noise", "ccq", "snr", "tx_rate", "rx_rate", "cpu", "memory",
                  "stations"]


def _visible_radio(call: Call) -> Radio:
    ref = call.get("radio") or call.elid or ""
    if not ref:
        raise FuncError("name the radio", field="radio")
    return ENTITY.find(call, ref, field="radio")


@function("radio_sample", kind="list", roles=CUSTOMER_VIEWERS, money=False,
          params=(Param("radio", "the radio's id or name", True), Param("hours", "1..840"),
                  Param("page"), Param("per_page")))
def samples(call: Call) -> ListResult:
    """A radio's polls over the last hours (default 24), oldest first."""
    radio = _visible_radio(call)
    hours = F.parse_one("hours", F.integer(1, 840), call.get("hours") or "24")
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours)
    stmt = sa.select(*[getattr(RadioSample, c) for c in SAMPLE_COLUMNS]).where(
        RadioSample.radio_id == radio.id, RadioSample.at >= since)
    return paged(call, stmt, SAMPLE_COLUMNS,
                 lambda *r: {c: audit.jsonable(v) for c, v in zip(SAMPLE_COLUMNS, r)},
                 RadioSample.at)


STATION_COLUMNS = ["mac", "name", "ip", "signal", "noise", "ccq", "tx_rate", "rx_rate",
                   "distance", "uptime", "seen_at"]


@function("radio_station", kind="list", roles=CUSTOMER_VIEWERS, money=False,
          params=(Param("radio", "the radio's id or name", True), Param("page"),
                  Param("per_page")))
def stations(call: Call) -> ListResult:
    """The stations associated with a radio at its last poll, weakest signal first."""
    radio = _visible_radio(call)
    stmt = sa.select(*[getattr(RadioStation, c) for c in STATION_COLUMNS]).where(
        RadioStation.radio_id == radio.id)
    return paged(call, stmt, STATION_COLUMNS,
                 lambda *r: {c: audit.jsonable(v) for c, v in zip(STATION_COLUMNS, r)},
                 RadioStation.signal.asc().nulls_last(), RadioStation.mac)
