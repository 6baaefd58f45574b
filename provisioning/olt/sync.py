"""ONU discovery: read an OLT through its driver, upsert its ONUs, map them to customers; keep
the OLT's VLAN list (read once a day here, or on demand by olt.vlans refresh=yes); tell staff of
an ONU running hot (onu.hot, once per ONU a day)."""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from provisioning import device_secrets, monitor
from provisioning.errors import ProvisioningError
from provisioning.olt import Access, OnuInfo, driver_for
from radbill import events, settings
from radbill.models import Customer, Olt, Onu, RadAcct

log = logging.getLogger("radbill.olt")
MAP_WINDOW = dt.timedelta(days=30)  # sessions older than this no longer say who is behind an ONU
VLAN_INTERVAL = dt.timedelta(days=1)  # VLANs change by hand, rarely: one read a day is plenty


def access(olt: Olt, timeout: float = 10.0) -> Access:
    """How to reach the OLT, with its decrypted credentials (a ProvisioningError naming
    `password` when this installation's key cannot open them)."""
    telnet = olt.cli_transport == "telnet"
    creds = device_secrets.olt_credentials(olt)
    return Access(olt.host, olt.username, creds.get("password"),
                  olt.telnet_port if telnet else olt.ssh_port, creds.get("community"),
                  olt.snmp_port, timeout, olt.ssh_host_key, olt.cli_transport, olt.protocol)


def pin_host_key(olt: Olt, driver) -> None:
    """Trust on first use: the SSH key a CLI driver saw becomes the only one the OLT may show."""
    if olt.ssh_host_key is None and getattr(driver, "host_key", None):
        olt.ssh_host_key = driver.host_key


def vlans_due(olt: Olt, now: dt.datetime) -> bool:
    return olt.vlans_at is None or olt.vlans_at + VLAN_INTERVAL <= now


def refresh_vlans(olt: Olt, timeout: float = 10.0) -> dict:
    """Read the OLT's VLANs into its cached copy; a failure keeps the last good list."""
    now = dt.datetime.now(dt.timezone.utc)
    olt.vlans_at = now
    try:
        driver = driver_for(olt.brand, access(olt, timeout))
        found = driver.vlans()
    except ProvisioningError as exc:
        olt.vlans_error = str(exc)
        log.warning("OLT %s VLAN read failed: %s", olt.name, exc)
        return {"olt": olt.name, "ok": False, "error": str(exc)}
    pin_host_key(olt, driver)
    olt.vlans, olt.vlans_error = [v.row() for v in found], None
    return {"olt": olt.name, "ok": True, "vlans": len(found)}


def optics_due(olt: Olt, now: dt.datetime) -> bool:
    return olt.last_optics_at is None or \
        olt.last_optics_at + dt.timedelta(seconds=olt.optics_interval) <= now


def sync_olt(session: Session, olt: Olt, optics: bool, timeout: float = 10.0) -> dict:
    """One OLT; a device that fails leaves every ONU row as it was and says why."""
    now = dt.datetime.now(dt.timezone.utc)
    try:
        driver = driver_for(olt.brand, access(olt, timeout))
        found = driver.onus(optics=optics)
    except ProvisioningError as exc:
        olt.last_error = str(exc)
        olt.last_sync_at = now  # wait the full interval before knocking again
        monitor.set_status(session, "olt", olt.id, False, error=exc.reason)
        log.warning("OLT %s sync failed: %s", olt.name, exc)
        return {"olt": olt.name, "ok": False, "error": str(exc)}
    pin_host_key(olt, driver)
    known = session.scalar(sa.select(sa.func.count()).where(Onu.olt_id == olt.id))
    if not found and known:
        # An OLT with every ONU gone is far less likely than output we failed to read:
        # keep the inventory rather than mark the whole PON missing.
        olt.last_sync_at, olt.last_error = now, "the OLT listed no ONUs; the previous list is kept"
        return {"olt": olt.name, "ok": False, "error": olt.last_error}
    seen = upsert(session, olt, found, optics, now)
    if optics:
        hot(session, olt, found, seen, now)
    missing = session.execute(
        sa.update(Onu).where(Onu.olt_id == olt.id, Onu.id.not_in(seen), Onu.status != "missing")
        .values(status="missing", updated_at=now)).rowcount
    mapped = map_customers(session, olt.id,
                           {(o.port, o.onu_id): o.learned_macs for o in found if o.learned_macs})
    olt.last_sync_at, olt.last_error = now, None
    if optics:
        olt.last_optics_at = now
    monitor.set_status(session, "olt", olt.id, True)
    result = {"olt": olt.name, "ok": True, "onus": len(found), "missing": missing,
              "mapped": mapped, "optics": optics}
    if vlans_due(olt, now):  # a failed VLAN read is noted on the OLT, the ONU sync stands
        result["vlans"] = refresh_vlans(olt, timeout).get("vlans")
    return result


def hot(session: Session, olt: Olt, found: list[OnuInfo], ids: list[int],
        now: dt.datetime) -> int:
    """onu.hot for each ONU this optics pass read above RADBILL_ONU_HOT_CELSIUS (the OLT's
    operator's staff are alerted), at most once per ONU a day in the ISP's zone (the dedupe
    key); `ids` are the ONUs' rows in `found`'s order. Returns how many were told now."""
    conf = settings.get()
    day = now.astimezone(conf.tz).date().isoformat()
    told = 0
    for o, onu_id in zip(found, ids):
        if o.temperature is None or o.temperature <= conf.onu_hot_celsius:
            continue
        told += events.emit(
            session, "onu.hot", operator_id=olt.operator_id, actor="monitor",
            dedupe_key=f"onu.hot:{onu_id}:{day}", olt_id=olt.id, name=olt.name, onu_id=onu_id,
            target=f"{o.port}:{o.onu_id}", celsius=o.temperature, limit=conf.onu_hot_celsius,
            serial=o.serial, mac=o.mac, description=o.description) is not None
    if told:
        log.warning("OLT %s: %d ONU(s) above %d °C", olt.name, told, conf.onu_hot_celsius)
    return told


def upsert(session: Session, olt: Olt, found: list[OnuInfo], optics: bool,
           now: dt.datetime) -> list[int]:
    ids = []
    for o in found:
        values = {"olt_id": olt.id, "port": o.port, "onu_id": o.onu_id, "serial": o.serial,
                  "mac": o.mac, "status": o.status, "distance": o.distance,
                  "description": o.description, "updated_at": now,
                  "last_seen_at": now if o.status == "online" else None}
        if optics:
            values["rx_power"], values["temperature"] = o.rx_power, o.temperature
        stmt = insert(Onu).values(**values)
        update = {k: stmt.excluded[k] for k in values if k not in ("olt_id", "port", "onu_id")}
        # an offline ONU keeps the time it was last seen online
        update["last_seen_at"] = sa.func.coalesce(stmt.excluded.last_seen_at, Onu.last_seen_at)
        stmt = stmt.on_conflict_do_update(constraint="uq_onus_olt_port_onu", set_=update)
        ids.append(session.execute(stmt.returning(Onu.id)).scalar_one())
    return ids


def map_customers(session: Session, olt_id: int,
                  learned: dict[tuple[str, int], list[str]] | None = None) -> int:
    """Link each ONU to a customer: first by the latest session (radacct Calling-Station-Id)
    from the ONU's own MAC, then from a MAC learned behind it (a bridging ONU), then by a
    customer's MAC binding. Returns how many links changed."""
    learned = learned or {}
    rows = session.execute(sa.select(Onu.id, Onu.port, Onu.onu_id, Onu.mac, Onu.customer_id)
                           .where(Onu.olt_id == olt_id)).all()
    macs = {m for r in rows for m in [r.mac, *learned.get((r.port, r.onu_id), [])] if m}
    if not macs:
        return 0
    by_session = _latest_users(session, macs)
    by_binding = dict(session.execute(sa.select(Customer.mac, Customer.id).where(
        Customer.mac.in_(macs), Customer.deleted_at.is_(None))).all())
    changed = 0
    for r in rows:
        candidates = [m for m in [r.mac, *learned.get((r.port, r.onu_id), [])] if m]
        target = next((by_session[m] for m in candidates if m in by_session), None) or \
            next((by_binding[m] for m in candidates if m in by_binding), None)
        if target != r.customer_id:
            session.execute(sa.update(Onu).where(Onu.id == r.id).values(customer_id=target))
            changed += 1
    return changed


def _latest_users(session: Session, macs: set[str]) -> dict[str, int]:
    """{MAC: customer id} from the newest recent session dialled from each MAC."""
    mac_col = sa.func.upper(RadAcct.callingstationid)
    latest = (sa.select(mac_col.label("mac"), RadAcct.username)
              .where(RadAcct.acctstarttime > sa.func.now() - MAP_WINDOW, mac_col.in_(macs))
              .order_by(mac_col, RadAcct.acctstarttime.desc().nulls_last())
              .distinct(mac_col).subquery())
    stmt = (sa.select(latest.c.mac, Customer.id)
            .join(Customer, sa.func.lower(Customer.username) == sa.func.lower(latest.c.username))
            .where(Customer.deleted_at.is_(None)))
    return dict(session.execute(stmt).all())
