"""collect.find: the customer a distributor or collector is standing in front of, by mobile,
username, name or address, with what they owe -- the first step of paying on their behalf
(payment.edit)."""
from __future__ import annotations

import re

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.registry import Call, FuncError, ListResult, Param, function
from radbill.functions.roles import MONEY_STAFF
from radbill.models import Bill, Customer, Package
from radbill.money import ZERO, q as cents
from rating import bills

FINDERS = MONEY_STAFF + ("card_distributor",)
LIMIT = 20
COLUMNS = ["id", "username", "name", "mobile", "status", "package", "price", "due", "renewal",
           "expires_at"]
MIN_MOBILE_DIGITS = 6  # typed, prefixes aside: fewer would list a whole operator's prefix
MIN_TEXT = 2  # a name's start: one letter would list everyone
MIN_CONTAINS = 3  # a word inside a name, or inside an address
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]+", re.ASCII)


def mask(mobile: str | None) -> str | None:
    """Enough of a number to recognise it, not to harvest it: 01712***678."""
    from customers.functions.customers import national
    if not mobile:
        return mobile
    shown = national(mobile)
    keep_start, keep_end = (5, 3) if len(shown) > 9 else (2, 2)
    return shown[:keep_start] + "*" * max(len(shown) - keep_start - keep_end, 1) \
        + shown[-keep_end:]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matches(q: str) -> tuple[list, list, list]:
    """The customers `q` names, as three conditions: exactly (a username, a number, a name:
    listed first); by an index (a username's or a name's start; a mobile number's start in any
    spelling or its last 6+ digits); and by reading the rows (a word inside the name, the
    address containing q: no index serves a contains, so it is asked last)."""
    from customers.functions.customers import mobile_matches, normalise
    low = q.lower()
    near, exact, scan = [], [], []
    if _USERNAME.fullmatch(q):
        near.append(sa.func.lower(Customer.username).like(_like(low) + "%"))
        exact.append(sa.func.lower(Customer.username) == low)
    phone = mobile_matches(q, min_digits=MIN_MOBILE_DIGITS)
    if phone:
        near += phone
        if (number := normalise(q)) is not None:  # the same number, as customer.edit compares
            exact.append(Customer.mobile == number)
    elif len(low) >= MIN_TEXT:
        near.append(sa.func.lower(Customer.name).like(_like(low) + "%"))
        exact.append(sa.func.lower(Customer.name) == low)
        if len(low) >= MIN_CONTAINS:
            scan += [sa.func.lower(Customer.name).like("% " + _like(low) + "%"),
                     sa.func.lower(Customer.address).like("%" + _like(low) + "%")]
    return near, exact, scan


@function("collect.find", money=True, kind="list", roles=FINDERS, params=(
    Param("q", "mobile number (017..., +88017..., 88017..., or its last 6+ digits), username, "
          "name or address", True),))
def find(call: Call) -> ListResult:
    """Find a customer of your subtree by mobile, username, name or address: what they owe."""
    from customers.functions.customers import ENTITY as customers
    q = F.parse_one("q", F.text(64), (call.get("q") or "").strip())
    if not q:
        raise FuncError("type a mobile number, a username, a name or an address", field="q")
    near, exact, scan = matches(q)
    due = (sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), 0))
           .where(Bill.customer_id == Customer.id, Bill.status == "open")
           .correlate(Customer).scalar_subquery())
    stmt = (sa.select(Customer, Package.name, Package.price, due)
            .join(Package, Package.id == Customer.package_id)
            .where(Customer.deleted_at.is_(None)))
    stmt = customers.visible(call, stmt, deleted=True)  # a manager: only their own customers
    # exact matches first, then the rest in username order: indexed reads, each stopping at
    # LIMIT (one ORDER BY over all would sort every customer a short prefix matches); a
    # contains (name word, address) only when they found no one, unsorted, so a common word
    # stops at LIMIT rows (a rare one reads every row of the subtree: no index serves it)
    found: list = []
    for conds, ordered in ((exact, True), (near, True), (scan, False)):
        if len(found) >= LIMIT or not conds or (found and not ordered):
            continue  # the read of every row only when no index found anyone
        more = stmt.where(sa.or_(*conds), Customer.id.not_in([c.id for c, *_ in found]) if found
                          else sa.true())
        more = more.order_by(Customer.username, Customer.id) if ordered else more
        found += call.session.execute(more.limit(LIMIT - len(found))).all()
    rows = [row(call, c, package, price, owed) for c, package, price, owed in found]
    return ListResult(rows, len(rows), 1, LIMIT, list(COLUMNS))


def row(call: Call, c: Customer, package: str, price, owed) -> dict:
    """One customer as found; the number as it is written at home (01712345678)."""
    from customers.functions.customers import national
    price = c.custom_price if c.custom_price is not None else price
    renewal = None
    if owed == 0 and c.billing_profile_id is None:  # prepaid: paying buys the next validity
        quote, _ = bills.quote(call.session, c)
        renewal = str(quote.total) if quote.total > ZERO else None
    distributor = call.caller.role == "card_distributor"
    return {"id": c.id, "username": c.username, "name": c.name,
            "mobile": mask(c.mobile) if distributor else national(c.mobile), "status": c.status,
            "package": package, "price": str(price), "due": str(cents(owed)), "renewal": renewal,
            "expires_at": c.expires_at.isoformat() if c.expires_at else None}
