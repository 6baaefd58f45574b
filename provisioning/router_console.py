"""Read-only RouterOS: the `print` menus staff may read, their columns, filters, and log times.

Pure logic, no network and no database: provisioning/mikrotik.py does the reading and
provisioning/functions/router_console.py the rights and the audit.

The whitelist names each menu's columns. They are sent as `=.proplist=`, so a column that is
not listed (a PPP secret's `password`, the RADIUS client's `secret`) never leaves the router;
`strip_secrets` drops any secret-looking property that comes back all the same. The command
word is always `<a whitelisted menu>/print`, built from this table, never from input.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

LOG_MENU = "/log"
LOG_COLUMNS = (".id", "time", "topics", "message")
CLOCK_COLUMNS = ("time", "date", "gmt-offset", "time-zone-name")

# menu -> the columns staff may read (RouterOS property names, as /<menu> print shows them)
MENUS: dict[str, tuple[str, ...]] = {
    "/interface": ("name", "type", "mtu", "actual-mtu", "mac-address", "running", "disabled",
                   "last-link-up-time", "link-downs", "rx-byte", "tx-byte", "rx-error",
                   "tx-error", "comment"),
    "/interface/ethernet": ("name", "default-name", "mac-address", "speed", "auto-negotiation",
                            "running", "disabled", "comment"),
    "/interface/vlan": ("name", "vlan-id", "interface", "mtu", "running", "disabled", "comment"),
    "/interface/pppoe-server": ("name", "user", "service", "remote-address", "uptime",
                                "encoding", "mtu", "mru", "running"),
    "/interface/pppoe-server/server": ("service-name", "interface", "max-mtu", "max-mru",
                                       "authentication", "default-profile",
                                       "one-session-per-host", "keepalive-timeout", "disabled"),
    "/ip/address": ("address", "network", "interface", "actual-interface", "dynamic", "invalid",
                    "disabled", "comment"),
    "/ip/route": ("dst-address", "gateway", "immediate-gw", "distance", "scope", "target-scope",
                  "routing-table", "routing-mark", "pref-src", "active", "dynamic", "static",
                  "connect", "disabled", "comment"),
    "/ip/pool": ("name", "ranges", "next-pool", "comment"),
    "/ip/pool/used": ("pool", "address", "owner", "info"),
    "/ip/dhcp-server": ("name", "interface", "address-pool", "lease-time", "authoritative",
                        "disabled"),
    "/ip/dhcp-server/lease": ("address", "mac-address", "client-id", "host-name", "server",
                              "status", "expires-after", "last-seen", "active-address",
                              "dynamic", "disabled", "comment"),
    "/ip/arp": ("address", "mac-address", "interface", "dynamic", "complete", "invalid",
                "published", "disabled", "comment"),
    "/ip/neighbor": ("interface", "address", "mac-address", "identity", "platform", "version",
                     "board", "uptime"),
    "/ip/firewall/address-list": ("list", "address", "timeout", "creation-time", "dynamic",
                                  "disabled", "comment"),
    "/ip/hotspot/active": ("user", "address", "mac-address", "server", "uptime", "idle-time",
                           "session-time-left", "bytes-in", "bytes-out", "login-by"),
    "/ppp/active": ("name", "service", "caller-id", "address", "uptime", "encoding",
                    "session-id", "radius", "comment"),
    # never `password`: the proplist leaves it on the router
    "/ppp/secret": ("name", "service", "profile", "local-address", "remote-address",
                    "caller-id", "last-logged-out", "last-caller-id", "last-disconnect-reason",
                    "disabled", "comment"),
    "/ppp/profile": ("name", "local-address", "remote-address", "rate-limit", "only-one",
                     "dns-server", "parent-queue", "address-list", "comment"),
    "/queue/simple": ("name", "target", "parent", "max-limit", "limit-at", "burst-limit",
                      "burst-threshold", "burst-time", "priority", "queue", "rate", "bytes",
                      "dynamic", "disabled", "comment"),
    "/queue/tree": ("name", "parent", "packet-mark", "limit-at", "max-limit", "priority", "rate",
                    "bytes", "disabled", "comment"),
    # never `secret`
    "/radius": ("service", "address", "authentication-port", "accounting-port", "timeout",
                "src-address", "disabled", "comment"),
    "/system/resource": ("uptime", "version", "build-time", "free-memory", "total-memory",
                         "cpu", "cpu-count", "cpu-frequency", "cpu-load", "free-hdd-space",
                         "total-hdd-space", "architecture-name", "board-name", "platform"),
    "/system/routerboard": ("routerboard", "model", "serial-number", "firmware-type",
                            "factory-firmware", "current-firmware", "upgrade-firmware"),
    "/system/identity": ("name",),
    "/system/clock": ("time", "date", "time-zone-name", "gmt-offset", "dst-active"),
    "/system/package": ("name", "version", "build-time", "disabled", "scheduled"),
}
# a property that names or holds a secret: never requested, dropped if a router sends it
SECRET = re.compile(r"password|passwd|secret|key|psk|passphrase|community|token|private|"
                    r"credential|auth-?data", re.I)
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}", re.ASCII)
VALUE = re.compile(r"[A-Za-z0-9 _.:/@*+-]{1,64}", re.ASCII)
MAX_WHERE = 4
TOPIC = re.compile(r"[a-z0-9][a-z0-9-]{0,31}", re.ASCII)
MAX_TOPICS = 4
MAX_SEARCH = 100


def strip_secrets(row: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in row.items() if not SECRET.search(k)}


def menu(raw: str) -> str:
    """A whitelisted menu, written as the list writes it (`/ip/address`), or ValueError."""
    if raw not in MENUS:
        raise ValueError("is not one of the read-only menus: " + ", ".join(MENUS))
    return raw


def columns(menu_: str, raw: str) -> tuple[str, ...]:
    """The menu's columns, or the listed (comma-separated) ones of them."""
    allowed = MENUS[menu_]
    wanted = [c.strip() for c in raw.split(",") if c.strip()] if raw else []
    bad = [c for c in wanted if c not in allowed]
    if bad:
        raise ValueError(f"{bad[0][:40]!r} is not a column of {menu_} staff may read "
                         f"({', '.join(allowed)})")
    return tuple(dict.fromkeys(wanted)) or allowed


def where(menu_: str, raw: str) -> dict[str, str]:
    """`name=value` conditions, comma-separated (all must hold): names are the menu's columns
    ([a-z0-9-]), values letters, digits, spaces and `_.:/@*+-` only (no `=`, `,` nor `?`),
    so each becomes one `?name=value` query word and nothing else."""
    conds: dict[str, str] = {}
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_WHERE:
        raise ValueError(f"has {len(parts)} conditions; at most {MAX_WHERE}")
    for part in parts:
        name, eq, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not NAME.fullmatch(name):
            raise ValueError(f"{part[:40]!r} is not name=value (a name is a-z, 0-9 and -)")
        if name not in MENUS[menu_]:
            raise ValueError(f"{name!r} is not a column of {menu_} staff may read")
        if not VALUE.fullmatch(value):
            raise ValueError(f"the value of {name} must be 1-64 letters, digits, spaces or "
                             "_.:/@*+- (no = , or ?)")
        if name in conds:
            raise ValueError(f"{name} is given twice")
        conds[name] = value
    return conds


def topics(raw: str) -> tuple[str, ...]:
    """Log topics, comma-separated: an entry shows when it has every one of them (as the
    topics of a /system logging rule)."""
    found = [t.strip().lower() for t in raw.split(",") if t.strip()]
    if len(found) > MAX_TOPICS:
        raise ValueError(f"at most {MAX_TOPICS} topics")
    for t in found:
        if not TOPIC.fullmatch(t):
            raise ValueError(f"{t[:40]!r} is not a topic (a-z, 0-9 and -)")
    return tuple(dict.fromkeys(found))


def search(raw: str) -> str:
    if len(raw) > MAX_SEARCH:
        raise ValueError(f"is longer than {MAX_SEARCH} characters")
    return raw.strip().lower()


def log_matches(row: dict[str, str], wanted: tuple[str, ...], text: str) -> bool:
    have = set(row.get("topics", "").split(","))
    return all(t in have for t in wanted) and text in row.get("message", "").lower()


# -- times: RouterOS prints its log in the router's own local time ----------------------------
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                      "sep", "oct", "nov", "dec"), 1)}
_T = r"(\d{1,2}):(\d{2}):(\d{2})"
# today's entries show the time only; v6 `mmm/dd` (this year) or `mmm/dd/yyyy`; 7.10 on
# `MM-DD` or `YYYY-MM-DD`
FORMS = (("t", re.compile(rf"{_T}")),
         ("md", re.compile(rf"([a-z]{{3}})/(\d{{1,2}}) {_T}")),
         ("mdy", re.compile(rf"([a-z]{{3}})/(\d{{1,2}})/(\d{{4}}) {_T}")),
         ("MD", re.compile(rf"(\d{{2}})-(\d{{2}}) {_T}")),
         ("YMD", re.compile(rf"(\d{{4}})-(\d{{2}})-(\d{{2}}) {_T}")))


@dataclass(frozen=True)
class Clock:
    """The router's clock at the read: its local now and its offset from UTC."""
    now: dt.datetime  # naive, the router's wall clock
    tz: dt.tzinfo


def parse_offset(raw: str) -> dt.timezone | None:
    """`+06:00` / `-03:30` (the manual's `gmt-offset`), or seconds (`21600`) as some builds
    give it over the API."""
    raw = (raw or "").strip()
    if m := re.fullmatch(r"([+-])(\d{1,2}):(\d{2})", raw):
        minutes = int(m[2]) * 60 + int(m[3])
    elif m := re.fullmatch(r"([+-]?)(\d{1,5})", raw):
        minutes = int(m[2]) // 60
    else:
        return None
    if minutes > 14 * 60:
        return None
    return dt.timezone(dt.timedelta(minutes=-minutes if m[1] == "-" else minutes))


def parse_date(raw: str) -> dt.date | None:
    raw = (raw or "").strip().lower()
    try:
        if m := re.fullmatch(r"([a-z]{3})/(\d{1,2})/(\d{4})", raw):
            return dt.date(int(m[3]), MONTHS[m[1]], int(m[2]))
        return dt.date.fromisoformat(raw)
    except (KeyError, ValueError):
        return None


def clock(row: dict[str, str] | None, fallback: dt.tzinfo, now: dt.datetime) -> Clock:
    """The router's clock from /system/clock; what it does not say is taken to be the ISP's
    zone (`fallback`) and our own `now` (aware)."""
    row = row or {}
    tz = parse_offset(row.get("gmt-offset", "")) or fallback
    day, t = parse_date(row.get("date", "")), re.fullmatch(_T, row.get("time", "").strip())
    if day and t:
        local = dt.datetime(day.year, day.month, day.day, *(int(x) % 60 for x in t.groups()))
    else:
        local = now.astimezone(tz).replace(tzinfo=None)
    return Clock(local, tz)


def log_time(raw: str, c: Clock) -> dt.datetime | None:
    """A log entry's time as an aware UTC datetime (None when it is in no known form). A date
    without a year is in the router's year, or the year before when that would be in the
    future (December's entries read in January)."""
    text = (raw or "").strip().lower()
    for kind, rx in FORMS:
        m = rx.fullmatch(text)
        if not m:
            continue
        g = m.groups()
        try:
            if kind == "t":
                y, mo, d, hms = c.now.year, c.now.month, c.now.day, g
            elif kind == "md":
                y, mo, d, hms = c.now.year, MONTHS[g[0]], int(g[1]), g[2:]
            elif kind == "mdy":
                y, mo, d, hms = int(g[2]), MONTHS[g[0]], int(g[1]), g[3:]
            elif kind == "MD":
                y, mo, d, hms = c.now.year, int(g[0]), int(g[1]), g[2:]
            else:
                y, mo, d, hms = int(g[0]), int(g[1]), int(g[2]), g[3:]
            local = dt.datetime(y, mo, d, *(int(x) for x in hms))
            if kind in ("md", "MD") and local > c.now + dt.timedelta(days=1):
                local = local.replace(year=y - 1)
        except (KeyError, ValueError):
            return None
        return local.replace(tzinfo=c.tz).astimezone(dt.timezone.utc)
    return None
