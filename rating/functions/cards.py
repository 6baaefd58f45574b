"""card, card.generate, card.delete: recharge card batches."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, resolve_operator
from radbill.functions.registry import Call, FuncError, NotFound, OkResult, Param, function
from radbill.functions.roles import RESELLERS
from radbill.models import Operator, RechargeCard, StaffUser
from rating import cards
from rating.functions.common import money, optional_day

VIEWERS = RESELLERS + ("card_distributor",)


class Cards(Entity):
    name = "card"
    money = True  # prepaid value
    model = RechargeCard
    label = "serial"
    columns = ["id", "serial", "pin", "batch", "amount", "package_id", "status", "distributor_id",
               "used_by", "used_at", "valid_until", "operator_id", "created_at"]
    search = ["serial", "batch"]
    filters = {"batch": "batch", "status": "status", "distributor": "distributor_id",
               "operator": "operator_id"}
    default_sort = "id"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        stmt = stmt.where(in_subtree(call, RechargeCard.operator_id))
        if call.caller.role == "card_distributor":
            stmt = stmt.where(RechargeCard.distributor_id == call.caller.user_id)
        return stmt

    def list(self, call: Call):
        """A PIN is shown to the operator that issued the card (its staff, and the system
        administrator for the ISP's own) and to the card's distributor; a parent operator or
        anyone else sees the card without it."""
        result = super().list(call)
        own = call.caller.operator_id
        if call.caller.is_sysadmin:
            own = call.session.scalar(sa.select(Operator.id).where(Operator.parent_id.is_(None))
                                      .order_by(Operator.id).limit(1))
        for row in result.rows:
            if row.get("operator_id") != own and not (
                    call.caller.role == "card_distributor"
                    and row.get("distributor_id") == call.caller.user_id):
                row["pin"] = None
        return result

    def remove(self, call: Call, obj: RechargeCard) -> None:
        if obj.status == "used":
            raise FuncError(f"card {obj.serial} is used; its payment stays", field="elid")
        call.session.delete(obj)


ENTITY = Cards()
function("card", money=True, kind="list", roles=VIEWERS,
         params=(Param("q", "serial or batch"), Param("page"), Param("per_page"), Param("sort"))
         + tuple(Param(k, "filter") for k in Cards.filters))(ENTITY.list)
function("card.delete", money=True, roles=RESELLERS,
         params=(Param("elid", "card ids or serials, comma-separated; unused only", multi=True),)
         )(ENTITY.delete)


@function("card.generate", money=True, roles=RESELLERS, params=(
    Param("count", "how many cards (1-10000)", True), Param("package", "the package they buy"),
    Param("amount", "default: one period of the package with the operator's VAT"),
    Param("distributor", "card distributor login"),
    Param("batch", "batch name (default: date and time)"), Param("operator"),
    Param("valid_until", "last day a card may be used")))
def generate(call: Call) -> OkResult:
    """Generate a batch of recharge cards with unique PINs."""
    from packages.functions.packages import ENTITY as packages
    try:
        count = F.integer(1, 10000)(call.get("count") or "")
    except ValueError as exc:
        raise FuncError(str(exc), field="count") from None
    op = resolve_operator(call, call.get("operator"))
    package = None
    if call.get("package"):
        package = packages.find(call, call.get("package"), field="package")
    amount = money(call, required=package is None)
    if amount is None:  # a package card pays one period of it, VAT included
        amount = cards.package_amount(op, package)
        if amount <= 0:
            raise FuncError("is required: the package is free", field="amount")
    batch = F.parse_one("batch", F.text(40, r"[A-Za-z0-9_.-]+", "letters, digits, _.-"),
                        (call.get("batch") or "").strip()
                        or dt.datetime.now().strftime("%Y%m%d%H%M%S"))
    if call.session.scalar(sa.select(RechargeCard.id).where(
            RechargeCard.operator_id == op.id, RechargeCard.batch == batch).limit(1)):
        raise FuncError(f"batch {batch!r} exists", field="batch")
    made = cards.generate(call.session, operator=op, count=count, amount=amount, package=package,
                          distributor_id=_distributor(call), batch=batch,
                          valid_until=optional_day(call, "valid_until"))
    audit.record(call, "card", None, batch, None, {"batch": batch, "count": count,
                                                   "amount": str(amount)}, op.id)
    return OkResult(None, {"batch": batch, "count": len(made),
                           "serials": [c.serial for c in made[:5]]})


def _distributor(call: Call) -> int | None:
    ref = call.get("distributor")
    if not ref:
        return None
    user_id = call.session.scalar(sa.select(StaffUser.id).where(
        sa.func.lower(StaffUser.login) == ref.lower(), StaffUser.role == "card_distributor",
        in_subtree(call, StaffUser.operator_id)))
    if user_id is None:
        raise NotFound(f"no card distributor {ref!r} in your subtree", field="distributor")
    return user_id
