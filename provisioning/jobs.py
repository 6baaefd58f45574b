"""Scheduled provisioning work, as plain functions the scheduler (and the CLI) call with a session.

- sync_olts(session): every 15 minutes; each OLT is read only when its own sync_interval has
  passed, and its optics only when optics_interval has (both have floors in the database).
- poll_devices(session): every 5 minutes; SNMP health and interface traffic of every router
  with a community and every OLT with one.
Both are safe when two scheduler instances run: each device is claimed with a transaction-level
advisory lock (pg_try_advisory_xact_lock), so no OLT is ever polled twice at once, and staff
editing a device are never blocked by a poll in progress.
"""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from provisioning import device_secrets, mikrotik, monitor, snmp
from provisioning.errors import ProvisioningError
from provisioning.olt import sync
from radbill.jobs import Job, register
from radbill.models import Nas, NasSettings, Olt

log = logging.getLogger("radbill.jobs")
LOCK_SPACE = {"olt-sync": 70510, "nas": 70511, "olt": 70512, "api": 70513}


def claim(session: Session, what: str, device_id: int) -> bool:
    """Whether this process got the device (held until its transaction ends)."""
    return bool(session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(LOCK_SPACE[what],
                                                                           device_id))))


def sync_olts(session: Session, force: bool = False, timeout: float = 10.0) -> list[dict]:
    """Discover ONUs on every OLT that is due; one OLT's failure does not stop the others."""
    now = dt.datetime.now(dt.timezone.utc)
    due = sa.or_(Olt.last_sync_at.is_(None),
                 Olt.last_sync_at + sa.func.make_interval(0, 0, 0, 0, 0, 0, Olt.sync_interval)
                 <= sa.func.now())
    stmt = sa.select(Olt).where(Olt.enabled.is_(True))
    if not force:
        stmt = stmt.where(due)
    results = []
    for olt in session.scalars(stmt.order_by(Olt.id)).all():
        if not claim(session, "olt-sync", olt.id):
            continue
        try:
            with session.begin_nested():
                results.append(sync.sync_olt(session, olt, sync.optics_due(olt, now), timeout))
        except Exception as exc:  # a driver bug on one OLT must not stop the others
            log.exception("OLT %s sync crashed", olt.name)
            results.append({"olt": olt.name, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    return results


def poll_devices(session: Session, nas_snmp_port: int | None = None,
                 timeout: float = 2.0) -> list[dict]:
    """SNMP-poll routers and OLTs: up/down (with when it changed) and interface rates.

    `nas_snmp_port` overrides every router's own nas_settings.snmp_port (tests use it)."""
    results = []
    routers = session.execute(
        sa.select(Nas.id, Nas.shortname, Nas.nasname, NasSettings.credentials,
                  NasSettings.snmp_version, NasSettings.snmp_port)
        .join(NasSettings, NasSettings.nas_id == Nas.id)
        .where(NasSettings.credentials.is_not(None))
        .order_by(Nas.id)).all()
    for r in routers:
        community = _community(results, "nas", r.id, r.shortname, r.nasname, r.credentials)
        if community:
            port = nas_snmp_port or r.snmp_port or 161
            agent = snmp.Agent(r.nasname, community, port, r.snmp_version or "2c", timeout)
            results.append(_poll(session, "nas", r.id, r.shortname, agent))
    olts = session.scalars(sa.select(Olt).where(Olt.enabled.is_(True),
                                                Olt.credentials.is_not(None))
                           .order_by(Olt.id)).all()
    for olt in olts:
        community = _community(results, "olt", olt.id, olt.name, olt.host, olt.credentials)
        if community:
            agent = snmp.Agent(olt.host, community, olt.snmp_port, "2c", timeout)
            results.append(_poll(session, "olt", olt.id, olt.name, agent))
    monitor.prune(session)
    return results


def _community(results: list[dict], kind: str, device_id: int, name: str, host: str,
               blob: bytes | None) -> str | None:
    """A device's decrypted SNMP community (None: it has none); one that cannot be read is
    reported in `results` and the device skipped."""
    try:
        return device_secrets.read(blob, host, "community").get("community")
    except ProvisioningError as exc:
        log.warning("%s %s not polled: %s", kind, name, exc)
        results.append({"kind": kind, "id": device_id, "name": name, "error": str(exc)})
        return None


def _poll(session: Session, kind: str, device_id: int, name: str, agent: snmp.Agent) -> dict:
    if not claim(session, kind, device_id):
        return {"kind": kind, "id": device_id, "name": name, "skipped": "polled elsewhere"}
    try:
        with session.begin_nested():
            status = monitor.poll_device(session, kind, device_id, agent)
    except Exception as exc:  # one device's surprise must not stop the poll of the others
        log.exception("%s %s poll crashed", kind, name)
        return {"kind": kind, "id": device_id, "name": name,
                "error": f"{type(exc).__name__}: {exc}"}
    return {"kind": kind, "id": device_id, "name": name, "up": status.up,
            "changed_at": status.changed_at.isoformat(), "error": status.last_error}


def check_router_apis(session: Session, timeout: float = 5.0) -> list[dict]:
    """Log in to every router with API credentials and read its version: the daily proof that
    router.* functions will work when staff need them."""
    rows = session.execute(
        sa.select(Nas.id, Nas.shortname, Nas.nasname, NasSettings)
        .join(NasSettings, NasSettings.nas_id == Nas.id)
        .where(NasSettings.api_user.is_not(None), NasSettings.api_user != "")
        .order_by(Nas.id)).all()
    results = []
    for r in rows:
        if not claim(session, "api", r.id):
            continue
        try:
            router = device_secrets.router(r.nasname, r.NasSettings, timeout)
            version, error = mikrotik.resources(router).version, None
        except ProvisioningError as exc:
            version, error = None, str(exc)
            log.warning("router %s API check failed: %s", r.shortname, exc)
        monitor.set_api_status(session, r.id, error is None, version, error)
        results.append({"nas": r.shortname, "ok": error is None, "version": version,
                        "error": error})
    return results


# -- scheduled jobs (radbill.jobs: body(session, on) -> summary line) ----------------------
def olt_sync_job(session: Session, on: dt.date | None = None) -> str:
    """Every 15 minutes: `Job("olt_sync", olt_sync_job, "interval", {"minutes": 15})`."""
    results = sync_olts(session)
    failed = [r["olt"] for r in results if not r["ok"]]
    return f"{len(results)} OLTs synced" + (f", failed: {', '.join(failed)}" if failed else "")


def router_api_job(session: Session, on: dt.date | None = None) -> str:
    """Daily: `Job("router_api_check", router_api_job, "cron", {"hour": 6, "minute": 0})`."""
    results = check_router_apis(session)
    failed = [r["nas"] for r in results if not r["ok"]]
    return f"{len(results)} router APIs checked" + (f", failing: {', '.join(failed)}"
                                                    if failed else "")


def device_poll_job(session: Session, on: dt.date | None = None) -> str:
    """Every 5 minutes: `Job("device_poll", device_poll_job, "interval", {"minutes": 5})`."""
    results = poll_devices(session)
    down = [r["name"] for r in results if r.get("up") is False]
    return f"{len(results)} devices polled" + (f", down: {', '.join(down)}" if down else "")


register(Job("olt_sync", olt_sync_job, "interval", {"minutes": 15}),
         Job("device_poll", device_poll_job, "interval", {"minutes": 5}),
         Job("router_api_check", router_api_job, "cron", {"hour": 6, "minute": 0}))
