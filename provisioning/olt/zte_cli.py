"""ZTE GPON OLTs (ZXA10 C300/C320) over their CLI (SSH or Telnet), for OLTs without SNMP.

`show gpon onu state` lists every ONU with its phase; `show gpon onu baseinfo gpon-olt_R/S/P`
gives each port's serials; optics are per online ONU: `show pon power attenuation
gpon-onu_R/S/P:N` (the ONU's downstream rx) and `show gpon remote-onu optical-info` (its
module's temperature). `show vlan summary` lists VLAN ids; `show logging alarm` is the alarm log.
"""
from __future__ import annotations

import re
from functools import partial

from provisioning.olt.base import OnuInfo, VlanInfo, celsius, dbm
from provisioning.olt.cli import CliDriver
from provisioning.olt.text import log_rows

STATE_ROW = re.compile(r"^\s*(?:gpon-onu_)?(\d+/\d+/\d+):(\d+)\s+\S+\s+\S+\s+\S+\s+(\S+)\s*$")
BASEINFO_ROW = re.compile(r"^\s*gpon-onu_(\d+/\d+/\d+):(\d+)\s+\S+\s+\S+\s+SN:(\S+)", re.I)
DOWN_RX = re.compile(r"^\s*down\s+Tx\s*:\s*\S+\s+Rx\s*:\s*(-?[\d.]+)\s*\(dbm\)", re.I | re.M)
TEMPERATURE = re.compile(r"^\s*Temperature\s*:\s*(-?[\d.]+)", re.I | re.M)
VLAN_IDS = re.compile(r"(?<![\d-])(\d{1,4})(?:-(\d{1,4}))?(?![\d-])")
ALARM_ROW = re.compile(r"^\s*(?:\d+\s+)?(\d{4}-\d\d-\d\d\s+\d\d:\d\d:\d\d)\s+(\w+)\s+(.*?)\s*$")
PHASES = {"working": "online", "los": "los", "dyinggasp": "dying-gasp", "offline": "offline",
          "logging": "logging", "syncmib": "syncing", "authfailed": "auth-failed"}


def parse_state(text: str) -> list[OnuInfo]:
    return [OnuInfo(m.group(1), int(m.group(2)), PHASES.get(m.group(3).lower(), "unknown"))
            for m in map(STATE_ROW.match, text.splitlines()) if m]


def parse_baseinfo(text: str) -> dict[tuple[str, int], str]:
    return {(m.group(1), int(m.group(2))): m.group(3).upper()
            for m in map(BASEINFO_ROW.match, text.splitlines()) if m}


def parse_attenuation(text: str):
    m = DOWN_RX.search(text)
    return dbm(m.group(1)) if m else None


def parse_temperature(text: str):
    m = TEMPERATURE.search(text)
    return celsius(m.group(1)) if m else None


def parse_vlan_summary(text: str) -> list[VlanInfo]:
    """The id list after the count line: '1,100,200-202' (ranges spelled out)."""
    ids: set[int] = set()
    for line in text.splitlines():
        if ":" in line:  # 'All created vlan num: 5', 'Details are following:'
            continue
        for first, last in VLAN_IDS.findall(line):
            lo, hi = int(first), int(last or first)
            if 1 <= lo <= hi <= 4094 and hi - lo < 4094:
                ids.update(range(lo, hi + 1))
    return [VlanInfo(v) for v in sorted(ids)]


class ZteCli(CliDriver):
    brand = "zte"
    setup = ("terminal length 0",)  # a ZXAN login lands at the privileged prompt
    vlan_read = ("show vlan summary", parse_vlan_summary)
    log_read = ("show logging alarm", partial(log_rows, ALARM_ROW))

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        with self.session() as cli:
            onus = parse_state(cli.run("show gpon onu state"))
            serials: dict[tuple[str, int], str] = {}
            for port in sorted({o.port for o in onus}):
                serials.update(parse_baseinfo(cli.run(f"show gpon onu baseinfo gpon-olt_{port}")))
            for o in onus:
                o.serial = serials.get((o.port, o.onu_id))
                if optics and o.status == "online":
                    name = f"gpon-onu_{o.port}:{o.onu_id}"
                    o.rx_power = parse_attenuation(cli.run(f"show pon power attenuation {name}"))
                    o.temperature = parse_temperature(cli.run(
                        f"show gpon remote-onu optical-info {name}", check=False))
        return onus
