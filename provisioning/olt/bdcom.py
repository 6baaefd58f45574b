"""BDCOM EPON OLTs (P3310/P3608 series) over the SSH CLI.

`show epon active-onu` / `show epon inactive-onu` list every bound ONU with its MAC (EPON ONUs
are known by MAC), status and, for active ones, distance; optics come per PON port from
`show epon optical-transceiver-diagnosis interface epon 0/N` (the OLT's receive power per ONU);
an ONU's own module temperature only from the ONU itself, over CTC OAM, one ONU at a time
(`show epon interface epon0/N:M onu ctc optical-transceiver-diagnosis`). `show vlan` and
`show logging` (Cisco-style '%FAC-SEV-MNEMONIC:' lines) are global.
"""
from __future__ import annotations

import re

from provisioning.olt.base import OnuInfo, VlanInfo, celsius, dbm, mac
from provisioning.olt.cli import CliDriver
from provisioning.olt.text import cisco_logs, vlan_table

MAC_RE = r"([0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2})"
ACTIVE_ROW = re.compile(r"^\s*EPON(\d+/\d+):(\d+)\s+" + MAC_RE
                        + r"\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)", re.I)
INACTIVE_ROW = re.compile(r"^\s*EPON(\d+/\d+):(\d+)\s+" + MAC_RE + r"\s+(\S+)\s+"
                          r"(?:\S+\s+\S+|N/A)\s+(?:\S+\s+\S+|N/A)\s+(\S+)", re.I)
MAC_TABLE_ROW = re.compile(r"^\s*\d+\s+" + MAC_RE + r"\s+\S+\s+epon(\d+/\d+):(\d+)\s*$", re.I)
OPTICS_ROW = re.compile(r"^\s*epon(\d+/\d+):(\d+)\s+(-?[\d.]+|--)\s*$", re.I)
CTC_TEMPERATURE = re.compile(r"^\s*operating\s+temperature\s*\(degree\)\s*:\s*(\S+)", re.I | re.M)
# why an ONU left (LastDeregReason) -> our status
GONE = {"power-off": "dying-gasp", "wire-down": "los", "llid-admin-down": "offline"}


def parse_active(text: str) -> list[OnuInfo]:
    found = []
    for line in text.splitlines():
        m = ACTIVE_ROW.match(line)
        if m:
            port, onu, raw_mac, _status, _oam, distance, _rtt = m.groups()
            found.append(OnuInfo(port, int(onu), "online", serial=mac(raw_mac), mac=mac(raw_mac),
                                 distance=int(distance)))
    return found


def parse_inactive(text: str) -> list[OnuInfo]:
    found = []
    for line in text.splitlines():
        m = INACTIVE_ROW.match(line)
        if m:
            port, onu, raw_mac, _status, reason = m.groups()
            found.append(OnuInfo(port, int(onu), GONE.get(reason.lower(), "offline"),
                                 serial=mac(raw_mac), mac=mac(raw_mac)))
    return found


def parse_mac_table(text: str) -> dict[tuple[str, int], list[str]]:
    """MACs learned behind each ONU: with a bridging ONU, the subscriber's router dials PPPoE,
    so this, not the ONU's own MAC, is the Calling-Station-Id radacct shows."""
    found: dict[tuple[str, int], list[str]] = {}
    for line in text.splitlines():
        m = MAC_TABLE_ROW.match(line)
        if m:
            found.setdefault((m.group(2), int(m.group(3))), []).append(mac(m.group(1)))
    return found


def parse_optics(text: str) -> dict[tuple[str, int], object]:
    found = {}
    for line in text.splitlines():
        m = OPTICS_ROW.match(line)
        if m:
            found[(m.group(1), int(m.group(2)))] = dbm(m.group(3))
    return found


def parse_ctc_temperature(text: str):
    m = CTC_TEMPERATURE.search(text)
    return celsius(m.group(1)) if m else None


def parse_vlans(text: str) -> list[VlanInfo]:
    """`show vlan`: VLAN, Status (Static/Dynamic), Name, Ports."""
    return vlan_table(text, name_column=1)


class Bdcom(CliDriver):
    brand = "bdcom"
    vlan_read = ("show vlan", parse_vlans)
    log_read = ("show logging", cisco_logs)

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        with self.session() as cli:
            active = parse_active(cli.run("show epon active-onu"))
            inactive = parse_inactive(cli.run("show epon inactive-onu"))
            learned = parse_mac_table(cli.run("show mac address-table"))
            for o in active:
                o.learned_macs = [m for m in learned.get((o.port, o.onu_id), []) if m != o.mac]
            if optics and active:
                rx = {}
                for port in sorted({o.port for o in active}):
                    rx.update(parse_optics(cli.run(
                        f"show epon optical-transceiver-diagnosis interface epon {port}")))
                for o in active:
                    o.rx_power = rx.get((o.port, o.onu_id))
                    o.temperature = parse_ctc_temperature(cli.run(
                        f"show epon interface epon{o.port}:{o.onu_id} onu ctc "
                        "optical-transceiver-diagnosis", check=False))
        return active + inactive
