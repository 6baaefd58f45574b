"""Reading a GPON OLT over SNMP: ONU tables indexed by <PON ifIndex>.<ONU id>, VLANs from
Q-BRIDGE-MIB (RFC 4363), which Huawei's and ZTE's agents both carry."""
from __future__ import annotations

import string
from decimal import Decimal

from provisioning import snmp
from provisioning.errors import DeviceError
from provisioning.olt.base import Access, LogEntry, VlanInfo

VLAN_STATIC_NAME = ".1.3.6.1.2.1.17.7.1.4.3.1.1"  # dot1qVlanStaticName.<vid>
VLAN_STATIC_EGRESS = ".1.3.6.1.2.1.17.7.1.4.3.1.2"  # dot1qVlanStaticEgressPorts.<vid>: PortList
BASE_PORT_IFINDEX = ".1.3.6.1.2.1.17.1.4.1.2"  # dot1dBasePortIfIndex.<bridge port>
IF_NAME = ".1.3.6.1.2.1.31.1.1.1.1"  # ifName.<ifIndex>


def agent(access: Access) -> snmp.Agent:
    return snmp.Agent(access.host, access.community or "public", access.snmp_port,
                      timeout=min(access.timeout, 5.0), retries=1)


def table(a: snmp.Agent, base: str, s=None) -> dict[tuple[int, int], str]:
    """{(pon ifIndex, onu id): value}; extra index parts (ZTE's trailing .1) are ignored."""
    out = {}
    for idx, value in snmp.walk(a, base, s).items():
        parts = idx.split(".")
        if len(parts) >= 2 and parts[0].isascii() and parts[0].isdigit() and parts[1].isascii() and parts[1].isdigit():
            out[(int(parts[0]), int(parts[1]))] = value
    return out


def gpon_serial(raw: str | None) -> str | None:
    """A GPON serial: 4 vendor letters + 8 hex digits, however the agent rendered the 8 bytes."""
    if not raw:
        return None
    raw = raw.strip()
    hexdigits = raw.replace(" ", "").replace(":", "")
    if len(hexdigits) == 16 and all(c in string.hexdigits for c in hexdigits):
        vendor = bytes.fromhex(hexdigits[:8]).decode("ascii", "replace")
        return vendor + hexdigits[8:].upper()
    if len(raw) == 8:  # 4 ASCII letters then 4 raw bytes
        return raw[:4] + "".join(f"{ord(c) & 0xFF:02X}" for c in raw[4:])
    if len(raw) == 12 and raw.isalnum():
        return raw[:4] + raw[4:].upper()
    return raw


def celsius_int(raw: str | None) -> Decimal | None:
    """A whole-degree temperature; the agents' 'no value' markers (2147483647, 65535) -> None."""
    if raw in (None, "") or not (raw.isascii() and raw.lstrip("-").isdigit()):
        return None
    value = int(raw)
    return Decimal(value).quantize(Decimal("0.01")) if -60 <= value <= 150 else None


def port_bits(raw: str) -> list[int]:
    """A PortList (each octet 8 ports, the most significant bit of the first octet is port 1),
    as the agent sent it: raw octets, or hex pairs 'C0 00'."""
    text = raw.strip()
    parts = text.split()
    if parts and all(len(p) == 2 and all(c in string.hexdigits for c in p) for p in parts):
        octets = bytes.fromhex("".join(parts))
    else:
        octets = bytes(ord(c) & 0xFF for c in raw)
    return [i * 8 + bit + 1 for i, b in enumerate(octets) for bit in range(8) if b & (0x80 >> bit)]


def qbridge_vlans(access: Access) -> list[VlanInfo]:
    """Every static VLAN with its name and the interfaces (ifName) it leaves by."""
    a = agent(access)
    s = snmp.session(a)
    names = snmp.walk(a, VLAN_STATIC_NAME, s)
    egress = snmp.walk(a, VLAN_STATIC_EGRESS, s)
    if_of_port = snmp.walk(a, BASE_PORT_IFINDEX, s)
    if_names = snmp.walk(a, IF_NAME, s) if if_of_port else {}
    found = []
    for vid in sorted({*names, *egress}, key=lambda v: int(v) if v.isdigit() else 0):
        if not (vid.isascii() and vid.isdigit()) or not 1 <= int(vid) <= 4094:
            continue
        ports = []
        for bridge_port in port_bits(egress.get(vid, "")):
            if_index = if_of_port.get(str(bridge_port))
            ports.append(if_names.get(if_index or "", "") or f"port {bridge_port}")
        found.append(VlanInfo(int(vid), names.get(vid) or None, ports))
    return found


def cli_logs(access: Access, cli_driver, limit: int) -> list[LogEntry]:
    """An SNMP-read OLT's log comes from its CLI when it has a login; SNMP carries none."""
    if not (access.username and access.password):
        raise DeviceError(access.host, "log", "this OLT is read over SNMP, which does not carry "
                          "its log: give the OLT a username and password for its CLI")
    return cli_driver(access).logs(limit)
