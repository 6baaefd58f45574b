"""Zabbix over its JSON-RPC API: hosts with their availability, active problems, recent events.

One POST per method to `<frontend>/api_jsonrpc.php` (`{"jsonrpc": "2.0", "method", "params",
"id"}`), authenticated by the API token in `Authorization: Bearer <token>` (Zabbix 6.4 and
later; 7.2 refuses the old `auth` member, so it is never sent). Explicit timeouts, no redirects
followed, answers read to at most ANSWER_CAP bytes, and nothing of a non-JSON answer is echoed
into an error (a URL aimed at some other service learns nothing about it).

`sync` keeps the last state: hosts and problems are replaced by what Zabbix answers now (a
problem resolved in Zabbix is gone after the next sync), events of the last EVENT_HOURS are
added and older ones dropped.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill import settings
from radbill.models import ZabbixEvent, ZabbixHost, ZabbixProblem, ZabbixServer

ANSWER_CAP = 20 * 1024 * 1024
EVENT_HOURS = 24
MAX_HOSTS = 20000
MAX_PROBLEMS = 5000
MAX_EVENTS = 2000
# PostgreSQL and PgBouncer: a Zabbix frontend never listens there, our database may
DATABASE_PORTS = {5432, 6432}


class ZabbixError(Exception):
    """Zabbix could not be asked, or refused: `reason` is safe to show and store."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _database_ports() -> set[int]:
    ports = set(DATABASE_PORTS)
    s = settings.get()
    for url in (s.database_url, s.replica_url):
        try:
            port = urlsplit(url.replace("+psycopg", "")).port if url else None
        except ValueError:
            port = None
        if port:
            ports.add(port)
    return ports


def endpoint(url: str) -> str:
    """The api_jsonrpc.php address of a frontend URL (given with or without it)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/api_jsonrpc.php"):
        path += "/api_jsonrpc.php"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def clean_url(raw: str) -> str:
    """A Zabbix frontend URL as stored: http(s), a host, no user, query or fragment, not a
    database's port. ValueError says why not."""
    raw = raw.strip()
    if len(raw) > 300 or not raw.isascii() or any(c.isspace() or ord(c) < 32 for c in raw):
        raise ValueError("must be an http(s) URL of at most 300 ASCII characters, no spaces")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("must not carry a user name or password (the token is given apart)")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not 1 to 65535") from None
    if port in _database_ports():
        raise ValueError(f"port {port} is a database's, not a Zabbix frontend's")
    from monitoring.functions.checks import host
    host(parts.hostname)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def address_allowed(address: str, allow_private: bool) -> str | None:
    """Why an address may not be asked (None: it may). Link-local (cloud metadata), unspecified
    and multicast never; private and loopback only for the ISP's own servers."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if not ip.is_loopback and (ip.is_link_local or ip.is_unspecified or ip.is_multicast
                               or ip.is_reserved):
        return f"{ip} is a link-local, reserved or multicast address"
    if not allow_private and not ip.is_global:
        return f"{ip} is a private or loopback address: only the ISP's own Zabbix may be there"
    return None


def literal_refusal(url: str, allow_private: bool) -> str | None:
    """The refusal for a URL whose host is an IP address (names are checked when asked)."""
    try:
        address = str(ipaddress.ip_address(urlsplit(url).hostname or ""))
    except ValueError:
        return None
    return address_allowed(address, allow_private)


def guard(url: str, allow_private: bool) -> None:
    """Every address the URL's host resolves to must be allowed, right before we ask."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ZabbixError(f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        why = address_allowed(info[4][0], allow_private)
        if why:
            raise ZabbixError(f"{parts.hostname}: {why}")


@dataclass
class Client:
    url: str
    token: str
    timeout: float = 10.0
    allow_private: bool = False
    _id: int = 0

    def call(self, method: str, params: dict | list) -> object:
        """One JSON-RPC request; the `result`, or ZabbixError with the API's own message."""
        guard(self.url, self.allow_private)
        self._id += 1
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": self._id}
        headers = {"Content-Type": "application/json-rpc"}
        if method != "apiinfo.version":  # must be asked without authentication
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            with requests.post(endpoint(self.url), data=json.dumps(body), headers=headers,
                               timeout=self.timeout, allow_redirects=False, stream=True) as r:
                raw = r.raw.read(ANSWER_CAP + 1, decode_content=True)
                status = r.status_code
        except requests.Timeout:
            raise ZabbixError(f"{method}: no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise ZabbixError(f"{method}: cannot connect ({type(exc).__name__})") from None
        if status != 200:
            raise ZabbixError(f"{method}: HTTP {status} (is this a Zabbix frontend's URL?)")
        if len(raw) > ANSWER_CAP:
            raise ZabbixError(f"{method}: the answer is over {ANSWER_CAP // 1048576} MB")
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ZabbixError(f"{method}: the answer is not JSON-RPC "
                              "(is this a Zabbix frontend's URL?)") from None
        if not isinstance(answer, dict) or answer.get("jsonrpc") != "2.0":
            raise ZabbixError(f"{method}: the answer is not JSON-RPC 2.0")
        if "error" in answer:
            err = answer["error"] if isinstance(answer["error"], dict) else {}
            text = f"{err.get('message', '')} {err.get('data', '')}".strip()[:300]
            raise ZabbixError(f"{method}: Zabbix refused: {text or 'an error'}")
        if answer.get("id") != self._id or "result" not in answer:
            raise ZabbixError(f"{method}: the answer does not match the request")
        return answer["result"]


# -- what we ask ----------------------------------------------------------------------------
def host_params() -> dict:
    return {"output": ["hostid", "host", "name", "status"],
            "selectInterfaces": ["interfaceid", "type", "available", "error"],
            "limit": MAX_HOSTS}


def problem_params() -> dict:
    # recent=false (the default): unresolved problems only
    return {"output": ["eventid", "objectid", "name", "severity", "clock", "acknowledged",
                       "suppressed", "opdata"],
            "source": 0, "object": 0, "recent": False,
            "sortfield": ["eventid"], "sortorder": "DESC", "limit": MAX_PROBLEMS}


def event_params(since: int, eventids: list[str] | None = None) -> dict:
    params = {"output": ["eventid", "clock", "value", "severity", "name"],
              "selectHosts": ["hostid", "name"], "source": 0, "object": 0,
              "sortfield": ["clock", "eventid"], "sortorder": "DESC"}
    if eventids is not None:
        params["eventids"] = eventids
    else:
        params.update(time_from=since, limit=MAX_EVENTS)
    return params


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _clock(value) -> dt.datetime:
    return dt.datetime.fromtimestamp(_int(value), dt.timezone.utc)


def availability(interfaces: list[dict]) -> tuple[int, str | None]:
    """The host's worst interface: 2 unavailable beats 1 available beats 0 unknown."""
    states = [_int(i.get("available")) for i in interfaces or []]
    worst = 2 if 2 in states else 1 if 1 in states else 0
    errors = [i.get("error") for i in interfaces or [] if i.get("error")]
    return worst, (errors[0][:300] if errors else None)


def _names(event: dict) -> str:
    return ", ".join(sorted(str(h.get("name", "")) for h in event.get("hosts") or []))[:500]


@dataclass
class Synced:
    hosts: int
    problems: int
    events: int


def sync(session: Session, server: ZabbixServer, client: Client) -> Synced:
    """Ask Zabbix and keep its answer; on ZabbixError nothing of the old state is touched."""
    now = dt.datetime.now(dt.timezone.utc)
    hosts = client.call("host.get", host_params())
    problems = client.call("problem.get", problem_params())
    if not isinstance(hosts, list) or not isinstance(problems, list):
        raise ZabbixError("host.get/problem.get did not answer a list")
    ids = [str(p.get("eventid")) for p in problems]
    # problem.get names no host: the problems' own events do (selectHosts)
    owners = {str(e.get("eventid")): _names(e)
              for e in client.call("event.get", event_params(0, ids))} if ids else {}
    since = int((now - dt.timedelta(hours=EVENT_HOURS)).timestamp())
    events = client.call("event.get", event_params(since))
    sid = server.id
    session.execute(sa.delete(ZabbixHost).where(ZabbixHost.server_id == sid))
    session.execute(sa.delete(ZabbixProblem).where(ZabbixProblem.server_id == sid))
    host_rows = []
    for h in hosts:
        available, error = availability(h.get("interfaces") or [])
        host_rows.append(dict(server_id=sid, hostid=str(h.get("hostid")),
                              host=str(h.get("host", ""))[:255],
                              name=str(h.get("name") or h.get("host", ""))[:255],
                              status=_int(h.get("status")), available=available, error=error,
                              seen_at=now))
    if host_rows:
        session.execute(insert(ZabbixHost).on_conflict_do_nothing(), host_rows)
    problem_rows = [dict(server_id=sid, eventid=str(p.get("eventid")),
                         objectid=str(p.get("objectid") or "") or None,
                         name=str(p.get("name", ""))[:500],
                         severity=min(max(_int(p.get("severity")), 0), 5),
                         clock=_clock(p.get("clock")),
                         acknowledged=_int(p.get("acknowledged")) == 1,
                         suppressed=_int(p.get("suppressed")) == 1,
                         hosts=owners.get(str(p.get("eventid")), ""),
                         opdata=str(p.get("opdata") or "")[:300] or None, seen_at=now)
                    for p in problems]
    if problem_rows:
        session.execute(insert(ZabbixProblem).on_conflict_do_nothing(), problem_rows)
    event_rows = [dict(server_id=sid, eventid=str(e.get("eventid")), clock=_clock(e.get("clock")),
                       value=_int(e.get("value")), severity=min(max(_int(e.get("severity")), 0), 5),
                       name=str(e.get("name", ""))[:500], hosts=_names(e))
                  for e in events or []]
    if event_rows:
        stmt = insert(ZabbixEvent)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["server_id", "eventid"],
            set_={"value": stmt.excluded.value, "severity": stmt.excluded.severity,
                  "name": stmt.excluded.name, "hosts": stmt.excluded.hosts}), event_rows)
    session.execute(sa.delete(ZabbixEvent).where(
        ZabbixEvent.server_id == sid,
        ZabbixEvent.clock < now - dt.timedelta(hours=EVENT_HOURS)))
    return Synced(len(host_rows), len(problem_rows), len(event_rows))
