"""Reading a GPON OLT's ONU tables over SNMP: tables indexed by <PON ifIndex>.<ONU id>."""
from __future__ import annotations

import string

from provisioning import snmp
from provisioning.olt.base import Access


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
