"""zabbix, zabbix.edit, zabbix.delete, zabbix.sync: an operator's Zabbix servers;
zabbix_problem, zabbix_host: what their last sync saw (monitoring/zabbix.py asks).

A server belongs to an operator and is seen, changed and its problems read only inside that
operator's subtree. The API token is write-only: encrypted (rating/gateways/secrets.py), never
shown back (the list says whether one is set), an empty value keeps it. The URL is the
frontend's (`https://zabbix.example.net/zabbix`); it may not carry a user, a query or a
database's port, never aims at link-local or multicast addresses, and a reseller's may not aim
at private or loopback ones (literal addresses refused on save, names on every request).
"""
from __future__ import annotations

import sqlalchemy as sa

from monitoring import zabbix
from monitoring.functions.checks import isp_owned
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, may_manage, own_operator, paged
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, OkResult,
                                        Param, function)
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import ZabbixHost, ZabbixProblem, ZabbixServer
from radbill.models.noc import SEVERITIES
from rating.gateways import secrets

STAFF = RESELLERS + DEVICE_STAFF
TOKEN_MAX = 500


def url(raw: str) -> str:
    return zabbix.clean_url(raw)


class Servers(Entity):
    name = "zabbix"
    model = ZabbixServer
    fields = [
        F.Field("name", F.name_text, required=True),
        F.Field("url", url, required=True,
                help="the Zabbix frontend's address, e.g. https://zabbix.example.net/zabbix"),
        F.Field("timeout", F.integer(1, 30), clearable=False, help="seconds (default 10)"),
        F.Field("enabled", F.boolean, clearable=False),
        F.Field("operator", str, help="whose server (id or name); default: yours"),
    ]
    columns = ["id", "name", "url", "operator_id", "enabled", "token_set", "version",
               "last_sync_at", "last_ok_at", "last_error", "timeout"]
    search = ["name", "url"]
    filters = {"operator": "operator_id", "enabled": "enabled"}
    money = frozenset()
    list_roles = CUSTOMER_VIEWERS
    edit_roles = STAFF

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, ZabbixServer.operator_id))

    def editable(self, call: Call, obj: ZabbixServer) -> bool:
        return may_manage(call, obj.operator_id)

    def filter(self, stmt, param, column, value):
        if param == "enabled":
            return stmt.where(ZabbixServer.enabled.is_(F.parse_one(param, F.boolean, value)))
        return super().filter(stmt, param, column, value)

    def row(self, obj: ZabbixServer) -> dict:
        row = {c: audit.jsonable(getattr(obj, c, None)) for c in self.columns}
        row["token_set"] = bool(obj.credentials)
        return row

    def form(self, call: Call, obj: ZabbixServer | None) -> dict:
        if obj is None:
            return {"timeout": 10, "enabled": True}
        return {k: v for k, v in self.row(obj).items() if k in
                ("name", "url", "timeout", "enabled", "token_set")}

    def apply(self, call: Call, obj: ZabbixServer, values: dict, creating: bool) -> None:
        own_operator(call, obj, values, creating)
        super().apply(call, obj, values, creating)
        why = zabbix.literal_refusal(obj.url, isp_owned(call.session, obj.operator_id))
        if why:
            raise FuncError(f"may not aim there: {why}", field="url")
        if call.session.scalar(sa.select(ZabbixServer.id).where(
                ZabbixServer.operator_id == obj.operator_id,
                sa.func.lower(ZabbixServer.name) == obj.name.lower(),
                ZabbixServer.id.is_distinct_from(obj.id))):
            raise FuncError(f"{obj.name!r} is taken", field="name")
        if obj.timeout is None:
            obj.timeout = 10
        if obj.enabled is None:
            obj.enabled = True
        blob, errors, _changed = secrets.write_only(
            obj.credentials, call.params, ["api_token"], ("api_token",), "a Zabbix server",
            check_required=bool(obj.enabled), max_len=TOKEN_MAX)
        if errors:
            raise FuncError(errors=errors)
        obj.credentials = blob

    def extra_params(self) -> tuple[Param, ...]:
        return (Param("api_token", "the Zabbix API token (write-only; empty keeps it)"),)


ENTITY = Servers().register()


@function("zabbix.sync", kind="action", roles=STAFF, money=False,
          params=(Param("elid", "the server's id or name", True),))
def sync_now(call: Call) -> OkResult:
    """Ask the Zabbix server now (as the 5-minute job does) and keep what it answers."""
    from monitoring.noc_jobs import sync_server
    server = ENTITY.find(call, call.elid or "")
    if not ENTITY.editable(call, server):
        raise AccessDenied("you may not sync this server", field="elid")
    outcome = sync_server(call.session, server, actor=call.caller.login, func=call.func,
                          user_id=call.caller.user_id, ip=call.caller.ip)
    if not outcome["ok"]:
        raise FuncError(f"Zabbix did not answer well: {outcome['error']}", field="elid",
                        status=502, keep=True)
    return OkResult(server.id, {k: v for k, v in outcome.items() if k != "ok"})


PROBLEM_COLUMNS = ["server_id", "server", "eventid", "severity", "severity_name", "name",
                   "hosts", "clock", "acknowledged", "suppressed", "opdata"]


@function("zabbix_problem", kind="list", roles=CUSTOMER_VIEWERS, money=False,
          params=(Param("q", "search: the problem's or a host's name"), Param("page"),
                  Param("per_page"), Param("server", "a server's id"),
                  Param("min_severity", "0 not classified .. 5 disaster")))
def problems(call: Call) -> ListResult:
    """Zabbix problems open at the last sync, worst and oldest first."""
    stmt = (sa.select(ZabbixProblem, ZabbixServer.name)
            .join(ZabbixServer, ZabbixServer.id == ZabbixProblem.server_id)
            .where(in_subtree(call, ZabbixServer.operator_id)))
    if call.get("server"):
        sid = F.parse_one("server", F.integer(1), call.get("server"))
        stmt = stmt.where(ZabbixProblem.server_id == sid)
    if call.get("min_severity"):
        low = F.parse_one("min_severity", F.integer(0, 5), call.get("min_severity"))
        stmt = stmt.where(ZabbixProblem.severity >= low)
    q = (call.get("q") or "").strip()
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.or_(sa.func.lower(ZabbixProblem.name).like(like),
                                 sa.func.lower(ZabbixProblem.hosts).like(like)))

    def row(p: ZabbixProblem, server: str) -> dict:
        return {"server_id": p.server_id, "server": server, "eventid": p.eventid,
                "severity": p.severity, "severity_name": SEVERITIES[p.severity], "name": p.name,
                "hosts": p.hosts, "clock": audit.jsonable(p.clock),
                "acknowledged": p.acknowledged, "suppressed": p.suppressed, "opdata": p.opdata}
    return paged(call, stmt, PROBLEM_COLUMNS, row, ZabbixProblem.severity.desc(),
                 ZabbixProblem.clock, ZabbixProblem.eventid)


@function("noc.problem_severity", kind="list", roles=CUSTOMER_VIEWERS, money=False)
def problem_severity(call: Call) -> ListResult:
    """How many Zabbix problems are open at each severity (the caller's subtree), worst first:
    every problem counted, not the first page of the list."""
    stmt = (sa.select(ZabbixProblem.severity, sa.func.count())
            .join(ZabbixServer, ZabbixServer.id == ZabbixProblem.server_id)
            .where(in_subtree(call, ZabbixServer.operator_id))
            .group_by(ZabbixProblem.severity).order_by(ZabbixProblem.severity.desc()))
    rows = [{"severity": sev, "severity_name": SEVERITIES[sev], "problems": n}
            for sev, n in call.session.execute(stmt)]
    return ListResult(rows, len(rows), 1, max(len(rows), 1),
                      ["severity", "severity_name", "problems"])


HOST_COLUMNS = ["server_id", "server", "hostid", "name", "host", "available", "status", "error",
                "seen_at"]
AVAILABLE = {0: "unknown", 1: "available", 2: "unavailable"}


@function("zabbix_host", kind="list", roles=CUSTOMER_VIEWERS, money=False,
          params=(Param("q", "search: the host's name"), Param("page"), Param("per_page"),
                  Param("server", "a server's id"),
                  Param("available", "available, unavailable or unknown")))
def hosts(call: Call) -> ListResult:
    """Zabbix hosts at the last sync, unavailable ones first."""
    stmt = (sa.select(ZabbixHost, ZabbixServer.name)
            .join(ZabbixServer, ZabbixServer.id == ZabbixHost.server_id)
            .where(in_subtree(call, ZabbixServer.operator_id)))
    if call.get("server"):
        stmt = stmt.where(ZabbixHost.server_id == F.parse_one("server", F.integer(1),
                                                               call.get("server")))
    if call.get("available"):
        want = F.parse_one("available", F.choice(*AVAILABLE.values()), call.get("available"))
        stmt = stmt.where(ZabbixHost.available == {v: k for k, v in AVAILABLE.items()}[want])
    q = (call.get("q") or "").strip()
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.func.lower(ZabbixHost.name).like(like))

    def row(h: ZabbixHost, server: str) -> dict:
        return {"server_id": h.server_id, "server": server, "hostid": h.hostid, "name": h.name,
                "host": h.host, "available": AVAILABLE.get(h.available, "unknown"),
                "status": "monitored" if h.status == 0 else "not monitored", "error": h.error,
                "seen_at": audit.jsonable(h.seen_at)}
    return paged(call, stmt, HOST_COLUMNS, row, ZabbixHost.available.desc(), ZabbixHost.name,
                 ZabbixHost.hostid)
