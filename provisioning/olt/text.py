"""Reading the tables OLT CLIs print: log lines, timestamps, VLAN lists."""
from __future__ import annotations

import datetime as dt
import re

from provisioning.olt.base import LogEntry, VlanInfo, port_list, severity

STAMPS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S%z", "%b %d %H:%M:%S",
          "%b %d %Y %H:%M:%S", "%m/%d/%Y %H:%M:%S")
# Cisco-style: "*Nov 20 18:28:48: %EPON-4-ONUDEREG: ..." or
# "Nov 20 2026 18:28:48 %LINK-3-UPDOWN: ..."
CISCO_LOG = re.compile(r"^\s*\*?(?P<at>[A-Z][a-z]{2}\s+\d{1,2}(?:\s+\d{4})?\s+\d\d:\d\d:\d\d)"
                       r"(?:\.\d+)?:?\s+%(?P<facility>[\w-]+?)-(?P<sev>[0-7])-(?P<mnemonic>\w+):"
                       r"\s*(?P<message>.*)$")
VLAN_ROW = re.compile(r"^\s*(?P<id>\d{1,4})\s+(?P<rest>.*)$")


def when(text: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """The OLT's local time; a stamp without a year (syslog style) is the latest such moment
    not after `now`."""
    text = re.sub(r"\s+", " ", text.strip())
    for fmt in STAMPS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if "%Y" not in fmt:
            now = now or dt.datetime.now()
            parsed = parsed.replace(year=now.year)
            if parsed > now + dt.timedelta(days=1):
                parsed = parsed.replace(year=now.year - 1)
        return parsed.replace(tzinfo=None)
    return None


def newest(entries: list[LogEntry], limit: int) -> list[LogEntry]:
    """Newest first (undated lines keep their place at the end), at most `limit`."""
    dated = sorted((e for e in entries if e.at), key=lambda e: e.at, reverse=True)
    return (dated + [e for e in entries if not e.at])[:max(0, limit)]


def log_rows(row: re.Pattern, text: str, limit: int) -> list[LogEntry]:
    """A log or alarm table whose `row` matches each entry as (stamp, severity word, text)
    (VSOL's `show logging`, Huawei's and ZTE's alarm history), newest first."""
    return newest([LogEntry(when(m.group(1)), severity(m.group(2)), m.group(3).strip())
                   for m in map(row.match, text.splitlines()) if m], limit)


def cisco_logs(text: str, limit: int) -> list[LogEntry]:
    """A `show logging` buffer of '%FACILITY-SEVERITY-MNEMONIC: text' lines (BDCOM, DBC)."""
    found = []
    for line in text.splitlines():
        m = CISCO_LOG.match(line)
        if m:
            found.append(LogEntry(when(m["at"]), severity(m["sev"]),
                                  f"{m['facility']}-{m['mnemonic']}: {m['message'].strip()}"))
    return newest(found, limit)


def vlan_table(text: str, name_column: int = 0, skip: tuple[str, ...] = ()) -> list[VlanInfo]:
    """Rows '<id> [<word>...] <name> <ports...>': after the id, `name_column` words are skipped
    (BDCOM's 'Static'), the next is the name and the rest are ports."""
    found: dict[int, VlanInfo] = {}
    for line in text.splitlines():
        m = VLAN_ROW.match(line)
        if not m or not 1 <= int(m["id"]) <= 4094:
            continue
        words = m["rest"].split(None, name_column + 1)
        if len(words) <= name_column or words[0] in skip:
            continue
        name = words[name_column] if len(words) > name_column else None
        ports = port_list(words[name_column + 1]) if len(words) > name_column + 1 else []
        found[int(m["id"])] = VlanInfo(int(m["id"]), name, ports)
    return [found[k] for k in sorted(found)]
