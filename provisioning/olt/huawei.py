"""Huawei GPON OLTs (MA5600T/MA5800) over SNMP (HUAWEI-XPON-MIB); huawei_cli.py reads the
same over their CLI when the OLT's protocol is 'cli'.

Tables are indexed by <PON port ifIndex>.<ONT id>; a GPON port's ifIndex packs frame, slot and
port: 125<<25 | frame<<19 | slot<<13 | port<<8. VLANs come from Q-BRIDGE-MIB; the alarm log
is not in SNMP, so logs() uses the CLI when the OLT has a login.
"""
from __future__ import annotations

from decimal import Decimal

from provisioning import snmp
from provisioning.errors import DeviceError
from provisioning.olt.base import Access, LogEntry, OnuInfo, VlanInfo
from provisioning.olt.gpon_snmp import (agent, celsius_int, cli_logs, gpon_serial,
                                         qbridge_vlans, table)

BASE = ".1.3.6.1.4.1.2011.6.128.1.1.2"
ONT_SN = BASE + ".43.1.3"
ONT_DESC = BASE + ".43.1.9"
ONT_RUN_STATUS = BASE + ".46.1.15"  # 1 online, 2 offline
ONT_DISTANCE = BASE + ".46.1.20"  # metres; -1 while offline
ONT_TEMPERATURE = BASE + ".51.1.1"  # hwGponOntOpticalDdmTemperature, °C; 2147483647 unknown
ONT_RX_POWER = BASE + ".51.1.4"  # 0.01 dBm; 2147483647 when unknown
GPON_PORT_BASE = 125 << 25
INVALID = {"2147483647", "-2147483648", ""}


def port_name(if_index: int) -> str:
    rest = if_index - GPON_PORT_BASE
    return f"{(rest >> 19) & 0x3F}/{(rest >> 13) & 0x3F}/{(rest >> 8) & 0x1F}"


class Huawei:
    brand = "huawei"

    def __init__(self, access: Access):
        self.access = access

    def onus(self, optics: bool = False) -> list[OnuInfo]:
        a = agent(self.access)
        s = snmp.session(a)
        serials = table(a, ONT_SN, s)
        descr, status = table(a, ONT_DESC, s), table(a, ONT_RUN_STATUS, s)
        distance = table(a, ONT_DISTANCE, s)
        rx = table(a, ONT_RX_POWER, s) if optics else {}
        temperature = table(a, ONT_TEMPERATURE, s) if optics else {}
        found = []
        for key, serial in sorted(serials.items()):
            d = distance.get(key)
            r = rx.get(key)
            found.append(OnuInfo(
                port=port_name(key[0]), onu_id=key[1], serial=gpon_serial(serial),
                status={"1": "online", "2": "offline"}.get(status.get(key, ""), "unknown"),
                distance=int(d) if d not in (None, "", "-1") else None,
                rx_power=None if r is None or r in INVALID else Decimal(int(r)) / 100,
                temperature=celsius_int(temperature.get(key)),
                description=descr.get(key) or None))
        return found

    def vlans(self) -> list[VlanInfo]:
        return qbridge_vlans(self.access)

    def logs(self, limit: int = 200) -> list[LogEntry]:
        from provisioning.olt.huawei_cli import HuaweiCli
        return cli_logs(self.access, HuaweiCli, limit)

    def running_config(self) -> str:
        raise DeviceError(self.access.host, "running-config",
                          "this OLT is read over SNMP, which does not carry its configuration")
