"""Huawei GPON OLTs (MA5600T/MA5800) over their CLI (SSH or Telnet), for OLTs without SNMP.

`display ont info 0 all` lists every ONT of frame 0 (state table, then descriptions);
optics are per GPON port: `interface gpon 0/S` then `display ont optical-info P all` (the ONT's
rx power and its module's temperature). `display vlan all` lists VLAN ids and types (no names
nor ports: Q-BRIDGE over SNMP has them); `display alarm history all` is the alarm log.
"""
from __future__ import annotations

import re
from functools import partial

from provisioning.olt.base import OnuInfo, VlanInfo, celsius, dbm
from provisioning.olt.cli import CliDriver
from provisioning.olt.gpon_snmp import gpon_serial
from provisioning.olt.text import log_rows

FSP = r"(\d+)/\s*(\d+)/\s*(\d+)"
STATE_ROW = re.compile(r"^\s*" + FSP + r"\s+(\d+)\s+([0-9A-Fa-f]{16})\s+(\S+)\s+(\S+)")
DESC_ROW = re.compile(r"^\s*" + FSP + r"\s+(\d+)\s+(.*?)\s*$")
OPTICS_ROW = re.compile(r"^\s*(\d+)\s+(-?[\d.]+|-)\s+(-?[\d.]+|-)\s+(-?[\d.]+|-)\s+"
                        r"(-?\d+(?:\.\d+)?|-)\s+")
VLAN_ROW = re.compile(r"^\s*(\d{1,4})\s+(smart|mux|standard|super)\s+", re.I)
# alarm history rows: AlarmSN, date and time, level (Critical/Major/Minor/Warning/Cleared), text
ALARM_ROW = re.compile(r"^\s*\d+\s+(\d{4}-\d\d-\d\d\s+\d\d:\d\d:\d\d)\s+(\w+)\s+(.*?)\s*$")
RUN_STATE = {"online": "online", "offline": "offline"}


def parse_ont_info(text: str) -> list[OnuInfo]:
    found: dict[tuple[str, int], OnuInfo] = {}
    descriptions = False
    for line in text.splitlines():
        if "Description" in line:
            descriptions = True
            continue
        if "Control" in line and "SN" in line:
            descriptions = False
            continue
        m = DESC_ROW.match(line) if descriptions else STATE_ROW.match(line)
        if not m:
            continue
        key = (f"{m.group(1)}/{m.group(2)}/{m.group(3)}", int(m.group(4)))
        if descriptions:
            if key in found and m.group(5) not in ("", "ONT_NO_DESCRIPTION"):
                found[key].description = m.group(5)
        else:
            found[key] = OnuInfo(key[0], key[1], RUN_STATE.get(m.group(7).lower(), "unknown"),
                                 serial=gpon_serial(m.group(5)))
    return list(found.values())


def parse_optical_info(text: str) -> dict[int, tuple]:
    """{ONT id: (rx power dBm, temperature °C)} for one GPON port."""
    found = {}
    for line in text.splitlines():
        m = OPTICS_ROW.match(line)
        if m:
            found[int(m.group(1))] = (dbm(m.group(2)), celsius(m.group(5)))
    return found


def parse_vlans(text: str) -> list[VlanInfo]:
    return [VlanInfo(int(m.group(1))) for m in map(VLAN_ROW.match, text.splitlines()) if m]


class HuaweiCli(CliDriver):
    brand = "huawei"
    # `undo smart`: no interactive '{ <cr>|... }:' completion prompts; `scroll 512`: no paging
    setup = ("enable", "undo smart", "scroll 512")
    vlan_read = ("display vlan all", parse_vlans)
    log_read = ("display alarm history all", partial(log_rows, ALARM_ROW))

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        with self.session() as cli:
            onts = parse_ont_info(cli.run("display ont info 0 all"))
            if optics and onts:
                cli.run("config")
                for frame_slot, port in sorted({tuple(o.port.rsplit("/", 1)) for o in onts}):
                    cli.run(f"interface gpon {frame_slot}")
                    readings = parse_optical_info(cli.run(f"display ont optical-info {port} all"))
                    for o in onts:
                        if o.port == f"{frame_slot}/{port}":
                            o.rx_power, o.temperature = readings.get(o.onu_id, (None, None))
                    cli.run("quit")
                cli.run("quit")
        return onts
