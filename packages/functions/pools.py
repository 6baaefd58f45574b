"""pool, pool.edit, pool.delete: IPv4 and IPv6 pools, one of each the walled garden for
suspension. An IPv6 pool's `prefix_length` is the size of the prefix each subscriber gets from it
(64 for a link's prefix, 56 or 60 for a delegated one); the NAS carves them (RouterOS
/ipv6 pool with prefix-length)."""
from __future__ import annotations

import ipaddress

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
        F.Field("cidr", F.pool_cidr, required=True,
                help="IPv4 like 10.10.0.0/16 or IPv6 like 2001:db8:100::/40"),
        F.Field("prefix_length", F.integer(1, 128),
                help="IPv6 only: the prefix each subscriber gets (64 a link, 56 or 60 delegated)"),
        F.Field("suspended", F.boolean, help="the walled-garden pool for suspended subscribers",
                clearable=False),
        F.Field("operator", str),
    ]
    columns = ["id", "name", "cidr", "prefix_length", "suspended", "operator_id"]
    search = ["name", "cidr"]
    filters = {"suspended": "suspended"}
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS

    def apply(self, call: Call, obj: IpPool, values: dict, creating: bool) -> None:
        super().apply(call, obj, values, creating)
        net = ipaddress.ip_network(obj.cidr)
        if net.version == 4:
            if obj.prefix_length is not None:
                raise FuncError("an IPv4 pool hands out addresses, not prefixes: leave "
                                "prefix_length empty", field="prefix_length")
        elif obj.prefix_length is None:
            raise FuncError("an IPv6 pool needs the prefix each subscriber gets "
                            "(64 for a link, 56 or 60 delegated)", field="prefix_length")
        elif not net.prefixlen <= obj.prefix_length <= 128:
            raise FuncError(f"a /{obj.prefix_length} does not fit in {net}: give /{net.prefixlen} "
                            "to /128", field="prefix_length")
        overlaps = sa.select(IpPool.name).where(
            IpPool.id.is_distinct_from(obj.id), sa.text("ip_pools.cidr && cast(:c as cidr)").bindparams(c=obj.cidr))
        if call.session.scalars(overlaps).first():
            # name the pool only when the caller can see it (issue 10: no other tenant's names)
            seen = call.session.scalars(self.visible(call, overlaps)).first()
            what = f"pool {seen!r}" if seen else "another operator's pool"
            raise FuncError(f"{obj.cidr} overlaps {what}", field="cidr")
        if obj.suspended:
            other = call.session.scalars(sa.select(IpPool.name).where(
                IpPool.suspended.is_(True), IpPool.id.is_distinct_from(obj.id),
                sa.func.family(IpPool.cidr) == net.version)).first()
            if other:
                raise FuncError(f"pool {other!r} is already the IPv{net.version} suspension pool",
                                field="suspended")

    def remove(self, call: Call, obj: IpPool) -> None:
        used = call.session.scalars(sa.select(Package.name).where(
            sa.or_(Package.pool_id == obj.id, Package.fup_pool_id == obj.id,
                   Package.pool6_id == obj.id, Package.pd_pool_id == obj.id))).first()
        if used:
            raise FuncError(f"package {used!r} uses this pool", field="elid")
        call.session.delete(obj)


ENTITY = Pools().register()
