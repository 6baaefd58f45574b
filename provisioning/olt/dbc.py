"""DBC EPON OLTs (common in Bangladesh) over their Cisco-like CLI, by Telnet or SSH.

The shell is the one of the EPON OLT family DBC builds on (see
tests/support/transcripts/dbc.txt for what is documented and what is assumed): `enable` asks
for a password (the login's), ONU commands live in a PON port's context (`interface epon 0/N`):
`show onu status` lists every ONU with MAC, distance and why it last left, and
`show onu N optical-transceiver-diagnosis` one ONU's module figures (temperature, rx power).
`show vlan` and `show logging` are global.
"""
from __future__ import annotations

import re

from provisioning.olt.base import OnuInfo, celsius, dbm, mac
from provisioning.olt.cli import CliDriver
from provisioning.olt.text import cisco_logs, vlan_table

MAX_PON_PORTS = 16
STATUS_ROW = re.compile(r"^\s*EPON(\d+/\d+):(\d+)\s+(online|offline)\s+([0-9A-Fa-f:.-]{12,17})\s+"
                        r"(\d+)\s+(\d+)\s+(?:\d{4}/\d\d/\d\d\s+\d\d:\d\d:\d\d|N/A)\s+"
                        r"(?:\d{4}/\d\d/\d\d\s+\d\d:\d\d:\d\d|N/A)\s+(.*?)\s{2,}", re.I)
TEMPERATURE = re.compile(r"^\s*Temperature\s*:\s*(-?[\d.]+)", re.I | re.M)
RX = re.compile(r"^\s*Receive\s+Power\s*:.*?\((-?[\d.]+)\s*dBm\)", re.I | re.M)
GONE = {"power off": "dying-gasp", "wire down": "los"}


def parse_status(text: str) -> list[OnuInfo]:
    found = []
    for line in text.splitlines():
        m = STATUS_ROW.match(line + "  ")
        if not m:
            continue
        port, onu, state, raw_mac, distance, _rtt, reason = m.groups()
        online = state.lower() == "online"
        found.append(OnuInfo(port, int(onu),
                             "online" if online else GONE.get(reason.lower(), "offline"),
                             serial=mac(raw_mac), mac=mac(raw_mac),
                             distance=int(distance) if online else None))
    return found


def parse_diagnosis(text: str) -> tuple:
    """(rx power dBm, temperature °C) of one ONU."""
    rx, temp = RX.search(text), TEMPERATURE.search(text)
    return (dbm(rx.group(1)) if rx else None, celsius(temp.group(1)) if temp else None)


class Dbc(CliDriver):
    brand = "dbc"
    vlan_read = ("show vlan", vlan_table)
    log_read = ("show logging", cisco_logs)

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        found: list[OnuInfo] = []
        with self.session() as cli:
            for _port in self.pon_ports(cli, MAX_PON_PORTS):
                onus = parse_status(cli.run("show onu status"))
                for o in onus:
                    if optics and o.status == "online":
                        o.rx_power, o.temperature = parse_diagnosis(cli.run(
                            f"show onu {o.onu_id} optical-transceiver-diagnosis", check=False))
                found += onus
        return found
