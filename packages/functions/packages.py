"""package, package.edit, package.delete: what subscribers buy."""
from __future__ import annotations

import sqlalchemy as sa

from radbill import units
from radbill.functions import fields as F
from radbill.functions.registry import Call, FuncError
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.functions.shared import SharedEntity
from radbill.models import Customer, IpPool, Package

# a hotspot package's cycle by name (issue 14): what validity_days also accepts
VALIDITY_WORDS = {"daily": 1, "weekly": 7, "monthly": 30}
TIME_LIMIT_MAX = 3660 * 86_400  # as validity_days: ten years of online time fits an int4

RATE_FIELDS = ("rate_down", "rate_up", "burst_down", "burst_up", "burst_threshold_down",
               "burst_threshold_up", "fup_rate_down", "fup_rate_up")


def validity(raw: str) -> int:
    """Days (1-3660), or daily, weekly, monthly (1, 7, 30)."""
    word = raw.strip().lower()
    if word in VALIDITY_WORDS:
        return VALIDITY_WORDS[word]
    try:
        return F.integer(1, 3660)(raw)
    except ValueError as exc:
        if "whole number" in str(exc):
            raise ValueError(f"{F.short(raw)!r} is not a number of days, nor daily, weekly or "
                             "monthly") from None
        raise


def time_limit(raw: str) -> int:
    """Online time per cycle: 90m, 5h, 1d, 1d 12h, or seconds."""
    value = units.parse_duration(raw)
    if value <= 0:
        raise ValueError("must be above zero")
    if value > TIME_LIMIT_MAX:
        raise ValueError(f"must be at most {units.format_duration(TIME_LIMIT_MAX)}")
    return value


# the package's pools and the family each must be: pool and fup_pool hand out IPv4 addresses
# (Framed-Pool), pool6 the link's IPv6 prefix and pd_pool the delegated one
POOLS = {"pool": 4, "fup_pool": 4, "pool6": 6, "pd_pool": 6}


class Packages(SharedEntity):
    name = "package"
    model = Package
    fields = [
        F.Field("name", F.name_text, required=True),
        F.Field("rate_down", F.rate, required=True, help="download rate, e.g. 10M"),
        F.Field("rate_up", F.rate, required=True, help="upload rate, e.g. 5M"),
        F.Field("burst_down", F.rate), F.Field("burst_up", F.rate),
        F.Field("burst_threshold_down", F.rate), F.Field("burst_threshold_up", F.rate),
        F.Field("burst_time", F.integer(1, 3600), help="seconds"),
        F.Field("price", F.amount(), required=True),
        F.Field("wholesale_price", F.amount(), help="what a reseller pays per activation"),
        F.Field("validity_days", validity, clearable=False,
                help="days, or daily, weekly, monthly"),
        F.Field("data_cap", F.size, help="per cycle, e.g. 50G; empty for unlimited"),
        F.Field("hotspot", F.boolean, clearable=False,
                help="sold as hotspot logins: sign-ups and vouchers get the hotspot service"),
        F.Field("time_limit", time_limit,
                help="online time per cycle, e.g. 90m, 5h, 1d; empty for unlimited"),
        F.Field("data_limit", F.size,
                help="data per cycle (download and upload), e.g. 500M, 2G; empty for unlimited"),
        F.Field("online", F.boolean, clearable=False,
                help="offered on the portal: sign-up and package change"),
        F.Field("auto_approve", F.boolean, clearable=False,
                help="a sign-up for it is approved at once"),
        F.Field("change_approval", F.boolean, clearable=False,
                help="a change to it waits for the operator's approval"),
        F.Field("fup_rate_down", F.rate), F.Field("fup_rate_up", F.rate),
        F.Field("pool", str, help="IP pool name"), F.Field("fup_pool", str, help="IP pool over the cap"),
        F.Field("pool6", str, help="IPv6 pool for the link's prefix (Framed-IPv6-Pool)"),
        F.Field("pd_pool", str,
                help="IPv6 pool for the delegated prefix (Delegated-IPv6-Prefix-Pool)"),
        F.Field("sim_use", F.integer(1, 100), clearable=False, help="simultaneous sessions"),
        F.Field("trial_days", F.integer(1, 366),
                help="a trial: its customers get this many days free, then it expires"),
        F.Field("parent", str, help="master package"),
        F.Field("operator", str),
    ]
    columns = ["id", "name", "rate_down", "rate_up", "price", "wholesale_price", "validity_days",
               "data_cap", "fup_rate_down", "fup_rate_up", "pool", "fup_pool", "pool6", "pd_pool", "sim_use",
               "operator_id", "parent_id", "burst_down", "burst_up", "burst_threshold_down",
               "burst_threshold_up", "burst_time", "hotspot", "time_limit", "data_limit",
               "online", "auto_approve", "change_approval", "trial_days"]
    search = ["name"]
    money = frozenset({"price", "wholesale_price"})
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS

    def row(self, obj: Package) -> dict:
        row = {c: getattr(obj, c) for c in self.columns if c not in POOLS}
        for key in RATE_FIELDS:
            row[key] = units.format_rate(row[key]) or None
        row["data_cap"] = units.format_size(obj.data_cap) or None
        row["time_limit"] = units.format_duration(obj.time_limit) or None
        row["data_limit"] = units.format_bytes(obj.data_limit) or None
        row["price"] = str(obj.price)
        row["wholesale_price"] = None if obj.wholesale_price is None else str(obj.wholesale_price)
        for key in POOLS:
            pool = getattr(obj, key)
            row[key] = pool.name if pool else None
        return row

    def form(self, call: Call, obj):
        return self.row(obj) if obj is not None else {"validity_days": 30, "sim_use": 1,
                                                          "hotspot": False}

    def apply(self, call: Call, obj: Package, values: dict, creating: bool) -> None:
        for key, family in POOLS.items():
            if key in values:
                ref = values.pop(key)
                setattr(obj, f"{key}_id", None if ref is None else
                        self._pool(call, ref, key, family).id)
        if "parent" in values:
            ref = values.pop("parent")
            obj.parent_id = None if ref is None else self.find(call, ref, field="parent").id
        super().apply(call, obj, values, creating)
        if obj.validity_days is None:
            obj.validity_days = 30
        if obj.sim_use is None:
            obj.sim_use = 1
        for flag in ("hotspot", "online", "auto_approve", "change_approval"):
            if getattr(obj, flag) is None:
                setattr(obj, flag, False)
        self._check(obj)

    def _pool(self, call: Call, ref: str, field: str, family: int) -> IpPool:
        import ipaddress
        from packages.functions.pools import ENTITY as pools
        pool = pools.find(call, ref, field=field)
        if ipaddress.ip_network(pool.cidr).version != family:
            raise FuncError(f"pool {pool.name!r} is not an IPv{family} pool", field=field)
        return pool

    @staticmethod
    def _check(p: Package) -> None:
        errors = {}
        if (p.burst_down is None) != (p.burst_up is None):
            errors["burst_up"] = "burst_down and burst_up go together"
        if p.burst_down is not None and p.burst_down <= p.rate_down:
            errors["burst_down"] = "must be above rate_down"
        if p.burst_up is not None and p.burst_up <= p.rate_up:
            errors["burst_up"] = "must be above rate_up"
        if (p.fup_rate_down is None) != (p.fup_rate_up is None):
            errors["fup_rate_up"] = "fup_rate_down and fup_rate_up go together"
        if p.data_cap is not None and p.fup_rate_down is None:
            errors["fup_rate_down"] = "is required with a data_cap"
        if p.fup_rate_down is not None and p.fup_rate_down >= p.rate_down:
            errors["fup_rate_down"] = "must be below rate_down"
        if p.fup_rate_up is not None and p.fup_rate_up >= p.rate_up:
            errors["fup_rate_up"] = "must be below rate_up"
        if p.parent_id is not None and p.parent_id == p.id:
            errors["parent"] = "cannot be the package itself"
        if errors:
            raise FuncError(errors=errors)

    def remove(self, call: Call, obj: Package) -> None:
        n = call.session.scalar(sa.select(sa.func.count()).select_from(Customer).where(
            Customer.package_id == obj.id))
        if n:
            raise FuncError(f"{n} customers use this package; move them first", field="elid")
        call.session.delete(obj)


ENTITY = Packages().register()
