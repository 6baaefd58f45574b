"""report.commission: what each distributor and collector brought in and earned (the commission
itself is booked by rating/commission.py as payments land)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, paged, resolve_operator
from radbill.functions.registry import Call, ListResult, NotFound, Param, function
from radbill.functions.roles import RESELLERS
from radbill.models import (LedgerAccount, LedgerEntry, LedgerTransaction, Operator, Payment,
                            RechargeCard, StaffUser)
from radbill.money import q as cents
from rating import commission
from rating.functions.common import optional_day
from rating.terms import midnight

EARNERS = ("card_distributor", "manager")  # they see their own row only
COLUMNS = ["id", "login", "name", "role", "operator", "commission_percent", "commission_fixed",
           "cards_redeemed", "card_value", "amount_collected", "earned", "reversed", "net"]
SUMS = {"card_value", "amount_collected", "earned", "reversed", "net"}


def window(call: Call, column) -> list[sa.ColumnElement[bool]]:
    """`column` inside the from/to days (whole days in the ISP's zone)."""
    start, end = optional_day(call, "from"), optional_day(call, "to")
    out = []
    if start:
        out.append(column >= midnight(start))
    if end:
        out.append(column < midnight(end + dt.timedelta(days=1)))
    return out


def activity(call: Call) -> sa.Subquery:
    """Per earner, the payments that stand: their cards redeemed and the cash they collected."""
    earner, card = commission.earner_of(), Payment.card_id.is_not(None)
    return (sa.select(earner.label("staff_id"),
                      sa.func.count(Payment.id).filter(card).label("cards"),
                      sa.func.sum(Payment.amount).filter(card).label("card_value"),
                      sa.func.sum(Payment.amount).filter(Payment.method == "cash")
                      .label("collected"))
            .select_from(Payment).outerjoin(RechargeCard, RechargeCard.id == Payment.card_id)
            .where(Payment.status == "completed", in_subtree(call, Payment.operator_id),
                   *window(call, Payment.received_at))
            .group_by(earner).subquery("activity"))


def booked(call: Call) -> sa.Subquery:
    """Per earner, from the ledger: commission booked, and taken back by payment reversals."""
    earner, amount = commission.earner_of(), sa.func.sum(LedgerEntry.amount)
    booking = LedgerTransaction.kind == commission.KIND
    return (sa.select(earner.label("staff_id"), amount.filter(booking).label("earned"),
                      (-amount.filter(sa.not_(booking))).label("reversed"))
            .select_from(LedgerEntry)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .join(Payment, Payment.id == LedgerTransaction.payment_id)
            .outerjoin(RechargeCard, RechargeCard.id == Payment.card_id)
            .where(LedgerAccount.kind == "commission", in_subtree(call, LedgerAccount.operator_id),
                   *window(call, LedgerTransaction.at))
            .group_by(earner).subquery("booked"))


@function("report.commission", replica=True, money=True, kind="list",
          roles=RESELLERS + EARNERS, params=(
    Param("distributor", "a distributor's or collector's login or id (default: all of yours)"),
    Param("from", "first day (the ISP's zone)"), Param("to", "last day"),
    Param("operator", "their operator (and those below it)"), Param("page"), Param("per_page")))
def report(call: Call) -> ListResult:
    """Per distributor and collector: cards redeemed, cash collected, commission earned,
    reversed and net."""
    act, led = activity(call), booked(call)
    zero = sa.literal(0)
    earned = sa.func.coalesce(led.c.earned, zero)
    taken_back = sa.func.coalesce(led.c.reversed, zero)
    stmt = (sa.select(StaffUser.id, StaffUser.login, StaffUser.name, StaffUser.role,
                      Operator.name.label("operator"), StaffUser.commission_percent,
                      StaffUser.commission_fixed,
                      sa.func.coalesce(act.c.cards, zero).label("cards_redeemed"),
                      sa.func.coalesce(act.c.card_value, zero).label("card_value"),
                      sa.func.coalesce(act.c.collected, zero).label("amount_collected"),
                      earned.label("earned"), taken_back.label("reversed"),
                      (earned - taken_back).label("net"))
            .join(Operator, Operator.id == StaffUser.operator_id)
            .outerjoin(act, act.c.staff_id == StaffUser.id)
            .outerjoin(led, led.c.staff_id == StaffUser.id)
            .where(in_subtree(call, StaffUser.operator_id)))
    if call.caller.role in EARNERS:
        stmt = stmt.where(StaffUser.id == call.caller.user_id)
    else:
        stmt = stmt.where(sa.or_(StaffUser.role.in_(EARNERS),
                                 StaffUser.commission_percent.is_not(None),
                                 StaffUser.commission_fixed.is_not(None)))
    if call.get("operator"):
        path = resolve_operator(call, call.get("operator")).path
        stmt = stmt.where(StaffUser.operator_id.in_(sa.select(Operator.id).where(
            Operator.path.startswith(path, autoescape=True))))
    if call.get("distributor"):
        stmt = stmt.where(StaffUser.id == distributor(call, stmt))
    return paged(call, stmt, COLUMNS, row, StaffUser.login, StaffUser.id)


def row(*values) -> dict:
    return {k: str(cents(v)) if k in SUMS else audit.jsonable(v) for k, v in zip(COLUMNS, values)}


def distributor(call: Call, stmt: sa.Select) -> int:
    """The id of the distributor named by login or id among the report's rows (else NotFound,
    the same answer whether they exist elsewhere or not at all)."""
    ref = F.parse_one("distributor", F.text(64), call.get("distributor").strip())
    named = sa.func.lower(StaffUser.login) == ref.lower()
    if (ref_id := F.as_id(ref)) is not None:
        named = sa.or_(named, StaffUser.id == ref_id)
    found = call.session.scalar(stmt.with_only_columns(StaffUser.id).where(named).limit(1))
    if found is None:
        raise NotFound(f"no distributor {F.short(ref)!r}", field="distributor")
    return found
