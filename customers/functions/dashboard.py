"""report.customers, report.expiring, report.online: the dashboard's customer figures (no money,
so the NOC sees them too), each within the caller's subtree (a manager: their customers)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import paged
from radbill.functions.registry import Call, FuncError, ListResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS
from radbill.models import Customer, Event, RadAcct

EXPIRING_COLUMNS = ["id", "username", "name", "mobile", "status", "operator_id", "expires_at"]


def _isp_day(call: Call, name: str = "date") -> dt.date:
    from radbill import settings
    raw = (call.get(name) or "").strip()
    if not raw:
        return dt.datetime.now(settings.get().tz).date()
    try:
        return F.day(raw)
    except ValueError as exc:
        raise FuncError(str(exc), field=name) from None


def _midnight(day: dt.date) -> dt.datetime:
    from radbill import settings
    return dt.datetime.combine(day, dt.time(), tzinfo=settings.get().tz)


def _everyone(call: Call) -> bool:
    """Whether the caller's reach is every customer (the system, or a login at the one root of
    the tree, not a manager): then radacct needs no join to customers to be scoped."""
    from radbill.models import Operator
    if call.caller.role == "manager":
        return False
    if call.caller.operator_path is None:
        return True
    roots = call.session.scalars(sa.select(Operator.path).where(Operator.parent_id.is_(None)))
    return list(roots) == [call.caller.operator_path]


def _customers():
    from customers.functions.customers import ENTITY
    return ENTITY


@function("report.customers", replica=True, kind="list", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("date", "the month of this day (default today)"),))
def customer_counts(call: Call) -> ListResult:
    """Customers by status, past expiry and online now; this month's new, suspended and deleted
    (churned) ones; and those whose validity ends within the next 7 days."""
    on = _isp_day(call)
    start = _midnight(on.replace(day=1))
    end = _midnight((on.replace(day=1) + dt.timedelta(days=32)).replace(day=1))
    entity = _customers()
    now = max(dt.datetime.now(dt.timezone.utc), _midnight(on))
    live = Customer.deleted_at.is_(None)
    cols = [sa.func.count().filter(Customer.created_at >= start, Customer.created_at < end),
            sa.func.count().filter(Customer.deleted_at >= start, Customer.deleted_at < end),
            sa.func.count().filter(live, Customer.status.in_(("active", "fup")),
                                   Customer.expires_at >= now,
                                   Customer.expires_at < now + dt.timedelta(days=7)),
            sa.func.count().filter(live, Customer.expires_at < sa.func.now())]
    statuses = ("active", "suspended", "disabled", "fup")
    cols += [sa.func.count().filter(live, Customer.status == st) for st in statuses]
    counts = call.session.execute(entity.visible(call, sa.select(*cols), deleted=True)).one()
    suspended = call.session.scalar(
        sa.select(sa.func.count(sa.distinct(Event.customer_id)))
        .where(Event.name == "customer.suspended", Event.at >= start, Event.at < end,
               Event.customer_id.in_(entity.visible(call, sa.select(Customer.id), deleted=True))))
    by_status = dict(zip(statuses, counts[4:]))
    expired = counts[3]
    online = sa.select(sa.func.count(sa.distinct(RadAcct.username))).where(
        RadAcct.acctstoptime.is_(None))
    if not _everyone(call):
        online = online.where(RadAcct.username.in_(entity.visible(
            call, sa.select(Customer.username))))
    rows = [{"metric": k, "customers": v} for k, v in by_status.items()]
    rows += [{"metric": "expired", "customers": expired},
             {"metric": "online", "customers": call.session.scalar(online) or 0},
             {"metric": "new_month", "customers": counts[0]},
             {"metric": "suspended_month", "customers": suspended or 0},
             {"metric": "deleted_month", "customers": counts[1]},
             {"metric": "expiring_7d", "customers": counts[2]}]
    return ListResult(rows, len(rows), 1, len(rows), ["metric", "customers"])


@function("report.expiring", replica=True, kind="list", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("days", "within this many days (default 7)"), Param("page"),
                  Param("per_page")))
def expiring(call: Call) -> ListResult:
    """Live customers whose validity ends within the next days (default 7), soonest first."""
    days = F.parse_one("days", F.integer(1, 366), call.get("days") or "7")
    now = dt.datetime.now(dt.timezone.utc)
    stmt = _customers().visible(call, sa.select(*[getattr(Customer, c) for c in EXPIRING_COLUMNS]))
    stmt = stmt.where(Customer.status.in_(("active", "fup")), Customer.expires_at >= now,
                      Customer.expires_at < now + dt.timedelta(days=days))
    return paged(call, stmt, EXPIRING_COLUMNS,
                 lambda *r: {c: audit.jsonable(v) for c, v in zip(EXPIRING_COLUMNS, r)},
                 Customer.expires_at, Customer.id)


@function("report.online", replica=True, kind="list", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("hours", "how far back (default 24)"),))
def online_trend(call: Call) -> ListResult:
    """Sessions open in each hour of the last hours (default 24), from radacct, oldest first."""
    hours = F.parse_one("hours", F.integer(1, 24 * 7), call.get("hours") or "24")
    now = dt.datetime.now(dt.timezone.utc)
    first = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=hours - 1)
    # a session is open in hour h when it started before h ends and had not stopped before h
    # began: open(h) = sessions started by the end of h - sessions stopped before h began, over
    # the sessions still open at `first` or started since. Read in three index-only passes
    # (migration 0010): open sessions started before `first` (a count), open ones started since
    # (per hour; ix_radacct_open_start), stopped ones since `first` (per start and stop hour;
    # ix_radacct_stop); no pass groups a row by an hour that only ends up as "before".
    scope = [RadAcct.acctstarttime <= now]
    if not _everyone(call):
        scope.append(RadAcct.username.in_(_customers().visible(call, sa.select(Customer.username))))
    starts: dict[int, int] = {}
    stops: dict[int, int] = {}

    def index(at: dt.datetime | None) -> int:
        """An hour as its index from `first`; None (before `first`) and earlier ones -1."""
        return -1 if at is None else max(int((at - first).total_seconds() // 3600), -1)

    def add(to: dict[int, int], at, n: int) -> None:
        to[index(at)] = to.get(index(at), 0) + n

    is_open = RadAcct.acctstoptime.is_(None)
    add(starts, None, call.session.scalar(
        sa.select(sa.func.count()).where(is_open, RadAcct.acctstarttime < first, *scope)) or 0)
    hour = sa.func.date_trunc("hour", RadAcct.acctstarttime)
    for at, n in call.session.execute(sa.select(hour, sa.func.count()).where(
            is_open, RadAcct.acctstarttime >= first, *scope).group_by(hour)):
        add(starts, at, n)
    began = sa.case((RadAcct.acctstarttime < first, None), else_=hour)
    ended = sa.func.date_trunc("hour", RadAcct.acctstoptime)
    for s_at, e_at, n in call.session.execute(sa.select(began, ended, sa.func.count()).where(
            RadAcct.acctstoptime >= first, *scope).group_by(began, ended)):
        add(starts, s_at, n)
        add(stops, e_at, n)
    rows, started, stopped = [], starts.get(-1, 0), 0
    for h in range(hours):
        started += starts.get(h, 0)
        rows.append({"hour": audit.jsonable(first + dt.timedelta(hours=h)),
                     "sessions": int(started - stopped)})
        stopped += stops.get(h, 0)
    return ListResult(rows, len(rows), 1, len(rows), ["hour", "sessions"])
