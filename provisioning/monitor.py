"""Device health over SNMP: up/down with the time it changed, and interface traffic series."""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from provisioning import snmp
from provisioning.errors import ProvisioningError
from radbill import events
from radbill.models import DeviceStatus, InterfaceSample, Nas, NasSettings, Olt

log = logging.getLogger("radbill.monitor")
KEEP_SAMPLES = dt.timedelta(days=35)


def set_status(session: Session, kind: str, device_id: int, up: bool, *, uptime: int | None = None,
               descr: str | None = None, error: str | None = None) -> DeviceStatus:
    """Record a poll's verdict; `changed_at` moves only when up/down flips, and a flip (or a
    first verdict of down) is a device.down / device.up event."""
    before = _current(session, kind, device_id)
    now = sa.func.clock_timestamp()  # not now(): a job's transaction may run for minutes
    stmt = insert(DeviceStatus).values(kind=kind, device_id=device_id, up=up, changed_at=now,
                                       checked_at=now, sys_uptime=uptime, sys_descr=descr,
                                       last_error=error)
    ex = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "device_id"],
        set_={"up": ex.up, "checked_at": ex.checked_at, "last_error": ex.last_error,
              "changed_at": sa.case((DeviceStatus.up != ex.up, ex.changed_at),
                                    else_=DeviceStatus.changed_at),
              "sys_uptime": sa.func.coalesce(ex.sys_uptime, DeviceStatus.sys_uptime),
              "sys_descr": sa.func.coalesce(ex.sys_descr, DeviceStatus.sys_descr)})
    session.execute(stmt)
    status = session.get(DeviceStatus, (kind, device_id), populate_existing=True)
    announce(session, kind, device_id, before, status, error)
    return status


def set_api_status(session: Session, nas_id: int, ok: bool, version: str | None,
                   error: str | None) -> None:
    """Record a router's API check beside its SNMP verdict (a new row takes `up` from it)."""
    before = _current(session, "nas", nas_id)
    now = sa.func.clock_timestamp()
    stmt = insert(DeviceStatus).values(kind="nas", device_id=nas_id, up=ok, changed_at=now,
                                       checked_at=now, api_ok=ok, api_checked_at=now,
                                       api_version=version, api_error=error)
    ex = stmt.excluded
    session.execute(stmt.on_conflict_do_update(
        index_elements=["kind", "device_id"],
        set_={"api_ok": ex.api_ok, "api_checked_at": ex.api_checked_at,
              "api_version": sa.func.coalesce(ex.api_version, DeviceStatus.api_version),
              "api_error": ex.api_error}))
    if before is None:  # the first verdict on this router: it is its up/down too
        status = session.get(DeviceStatus, ("nas", nas_id), populate_existing=True)
        announce(session, "nas", nas_id, before, status, error)


def _current(session: Session, kind: str, device_id: int) -> tuple[bool, dt.datetime] | None:
    """The recorded verdict, locked so that two pollers announce a flip once."""
    row = session.execute(sa.select(DeviceStatus.up, DeviceStatus.changed_at).where(
        DeviceStatus.kind == kind, DeviceStatus.device_id == device_id).with_for_update()).first()
    return None if row is None else (row.up, row.changed_at)


def announce(session: Session, kind: str, device_id: int, before: tuple | None,
             status: DeviceStatus, error: str | None) -> None:
    """device.down when it stops answering (or is down at its first poll), device.up when it
    answers again after being down."""
    was_up = None if before is None else before[0]
    if status.up == was_up or (was_up is None and status.up):
        return
    name, operator_id = _describe(session, kind, device_id)
    common = dict(operator_id=operator_id, actor="monitor", kind=kind, device_id=device_id,
                  name=name)
    if status.up:
        down_for = (status.changed_at - before[1]).total_seconds() if before[1] else None
        events.emit(session, "device.up", down_seconds=int(down_for) if down_for else None,
                    **common)
    else:
        events.emit(session, "device.down", error=(error or "")[:300] or None, **common)


def _describe(session: Session, kind: str, device_id: int) -> tuple[str, int | None]:
    if kind == "nas":
        nas = session.get(Nas, device_id)
        owner = session.get(NasSettings, device_id)
        return (nas.shortname or nas.nasname if nas else f"nas {device_id}",
                owner.operator_id if owner else None)
    if kind == "olt":
        olt = session.get(Olt, device_id)
        return (olt.name if olt else f"olt {device_id}", olt.operator_id if olt else None)
    return f"{kind} {device_id}", None


def latest_samples(session: Session, kind: str, device_id: int) -> dict[int, InterfaceSample]:
    stmt = (sa.select(InterfaceSample)
            .where(InterfaceSample.kind == kind, InterfaceSample.device_id == device_id)
            .order_by(InterfaceSample.if_index, InterfaceSample.at.desc())
            .distinct(InterfaceSample.if_index))
    return {s.if_index: s for s in session.scalars(stmt)}


def poll_device(session: Session, kind: str, device_id: int, agent: snmp.Agent) -> DeviceStatus:
    """Poll one device; a timeout marks it down (and is not an error of the job)."""
    before = session.get(DeviceStatus, (kind, device_id))
    try:
        result = snmp.poll(agent)
    except ProvisioningError as exc:
        status = set_status(session, kind, device_id, False, error=exc.reason)
        if before is None or before.up:
            log.warning("%s %s is down: %s", kind, device_id, exc)
        return status
    # sysUpTime going backwards means the device restarted and its counters began again
    restarted = before is not None and before.sys_uptime is not None \
        and result.uptime_ticks < before.sys_uptime
    store_samples(session, kind, device_id, result, restarted)
    status = set_status(session, kind, device_id, True, uptime=result.uptime_ticks,
                        descr=result.descr[:500])
    if before is not None and not before.up:
        log.info("%s %s is up again", kind, device_id)
    return status


def store_samples(session: Session, kind: str, device_id: int, result: snmp.Poll,
                  restarted: bool) -> None:
    prev = latest_samples(session, kind, device_id)
    for i in result.interfaces:
        p = prev.get(i.index)
        in_bps = out_bps = None
        if p is not None and not restarted and p.counter_bits == i.bits:
            seconds = (result.at - p.at).total_seconds()
            in_bps = snmp.rate(int(p.in_octets), i.in_octets, i.bits, seconds)
            out_bps = snmp.rate(int(p.out_octets), i.out_octets, i.bits, seconds)
        session.add(InterfaceSample(kind=kind, device_id=device_id, if_index=i.index,
                                    if_name=i.name, at=result.at, in_octets=i.in_octets,
                                    out_octets=i.out_octets, counter_bits=i.bits,
                                    in_bps=in_bps, out_bps=out_bps))
    session.flush()


def prune(session: Session, keep: dt.timedelta = KEEP_SAMPLES) -> int:
    return session.execute(sa.delete(InterfaceSample).where(
        InterfaceSample.at < sa.func.now() - keep)).rowcount
