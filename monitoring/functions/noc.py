"""The NOC dashboard's figures, each a function scoped like the lists it summarises:
noc.rejects (Access-Rejects per minute over the last hour, radpostauth), noc.reject_reasons
(their top reasons), noc.outbox (queue depth and the oldest pending item per kind),
noc.top_interfaces (the busiest interfaces at the last SNMP poll), noc.down_counts (devices and
radios, how many and how many down, counted in the database whatever their number),
noc.down_devices (the ones down), noc.wall_link (a signed, read-only URL for a wall screen) and
noc.wall_revoke (ends a login's wall links). Zabbix servers and radios
(monitoring/functions/zabbix.py, radios.py) are imported from here, the module the registry
loads for the NOC."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from monitoring.functions import radios, zabbix  # noqa: F401  (their functions register)
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, paged, usable
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, OkResult,
                                        Param, function, load_all)
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF
from radbill.models import (Customer, DeviceStatus, InterfaceSample, Nas, NasSettings, Olt,
                            Outbox, Radio, RadPostAuth, StaffUser)

REJECT = "Access-Reject"
WALL_DAYS = 365


def _scope_rejects(call: Call, stmt: sa.Select) -> sa.Select:
    """Rejects of the caller's customers; the ISP's logins also see names nobody holds."""
    from customers.functions.dashboard import _customers, _everyone
    if _everyone(call):
        return stmt
    return stmt.where(RadPostAuth.username.in_(
        _customers().visible(call, sa.select(Customer.username))))


def _window(call: Call) -> tuple[dt.datetime, dt.datetime, int]:
    minutes = F.parse_one("minutes", F.integer(5, 1440), call.get("minutes") or "60")
    end = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) + \
        dt.timedelta(minutes=1)
    return end - dt.timedelta(minutes=minutes), end, minutes


@function("noc.rejects", replica=True, kind="list", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("minutes", "how far back (5..1440, default 60)"),))
def rejects(call: Call) -> ListResult:
    """Access-Rejects in each minute of the last minutes (default 60), oldest first."""
    start, end, minutes = _window(call)
    minute = sa.func.date_trunc("minute", RadPostAuth.authdate)
    stmt = _scope_rejects(call, sa.select(minute, sa.func.count()).where(
        RadPostAuth.authdate >= start, RadPostAuth.authdate < end, RadPostAuth.reply == REJECT))
    counts = {at: n for at, n in call.session.execute(stmt.group_by(minute))}
    rows = []
    for i in range(minutes):
        at = start + dt.timedelta(minutes=i)
        rows.append({"minute": audit.jsonable(at), "rejects": counts.get(at, 0)})
    return ListResult(rows, len(rows), 1, len(rows), ["minute", "rejects"])


@function("noc.reject_reasons", replica=True, kind="list", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("minutes", "how far back (5..1440, default 60)"),
                  Param("limit", "how many reasons (1..50, default 8)")))
def reject_reasons(call: Call) -> ListResult:
    """The commonest reasons of the Access-Rejects of the last minutes, most first."""
    start, end, _ = _window(call)
    limit = F.parse_one("limit", F.integer(1, 50), call.get("limit") or "8")
    reason = sa.func.coalesce(sa.func.nullif(RadPostAuth.reason, ""), "(no reason)")
    stmt = _scope_rejects(call, sa.select(reason.label("reason"), sa.func.count().label("n"))
                          .where(RadPostAuth.authdate >= start, RadPostAuth.authdate < end,
                                 RadPostAuth.reply == REJECT))
    rows = [{"reason": r, "rejects": n} for r, n in call.session.execute(
        stmt.group_by(reason).order_by(sa.desc("n"), reason).limit(limit))]
    return ListResult(rows, len(rows), 1, max(len(rows), 1), ["reason", "rejects"])


@function("noc.outbox", kind="list", money=False, roles=DEVICE_STAFF)
def outbox(call: Call) -> ListResult:
    """Side effects waiting in the outbox per kind: how many, and since when the oldest."""
    from customers.functions.dashboard import _customers, _everyone
    stmt = sa.select(Outbox.kind, sa.func.count(), sa.func.min(Outbox.created_at),
                     sa.func.min(Outbox.next_attempt_at)).where(Outbox.status == "pending")
    if not _everyone(call):
        stmt = stmt.where(Outbox.customer_id.in_(_customers().visible(call, sa.select(
            Customer.id))))
    now = call.session.scalar(sa.select(sa.func.now()))
    rows = [{"kind": str(kind), "pending": n, "oldest": audit.jsonable(oldest),
             "oldest_seconds": int((now - oldest).total_seconds()) if oldest else None,
             "next_attempt": audit.jsonable(nxt)}
            for kind, n, oldest, nxt in call.session.execute(
                stmt.group_by(Outbox.kind).order_by(Outbox.kind))]
    return ListResult(rows, len(rows), 1, max(len(rows), 1),
                      ["kind", "pending", "oldest", "oldest_seconds", "next_attempt"])


@function("noc.top_interfaces", kind="list", money=False, roles=DEVICE_STAFF,
          params=(Param("limit", "how many (1..50, default 10)"),))
def top_interfaces(call: Call) -> ListResult:
    """The busiest interfaces (in + out) at their last poll of the last 15 minutes."""
    limit = F.parse_one("limit", F.integer(1, 50), call.get("limit") or "10")
    nas = (sa.select(sa.literal("nas").label("kind"), Nas.id.label("id"),
                     sa.func.coalesce(Nas.shortname, Nas.nasname).label("name"))
           .outerjoin(NasSettings, NasSettings.nas_id == Nas.id)
           .where(usable(call, NasSettings.operator_id)))
    olt = sa.select(sa.literal("olt"), Olt.id, Olt.name).where(usable(call, Olt.operator_id))
    devices = sa.union_all(nas, olt).subquery()
    latest = (sa.select(InterfaceSample)
              .where(InterfaceSample.at > sa.func.now() - sa.text("interval '15 minutes'"),
                     InterfaceSample.in_bps.is_not(None))
              .order_by(InterfaceSample.kind, InterfaceSample.device_id,
                        InterfaceSample.if_index, InterfaceSample.at.desc())
              .distinct(InterfaceSample.kind, InterfaceSample.device_id,
                        InterfaceSample.if_index).subquery())
    total = (sa.func.coalesce(latest.c.in_bps, 0) + sa.func.coalesce(latest.c.out_bps, 0))
    stmt = (sa.select(devices.c.kind, devices.c.id, devices.c.name, latest.c.if_name,
                      latest.c.in_bps, latest.c.out_bps, latest.c.at)
            .join(latest, sa.and_(sa.cast(latest.c.kind, sa.Text) == devices.c.kind,
                                  latest.c.device_id == devices.c.id))
            .order_by(total.desc()).limit(limit))
    cols = ["kind", "id", "device", "if_name", "in_bps", "out_bps", "at"]
    rows = [dict(zip(cols, (k, i, n, f, ib, ob, audit.jsonable(at))))
            for k, i, n, f, ib, ob, at in call.session.execute(stmt)]
    return ListResult(rows, len(rows), 1, max(len(rows), 1), cols)


def _devices(call: Call) -> sa.Subquery:
    """Routers and OLTs (as the `device` list shows them, when the caller may see it) and
    radios (as `radio` does): kind, id, name, host, up, since."""
    parts = []
    if load_all()["device"].permits(call.caller):
        for kind, model, id_col, name, host, owner, join in (
                ("nas", Nas, Nas.id, Nas.shortname, Nas.nasname, NasSettings.operator_id,
                 NasSettings.nas_id == Nas.id),
                ("olt", Olt, Olt.id, Olt.name, Olt.host, Olt.operator_id, None)):
            stmt = sa.select(sa.literal(kind).label("kind"), id_col.label("id"),
                             name.label("name"), host.label("host"), DeviceStatus.up,
                             DeviceStatus.changed_at.label("since")).select_from(model)
            if join is not None:
                stmt = stmt.outerjoin(NasSettings, join)
            parts.append(stmt.outerjoin(DeviceStatus, sa.and_(
                sa.cast(DeviceStatus.kind, sa.Text) == kind, DeviceStatus.device_id == id_col))
                .where(usable(call, owner)))
    if load_all()["radio"].permits(call.caller):
        parts.append(sa.select(sa.literal("radio").label("kind"), Radio.id, Radio.name,
                               Radio.host, Radio.up, Radio.last_poll_at.label("since"))
                     .where(in_subtree(call, Radio.operator_id)))
    if not parts:
        raise AccessDenied("your role may not see devices")
    return sa.union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


@function("noc.down_counts", kind="list", money=False, roles=CUSTOMER_VIEWERS)
def down_counts(call: Call) -> ListResult:
    """Per kind of device (nas, olt, radio): how many you see and how many are down, counted
    in the database (every device, not a page of the lists)."""
    d = _devices(call)
    down = sa.func.count().filter(d.c.up.is_(False))
    rows = [{"kind": k, "devices": n, "down": m} for k, n, m in call.session.execute(
        sa.select(d.c.kind, sa.func.count(), down).group_by(d.c.kind).order_by(d.c.kind))]
    return ListResult(rows, len(rows), 1, max(len(rows), 1), ["kind", "devices", "down"])


@function("noc.down_devices", kind="list", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("page"), Param("per_page")))
def down_devices(call: Call) -> ListResult:
    """The routers, OLTs and radios down, the longest down first."""
    d = _devices(call)
    cols = ["kind", "id", "name", "host", "since"]
    return paged(call, sa.select(*(d.c[c] for c in cols)).where(d.c.up.is_(False)), cols,
                 lambda *r: {c: audit.jsonable(v) for c, v in zip(cols, r)},
                 d.c.since.asc().nulls_first(), d.c.kind, d.c.id)


@function("noc.wall_link", kind="action", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("days", f"how long it works (1..{WALL_DAYS}, default {WALL_DAYS})"),))
def wall_link(call: Call) -> OkResult:
    """A read-only NOC wall URL for a TV: it shows what you see, for `days` or until your
    login is disabled; anyone holding it sees the dashboard, so keep it like a password."""
    from monitoring import wall
    if call.caller.user_id is None:
        raise FuncError("only a staff login can make a wall link (it acts as that login)",
                        field="days")
    days = F.parse_one("days", F.integer(1, WALL_DAYS), call.get("days") or str(WALL_DAYS))
    generation = call.session.scalar(sa.select(StaffUser.wall_generation)
                                     .where(StaffUser.id == call.caller.user_id)) or 0
    token, expires = wall.make(call.caller.user_id, days, generation)
    audit.record(call, "noc_wall", call.caller.user_id, call.caller.login, None,
                 {"expires": audit.jsonable(expires), "token_sha256": wall.fingerprint(token)})
    return OkResult(None, {"token": token, "path": f"/noc/wall/{token}",
                           "expires": audit.jsonable(expires)})


@function("noc.wall_revoke", kind="action", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("elid", "the login whose wall links end (id or login); default: "
                                "yours"),))
def wall_revoke(call: Call) -> OkResult:
    """End every wall link a login made (yours, or a login below you): their screens get 403
    at the next refresh; new links work again."""
    if call.elid in (None, "") or call.elid == str(call.caller.user_id):
        user = call.session.get(StaffUser, call.caller.user_id) if call.caller.user_id else None
        if user is None:
            raise FuncError("only a staff login has wall links", field="elid")
    else:
        from staff.functions.users import ENTITY as users
        user = users.find(call, call.elid)
        if not users.editable(call, user):
            raise AccessDenied("you may not end this login's wall links", field="elid")
    # one statement: two revokes at once each move it on, whatever a session had loaded
    generation = call.session.scalar(
        sa.update(StaffUser).where(StaffUser.id == user.id)
        .values(wall_generation=StaffUser.wall_generation + 1)
        .returning(StaffUser.wall_generation).execution_options(synchronize_session="fetch"))
    audit.record(call, "noc_wall", user.id, user.login, {"generation": generation - 1},
                 {"generation": generation, "revoked": True}, user.operator_id)
    return OkResult(user.id, {"generation": generation})
