"""The topology map's live state: which devices a map may show, each node's status from what
radbill already watches, and each link's status and load.

A node's status is the verdict of its signals: a router's or OLT's ping check (the one made
for it, monitoring/devices.py) and its SNMP up/down (device_status, provisioning/monitor.py);
a radio's last poll and its ping check; a check-linked node's check. Signals that are stale
(older than a few of their own intervals) or disabled say nothing. No signal: unknown; all up:
up; all down: down; anything else (one down and one up, a check failing but not yet down):
warning. A link is down when either end is; its load is the busier direction of the named
interface at its last SNMP poll (interface_samples) over its capacity.

A map shows only devices of its own operator's subtree (the group's maps also the shared,
unowned routers and OLTs): linking one needs that, and a device that left the subtree since
shows as unknown, so nobody learns another operator's device status through a map.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.models import (Check, DeviceStatus, InterfaceSample, Nas, NasSettings, Olt,
                            Operator, Radio)
from radbill.models.topology import TopologyLink, TopologyNode

STATES = ("up", "warning", "down", "unknown")
SNMP_STALE = dt.timedelta(minutes=20)  # the device poll runs every 5 minutes
SAMPLE_STALE = dt.timedelta(minutes=15)
BUSY = 0.9  # a link this loaded is a warning
# node column -> (the check's device_kind, device_status' kind)
DEVICE_KINDS = {"nas_id": ("nas", "nas"), "olt_id": ("olt", "olt"), "radio_id": ("radio", None)}


@dataclass
class Signal:
    source: str  # ping, snmp, poll, check
    state: str  # up, warning, down
    at: dt.datetime | None = None
    error: str | None = None

    def row(self) -> dict:
        return {"source": self.source, "state": self.state,
                "at": self.at.isoformat() if self.at else None, "error": self.error}


@dataclass
class NodeState:
    status: str = "unknown"
    signals: list[Signal] = field(default_factory=list)
    device: str | None = None  # the linked device's name, when the map may show it


def verdict(states: list[str]) -> str:
    """up, down, warning or unknown from the signals' states."""
    if not states:
        return "unknown"
    if all(s == "up" for s in states):
        return "up"
    if all(s == "down" for s in states):
        return "down"
    return "warning"


# -- which devices a map may show -----------------------------------------------------------
def subtree(op: Operator):
    return sa.select(Operator.id).where(Operator.path.startswith(op.path, autoescape=True))


def owned(col, op: Operator, shared: bool = False):
    """`col` (an operator id) inside `op`'s subtree; `shared`: also unowned objects, which
    only the group's (the ISP's own) maps may show."""
    cond = col.in_(subtree(op))
    if shared and op.parent_id is None:
        cond = sa.or_(cond, col.is_(None))
    return cond


def devices(session: Session, column: str, op: Operator, ids=None,
            limit: int | None = None) -> dict[int, str]:
    """The devices of one kind (among `ids`; None: all, by name) that a map of `op` may show:
    id -> name."""
    if ids is not None:
        ids = [i for i in ids if i is not None]
        if not ids:
            return {}
    if column == "nas_id":
        model, name = Nas, sa.func.coalesce(Nas.shortname, Nas.nasname)
        stmt = (sa.select(Nas.id, name).outerjoin(NasSettings, NasSettings.nas_id == Nas.id)
                .where(owned(NasSettings.operator_id, op, shared=True)))
    elif column == "olt_id":
        model, name = Olt, Olt.name
        stmt = sa.select(Olt.id, name).where(owned(Olt.operator_id, op, shared=True))
    elif column == "radio_id":
        model, name = Radio, Radio.name
        stmt = sa.select(Radio.id, name).where(owned(Radio.operator_id, op))
    else:
        model, name = Check, Check.name
        stmt = sa.select(Check.id, name).where(owned(Check.operator_id, op))
    if ids is not None:
        stmt = stmt.where(model.id.in_(ids))
    return dict(session.execute(stmt.order_by(name, model.id).limit(limit)).all())


# -- signals ----------------------------------------------------------------------------------
def check_signal(check: Check, now: dt.datetime, source: str) -> Signal | None:
    """A check's say: down, failing (warning), up; nothing when disabled, never run or stale."""
    if not check.enabled or check.last_at is None:
        return None
    if now - check.last_at > dt.timedelta(seconds=3 * check.interval + 120):
        return None
    if check.state == "down":
        state = "down"
    elif check.streak > 0:
        state = "warning"  # failing, not yet `failures` times in a row
    elif check.state == "up":
        state = "up"
    else:
        return None
    return Signal(source, state, check.last_at, check.last_error)


def snmp_signal(status: DeviceStatus, now: dt.datetime) -> Signal | None:
    if now - status.checked_at > SNMP_STALE:
        return None
    return Signal("snmp", "up" if status.up else "down", status.checked_at, status.last_error)


def radio_signal(radio: Radio, now: dt.datetime) -> Signal | None:
    if not radio.enabled or radio.up is None or radio.last_poll_at is None:
        return None
    if now - radio.last_poll_at > dt.timedelta(seconds=3 * radio.poll_interval + 120):
        return None
    return Signal("poll", "up" if radio.up else "down", radio.last_poll_at, radio.last_error)


def node_states(session: Session, op: Operator, nodes: list[TopologyNode]) -> dict[int, NodeState]:
    """Each node's live state, showing only the devices a map of `op` may show."""
    now = session.scalar(sa.select(sa.func.now()))
    out = {n.id: NodeState() for n in nodes}
    shown = {col: devices(session, col, op, {getattr(n, col) for n in nodes})
             for col in ("nas_id", "olt_id", "radio_id", "check_id")}
    pairs = [(kinds[0], dev) for col, kinds in DEVICE_KINDS.items() for dev in shown[col]]
    device_checks = {}
    if pairs:
        for c in session.scalars(sa.select(Check).where(
                sa.tuple_(Check.device_kind, Check.device_id).in_(pairs))):
            device_checks[(c.device_kind, c.device_id)] = c
    snmp = {}
    polled = [(k, i) for k, i in pairs if k in ("nas", "olt")]
    if polled:
        for s in session.scalars(sa.select(DeviceStatus).where(
                sa.tuple_(sa.cast(DeviceStatus.kind, sa.Text), DeviceStatus.device_id)
                .in_(polled))):
            snmp[(str(s.kind), s.device_id)] = s
    radios = {r.id: r for r in session.scalars(
        sa.select(Radio).where(Radio.id.in_(list(shown["radio_id"]))))} if shown["radio_id"] else {}
    checks = {c.id: c for c in session.scalars(
        sa.select(Check).where(Check.id.in_(list(shown["check_id"]))))} if shown["check_id"] else {}
    for n in nodes:
        state = out[n.id]
        signals: list[Signal | None] = []
        for col, (check_kind, snmp_kind) in DEVICE_KINDS.items():
            dev = getattr(n, col)
            if dev is None or dev not in shown[col]:
                continue
            state.device = shown[col][dev]
            if (c := device_checks.get((check_kind, dev))) is not None:
                signals.append(check_signal(c, now, "ping"))
            if snmp_kind and (s := snmp.get((snmp_kind, dev))) is not None:
                signals.append(snmp_signal(s, now))
            if col == "radio_id":
                signals.append(radio_signal(radios[dev], now))
        if n.check_id is not None and n.check_id in checks:
            state.device = shown["check_id"][n.check_id]
            signals.append(check_signal(checks[n.check_id], now, "check"))
        state.signals = [s for s in signals if s is not None]
        state.status = verdict([s.state for s in state.signals])
    return out


# -- links ------------------------------------------------------------------------------------
def loads(session: Session, links: list[TopologyLink], nodes: dict[int, TopologyNode],
          states: dict[int, NodeState]) -> dict[int, dict]:
    """Each link's load from its interface's last SNMP poll (when there is one, recent, on a
    router or OLT the map may show: node_states named it): {in_bps, out_bps, bps, at}."""
    wanted = {}
    for link in links:
        node = nodes.get(link.if_node_id) if link.if_node_id else None
        if node is None or not link.if_name or states[node.id].device is None:
            continue
        if node.nas_id is not None:
            wanted[link.id] = ("nas", node.nas_id, link.if_name)
        elif node.olt_id is not None:
            wanted[link.id] = ("olt", node.olt_id, link.if_name)
    if not wanted:
        return {}
    keys = list({(k, d, name) for k, d, name in wanted.values()})
    latest = (sa.select(sa.cast(InterfaceSample.kind, sa.Text), InterfaceSample.device_id,
                        InterfaceSample.if_name, InterfaceSample.in_bps,
                        InterfaceSample.out_bps, InterfaceSample.at)
              .where(sa.tuple_(sa.cast(InterfaceSample.kind, sa.Text), InterfaceSample.device_id,
                               InterfaceSample.if_name).in_(keys),
                     InterfaceSample.at > sa.func.now() - SAMPLE_STALE,
                     InterfaceSample.in_bps.is_not(None))
              .order_by(InterfaceSample.kind, InterfaceSample.device_id,
                        InterfaceSample.if_name, InterfaceSample.at.desc())
              .distinct(InterfaceSample.kind, InterfaceSample.device_id,
                        InterfaceSample.if_name))
    found = {(k, d, name): (i, o, at) for k, d, name, i, o, at in session.execute(latest)}
    out = {}
    for lid, key in wanted.items():
        if key in found:
            i, o, at = found[key]
            out[lid] = {"in_bps": i, "out_bps": o or 0, "bps": max(i or 0, o or 0), "at": at}
    return out


def link_status(a: str, b: str, utilisation: float | None) -> str:
    """down when either end is; warning when an end is or the link is nearly full; up when
    both ends are; else unknown."""
    if "down" in (a, b):
        return "down"
    if "warning" in (a, b) or (utilisation is not None and utilisation >= BUSY):
        return "warning"
    if a == b == "up":
        return "up"
    return "unknown"
