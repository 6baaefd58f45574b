"""SNMP reads (easysnmp): system uptime and per-interface octet counters, 64-bit where offered."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import easysnmp

from provisioning.errors import DeviceTimeout, ProtocolError

SYS_DESCR = ".1.3.6.1.2.1.1.1.0"
SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
IF_DESCR = ".1.3.6.1.2.1.2.2.1.2"
IF_OPER_STATUS = ".1.3.6.1.2.1.2.2.1.8"
IF_IN_OCTETS = ".1.3.6.1.2.1.2.2.1.10"
IF_OUT_OCTETS = ".1.3.6.1.2.1.2.2.1.16"
IF_NAME = ".1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN_OCTETS = ".1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = ".1.3.6.1.2.1.31.1.1.1.10"


# RouterOS makes an interface per PPP session ("<pppoe-alice>"); its traffic is in radacct
# already, and storing a series for each would grow by thousands of rows per poll.
DYNAMIC_PREFIXES = ("<pppoe-", "<l2tp-", "<pptp-", "<sstp-", "<ovpn-")


@dataclass(frozen=True)
class Agent:
    host: str
    community: str = field(repr=False)  # a secret: never in a logged repr
    port: int = 161
    version: str = "2c"
    timeout: float = 2.0
    retries: int = 1

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Interface:
    index: int
    name: str
    in_octets: int
    out_octets: int
    bits: int  # 64: ifHCIn/OutOctets; 32: ifIn/OutOctets, which wrap every few seconds at 10G
    up: bool | None = None


@dataclass
class Poll:
    at: dt.datetime
    uptime_ticks: int
    descr: str
    interfaces: list[Interface] = field(default_factory=list)


def session(agent: Agent) -> easysnmp.Session:
    version = 1 if agent.version == "1" else 2
    return easysnmp.Session(hostname=agent.host, remote_port=agent.port, community=agent.community,
                            version=version, timeout=agent.timeout, retries=agent.retries,
                            use_numeric=True, abort_on_nonexistent=False)


def _call(agent: Agent, fn, *args):
    try:
        return fn(*args)
    except easysnmp.EasySNMPTimeoutError:
        seconds = agent.timeout * (agent.retries + 1)
        raise DeviceTimeout(agent.where, seconds, "SNMP reply") from None
    except easysnmp.EasySNMPError as exc:
        raise ProtocolError(agent.where, f"SNMP: {exc}") from None
    except SystemError as exc:  # easysnmp's C layer reports some failures this way
        raise ProtocolError(agent.where, f"SNMP: {exc}") from None


def walk(agent: Agent, base: str, s: easysnmp.Session | None = None) -> dict[str, str]:
    """{index suffix after `base`: value} for every variable under `base`."""
    s = s or session(agent)
    out = {}
    # GETBULK (v2c) fetches many rows per round trip; a busy OLT answers 25 rows as fast as one
    rows = _call(agent, s.walk, base) if agent.version == "1" else \
        _call(agent, lambda: s.bulkwalk(base, non_repeaters=0, max_repetitions=25))
    for var in rows:
        if var.snmp_type in ("NOSUCHOBJECT", "NOSUCHINSTANCE", "ENDOFMIBVIEW"):
            continue
        full = f"{var.oid}.{var.oid_index}" if var.oid_index else var.oid
        if full.startswith(base + "."):
            out[full[len(base) + 1:]] = var.value
    return out


def get(agent: Agent, oids: list[str], s: easysnmp.Session | None = None) -> list[str | None]:
    s = s or session(agent)
    got = _call(agent, s.get, oids)
    return [None if v.snmp_type in ("NOSUCHOBJECT", "NOSUCHINSTANCE") else v.value for v in got]


def poll(agent: Agent) -> Poll:
    """sysUpTime, sysDescr and every interface's counters (one SNMP session, explicit timeout)."""
    s = session(agent)
    descr, uptime = get(agent, [SYS_DESCR, SYS_UPTIME], s)
    if uptime is None:
        raise ProtocolError(agent.where, "the agent has no sysUpTime")
    at = dt.datetime.now(dt.timezone.utc)
    names = walk(agent, IF_NAME, s) or walk(agent, IF_DESCR, s)
    hc_in, hc_out = walk(agent, IF_HC_IN_OCTETS, s), walk(agent, IF_HC_OUT_OCTETS, s)
    status = walk(agent, IF_OPER_STATUS, s)
    lo_in = lo_out = {}
    if not hc_in:  # SNMPv1 agents and old devices have only the 32-bit ifTable
        lo_in, lo_out = walk(agent, IF_IN_OCTETS, s), walk(agent, IF_OUT_OCTETS, s)
    interfaces = []
    for idx, name in names.items():
        if name.startswith(DYNAMIC_PREFIXES):
            continue
        if idx in hc_in and idx in hc_out:
            pair, bits = (hc_in[idx], hc_out[idx]), 64
        elif idx in lo_in and idx in lo_out:
            pair, bits = (lo_in[idx], lo_out[idx]), 32
        else:
            continue
        up = None if idx not in status else status[idx] == "1"
        interfaces.append(Interface(int(idx), name, int(pair[0]), int(pair[1]), bits, up))
    return Poll(at, int(uptime), descr or "", sorted(interfaces, key=lambda i: i.index))


def rate(prev: int, cur: int, bits: int, seconds: float) -> int | None:
    """Bits per second between two octet counter readings, across one wrap; None if unknowable."""
    if seconds <= 0:
        return None
    delta = cur - prev
    if delta < 0:
        delta += 2 ** bits
        if bits == 64:
            return None  # a 64-bit counter does not wrap in practice: the device restarted
    return int(delta * 8 / seconds)
