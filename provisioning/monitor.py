"""Device health over SNMP: up/down with the time it changed, and interface traffic series."""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from provisioning import snmp
from provisioning.errors import ProvisioningError
from radbill.models import DeviceStatus, InterfaceSample

log = logging.getLogger("radbill.monitor")
KEEP_SAMPLES = dt.timedelta(days=35)


def set_status(session: Session, kind: str, device_id: int, up: bool, *, uptime: int | None = None,
               descr: str | None = None, error: str | None = None) -> DeviceStatus:
    """Record a poll's verdict; `changed_at` moves only when up/down flips."""
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
    return session.get(DeviceStatus, (kind, device_id), populate_existing=True)


def set_api_status(session: Session, nas_id: int, ok: bool, version: str | None,
                   error: str | None) -> None:
    """Record a router's API check beside its SNMP verdict (a new row takes `up` from it)."""
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
