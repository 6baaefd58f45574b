"""What every OLT driver offers: the ONUs it sees (optics only when asked), its VLANs and its
log buffer."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class Access:
    host: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # secrets stay out of logs
    cli_port: int = 22  # SSH or Telnet, as `transport` says
    community: str | None = field(default=None, repr=False)
    snmp_port: int = 161
    timeout: float = 10.0
    host_key: str | None = None  # 'ssh-ed25519 AAAA...': the only key the device may show
    transport: str = "ssh"  # ssh | telnet
    protocol: str | None = None  # huawei/zte: snmp (default) | cli


@dataclass
class OnuInfo:
    port: str  # the PON port as the OLT names it: '0/1' (EPON0/1), '0/1/0' (Huawei F/S/P)
    onu_id: int
    status: str  # online | offline | los | dying-gasp | unknown
    serial: str | None = None
    mac: str | None = None
    rx_power: Decimal | None = None  # dBm
    distance: int | None = None  # metres
    description: str | None = None
    learned_macs: list[str] = field(default_factory=list)  # devices behind a bridging ONU
    temperature: Decimal | None = None  # °C of the ONU's optical module, read with optics


# syslog's names, most severe first; every driver maps its own words onto these
SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")


@dataclass
class LogEntry:
    at: dt.datetime | None  # as the OLT's clock says (naive: the OLT keeps local time)
    severity: str  # one of SEVERITIES
    message: str

    def row(self) -> dict:
        return {"at": self.at.isoformat(sep=" ") if self.at else None,
                "severity": self.severity, "message": self.message}


@dataclass
class VlanInfo:
    vlan_id: int
    name: str | None = None
    ports: list[str] = field(default_factory=list)  # uplinks and PON ports carrying it

    def row(self) -> dict:
        return {"vlan_id": self.vlan_id, "name": self.name, "ports": self.ports}


class Driver(Protocol):
    brand: str

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        """Every ONU known to the OLT; rx power and temperature only when `optics` (costly)."""

    def vlans(self) -> list[VlanInfo]:
        """The VLANs configured on the OLT, by id."""

    def logs(self, limit: int = 200) -> list[LogEntry]:
        """The newest `limit` entries of the OLT's log / alarm buffer, newest first."""

    def running_config(self) -> str:
        """The OLT's running configuration as its CLI prints it (CLI brands only)."""


SEVERITY_WORDS = {
    # Huawei alarm levels, ZTE alarm levels, VSOL/DBC bracketed levels, Cisco-style names
    "emerg": "emergency", "emergencies": "emergency", "alerts": "alert", "crit": "critical",
    "critical": "critical", "major": "error", "err": "error", "errors": "error",
    "error": "error", "minor": "warning", "warn": "warning", "warnings": "warning",
    "warning": "warning", "notifications": "notice", "notice": "notice", "notif": "notice",
    "informational": "info", "information": "info", "info": "info", "event": "info",
    "debugging": "debug", "debug": "debug", "cleared": "info", "alert": "alert",
    "emergency": "emergency",
}


def severity(raw: str | int | None) -> str:
    """'Major', 'WARNING', '4' (a syslog digit) -> one of SEVERITIES ('info' when unknown)."""
    if raw is None:
        return "info"
    text = str(raw).strip().lower()
    if text.isascii() and text.isdigit() and int(text) < len(SEVERITIES):
        return SEVERITIES[int(text)]
    return SEVERITY_WORDS.get(text, "info")


def celsius(raw: str | None) -> Decimal | None:
    """'42.96', '45', '37.00 C' -> Decimal °C; nothing sensible (no DDM, 65535) -> None."""
    if raw in (None, "", "--", "N/A"):
        return None
    m = re.match(r"^\s*(-?\d+(?:\.\d+)?)", raw)
    if not m:
        return None
    value = Decimal(m.group(1)).quantize(Decimal("0.01"))
    return value if Decimal(-60) <= value <= Decimal(150) else None


def port_list(text: str) -> list[str]:
    """'g0/1, epon0/1,epon0/2' or 'gei_1/3/1 gpon-olt_1/1/1' -> ['g0/1', 'epon0/1', ...]."""
    return [p for p in re.split(r"[\s,]+", text.strip()) if p and p not in ("-", "N/A")]


def mac(raw: str | None) -> str | None:
    """'70a5.6add.7e1d', '70:a5:6a:dd:7e:1d', '70-A5-...' -> '70:A5:6A:DD:7E:1D'."""
    if not raw:
        return None
    digits = re.sub(r"[^0-9A-Fa-f]", "", raw)
    if len(digits) != 12:
        return None
    digits = digits.upper()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def dbm(raw: str | None) -> Decimal | None:
    if raw in (None, "", "--", "N/A"):
        return None
    try:
        return Decimal(raw).quantize(Decimal("0.01"))
    except ArithmeticError:
        return None


def epon_distance(rtt_tq: int) -> int:
    """EPON round-trip time in time quanta (16 ns) to metres of fibre, as BDCOM/VSOL report it."""
    return max(0, round((rtt_tq - 8) * 1.6393))
