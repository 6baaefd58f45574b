"""What every OLT driver offers: the ONUs it sees, with optics only when asked."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class Access:
    host: str
    username: str | None = None
    password: str | None = None
    cli_port: int = 22  # SSH or Telnet, as `transport` says
    community: str | None = None
    snmp_port: int = 161
    timeout: float = 10.0
    host_key: str | None = None  # 'ssh-ed25519 AAAA...': the only key the device may show
    transport: str = "ssh"  # ssh | telnet


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


class Driver(Protocol):
    brand: str

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        """Every ONU known to the OLT; rx power only when `optics` (it is costly for the OLT)."""

    def running_config(self) -> str:
        """The OLT's running configuration as its CLI prints it (CLI brands only)."""


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
