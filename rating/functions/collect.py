"""collect.find: the customer a distributor or collector is standing in front of, by mobile or
username, with what they owe -- the first step of paying on their behalf (payment.edit)."""
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
_DIGITS = re.compile(r"\+?[0-9]+", re.ASCII)
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]+", re.ASCII)


def bangladeshi(national: str) -> list[str]:
    """How a Bangladeshi number whose national part (after the 0 or +880) is `national` may be
    stored: the spellings customers.functions.customers.mobile_spellings lists for a whole one."""
    return ["0" + national, "880" + national, "+880" + national, "00880" + national]


def foreign(key: str) -> list[str]:
    return [key, "+" + key, "00" + key]


def prefixes(raw: str) -> list[str]:
    """What the stored spellings of a number that starts as `raw` is typed start with: a
    Bangladeshi one by its national part whichever way it was written (017..., +88017...,
    88017..., 0088017...), another by its digits with or without + or 00; [] for no number."""
    digits = re.sub(r"[\s().-]", "", raw)
    if not _DIGITS.fullmatch(digits):
        return []
    international = digits.startswith(("+", "00"))
    digits = digits[1:] if digits.startswith("+") else digits[2:] if international else digits
    if digits.startswith("880"):
        national = digits[3:]
        return bangladeshi(national[1:] if national.startswith("0") else national)  # +880 017.
    if international:
        return foreign(digits)
    if digits.startswith("0"):
        return bangladeshi(digits[1:])
    return bangladeshi(digits) + foreign(digits)  # 1712... or a foreign number's digits


def mask(mobile: str | None) -> str | None:
    """Enough of a number to recognise it, not to harvest it: 01712***678."""
    from customers.functions.customers import BD_INTERNATIONAL, mobile_key
    if not mobile:
        return mobile
    key = mobile_key(mobile)
    shown = "0" + key[3:] if BD_INTERNATIONAL.fullmatch(key) else mobile
    keep_start, keep_end = (5, 3) if len(shown) > 9 else (2, 2)
    return shown[:keep_start] + "*" * max(len(shown) - keep_start - keep_end, 1) \
        + shown[-keep_end:]


def matches(q: str) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """The customers `q` names -- a username, whole or its start; a mobile number in any spelling,
    whole or its start -- and those it names exactly (listed first)."""
    from customers.functions.customers import mobile, mobile_key, mobile_spellings
    low = q.lower()
    near, exact = [], []
    if _USERNAME.fullmatch(q):
        like = low.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        near.append(sa.func.lower(Customer.username).like(like))
        exact.append(sa.func.lower(Customer.username) == low)
    starts = prefixes(q)
    if starts and sum(ch.isdigit() for ch in q) >= MIN_MOBILE_DIGITS:
        # digits and +: nothing a LIKE pattern would read as a wildcard
        near += [sa.func.lower(Customer.mobile).like(s + "%") for s in starts]
        try:  # the same number, as customer.edit's duplicate check compares numbers
            exact.append(Customer.mobile.in_(mobile_spellings(mobile_key(mobile(q)))))
        except ValueError:
            pass  # only the start of a number
    return sa.or_(sa.false(), *near), sa.or_(sa.false(), *exact)


@function("collect.find", money=True, kind="list", roles=FINDERS, params=(
    Param("q", "mobile number (017..., +88017..., 88017...) or username, whole or its start",
          True),))
def find(call: Call) -> ListResult:
    """Find a customer of your subtree by mobile or username: what they owe and pay."""
    from customers.functions.customers import ENTITY as customers
    q = F.parse_one("q", F.text(64), (call.get("q") or "").strip())
    if not q:
        raise FuncError("type a mobile number or a username", field="q")
    near, exact = matches(q)
    due = (sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), 0))
           .where(Bill.customer_id == Customer.id, Bill.status == "open")
           .correlate(Customer).scalar_subquery())
    stmt = (sa.select(Customer, Package.name, Package.price, due)
            .join(Package, Package.id == Customer.package_id)
            .where(Customer.deleted_at.is_(None)))
    stmt = customers.visible(call, stmt, deleted=True)  # a manager: only their own customers
    # exact matches first, then the rest in username order: two indexed reads, each stopping
    # at LIMIT (one ORDER BY over both would sort every customer a short prefix matches)
    found = call.session.execute(stmt.where(exact).order_by(Customer.username, Customer.id)
                                 .limit(LIMIT)).all()
    if len(found) < LIMIT:
        seen = [c.id for c, *_ in found]
        found += call.session.execute(
            stmt.where(near, Customer.id.not_in(seen)).order_by(Customer.username, Customer.id)
            .limit(LIMIT - len(found))).all()
    rows = [row(call, c, package, price, owed) for c, package, price, owed in found]
    return ListResult(rows, len(rows), 1, LIMIT, list(COLUMNS))


def row(call: Call, c: Customer, package: str, price, owed) -> dict:
    price = c.custom_price if c.custom_price is not None else price
    renewal = None
    if owed == 0 and c.billing_profile_id is None:  # prepaid: paying buys the next validity
        quote, _ = bills.quote(call.session, c)
        renewal = str(quote.total) if quote.total > ZERO else None
    distributor = call.caller.role == "card_distributor"
    return {"id": c.id, "username": c.username, "name": c.name,
            "mobile": mask(c.mobile) if distributor else c.mobile, "status": c.status,
            "package": package, "price": str(price), "due": str(cents(owed)), "renewal": renewal,
            "expires_at": c.expires_at.isoformat() if c.expires_at else None}
