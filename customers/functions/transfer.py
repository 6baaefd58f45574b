"""customer.transfer: move customers to another operator of the caller's subtree (issue 19).

Without `sok=ok` it is a preview: per customer, the open bills and what is owed on them, the
advance balance, and whether its package and billing profile are offered at the new operator.
With `sok=ok` it moves them: the customer row (operator; a zone, manager or parent link that
would not hold there is cleared or refused), the money (rating/transfer.py: `bills=move`
takes the open bills along, `bills=leave` leaves them owed to the old operator; the advance
always moves), the audit row and the `customer.transferred` event (a live session is
disconnected when the package changed with the move, so it dials in with the new rate).

Both ends are in the caller's subtree: a customer the caller does not see is not found, an
operator outside it is refused, naming `to`.
"""
from __future__ import annotations

import sqlalchemy as sa

from radbill import events
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import resolve_operator, shared_with
from radbill.functions.registry import Call, FormResult, FuncError, OkResult, Param, function
from radbill.functions.roles import RESELLERS
from radbill.models import BillingProfile, Customer, Operator, Package, StaffUser, Zone

MAX_CUSTOMERS = 500  # one call; a bigger move is several (each customer is one ledger entry)
BILLS = ("move", "leave")


def offered(call: Call, model, obj_id: int | None, target: Operator) -> bool:
    """Whether a package (billing profile) is offered at `target`: global, an ancestor's or
    its own subtree's, as customer.edit requires."""
    if obj_id is None:
        return True
    return call.session.scalar(sa.select(model.id).where(
        model.id == obj_id, shared_with(target.path, model.operator_id))) is not None


def replacement(call: Call, name: str, target: Operator):
    """The `package` / `billing_profile` parameter: one the caller sees and that is offered at
    the new operator (None when not given)."""
    raw = call.get(name)
    if raw in (None, ""):
        return None
    if name == "package":
        from packages.functions.packages import ENTITY
    else:
        from rating.functions.billing_profiles import ENTITY
    obj = ENTITY.find(call, F.parse_one(name, F.text(100), raw), field=name)
    if not offered(call, ENTITY.model, obj.id, target):
        raise FuncError(f"{obj.name!r} is not offered to operator {target.name!r}", field=name)
    return obj


def customers_of(call: Call) -> list[Customer]:
    from customers.functions.customers import ENTITY
    refs = [r.strip() for r in (call.elid or "").split(",") if r.strip()]
    if not refs:
        raise FuncError("name the customers to move", field="elid")
    if len(refs) > MAX_CUSTOMERS:
        raise FuncError(f"at most {MAX_CUSTOMERS} customers at a time", field="elid")
    found = [ENTITY.find(call, F.parse_one("elid", F.text(64), r), lock=call.sok) for r in refs]
    return list({c.id: c for c in found}.values())


def plan(call: Call, c: Customer, target: Operator, package, profile,
         zone_id: int | None) -> dict:
    """What moving `c` does, or the refusals (a field -> why) that stop it."""
    from rating import transfer
    pkg = call.session.get(Package, c.package_id)
    new_pkg = package if package is not None and package.id != c.package_id else None
    problems = {}
    if c.operator_id == target.id:
        problems["to"] = f"{c.username!r} already belongs to {target.name!r}"
    problems.update(held_at(call, c, target, new_pkg, profile))
    money = transfer.moving(call.session, c)
    return {"customer_id": c.id, "username": c.username, "from_operator": c.operator_id,
            "package": pkg.name, "new_package": new_pkg.name if new_pkg else None,
            "open_bills": len(money.open_bills), "owed": money.owed, "advance": money.advance,
            "zone_cleared": c.zone_id is not None and zone_id is None,
            "manager_cleared": manager_lost(call, c, target), "problems": problems}


def held_at(call: Call, c: Customer, target: Operator, new_pkg=None, profile=None) -> dict:
    """Why `c` cannot be `target`'s customer (a field -> why): its package (unless replaced
    by `new_pkg`) or billing profile (unless replaced by `profile`) is not offered there, or
    its family would be split. customer.edit's operator change asks the same."""
    problems = {}
    if new_pkg is None and not offered(call, Package, c.package_id, target):
        pkg = call.session.get(Package, c.package_id)
        problems["package"] = (f"{pkg.name!r} ({c.username}) is not offered to operator "
                               f"{target.name!r}: choose a package offered there")
    if new_pkg is not None and new_pkg.trial_days:
        problems["package"] = f"{new_pkg.name!r} is a trial package, for new customers only"
    keeps_profile = profile is None and c.billing_profile_id is not None
    if keeps_profile and not offered(call, BillingProfile, c.billing_profile_id, target):
        name = call.session.scalar(sa.select(BillingProfile.name).where(
            BillingProfile.id == c.billing_profile_id))
        problems["billing_profile"] = (f"{name!r} ({c.username}) is not offered to operator "
                                       f"{target.name!r}: choose a billing profile offered there")
    if (why := family_problem(call, c, target)) is not None:
        problems["elid"] = why
    return problems


def family_problem(call: Call, c: Customer, target: Operator) -> str | None:
    """A parent account and its children stay in one branch (customer.edit's rule): one's
    operator at or above the other's."""
    others = list(call.session.execute(
        sa.select(Customer.username, Operator.path)
        .join(Operator, Operator.id == Customer.operator_id)
        .where(Customer.deleted_at.is_(None),
               sa.or_(Customer.id == c.parent_id, Customer.parent_id == c.id))))
    for name, path in others:
        if not (path.startswith(target.path) or target.path.startswith(path)):
            return (f"{c.username!r} shares a parent account with {name!r}, which would be in "
                    f"another branch; clear the parent link first")
    return None


def manager_lost(call: Call, c: Customer, target: Operator) -> bool:
    """Whether the customer's manager (a collector) could no longer see it at `target`."""
    if c.manager_id is None:
        return False
    path = call.session.scalar(sa.select(Operator.path).join(
        StaffUser, StaffUser.operator_id == Operator.id).where(StaffUser.id == c.manager_id))
    return not (path and target.path.startswith(path))


@function("customer.transfer", kind="form", roles=RESELLERS, money=True, changes="sok", params=(
    Param("elid", "customer ids or usernames, comma-separated", True, multi=True),
    Param("to", "the operator they move to (id or name), in your subtree"),
    Param("bills", "move: the open bills (and what is owed on them) go with the customer; "
                   "leave: they stay owed to the old operator"),
    Param("package", "a package offered at the new operator, for customers whose own is not"),
    Param("billing_profile", "a billing profile offered at the new operator, for customers "
                             "whose own is not"),
    Param("zone", "the customer's zone at the new operator (zones are per operator)")))
def transfer_customers(call: Call) -> FormResult | OkResult:
    """Move customers to another operator; without sok=ok, what would move."""
    targets = customers_of(call)
    raw_to = (call.get("to") or "").strip()
    bills = call.get("bills") or None
    errors = {}
    if bills is not None and bills not in BILLS:
        errors["bills"] = "is move or leave"
    if not raw_to:
        errors["to"] = "is required: the operator they move to"
    if errors:
        raise FuncError(errors=errors)
    target = resolve_operator(call, F.parse_one("to", F.text(100), raw_to), field="to")
    package = replacement(call, "package", target)
    profile = replacement(call, "billing_profile", target)
    zone_id = zone_at(call, target)
    plans = [plan(call, c, target, package, profile, zone_id) for c in targets]
    if not call.sok:
        return FormResult(None, {"to": target.name, "to_id": target.id, "bills": bills,
                                 "customers": [audit.jsonable(preview_row(p, bills))
                                               for p in plans]})
    if bills is None:
        raise FuncError("choose move (the open bills go too) or leave (they stay owed to the "
                        "old operator)", field="bills")
    for p in plans:
        if p["problems"]:
            raise FuncError(errors=p["problems"])
    for c, p in zip(targets, plans):
        move_one(call, c, target, bills, package, profile, zone_id, p)
    return OkResult(None, {"moved": len(targets), "to": target.name})


def preview_row(p: dict, bills: str | None) -> dict:
    moving = bills == "move"
    return {**{k: v for k, v in p.items() if k != "problems"},
            "bills_moving": p["open_bills"] if moving else 0,
            "owed_moving": p["owed"] if moving else 0,
            "problems": "; ".join(f"{k}: {v}" for k, v in p["problems"].items()) or None}


def zone_at(call: Call, target: Operator) -> int | None:
    raw = call.get("zone")
    if raw in (None, ""):
        return None
    ref = F.parse_one("zone", F.text(100), raw)
    stmt = sa.select(Zone.id).where(Zone.operator_id == target.id)
    stmt = stmt.where(Zone.id == F.as_id(ref)) if F.is_id(ref) else \
        stmt.where(sa.func.lower(Zone.name) == ref.lower())
    zone_id = call.session.scalar(stmt)
    if zone_id is None:
        raise FuncError(f"no zone {ref!r} at operator {target.name!r}", field="zone")
    return zone_id


def move_one(call: Call, c: Customer, target: Operator, bills: str, package, profile,
             zone_id: int | None, p: dict) -> None:
    from rating import transfer
    before = audit.snapshot(c)
    old = call.session.get(Operator, c.operator_id)
    moved = transfer.move(call.session, c, target.id, bills)
    relogin = False
    if p["new_package"] is not None:
        c.package_id, relogin = package.id, True
    if profile is not None:
        c.billing_profile_id = profile.id
    c.operator_id = target.id
    c.zone_id = zone_id
    if p["manager_cleared"]:
        c.manager_id = None
    call.session.flush()
    audit.record(call, "customer", c.id, c.username, before,
                 {**audit.snapshot(c), "bills": bills}, target.id)
    announce(call, c, old, target, bills, moved, relogin=relogin, package=p["new_package"])


def announce(call: Call, c: Customer, old: Operator, target: Operator, bills: str, moved,
             relogin: bool = False, package: str | None = None) -> None:
    """The `customer.transferred` event of a move booked by rating/transfer.move (`moved`):
    after customer.transfer, and after customer.edit's operator change (bills=move)."""
    events.emit(call.session, "customer.transferred", customer_id=c.id, operator_id=target.id,
                actor=call.caller.login, func=call.func, username=c.username,
                from_operator=old.name, to_operator=target.name, bills=bills, relogin=relogin,
                package=package,
                bills_moved=len(moved.open_bills) if bills == "move" else 0,
                owed_moved=moved.owed if bills == "move" else None,
                advance_moved=moved.advance or None)
