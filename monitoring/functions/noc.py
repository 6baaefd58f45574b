"""The NOC dashboard's figures, each a function scoped like the lists it summarises:
noc.rejects (Access-Rejects per minute over the last hour, radpostauth), noc.reject_reasons
(their top reasons), noc.outbox (queue depth and the oldest pending item per kind),
noc.top_interfaces (the busiest interfaces at the last SNMP poll), noc.wall_link (a signed,
read-only URL for a wall screen). Zabbix servers and radios (monitoring/functions/zabbix.py,
radios.py) are imported from here, the module the registry loads for the NOC."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from monitoring.functions import radios, zabbix  # noqa: F401  (their functions register)
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import usable
from radbill.functions.registry import Call, ListResult, OkResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF
from radbill.models import (Customer, InterfaceSample, Nas, NasSettings, Olt, Outbox,
                            RadPostAuth)

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


@function("noc.wall_link", kind="action", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("days", f"how long it works (1..{WALL_DAYS}, default {WALL_DAYS})"),))
def wall_link(call: Call) -> OkResult:
    """A read-only NOC wall URL for a TV: it shows what you see, for `days` or until your
    login is disabled; anyone holding it sees the dashboard, so keep it like a password."""
    from monitoring import wall
    if call.caller.user_id is None:
        from radbill.functions.registry import FuncError
        raise FuncError("only a staff login can make a wall link (it acts as that login)",
                        field="days")
    days = F.parse_one("days", F.integer(1, WALL_DAYS), call.get("days") or str(WALL_DAYS))
    token, expires = wall.make(call.caller.user_id, days)
    audit.record(call, "noc_wall", call.caller.user_id, call.caller.login, None,
                 {"expires": audit.jsonable(expires), "token_sha256": wall.fingerprint(token)})
    return OkResult(None, {"token": token, "path": f"/noc/wall/{token}",
                           "expires": audit.jsonable(expires)})
