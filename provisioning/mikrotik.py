"""MikroTik routers over the RouterOS API (routeros-api): health, PPP sessions, profiles, pools."""
from __future__ import annotations

import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import routeros_api
from routeros_api import exceptions as rex

from provisioning.errors import (DeviceError, DeviceTimeout, DeviceUnreachable, LoginRejected,
                                 ProvisioningError)

DEFAULT_PORT = 8728


@dataclass(frozen=True)
class Router:
    host: str
    user: str
    password: str = field(repr=False)  # never in a logged repr
    port: int = DEFAULT_PORT
    timeout: float = 5.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Resources:
    version: str
    uptime: str
    uptime_seconds: int
    cpu_load: int
    free_memory: int
    total_memory: int
    board: str

    @property
    def memory_used_percent(self) -> int:
        return round(100 * (self.total_memory - self.free_memory) / self.total_memory) \
            if self.total_memory else 0


@dataclass
class PppSession:
    id: str
    name: str
    service: str
    caller_id: str
    address: str
    uptime: str
    session_id: str


@dataclass
class Profile:
    name: str
    rate_limit: str = ""
    local_address: str = ""
    remote_address: str = ""


@dataclass
class Secret:
    name: str
    password: str
    profile: str
    service: str
    remote_address: str
    caller_id: str
    disabled: bool
    comment: str


@dataclass
class Pool:
    name: str
    ranges: str


@dataclass
class Pool6:
    """/ipv6 pool: the router carves `prefix` into prefixes of `prefix_length` (one a session)."""
    name: str
    prefix: str
    prefix_length: str


@contextmanager
def connect(router: Router) -> Iterator[routeros_api.api.RouterOsApi]:
    """A logged-in API connection; every failure becomes a ProvisioningError saying why."""
    pool = routeros_api.RouterOsApiPool(router.host, username=router.user,
                                        password=router.password, port=router.port,
                                        plaintext_login=True)
    # Post-6.43 routers accept the password in clear; older ones answer with a challenge,
    # which the client then answers, so plaintext_login serves both.
    pool.socket_timeout = router.timeout
    try:
        try:
            api = pool.get_api()
        except rex.RouterOsApiCommunicationError as exc:
            raise LoginRejected(router.where, router.user, _message(exc)) from None
        yield api
    except rex.RouterOsApiCommunicationError as exc:
        raise DeviceError(router.where, "api", _message(exc)) from None
    except (rex.RouterOsApiConnectionError, rex.RouterOsApiFatalCommunicationError,
            rex.RouterOsApiParsingError, rex.FatalRouterOsApiError, OSError) as exc:
        raise _network_error(router, exc) from None
    finally:
        try:
            pool.disconnect()
        except OSError:
            pass


def _message(exc: rex.RouterOsApiCommunicationError) -> str:
    raw = exc.original_message
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def _network_error(router: Router, exc: Exception) -> ProvisioningError:
    text = str(exc.args[0] if exc.args else exc)
    if isinstance(exc, socket.timeout) or "timed out" in text:
        return DeviceTimeout(router.where, router.timeout, "API reply")
    if isinstance(exc, (rex.RouterOsApiParsingError, rex.FatalRouterOsApiError)):
        return DeviceError(router.where, "api", f"protocol error: {text}")
    return DeviceUnreachable(router.where, text or type(exc).__name__)


def _rows(api, path: str, **query: str) -> list[dict[str, str]]:
    return list(api.get_resource(path).get(**query))


_UPTIME = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UPTIME_OLD = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(\d+):(\d+):(\d+)$")


def uptime_seconds(text: str) -> int:
    """RouterOS uptimes: '1w2d3h4m5s' (v7, newer v6) or '1w2d03:04:05' (older v6)."""
    m = _UPTIME_OLD.match(text) or _UPTIME.match(text)
    if not m or not text:
        return 0
    w, d, h, mi, s = (int(x or 0) for x in m.groups())
    return (((w * 7 + d) * 24 + h) * 60 + mi) * 60 + s


def resources(router: Router) -> Resources:
    """CPU, memory, uptime and version; also the API login test."""
    with connect(router) as api:
        [r] = _rows(api, "/system/resource")[:1] or [{}]
    return Resources(version=r.get("version", ""), uptime=r.get("uptime", ""),
                     uptime_seconds=uptime_seconds(r.get("uptime", "")),
                     cpu_load=int(r.get("cpu-load", 0) or 0),
                     free_memory=int(r.get("free-memory", 0) or 0),
                     total_memory=int(r.get("total-memory", 0) or 0),
                     board=r.get("board-name", ""))


def active_sessions(router: Router) -> list[PppSession]:
    with connect(router) as api:
        rows = _rows(api, "/ppp/active")
    return [PppSession(r.get("id", ""), r.get("name", ""), r.get("service", ""),
                       r.get("caller-id", ""), r.get("address", ""), r.get("uptime", ""),
                       r.get("session-id", "")) for r in rows]


def kick(router: Router, username: str) -> int:
    """Remove the user's active PPP sessions; how many were removed (0: not online)."""
    with connect(router) as api:
        res = api.get_resource("/ppp/active")
        found = list(res.get(name=username))
        for row in found:
            res.remove(id=row["id"])
    return len(found)


def profiles(router: Router) -> list[Profile]:
    with connect(router) as api:
        rows = _rows(api, "/ppp/profile")
    return [Profile(r.get("name", ""), r.get("rate-limit", ""), r.get("local-address", ""),
                    r.get("remote-address", "")) for r in rows]


def inventory(router: Router) -> tuple[list[Secret], list[Profile], list[Pool]]:
    """PPP secrets, PPP profiles and IP pools, read in one session (for the import)."""
    with connect(router) as api:
        secrets = _rows(api, "/ppp/secret")
        profs = _rows(api, "/ppp/profile")
        pools = _rows(api, "/ip/pool")
    return ([Secret(r.get("name", ""), r.get("password", ""), r.get("profile", "default"),
                    r.get("service", "any"), r.get("remote-address", ""), r.get("caller-id", ""),
                    r.get("disabled", "false") in ("true", "yes"), r.get("comment", ""))
             for r in secrets],
            [Profile(r.get("name", ""), r.get("rate-limit", ""), r.get("local-address", ""),
                     r.get("remote-address", "")) for r in profs],
            [Pool(r.get("name", ""), r.get("ranges", "")) for r in pools])


def push(router: Router, pools: list[Pool], profs: list[Profile],
         pools6: list[Pool6] = ()) -> list[tuple[str, str, str]]:
    """Create or update pools (IPv4, IPv6), then profiles (which name the pools); (kind, name,
    action) each."""
    done = []
    with connect(router) as api:
        for kind, path, items in (("pool", "/ip/pool", pools), ("pool6", "/ipv6/pool", pools6),
                                  ("profile", "/ppp/profile", profs)):
            res = api.get_resource(path)
            for item in items:
                want = _wire(item)
                have = list(res.get(name=item.name))
                if not have:
                    res.add(**want)
                    done.append((kind, item.name, "added"))
                elif any(have[0].get(k.replace("_", "-"), "") != v for k, v in want.items()):
                    res.set(id=have[0]["id"], **{k: v for k, v in want.items() if k != "name"})
                    done.append((kind, item.name, "updated"))
                else:
                    done.append((kind, item.name, "unchanged"))
    return done


def _wire(item: Pool | Pool6 | Profile) -> dict[str, str]:
    values = dict(vars(item))
    return {k: v for k, v in values.items() if v not in ("", None)}


# -- the hotspot walled garden ------------------------------------------------------------------
WALLED_GARDEN = "/ip/hotspot/walled-garden"
OURS = "radbill"  # the comment marking the entries radbill manages; others are the operator's
DONE = {"add": "added", "remove": "removed", "update": "updated", "unchanged": "unchanged"}


def sync_walled_garden(router: Router, hosts: list[str], apply: bool) -> list[tuple[str, str]]:
    """(host, action) for each wanted host and each of ours on the router: add, remove (ours,
    no longer wanted), update (ours, but made deny or disabled) or unchanged. Only entries whose
    comment is ours are ever changed; with `apply` False nothing is sent but the read."""
    wanted = list(dict.fromkeys(h.lower() for h in hosts))
    plan: list[tuple[str, str, dict]] = []
    with connect(router) as api:
        res = api.get_resource(WALLED_GARDEN)
        have: dict[str, dict] = {}
        for row in res.get(comment=OURS):
            key = row.get("dst-host", "").lower()
            if key in have or key not in wanted:
                plan.append((key, "remove", row))  # stale, or a second one of ours for a host
            else:
                have[key] = row
        for h in wanted:
            row = have.get(h)
            if row is None:
                plan.append((h, "add", {}))
            elif row.get("action", "allow") != "allow" or row.get("disabled") in ("true", "yes"):
                plan.append((h, "update", row))
            else:
                plan.append((h, "unchanged", row))
        if apply:
            for h, action, row in plan:
                if action == "add":
                    res.add(dst_host=h, action="allow", comment=OURS)
                elif action == "update":
                    res.set(id=row["id"], action="allow", disabled="no")
                elif action == "remove":
                    res.remove(id=row["id"])
    plan.sort(key=lambda p: p[0])
    return [(h, DONE[a] if apply else a) for h, a, _ in plan]


# -- read-only consoles: the log and whitelisted print menus (provisioning/router_console.py) ---
def _print(api, menu: str, props: tuple[str, ...],
           queries: dict[str, str] | None = None) -> list[dict[str, str]]:
    """`<menu>/print =.proplist=...` with `?name=value` queries: a read and nothing else."""
    res = api.get_resource(menu)
    rows = res.call("print", {"proplist": ",".join(props)}, dict(queries or {}))
    # routeros-api names `.id` `id`; give it back its RouterOS name
    return [{(".id" if k == "id" else k): v for k, v in row.items()} for row in rows]


def read_log(router: Router, columns: tuple[str, ...],
             clock_columns: tuple[str, ...]) -> tuple[list[dict[str, str]], dict[str, str] | None]:
    """The router's log (oldest first, as it keeps it) and its clock, in one session. A clock
    the API user may not read is None (the caller assumes the ISP's zone)."""
    with connect(router) as api:
        rows = _print(api, "/log", columns)
        try:
            clock = (_print(api, "/system/clock", clock_columns) or [None])[0]
        except rex.RouterOsApiCommunicationError:  # a !trap: no right to read it
            clock = None
    return rows, clock


def print_menu(router: Router, menu: str, columns: tuple[str, ...],
               queries: dict[str, str]) -> list[dict[str, str]]:
    """One whitelisted menu's rows (`menu` and `columns` come from the whitelist)."""
    with connect(router) as api:
        return _print(api, menu, columns, queries)
