"""VSOL EPON OLTs (V1600 series) over the SSH CLI.

ONU commands exist only inside a PON port's context (`interface epon 0/N`); `show onu auth-info`
lists the registered ONUs with status, MAC and RTT, `show onu opm-diag` their optics
(temperature, voltage, bias, tx and rx power). `show vlan` and `show logging` are global
(the formats we read are in tests/support/transcripts/vsol.txt, with what is assumed).
"""
from __future__ import annotations

import re
from functools import partial

from provisioning.olt.base import OnuInfo, celsius, dbm, epon_distance, mac
from provisioning.olt.cli import CliDriver
from provisioning.olt.text import log_rows, vlan_table

MAX_PON_PORTS = 16
AUTH_ROW = re.compile(r"^\s*EPON(\d+/\d+):(\d+)\s+(\d+)\s+(\S+)\s+([0-9A-Fa-f:.-]{12,17})\s+"
                      r"(\d+|N/A|-+)\s*(.*)$", re.I)
OPM_ROW = re.compile(r"^\s*EPON(\d+/\d+):(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", re.I)
LOG_ROW = re.compile(r"^\s*\d+\s+(\d{4}[/-]\d\d[/-]\d\d\s+\d\d:\d\d:\d\d)\s+([A-Za-z]+)\s+(.*)$")
STATUS = {"online": "online", "offline": "offline", "los": "los", "dying-gasp": "dying-gasp",
          "dyinggasp": "dying-gasp", "powerdown": "dying-gasp"}


def parse_auth_info(text: str) -> list[OnuInfo]:
    found = []
    for line in text.splitlines():
        m = AUTH_ROW.match(line)
        if not m:
            continue
        port, onu, _llid, status, raw_mac, rtt, descr = m.groups()
        descr = descr.strip()
        distance = epon_distance(int(rtt)) if rtt.isascii() and rtt.isdigit() and int(rtt) else None
        found.append(OnuInfo(port=port, onu_id=int(onu),
                             status=STATUS.get(status.lower(), "unknown"),
                             mac=mac(raw_mac), serial=mac(raw_mac), distance=distance,
                             description=None if descr in ("", "N/A") else descr))
    return found


def parse_opm_diag(text: str) -> dict[tuple[str, int], tuple]:
    """{(port, onu): (rx power dBm, temperature °C)}; the last column is what the ONU receives."""
    found = {}
    for line in text.splitlines():
        m = OPM_ROW.match(line)
        if m:
            found[(m.group(1), int(m.group(2)))] = (dbm(m.group(7)), celsius(m.group(3)))
    return found


class Vsol(CliDriver):
    brand = "vsol"
    # `show vlan`: VLAN ID, name, tagged ports, untagged ports (both kinds carry the VLAN)
    vlan_read = ("show vlan", vlan_table)
    log_read = ("show logging", partial(log_rows, LOG_ROW))

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        found: list[OnuInfo] = []
        with self.session() as cli:
            for _port in self.pon_ports(cli, MAX_PON_PORTS):
                onus = parse_auth_info(cli.run("show onu auth-info"))
                if optics and onus:
                    optics_of = parse_opm_diag(cli.run("show onu opm-diag"))
                    for o in onus:
                        o.rx_power, o.temperature = optics_of.get((o.port, o.onu_id),
                                                                  (None, None))
                found += onus
        return found
