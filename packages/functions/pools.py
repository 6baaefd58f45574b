"""pool, pool.edit, pool.delete: IPv4 pools, one of them the walled garden for suspension."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.registry import Call, FuncError
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.functions.shared import SharedEntity
from radbill.models import IpPool, Package


class Pools(SharedEntity):
    name = "pool"
    model = IpPool
    fields = [
        F.Field("name", F.text(64, r"[A-Za-z0-9_.-]{1,64}", "letters, digits and _.-"), required=True),
        F.Field("cidr", F.cidr, required=True),
        F.Field("suspended", F.boolean, help="the walled-garden pool for suspended subscribers",
                clearable=False),
        F.Field("operator", str),
    ]
    columns = ["id", "name", "cidr", "suspended", "operator_id"]
    search = ["name", "cidr"]
    filters = {"suspended": "suspended"}
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS

    def apply(self, call: Call, obj: IpPool, values: dict, creating: bool) -> None:
        super().apply(call, obj, values, creating)
        overlaps = sa.select(IpPool.name).where(
            IpPool.id.is_distinct_from(obj.id), sa.text("ip_pools.cidr && cast(:c as cidr)").bindparams(c=obj.cidr))
        if call.session.scalars(overlaps).first():
            # name the pool only when the caller can see it (issue 10: no other tenant's names)
            seen = call.session.scalars(self.visible(call, overlaps)).first()
            what = f"pool {seen!r}" if seen else "another operator's pool"
            raise FuncError(f"{obj.cidr} overlaps {what}", field="cidr")
        if obj.suspended:
            other = call.session.scalars(sa.select(IpPool.name).where(
                IpPool.suspended.is_(True), IpPool.id.is_distinct_from(obj.id))).first()
            if other:
                raise FuncError(f"pool {other!r} is already the suspension pool", field="suspended")

    def remove(self, call: Call, obj: IpPool) -> None:
        used = call.session.scalars(sa.select(Package.name).where(
            sa.or_(Package.pool_id == obj.id, Package.fup_pool_id == obj.id))).first()
        if used:
            raise FuncError(f"package {used!r} uses this pool", field="elid")
        call.session.delete(obj)


ENTITY = Pools().register()
