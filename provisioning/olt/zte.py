"""ZTE GPON OLTs (ZXA10 C300/C320) over SNMP (ZXGPON-SERVICE-MIB); zte_cli.py reads the same
over their CLI when the OLT's protocol is 'cli'. VLANs come from Q-BRIDGE-MIB; the alarm log is
not in SNMP, so logs() uses the CLI when the OLT has a login.

Tables are indexed by <PON ifIndex>.<ONU id>; a PON ifIndex is 0x10000000 | slot<<16 | port<<8
on rack/shelf 1, so 268501248 is gpon-olt_1/1/1. Rx power is raw * 0.002 - 30 dBm.
"""
from __future__ import annotations

from decimal import Decimal

from provisioning import snmp
from provisioning.errors import DeviceError
from provisioning.olt.base import Access, LogEntry, OnuInfo, VlanInfo
from provisioning.olt.gpon_snmp import (agent, celsius_int, cli_logs, gpon_serial,
                                         qbridge_vlans, table)

ONU_NAME = ".1.3.6.1.4.1.3902.1012.3.28.1.1.2"
ONU_DESC = ".1.3.6.1.4.1.3902.1012.3.28.1.1.3"
ONU_SN = ".1.3.6.1.4.1.3902.1012.3.28.1.1.5"
ONU_PHASE = ".1.3.6.1.4.1.3902.1012.3.28.2.1.4"
ONU_DISTANCE = ".1.3.6.1.4.1.3902.1012.3.11.4.1.2"
ONU_RX_POWER = ".1.3.6.1.4.1.3902.1012.3.50.12.1.1.10"
# the ONU's optical module temperature, whole °C, in the same optics table (index ...<onu>.1).
# Column 17 as third-party C300/C320 pollers read it: not checked against ZTE's MIB text.
ONU_TEMPERATURE = ".1.3.6.1.4.1.3902.1012.3.50.12.1.1.17"
PHASES = {"1": "logging", "2": "los", "3": "syncing", "4": "online", "5": "dying-gasp",
          "6": "auth-failed", "7": "offline"}


def port_name(if_index: int) -> str:
    return f"1/{(if_index >> 16) & 0xFF}/{(if_index >> 8) & 0xFF}"


def rx_dbm(raw: str | None) -> Decimal | None:
    if raw in (None, "") or not (raw.isascii() and raw.lstrip("-").isdigit()):
        return None
    value = int(raw)
    if value <= 0 or value >= 65535:  # no light, or the ONU is offline
        return None
    return (Decimal(value) * Decimal("0.002") - 30).quantize(Decimal("0.01"))


class Zte:
    brand = "zte"

    def __init__(self, access: Access):
        self.access = access

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        a = agent(self.access)
        s = snmp.session(a)
        serials = table(a, ONU_SN, s)
        names, descr = table(a, ONU_NAME, s), table(a, ONU_DESC, s)
        phase, distance = table(a, ONU_PHASE, s), table(a, ONU_DISTANCE, s)
        rx = table(a, ONU_RX_POWER, s) if optics else {}
        temperature = table(a, ONU_TEMPERATURE, s) if optics else {}
        found = []
        for key, serial in sorted(serials.items()):
            d = distance.get(key)
            found.append(OnuInfo(
                port=port_name(key[0]), onu_id=key[1], serial=gpon_serial(serial),
                status=PHASES.get(phase.get(key, ""), "unknown"),
                distance=int(d) if d and d.isascii() and d.isdigit() else None, rx_power=rx_dbm(rx.get(key)),
                temperature=celsius_int(temperature.get(key)),
                description=descr.get(key) or names.get(key) or None))
        return found

    def vlans(self) -> list[VlanInfo]:
        return qbridge_vlans(self.access)

    def logs(self, limit: int = 200) -> list[LogEntry]:
        from provisioning.olt.zte_cli import ZteCli
        return cli_logs(self.access, ZteCli, limit)

    def running_config(self) -> str:
        raise DeviceError(self.access.host, "running-config",
                          "this OLT is read over SNMP, which does not carry its configuration")
