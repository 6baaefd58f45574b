"""package.replace and pool.replace (issue 17): every customer of one package moved to another,
with a chosen proration rule; every package and static address of one pool moved to another.
Both preview without sok=ok and run as customers/bulk.py tasks (one customer per savepoint,
audited as that customer's change, progress committed with the work)."""
from __future__ import annotations

import datetime as dt
import ipaddress

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import CIDR

from customers import bulk
from radbill import events
from packages.functions.packages import ENTITY as PACKAGES, POOLS
from packages.functions.pools import ENTITY as IP_POOLS
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import may_manage
from radbill.functions.registry import Call, FormResult, FuncError, OkResult, Param, function
from radbill.functions.roles import RESELLERS
from radbill.models import Customer, IpPool, Package, PackageChange, RadAcct

RULES = ("none", "prorate", "next_cycle")
RULE_HELP = ("none: moved now, nothing billed; prorate: as package.change (an upgrade now with "
             "the pro-rated difference billed, a downgrade at the next cycle); next_cycle: "
             "moved when the paid period ends, nothing billed")
PACKAGE_KIND, POOL_KIND = "package.replace", "pool.replace"


def _customers():
    from customers.functions.customers import ENTITY
    return ENTITY


def _find(call: Call, entity, field: str):
    ref = (call.get(field) or "").strip()
    if not ref:
        raise FuncError("is required", field=field)
    return entity.find(call, F.parse_one(field, F.text(200), ref), field=field)


def online(session, ids: list[int]) -> int:
    """How many of `ids` have an open session now (their open radacct rows, partial index)."""
    if not ids:
        return 0
    names = sa.select(Customer.username).where(Customer.id.in_(ids))
    return session.scalar(sa.select(sa.func.count(sa.distinct(RadAcct.username))).where(
        RadAcct.acctstoptime.is_(None), RadAcct.username.in_(names))) or 0


# -- package.replace ----------------------------------------------------------------------------
def move(session, caller, c: Customer, field: str, value: str, p: dict) -> None:
    """One customer of package `from` to package `value` by the task's rule."""
    from rating import package_change as pc
    from rating.terms import terms_of, today
    call = Call(session, caller, PACKAGE_KIND, {"elid": str(c.id), "package": value,
                                                "proration": p["proration"]})
    if c.package_id != p["from"]:
        raise FuncError("is no longer on the package being replaced", field="from")
    new = session.get(Package, int(value))
    usable = session.info.setdefault("bulk_usable", {})  # one answer per operator a step
    key = (c.operator_id, new.id)
    if key not in usable:
        try:
            _customers()._usable_by(call, c, Package, new.id, "to")
            usable[key] = None
        except FuncError as exc:
            usable[key] = exc
    if usable[key] is not None:
        raise usable[key]
    old = c.package
    before = audit.snapshot(c)
    rule, on = p["proration"], today()
    if rule == "none":
        t = terms_of(session, c)  # upgrade or downgrade as package.change tells them apart
        change = PackageChange(customer_id=c.id, operator_id=c.operator_id, from_package_id=old.id,
                               to_package_id=new.id, kind=pc.kind_of(t, old, t.price, new),
                               status="applied", effective_on=on, source="staff",
                               requested_by=caller.login,
                               applied_at=dt.datetime.now(dt.timezone.utc))
        session.add(change)
        c.package_id = new.id
        session.flush()
        events.emit(session, "customer.package_changed", customer_id=c.id,
                    operator_id=c.operator_id, actor=caller.login, func=PACKAGE_KIND,
                    username=c.username, change_id=change.id, kind=change.kind,
                    **{"from": old.name, "to": new.name})
    else:
        waiting = session.scalar(sa.select(PackageChange.id).where(
            PackageChange.customer_id == c.id,
            PackageChange.status.in_(("pending", "scheduled"))))
        if waiting is not None:
            raise FuncError(f"has package change {waiting} waiting; cancel it first", field="to")
        plan = pc.plan(session, c, new, on)
        effective = plan.effective_on if rule == "prorate" else \
            (plan.period[1] if plan.period is not None else on)
        change = PackageChange(customer_id=c.id, operator_id=c.operator_id,
                               from_package_id=old.id, to_package_id=new.id, kind=plan.kind,
                               status="pending", effective_on=effective, amount=plan.amount,
                               source="staff", requested_by=caller.login)
        session.add(change)
        session.flush()
        if effective <= on:
            pc.apply(session, change, c, on, actor=caller.login, func=PACKAGE_KIND)
        else:
            change.status, change.amount = "scheduled", 0
            session.flush()
            pc.announce(session, change, c, caller.login, PACKAGE_KIND)
            audit.record(call, "package_change", change.id, c.username, None,
                         audit.snapshot(change), c.operator_id)
            return
    session.flush()
    audit.record(call, "customer", c.id, c.username, before, audit.snapshot(c), c.operator_id)


bulk.register(PACKAGE_KIND, "package_replace", move)


@function(PACKAGE_KIND, kind="form", roles=RESELLERS, money=("amount",),
          params=(Param("from", "the package whose customers move", True),
                  Param("to", "the package they move to", True),
                  Param("proration", RULE_HELP),
                  Param("confirm", "for many customers: the count the preview showed")))
def package_replace(call: Call):
    """Move every customer of one package (of your subtree) to another. Without sok=ok a
    preview: how many, how many are online (they get a CoA with the new rate), a few moves
    made and undone; with sok=ok a background task moves each one (audited per customer)."""
    old, new = _find(call, PACKAGES, "from"), _find(call, PACKAGES, "to")
    rule = F.parse_one("proration", F.choice(*RULES), (call.get("proration") or "none").strip())
    if old.id == new.id:
        raise FuncError("is the package being replaced", field="to")
    if new.trial_days:  # as customer.edit refuses a move onto a trial
        raise FuncError("a trial package is for new customers only", field="to")
    ids = list(call.session.scalars(_customers().visible(call, sa.select(Customer.id)).where(
        Customer.package_id == old.id).order_by(Customer.id)))
    params = {"from": old.id, "proration": rule}
    from customers.functions.bulk import LARGE, SAMPLE, confirm, dry_run
    if not call.sok:
        def change_of(c: Customer) -> dict:  # the move's package_changes row, as it would be
            made = call.session.scalars(sa.select(PackageChange).where(
                PackageChange.customer_id == c.id).order_by(PackageChange.id.desc())).first()
            return {"after": new.name, "kind": made.kind, "status": made.status,
                    "effective_on": made.effective_on.isoformat(), "amount": str(made.amount)}
        sample = dry_run(call, ids, "package_replace", {i: str(new.id) for i in ids[:SAMPLE]},
                         params, more=change_of)
        return FormResult(None, {"from": old.name, "to": new.name, "proration": rule,
                                 "matched": len(ids), "online": online(call.session, ids),
                                 "sample": sample, "confirm_needed": len(ids) > LARGE})
    if not ids:
        raise FuncError(f"no customer of yours has package {old.name!r}", field="from")
    confirm(call, len(ids))
    task = bulk.start(call.session, call, "package_replace", str(new.id), ids,
                      kind=PACKAGE_KIND, extra=params,
                      title=f"package {old.name} -> {new.name} ({rule}) for "
                            f"{len(ids):,} customers")
    return OkResult(task.id, {"task": task.id, "customers": len(ids)})


# -- pool.replace -------------------------------------------------------------------------------
def inside(cidr) -> sa.ColumnElement[bool]:
    """The customer's static address lies in `cidr` (inet << cidr)."""
    return Customer.static_ip.op("<<", is_comparison=True)(sa.cast(str(cidr), CIDR))


def allocate(session, pool: IpPool, count: int) -> list[str]:
    """`count` free host addresses of `pool` in address order: not its network or broadcast,
    none a live customer's static address; FuncError when it has fewer."""
    net = ipaddress.ip_network(str(pool.cidr))
    used = {str(ip) for ip in session.scalars(sa.select(Customer.static_ip).where(
        Customer.deleted_at.is_(None), Customer.static_ip.is_not(None),
        inside(str(net))))}
    hosts = net.hosts() if net.prefixlen < 31 else iter(net)
    out = []
    for ip in hosts:
        if len(out) == count:
            break
        if str(ip) not in used:
            out.append(str(ip))
    if len(out) < count:
        free = (net.num_addresses - (2 if net.prefixlen < 31 else 0)) - len(used)
        raise FuncError(f"pool {pool.name!r} ({net}) has {max(free, 0):,} free addresses; "
                        f"{count:,} customers need one", field="to")
    return out


@function(POOL_KIND, kind="form", roles=RESELLERS, money=False,
          params=(Param("from", "the pool being replaced", True),
                  Param("to", "the pool that replaces it", True),
                  Param("confirm", "for many customers: the count the preview showed")))
def pool_replace(call: Call):
    """Move the packages of one pool to another (those you may change), and give every
    customer whose static IPv4 address lies in the old pool (or whose package used it) a free
    address of the new one. Without sok=ok a preview; with sok=ok the packages change at once
    and a background task re-addresses the customers (each audited; a live session is
    disconnected so it dials again with its new address)."""
    from customers.functions.bulk import LARGE, confirm
    old, new = _find(call, IP_POOLS, "from"), _find(call, IP_POOLS, "to")
    if old.id == new.id:
        raise FuncError("is the pool being replaced", field="to")
    if new.suspended != old.suspended:
        raise FuncError("replace the walled garden only by another walled garden", field="to")
    family = ipaddress.ip_network(str(old.cidr)).version
    if ipaddress.ip_network(str(new.cidr)).version != family:
        raise FuncError(f"is not an IPv{family} pool, as {old.name!r} is", field="to")
    pkgs = list(call.session.scalars(sa.select(Package).where(sa.or_(
        *(getattr(Package, f"{key}_id") == old.id for key in POOLS))).order_by(Package.id)))
    mine = [p for p in pkgs if may_manage(call, p.operator_id)]
    ids = []
    if family == 4:  # static IPv6 prefixes are not handed out from a pool
        ids = list(call.session.scalars(_customers().visible(call, sa.select(Customer.id)).where(
            Customer.static_ip.is_not(None),
            sa.or_(inside(old.cidr), Customer.package_id.in_([p.id for p in pkgs])),
            sa.not_(inside(new.cidr))).order_by(Customer.id)))
    addresses = allocate(call.session, new, len(ids))  # refused when the pool is too small
    if not call.sok:
        names = dict(call.session.execute(sa.select(Customer.id, Customer.username)
                                          .where(Customer.id.in_(ids[:5]))).all())
        return FormResult(None, {
            "from": old.name, "to": new.name, "packages": [p.name for p in mine],
            "packages_not_yours": [p.name for p in pkgs if p not in mine],
            "matched": len(ids), "online": online(call.session, ids),
            "sample": [{"username": names[i], "after": a} for i, a in zip(ids[:5], addresses)],
            "confirm_needed": len(ids) > LARGE})
    confirm(call, len(ids))
    for p in mine:  # through package.edit's steps: its pool checks and the package's audit row
        uses = {key: new.name for key in POOLS if getattr(p, f"{key}_id") == old.id}
        PACKAGES.save(Call(call.session, call.caller, call.func,
                           {"elid": str(p.id), "sok": "ok", **uses}), p)
    task_id = None
    if ids:
        task = bulk.start(call.session, call, "static_ip", None, ids,
                          values=dict(zip(ids, addresses)), kind=POOL_KIND,
                          title=f"pool {old.name} -> {new.name}: {len(ids):,} static addresses")
        task_id = task.id
    return OkResult(task_id, {"task": task_id, "customers": len(ids), "packages": len(mine)})


bulk.register(POOL_KIND, "static_ip", bulk.apply_one)
