"""check, check.edit, check.delete, check.run: status checks (monitoring/checks.py runs them).

A check belongs to an operator and is seen and changed only inside that operator's subtree.
Targets: http(s) URLs (http), host (ping), host:port (tcp), a DNS name at an optional server
(dns), host[:port] (tls, snmp). Only the ISP's own checks (the group's) may aim at private,
loopback or link-local addresses (its routers, its DNS); a reseller's may not, so a reseller's
login cannot scan the ISP's private network: literal addresses are refused on save, names on
every run (monitoring/probes.guard). Only the ISP's staff put a check on the public page.

An snmp check's community is write-only (`community=`: an empty value keeps the stored one,
`forget=community` drops it; an snmp check needs one), kept encrypted in checks.credentials
(provisioning/device_secrets.py) and decrypted only when the probe runs (monitoring/checks.py);
the list and the form say whether it is set (`credentials_set`), audit rows mask it.
"""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import sqlalchemy as sa

from monitoring import probes
from provisioning import device_secrets
from radbill.functions import fields as F
from radbill.functions.audit import jsonable
from radbill.functions.crud import Entity, in_subtree, may_manage, own_operator
from radbill.functions.registry import AccessDenied, Call, FuncError, ListResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import Check, CheckHourly, Operator
from radbill.models.monitoring import CHECK_KINDS, RECORD_TYPES

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
HOSTNAME = re.compile(rf"(?=.{{1,253}}\.?$){_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)
STAFF = RESELLERS + DEVICE_STAFF
CREDENTIALS = {"community": 64}  # write-only (device_secrets.edit): name -> longest accepted
COMMUNITY = F.text(64, r"[!-~]{1,64}", "printable ASCII without spaces")


def host(raw: str) -> str:
    """A host name or an IP address (no port)."""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        pass
    if not HOSTNAME.fullmatch(raw):
        raise ValueError(f"{F.short(raw)!r} is not a host name or IP address")
    return raw.lower()


def host_port(raw: str, need_port: bool) -> str:
    """host, host:port or [IPv6]:port."""
    try:
        name, port = probes.split_host_port(raw, None)
    except ValueError:
        raise ValueError(f"{F.short(raw)!r} has a port that is not a number") from None
    name = host(name)
    if port is None:
        if need_port:
            raise ValueError("needs a port: host:port")
        return name
    if not 1 <= port <= 65535:
        raise ValueError("the port must be between 1 and 65535")
    return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"


def url(raw: str) -> str:
    if len(raw) > 500 or not raw.isascii() or any(c.isspace() for c in raw):
        raise ValueError("must be an http(s) URL of at most 500 ASCII characters, no spaces")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not 1 to 65535") from None
    host(parts.hostname)
    del port
    return raw


TARGETS = {"http": url, "ping": host, "tcp": lambda r: host_port(r, True),
           "dns": lambda r: host(r.rstrip(".")), "tls": lambda r: host_port(r, False),
           "snmp": lambda r: host_port(r, False)}


def interval(raw: str) -> int:
    value = F.integer(10, 86400)(raw)
    if value % 10:
        raise ValueError("must be a multiple of 10 seconds")
    return value


def literal_address(kind: str, target: str) -> str | None:
    """The target's host when it is an IP address (names are checked when resolved)."""
    name = urlsplit(target).hostname if kind == "http" else \
        probes.split_host_port(target, None)[0]
    try:
        return str(ipaddress.ip_address(name or ""))
    except ValueError:
        return None


def isp_owned(session, operator_id: int) -> bool:
    """Whether the operator is the ISP the install runs for (the first group at the root), whose
    network the probes run from; a reseller's, and a tenant's (another group, hosted here:
    the platform's private network is not theirs), may not aim at private or loopback
    addresses."""
    from radbill.functions.crud import first_root
    first = first_root(session)
    return first is not None and operator_id == first.id


def isp_staff(call: Call) -> bool:
    """The system administrator or a login of the group (the ISP itself), not a reseller's."""
    return call.caller.is_sysadmin or (call.caller.operator_id is not None
                                       and isp_owned(call.session, call.caller.operator_id))


def uptime(session, ids: list[int], since) -> dict[int, float]:
    rows = session.execute(
        sa.select(CheckHourly.check_id, sa.func.sum(CheckHourly.ups), sa.func.sum(CheckHourly.runs))
        .where(CheckHourly.check_id.in_(ids), CheckHourly.hour >= since)
        .group_by(CheckHourly.check_id))
    return {cid: round(100.0 * ups / runs, 2) for cid, ups, runs in rows if runs}


class Checks(Entity):
    name = "check"
    model = Check
    fields = [
        F.Field("name", F.text(120), required=True),
        F.Field("kind", F.choice(*CHECK_KINDS), required=True, clearable=False),
        F.Field("target", F.text(500), required=True,
                help="http(s) URL; ping: host; tcp: host:port; dns: the name to resolve; "
                     "tls, snmp: host[:port]"),
        F.Field("interval", interval, clearable=False,
                help="seconds between runs: 10 to 86400, a multiple of 10 (default 60)"),
        F.Field("failures", F.integer(1, 100), clearable=False,
                help="failed runs in a row that open an incident (default 3)"),
        F.Field("timeout", F.integer(1, 8), clearable=False, help="seconds (default 5)"),
        F.Field("expect_status", F.integer(100, 599), help="http: the status expected "
                "(empty: any below 400)"),
        F.Field("expect_body", F.text(200), help="http: text the answer must contain"),
        F.Field("dns_server", lambda r: host_port(r, False),
                help="dns: the server to ask, host[:port] (empty: the system's resolver)"),
        F.Field("record_type", F.choice(*RECORD_TYPES), help="dns: A by default"),
        F.Field("expect_answer", F.text(255), help="dns: an answer that must be among those given"),
        F.Field("warn_days", F.integer(0, 365), help="tls: fail when the certificate has fewer "
                "days left (default 14)"),
        F.Field("component", F.text(60), help="the group it is shown under on the status page"),
        F.Field("public", F.boolean, clearable=False, help="shown on the public status page"),
        F.Field("enabled", F.boolean, clearable=False),
        F.Field("operator", str, help="whose check (id or name); default: yours"),
    ]
    columns = ["id", "name", "kind", "target", "state", "last_ms", "uptime_24h", "last_at",
               "last_error", "component", "public", "enabled", "interval", "operator_id",
               "credentials_set"]
    search = ["name", "target"]
    filters = {"state": "state", "kind": "kind", "operator": "operator_id",
               "component": "component"}
    money = frozenset()
    list_roles = CUSTOMER_VIEWERS
    edit_roles = STAFF
    default_sort = "name"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, Check.operator_id))

    def editable(self, call: Call, obj: Check) -> bool:
        return may_manage(call, obj.operator_id)

    def row(self, obj: Check) -> dict:
        row = {c: jsonable(getattr(obj, c, None)) for c in self.columns}  # uptime_24h: list()
        row["credentials_set"] = device_secrets.names_set(obj.credentials)  # never the value
        return row

    def list(self, call: Call) -> ListResult:
        result = super().list(call)
        ids = [r["id"] for r in result.rows]
        if ids:
            since = call.session.scalar(sa.select(sa.func.now() - sa.text("interval '24 hours'")))
            up = uptime(call.session, ids, since)
            for r in result.rows:
                r["uptime_24h"] = up.get(r["id"])
        return result

    def form(self, call: Call, obj: Check | None) -> dict:
        if obj is None:
            return {"kind": "http", "interval": 60, "failures": 3, "timeout": 5,
                    "public": False, "enabled": True}
        return {**{f.name: getattr(obj, f.name) for f in self.fields if f.name != "operator"},
                "credentials_set": device_secrets.names_set(obj.credentials)}

    def extra_params(self) -> tuple[Param, ...]:
        return (Param("community", "the SNMP community (write-only; empty keeps it)"),
                Param("forget", "credentials to drop: community"))

    def apply(self, call: Call, obj: Check, values: dict, creating: bool) -> None:
        own_operator(call, obj, values, creating)
        if values.get("public") and not isp_staff(call):
            raise AccessDenied("only the ISP's staff put checks on the public status page",
                               field="public")
        for key in ("name", "target"):
            if key in values and not (values[key] or "").strip():
                raise FuncError("must not be empty", field=key)
        super().apply(call, obj, values, creating)
        self.check_target(call, obj)
        self.set_community(call, obj)
        if obj.component is None:
            obj.component = ""
        if obj.interval is None:
            obj.interval = 60
        if obj.failures is None:
            obj.failures = 3
        if obj.timeout is None:
            obj.timeout = 5

    def set_community(self, call: Call, obj: Check) -> None:
        """The write-only community (device_secrets.edit: empty keeps, forget= drops); an snmp
        check needs one."""
        given = (call.get("community") or "").strip()
        try:
            given and COMMUNITY(given)
        except ValueError as exc:
            raise FuncError(str(exc), field="community") from None
        obj.credentials = device_secrets.edit(call, obj.credentials, CREDENTIALS, "a check")
        if obj.kind == "snmp" and "community" not in device_secrets.names_set(obj.credentials):
            raise FuncError("an snmp check needs the agent's community", field="community")

    def check_target(self, call: Call, obj: Check) -> None:
        try:
            obj.target = TARGETS[obj.kind](obj.target)
        except ValueError as exc:
            raise FuncError(f"is not a {obj.kind} target: {exc}", field="target") from None
        address = literal_address(obj.kind, obj.target)
        if address and not probes.public(address) and obj.device_kind is None \
                and not isp_owned(call.session, obj.operator_id):
            raise FuncError("a reseller's check may not aim at a private, loopback or "
                            "link-local address", field="target")


ENTITY = Checks().register()


@function("check.run", kind="action", roles=STAFF, money=False,
          params=(Param("elid", "check ids, comma-separated", True, multi=True),))
def run_now(call: Call):
    """Run checks now (as the scheduler would) and record their results."""
    from monitoring import checks
    from radbill.functions import audit
    from radbill.functions.registry import OkResult
    ids = []
    for ref in (call.elid or "").split(","):
        if ref.strip():
            obj = ENTITY.find(call, ref.strip())
            if not ENTITY.editable(call, obj):
                raise AccessDenied("you may not run this check", field="elid")
            ids.append(obj.id)
    if not ids:
        raise FuncError("name the checks to run", field="elid")
    if len(ids) > 50:
        raise FuncError("at most 50 checks at once", field="elid")
    done = checks.run_due(call.session, ids=ids)
    for cid in ids:
        obj = call.session.get(Check, cid)
        audit.record(call, "check", cid, obj.name, None,
                     {"ran": True, "state": obj.state, "error": obj.last_error}, obj.operator_id)
    return OkResult(",".join(map(str, ids)), {"ran": done.ran, "failed": done.failed})


@function("check.adopt_devices", kind="action", roles=STAFF, money=False, params=())
def adopt_devices(call: Call):
    """Give each of your routers, OLTs and radios that has no status check the 60-second ping
    check a new device gets (for devices added before checks existed); run again, it adds
    nothing."""
    from monitoring import devices
    from radbill.functions.registry import OkResult
    made, skipped = devices.adopt(call, include_shared=isp_staff(call))
    return OkResult(",".join(map(str, made)) or None,
                    {"created": len(made), "checks": made, "skipped": skipped})
