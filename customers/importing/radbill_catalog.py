"""The catalogue a radbill import needs before its customers: packages, billing profiles, zones
and custom-field definitions by name. A missing one is created through its own function
(package.edit, billing_profile.edit, zone.edit, custom_field.edit) as the caller, for the target
operator; one that exists with other terms is a conflict (reported; the customers get this
instance's)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from radbill import units
from radbill.functions.registry import FuncError, call as registry_call
from radbill.models import BillingProfile, Package, Zone

from customers.importing.plan import Ctx

PACKAGE_TERMS = ("price", "rate_down", "rate_up", "validity_days")
PROFILE_TERMS = ("term", "due_day", "grace_days")


@dataclass
class Catalog:
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> names
    conflicts: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # "package 'x'" -> why


def _made(cat: Catalog, kind: str, name: str) -> None:
    cat.created.setdefault(kind, []).append(name)


def _call(ctx: Ctx, cat: Catalog, func: str, what: str, params: dict) -> bool:
    try:
        registry_call(ctx.session, ctx.caller, func,
                      {k: str(v) for k, v in params.items() if v not in (None, "")})
        return True
    except FuncError as exc:
        reasons = "; ".join(f"{k}: {v}" for k, v in (exc.errors or {}).items()) or exc.message
        cat.refused[what] = reasons
        return False


def _differ(here, there, terms) -> list[str]:
    return [f"{t} {getattr(here, t)} here, {there.get(t)} there" for t in terms
            if there.get(t) is not None and getattr(here, t) != there.get(t)]


def _rate(v) -> str | None:
    return units.format_rate(v) if v else None


def _size(v) -> str | None:
    return units.format_size(v) if v else None


def package_params(p: dict, operator_id: int) -> dict:
    params = {"name": p["name"], "price": p["price"], "validity_days": p.get("validity_days"),
              "wholesale_price": p.get("wholesale_price"), "burst_time": p.get("burst_time"),
              "data_cap": _size(p.get("data_cap")), "data_limit": _size(p.get("data_limit")),
              "time_limit": p.get("time_limit"), "sim_use": p.get("sim_use"),
              "trial_days": p.get("trial_days"), "operator": operator_id, "sok": "ok",
              "hotspot": "yes" if p.get("hotspot") else None}
    for name in ("rate_down", "rate_up", "burst_down", "burst_up", "burst_threshold_down",
                 "burst_threshold_up", "fup_rate_down", "fup_rate_up"):
        params[name] = _rate(p.get(name))
    return params


def ensure(ctx: Ctx, source, operator_id: int) -> Catalog:
    """Every package, billing profile, zone and custom field the source's customers use."""
    cat = Catalog()
    s = ctx.session
    used = {c["package_name"] for c in source.customers if c["package_name"]}
    for p in source.packages:
        if p["name"] not in used:
            continue
        here = s.scalar(sa.select(Package).where(sa.func.lower(Package.name) == p["name"].lower()))
        if here is None:
            if _call(ctx, cat, "package.edit", f"package {p['name']!r}",
                     package_params(p, operator_id)):
                _made(cat, "packages", p["name"])
        elif diff := _differ(here, p, PACKAGE_TERMS):
            cat.conflicts.append(f"package {p['name']!r}: " + ", ".join(diff))
    used = {c["profile_name"] for c in source.customers if c["profile_name"]}
    for b in source.profiles:
        if b["name"] not in used:
            continue
        here = s.scalar(sa.select(BillingProfile)
                        .where(sa.func.lower(BillingProfile.name) == b["name"].lower()))
        if here is None:
            params = {k: b.get(k) for k in ("name", "term", "due_day", "grace_days",
                                            "min_validity_days", "discount_kind",
                                            "due_reminder_days", "expiry_notice_days")}
            params.update(discount_value=b.get("discount_value"), operator=operator_id,
                          auto_bill="yes" if b.get("auto_bill", True) else "no", sok="ok")
            if _call(ctx, cat, "billing_profile.edit", f"billing profile {b['name']!r}", params):
                _made(cat, "billing_profiles", b["name"])
        elif diff := _differ(here, b, PROFILE_TERMS):
            cat.conflicts.append(f"billing profile {b['name']!r}: " + ", ".join(diff))
    for name in source.zones:
        exists = s.scalar(sa.select(Zone.id).where(Zone.operator_id == operator_id,
                                                   sa.func.lower(Zone.name) == name.lower()))
        if exists is None and _call(ctx, cat, "zone.edit", f"zone {name!r}",
                                    {"name": name, "operator": operator_id, "sok": "ok"}):
            _made(cat, "zones", name)
    _fields(ctx, cat, source, operator_id)
    return cat


def _fields(ctx: Ctx, cat: Catalog, source, operator_id: int) -> None:
    """A custom field the source's customers hold a value of; created not required (a new
    required field would change customer.edit here for everyone), unique as there."""
    from customers import custom_fields as CF
    held = {k for c in source.customers for k, v in (c.get("custom_fields") or {}).items()
            if v not in (None, "")}
    here = {d.name: d for d in CF.definitions(ctx.session, operator_id)}
    for f in source.fields:
        if f["name"] not in held:
            continue
        mine = here.get(f["name"])
        if mine is None:
            params = {"name": f["name"], "label": f["label"], "kind": f["kind"],
                      "choices": ",".join(str(c) for c in f.get("choices") or []),
                      "unique": "yes" if f.get("is_unique") else "no",
                      "searchable": "yes" if f.get("searchable") else "no",
                      "in_list": "yes" if f.get("in_list") else "no",
                      "operator": operator_id, "sok": "ok"}
            if _call(ctx, cat, "custom_field.edit", f"custom field {f['name']!r}", params):
                _made(cat, "custom_fields", f["name"])
        elif mine.kind != f["kind"]:
            cat.conflicts.append(f"custom field {f['name']!r}: kind {mine.kind} here, "
                                 f"{f['kind']} there")
