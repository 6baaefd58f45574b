"""billing_profile.replace: move every customer of one profile to another."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions.crud import in_subtree
from radbill.functions.registry import Call, FuncError, OkResult, Param, function
from radbill.functions.roles import RESELLERS
from radbill.models import Customer


@function("billing_profile.replace", money=True, roles=RESELLERS,
          params=(Param("elid", "the profile customers leave (id or name)", True),
                  Param("to", "the profile they move to", True)))
def replace(call: Call) -> OkResult:
    """Move all of one billing profile's customers (those you manage) to another profile."""
    from rating.functions.billing_profiles import ENTITY as profiles
    if not call.elid or not call.get("to"):
        raise FuncError("is required", field="to" if call.elid else "elid")
    old = profiles.find(call, call.elid)
    new = profiles.find(call, call.get("to"), field="to")
    if old.id == new.id:
        raise FuncError("is the same profile", field="to")
    moved = call.session.execute(
        sa.update(Customer).where(Customer.billing_profile_id == old.id,
                                  in_subtree(call, Customer.operator_id))
        .values(billing_profile_id=new.id, updated_at=sa.func.now())
        .execution_options(synchronize_session=False)).rowcount
    audit.record(call, "billing_profile", old.id, old.name, {"customers": moved},
                 {"moved_to": new.name, "customers": moved})
    return OkResult(old.id, {"moved": moved})
