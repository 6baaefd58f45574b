"""package.change, package_change (list), package_change.approve / .refuse / .cancel, and the
portal's portal.package (issue 14). The arithmetic and the carrying out are in
rating/package_change.py."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, shared_with
from radbill.functions.registry import (Call, FormResult, FuncError, NotFound, OkResult, Param,
                                        function)
from radbill.functions.roles import MONEY_STAFF, RESELLERS
from radbill.models import Customer, Operator, Package, PackageChange
from radbill.units import format_speed
from rating import package_change as pc
from rating.functions.common import customer, day
from rating.terms import today

CUSTOMER = ("customer",)


class PackageChanges(Entity):
    name = "package_change"
    money = True
    model = PackageChange
    label = "id"
    columns = ["id", "customer", "from_package_id", "to_package_id", "from", "to", "kind", "status", "effective_on", "amount",
               "bill_id", "source", "requested_by", "decided_by", "created_at"]
    filters = {"customer": "customer_id", "status": "status", "kind": "kind",
               "operator": "operator_id"}
    list_roles = MONEY_STAFF
    default_sort = "-id"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        stmt = stmt.where(in_subtree(call, PackageChange.operator_id))
        if call.caller.role == "manager":
            stmt = stmt.where(PackageChange.customer_id.in_(sa.select(Customer.id).where(
                Customer.manager_id == call.caller.user_id)))
        return stmt

    def filter(self, stmt, param, column, value):
        if param == "customer" and not F.is_id(value):
            return stmt.where(PackageChange.customer_id.in_(sa.select(Customer.id).where(
                sa.func.lower(Customer.username) == value.lower())))
        if param in ("status", "kind"):
            from radbill.models.selfcare import CHANGE_KINDS, CHANGE_STATUSES
            allowed = CHANGE_STATUSES if param == "status" else CHANGE_KINDS
            if value not in allowed:
                raise FuncError(f"must be one of {', '.join(allowed)}", field=param)
        return super().filter(stmt, param, column, value)

    def find(self, call: Call, ref: str, field: str = "elid", lock: bool = False) -> PackageChange:
        if not F.is_id(ref, PackageChange.id):
            raise NotFound(f"no package change {F.short(str(ref))!r}", field=field)
        stmt = self.visible(call, sa.select(PackageChange).where(
            PackageChange.id == F.as_id(ref, PackageChange.id)))
        obj = call.session.scalars(stmt.with_for_update() if lock else stmt).first()
        if obj is None:
            raise NotFound(f"no package change {ref!r}", field=field)
        return obj

    def row(self, obj: PackageChange) -> dict:
        from sqlalchemy.orm import object_session
        s = object_session(obj)
        row = {c: audit.jsonable(getattr(obj, c)) for c in self.columns
               if c not in ("customer", "from", "to")}
        row["customer"] = s.scalar(sa.select(Customer.username)
                                   .where(Customer.id == obj.customer_id))
        row.update(pc.names(s, obj))
        return row


ENTITY = PackageChanges()
function("package_change", money=True, kind="list", roles=MONEY_STAFF,
         params=(Param("page"), Param("per_page"), Param("sort"))
         + tuple(Param(k, "filter") for k in PackageChanges.filters))(ENTITY.list)


def target(call: Call, cust: Customer, online: bool = False) -> Package:
    """The package asked for: offered to the customer's operator (its own, an ancestor's or a
    global one); on the portal also offered online."""
    ref = (call.get("package") or "").strip()
    if not ref:
        raise FuncError("is required", field="package")
    stmt = sa.select(Package).where(offered(call, cust, online))
    stmt = stmt.where(Package.id == F.as_id(ref, Package.id)) if F.is_id(ref, Package.id) else \
        stmt.where(sa.func.lower(Package.name) == ref.lower())
    found = call.session.scalars(stmt).first()
    if found is None:
        raise FuncError(f"no package {F.short(ref)!r} is offered to this customer"
                        + (" online" if online else ""), field="package")
    return found


def offered(call: Call, cust: Customer, online: bool) -> sa.ColumnElement[bool]:
    path = call.session.scalar(sa.select(Operator.path).where(Operator.id == cust.operator_id))
    if online:  # the customer's operator chain (own and ancestors) and global ones
        chain = [int(x) for x in (path or "").strip("/").split("/") if x]
        return sa.and_(Package.online, sa.or_(Package.operator_id.is_(None),
                                              Package.operator_id.in_(chain)))
    return shared_with(path, Package.operator_id)


def change(call: Call, cust: Customer, new: Package, source: str, on) -> OkResult:
    change = pc.request(call.session, cust, new, on, source=source, actor=call.caller.login,
                        func=call.func)
    audit.record(call, "package_change", change.id, cust.username, None,
                 audit.snapshot(change), cust.operator_id)
    return OkResult(change.id, {"status": change.status, "kind": change.kind,
                                "effective_on": change.effective_on.isoformat(),
                                "amount": str(change.amount), "bill_id": change.bill_id})


@function("package.change", money=True, kind="form", roles=RESELLERS,
          params=(Param("customer", "id or username", True),
                  Param("package", "the new package: id or name", True),
                  Param("date", "the day of the change (default today)")))
def package_change(call: Call):
    """Move a customer to another package. Without sok=ok a preview: upgrade or downgrade, the
    pro-rated difference for the rest of the period paid for (with VAT), when it takes
    effect, and for a reseller's customer the wholesale difference the reseller pays its
    parent. With sok=ok an upgrade applies now (billed, the reseller charged, one CoA with the
    new rate), a downgrade is scheduled for the next cycle; a package needing approval waits
    for it."""
    cust = customer(call, lock=call.sok)
    new = target(call, cust)
    if not call.sok:
        return FormResult(None, preview(call, cust, new, day(call), staff=True))
    return change(call, cust, new, "staff", day(call))


def preview(call: Call, cust: Customer, new: Package, on, staff: bool = False) -> dict:
    """The plan as an answer; staff (the reseller's, or its parents') also see `wholesale`,
    what the reseller pays its parent for the change (never shown on the portal)."""
    p = pc.plan(call.session, cust, new, on)
    out = {**p.as_dict(), "needs_approval": bool(new.change_approval),
           "takes_effect": "after approval" if new.change_approval else
           ("now" if p.now else p.effective_on.isoformat())}
    if staff and p.wholesale is not None:
        out["wholesale"] = str(p.wholesale)
    return out


def decide(name: str, doc: str, roles: tuple[str, ...], with_reason: bool):
    params = (Param("elid", "package change id", True),)
    if name == "approve":
        params += (Param("date", "the day it is approved (default today)"),)
    if with_reason:
        params += (Param("reason", "why (the customer is told)"),)

    @function(f"package_change.{name}", money=True, roles=roles, params=params)
    def action(call: Call) -> OkResult:
        ch = ENTITY.find(call, (call.elid or "").strip(), lock=True)
        reason = None
        if with_reason and call.get("reason"):
            reason = F.parse_one("reason", F.text(500), call.get("reason").strip()) or None
        before = audit.snapshot(ch)
        cust = call.session.scalars(sa.select(Customer).where(
            Customer.id == ch.customer_id).with_for_update()).one()
        if name == "approve":
            if ch.status != "pending":
                raise FuncError(f"package change {ch.id} is {ch.status}, not waiting for "
                                "approval", field="elid", status=409)
            pc.approve(call.session, ch, cust, day(call), actor=call.caller.login, func=call.func)
        else:
            pc.end(call.session, ch, "refused" if name == "refuse" else "cancelled",
                   call.caller.login, call.func, reason)
        audit.record(call, "package_change", ch.id, cust.username, before, audit.snapshot(ch),
                     ch.operator_id)
        return OkResult(ch.id, {"status": ch.status})
    action.__doc__ = doc
    return action


decide("approve", "Approve a pending package change: an upgrade applies now, a downgrade is "
       "scheduled for the next cycle.", RESELLERS, False)
decide("refuse", "Refuse a pending package change (the customer is told why).", RESELLERS, True)
decide("cancel", "Cancel a pending or scheduled package change.", RESELLERS, True)


# -- the portal -------------------------------------------------------------------------------
@function("portal.package", kind="form", money=True, roles=CUSTOMER,
          params=(Param("package", "the package to move to: id or name"),
                  Param("cancel", "on: cancel my waiting change")))
def portal_package(call: Call):
    """My package and the ones offered to me online, with prices; with `package` a preview of
    the change (the price difference, when it takes effect); sok=ok asks for it; cancel=on
    (with sok=ok) cancels my waiting change."""
    from customers.functions.portal import me
    cust = me(call)
    stmt = sa.select(PackageChange).where(PackageChange.customer_id == cust.id,
                                          PackageChange.status.in_(("pending", "scheduled")))
    waiting = call.session.scalars(stmt.with_for_update() if call.sok else stmt).first()
    if call.sok and call.get("cancel") in ("on", "yes", "1"):
        if waiting is None:
            raise FuncError("there is no package change waiting", field="cancel")
        before = audit.snapshot(waiting)
        pc.end(call.session, waiting, "cancelled", call.caller.login, call.func)
        audit.record(call, "package_change", waiting.id, cust.username, before,
                     audit.snapshot(waiting), cust.operator_id)
        return OkResult(waiting.id, {"status": "cancelled"})
    if call.get("package") and call.sok:
        return change(call, cust, target(call, cust, online=True), "portal", today())
    current = call.session.get(Package, cust.package_id)
    offers = call.session.scalars(sa.select(Package).where(offered(call, cust, True))
                                  .order_by(Package.price, Package.name)).all()
    values = {"package": current.name, "price": str(current.price),
              "speed": format_speed(current.rate_down, current.rate_up),
              "offers": [{"id": p.id, "name": p.name, "price": str(p.price),
                          "rate_down": p.rate_down, "rate_up": p.rate_up,
                          "speed": format_speed(p.rate_down, p.rate_up),
                          "validity_days": p.validity_days, "current": p.id == current.id,
                          "needs_approval": bool(p.change_approval)} for p in offers],
              "waiting": None}
    if waiting is not None:
        values["waiting"] = {"id": waiting.id, "status": waiting.status, "kind": waiting.kind,
                             "effective_on": waiting.effective_on.isoformat(),
                             **pc.names(call.session, waiting)}
    if call.get("package"):
        values["preview"] = preview(call, cust, target(call, cust, online=True), today())
    return FormResult(None, values)
