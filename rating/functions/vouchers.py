"""card.vouchers: a batch's unused cards as printable voucher sheets (rating/vouchers.py)."""
from __future__ import annotations

import sqlalchemy as sa

from radbill import settings
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import isp_name, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FileResult, NotFound, Param,
                                        function)
from radbill.functions.roles import RESELLERS
from radbill.models import Package, RechargeCard
from rating import vouchers
from rating.terms import today

BATCH = F.text(40, r"[A-Za-z0-9_.-]+", "letters, digits, _.-")  # as card.generate names it


@function("card.vouchers", money=True, kind="file", roles=RESELLERS, params=(
    Param("batch", "the batch to print", True),
    Param("operator", "the operator that issued it: only it prints its PINs (default: yours)")))
def sheets(call: Call) -> FileResult:
    """Print a batch's unused cards: A4 voucher sheets, 30 a page, with cut lines."""
    own = resolve_operator(call, None)
    if call.get("operator"):
        named = resolve_operator(call, call.get("operator"))
        if named.id != own.id:
            raise AccessDenied("only the operator that issued a batch prints its PINs",
                               field="operator")
    batch = F.parse_one("batch", BATCH, (call.get("batch") or "").strip())
    live = sa.or_(RechargeCard.valid_until.is_(None), RechargeCard.valid_until >= today())
    rows = call.session.execute(
        sa.select(RechargeCard.id, RechargeCard.pin, RechargeCard.serial, Package.name,
                  RechargeCard.amount, RechargeCard.valid_until)
        .outerjoin(Package, Package.id == RechargeCard.package_id)
        .where(RechargeCard.operator_id == own.id, RechargeCard.batch == batch,
               RechargeCard.status == "unused", live)
        .order_by(RechargeCard.serial, RechargeCard.id)).all()
    if not rows:  # the same answer for another operator's batch as for none at all
        raise NotFound(f"no unused cards in batch {batch!r}", field="batch")
    s = settings.get()
    data = vouchers.render([vouchers.Voucher(pin, serial, package, amount, until)
                            for _, pin, serial, package, amount, until in rows],
                           isp=isp_name(call.session, own.id), currency=s.currency,
                           batch=batch)
    # who printed which PINs is worth a record; the call stays a read (changes=False), so the
    # sheet is never kept as an idempotent replay (that would store every PIN a second time)
    audit.record(call, "card", None, batch, None, {"printed": len(rows), "batch": batch}, own.id)
    return FileResult(f"vouchers-{batch}.pdf", "application/pdf", data)

