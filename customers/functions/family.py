"""Parent and child accounts (issue 17): a family's or a business group's payer.

customer.edit sets `parent` (one level, the same operator subtree). Staff see a parent's
children with their dues (`customer.children`); on the portal a parent sees its children's
bills and pays them (`portal.children`, `portal.child_checkout`, `portal.child_recharge`,
`portal.child_invoice`) through the same payment functions as the child would, delegated as in
customers/functions/portal.py: the payment is booked to the child's bills and ledger, and the
audit log names the parent (`customer:<parent>`). A child sees nothing of its parent: every
portal.child_* looks the child up among the caller's own children only.
"""
from __future__ import annotations

import sqlalchemy as sa

from customers.functions.customers import ENTITY as CUSTOMERS
from customers.functions.portal import (CUSTOMER, INVOICE_AS, delegate, gateways_of, me,
                                        pay_by_card, pay_online, recent_bills)
from radbill.functions import fields as F
from radbill.functions import registry
from radbill.functions.audit import jsonable
from radbill.functions.crud import paged
from radbill.functions.registry import (Call, FileResult, FormResult, FuncError, ListResult,
                                        NotFound, OkResult, Param, function)
from radbill.functions.roles import CUSTOMER_VIEWERS
from radbill.models import Bill, Customer
from radbill.money import ZERO

CHILD_COLUMNS = ["id", "username", "name", "status", "expires_at", "due"]


def _dues():
    """Each customer's open dues: (customer_id, due)."""
    return (sa.select(Bill.customer_id, sa.func.sum(Bill.total - Bill.paid).label("due"))
            .where(Bill.status == "open").group_by(Bill.customer_id).subquery())


def children_of(session, parent_id: int, stmt=None) -> sa.Select:
    dues = _dues()
    base = stmt if stmt is not None else sa.select(Customer)
    return (base.add_columns(sa.func.coalesce(dues.c.due, ZERO))
            .outerjoin(dues, dues.c.customer_id == Customer.id)
            .where(Customer.parent_id == parent_id, Customer.deleted_at.is_(None)))


def child_row(c: Customer, due) -> dict:
    return {"id": c.id, "customer_id": c.id, "username": c.username, "name": c.name,
            "status": c.status, "expires_at": jsonable(c.expires_at), "due": str(due)}


@function("customer.children", kind="list", roles=CUSTOMER_VIEWERS, money={"due"}, params=(
    Param("elid", "the parent customer's id or username", True), Param("page"),
    Param("per_page")))
def children(call: Call) -> ListResult:
    """A parent account's children with what each owes."""
    parent = CUSTOMERS.find(call, call.elid or "")
    stmt = children_of(call.session, parent.id, CUSTOMERS.visible(call, sa.select(Customer)))
    return paged(call, stmt, CHILD_COLUMNS, child_row, Customer.username, Customer.id)


# -- the portal --------------------------------------------------------------------------------
def my_child(call: Call, parent: Customer, field: str = "child") -> Customer:
    """One of the caller's own children, by username or id; anyone else does not exist."""
    ref = F.parse_one(field, F.text(64), (call.get(field) or "").strip())
    if not ref:
        raise FuncError("is required", field=field)
    cond = sa.func.lower(Customer.username) == ref.lower()
    if (cid := F.as_id(ref)) is not None:
        cond = sa.or_(cond, Customer.id == cid)
    found = call.session.scalars(sa.select(Customer).where(
        cond, Customer.parent_id == parent.id, Customer.deleted_at.is_(None))
        .order_by(Customer.id).limit(1)).first()
    if found is None:
        raise NotFound(f"no account {F.short(ref)!r} among yours", field=field)
    return found


@function("portal.children", kind="form", money=True, roles=CUSTOMER)
def portal_children(call: Call) -> FormResult:
    """The accounts I pay for: each one's status, dues and recent bills."""
    c = me(call)
    rows = call.session.execute(children_of(call.session, c.id)
                                .order_by(Customer.username, Customer.id)).all()
    kids = [{**child_row(k, due), "bills": recent_bills(call.session, k)} for k, due in rows]
    total = sum((due for _k, due in rows), ZERO)
    return FormResult(c.id, {"children": kids, "due": str(total), "owes": total > 0,
                             "gateways": gateways_of(call.session, c)})


@function("portal.child_checkout", money=True, roles=CUSTOMER, params=(
    Param("child", "the child account's username", True),
    Param("gateway", "bkash, nagad, sslcommerz or aamarpay", True),
    Param("amount", "default: what the child owes, or one period of its package")))
def child_checkout(call: Call) -> OkResult:
    """Pay a child account's bills online (payment.checkout for the child, paid by me)."""
    return pay_online(call, my_child(call, me(call)), "portal")


@function("portal.child_recharge", money=True, roles=CUSTOMER, params=(
    Param("child", "the child account's username", True),
    Param("pin", "the recharge card PIN", True)))
def child_recharge(call: Call) -> OkResult:
    """Pay a child account with a recharge card; wrong PINs count against me (lockout)."""
    parent = me(call)
    kid = my_child(call, parent)
    result = pay_by_card(call, parent, kid)
    return OkResult(result.elid, {**result.extra, "child": kid.username})


@function("portal.child_invoice", money=True, changes=False, roles=CUSTOMER,
          params=(Param("elid", "bill id", True),))
def child_invoice(call: Call) -> FileResult:
    """A child account's bill as a PDF; no other bill exists for me here."""
    parent = me(call)
    ref = call.elid or ""
    owner = call.session.scalar(sa.select(Customer.parent_id).join(
        Bill, Bill.customer_id == Customer.id).where(Bill.id == F.as_id(ref, Bill.id))) \
        if F.is_id(ref, Bill.id) else None
    if owner != parent.id:
        raise NotFound(f"no bill {F.short(ref)!r}", field="elid")
    return registry.call(call.session, delegate(call, INVOICE_AS), "bill.pdf", {"elid": ref})
