"""Between radbill's catalogue and a router's PPP config: profiles out, secrets/profiles/pools in.

RouterOS reads `rate-limit` from the router's side: rx is what it receives from the subscriber
(upload), tx what it sends (download), so a 10M down / 5M up package is `5M/10M`.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from provisioning.mikrotik import Pool, Pool6, Profile, Secret
from radbill import units
from radbill.functions import fields as F
from radbill.functions.registry import Call, FuncError, call as call_function
from radbill.models import Customer, IpPool, Package
from radbill.models.customers import USERNAME_RE


def rate_limit(p: Package) -> str:
    """The package as a RouterOS rate-limit: rx/tx [burst rx/tx [threshold rx/tx [time rx/tx]]]."""
    r = units.format_rate
    parts = [f"{r(p.rate_up)}/{r(p.rate_down)}"]
    if p.burst_up is not None:
        parts.append(f"{r(p.burst_up)}/{r(p.burst_down)}")
        parts.append(f"{r(p.burst_threshold_up or p.rate_up)}/"
                     f"{r(p.burst_threshold_down or p.rate_down)}")
        parts.append(f"{p.burst_time or 10}/{p.burst_time or 10}")
    return " ".join(parts)


def parse_rate_limit(text: str) -> dict[str, str]:
    """'5M/10M 10M/20M 4M/8M 16/16' -> package fields (rate_up, rate_down, burst_...)."""
    words = text.split()
    if not words:
        return {}
    names = [("rate_up", "rate_down"), ("burst_up", "burst_down"),
             ("burst_threshold_up", "burst_threshold_down"), ("burst_time", None)]
    out = {}
    for word, (up, down) in zip(words, names):
        rx, _, tx = word.partition("/")
        tx = tx or rx
        if up == "burst_time":
            out[up] = str(int(units.parse_rate(rx)))
            continue
        out[up], out[down] = (units.format_rate(units.parse_rate(v)) for v in (rx, tx))
    return out


def pool_ranges(cidr: str) -> str:
    net = ipaddress.IPv4Network(cidr)
    hosts = list(net.hosts()) if net.num_addresses <= 4096 else [net[1], net[-2]]
    return f"{hosts[0]}-{hosts[-1]}" if hosts else str(net.network_address)


def covering_cidr(ranges: str) -> str | None:
    """The smallest network holding every address of a RouterOS pool's `ranges`."""
    lo = hi = None
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", ranges))):
        try:
            if "/" in part:
                net = ipaddress.IPv4Network(part, strict=False)
                a, b = net.network_address, net.broadcast_address
            else:
                first, _, last = part.partition("-")
                a, b = ipaddress.IPv4Address(first), ipaddress.IPv4Address(last or first)
        except ValueError:
            return None
        lo, hi = min(a, lo or a), max(b, hi or b)
    if lo is None:
        return None
    for prefix in range(32, -1, -1):
        net = ipaddress.IPv4Network(f"{lo}/{prefix}", strict=False)
        if hi in net:
            return str(net)
    return None


def push_plan(session: Session, packages: list[Package], local_address: str = "") \
        -> tuple[list[Pool], list[Profile], list[Pool6]]:
    """The IPv4 pools, the profiles and the IPv6 pools (link and delegated prefixes, named as
    the Access-Accept names them: radius_module.policy.address6) the packages need."""
    pools = {p.pool.name: Pool(p.pool.name, pool_ranges(str(p.pool.cidr)))
             for p in packages if p.pool is not None}
    profs = [Profile(p.name, rate_limit(p), local_address, p.pool.name if p.pool else "")
             for p in packages]
    pools6 = {pool.name: Pool6(pool.name, str(pool.cidr), str(pool.prefix_length))
              for p in packages for pool in (p.pool6, p.pd_pool) if pool is not None}
    return list(pools.values()), profs, list(pools6.values())


# -- the import -------------------------------------------------------------------------------
@dataclass
class Step:
    kind: str  # pool | package | customer
    name: str
    action: str  # create | exists | skip
    detail: str = ""
    params: dict[str, str] = field(default_factory=dict)
    then_disable: bool = False

    def row(self) -> dict:
        return {"kind": self.kind, "name": self.name, "action": self.action, "detail": self.detail}


def _exists(session: Session, col, name: str) -> bool:
    return session.scalar(sa.select(sa.func.count()).where(sa.func.lower(col) == name.lower())) > 0


def plan_import(session: Session, secrets: list[Secret], profs: list[Profile],
                pools: list[Pool]) -> list[Step]:
    steps: list[Step] = []
    pool_names = set()
    for p in pools:
        cidr = covering_cidr(p.ranges)
        if _exists(session, IpPool.name, p.name):
            steps.append(Step("pool", p.name, "exists"))
            pool_names.add(p.name)
        elif cidr is None:
            steps.append(Step("pool", p.name, "skip", f"cannot read ranges {p.ranges!r}"))
        else:
            steps.append(Step("pool", p.name, "create", f"{p.ranges} as {cidr}",
                              {"name": p.name, "cidr": cidr}))
            pool_names.add(p.name)
    packages = set()
    for pr in profs:
        steps.append(_package_step(session, pr, pool_names))
        if steps[-1].action in ("create", "exists"):
            packages.add(pr.name)
    for s in secrets:
        steps.append(_customer_step(session, s, packages))
    return steps


def _package_step(session: Session, pr: Profile, pool_names: set[str]) -> Step:
    if _exists(session, Package.name, pr.name):
        return Step("package", pr.name, "exists")
    try:
        rates = parse_rate_limit(pr.rate_limit)
    except ValueError as exc:
        return Step("package", pr.name, "skip", f"rate-limit {pr.rate_limit!r}: {exc}")
    if not rates:
        return Step("package", pr.name, "skip", "no rate-limit on this profile")
    params = {"name": pr.name, "price": "0", **rates}
    if pr.remote_address in pool_names:
        params["pool"] = pr.remote_address
    detail = f"{rates['rate_down']} down / {rates['rate_up']} up, price 0 (set it after import)"
    return Step("package", pr.name, "create", detail, params)


def _customer_step(session: Session, s: Secret, packages: set[str]) -> Step:
    if not re.fullmatch(USERNAME_RE.strip("^$"), s.name or ""):
        return Step("customer", s.name, "skip", "not a valid username")
    if _exists(session, Customer.username, s.name):
        return Step("customer", s.name, "exists")
    if not s.password:
        return Step("customer", s.name, "skip", "the secret has no password")
    if s.profile not in packages:
        return Step("customer", s.name, "skip", f"profile {s.profile!r} did not become a package")
    params = {"username": s.name, "password": s.password, "package": s.profile}
    notes = []
    try:
        params["mac"] = F.mac(s.caller_id) if s.caller_id else None
    except ValueError:
        notes.append(f"caller-id {s.caller_id!r} kept in notes")
    try:
        params["static_ip"] = F.ipv4(s.remote_address) if s.remote_address else None
    except ValueError:
        pass  # a pool name, not a fixed address
    if s.comment or notes:
        params["notes"] = "; ".join(filter(None, [s.comment, *notes]))
    params = {k: v for k, v in params.items() if v is not None}
    detail = f"package {s.profile}" + (", disabled" if s.disabled else "")
    return Step("customer", s.name, "create", detail, params, then_disable=s.disabled)


def run_import(call: Call, steps: list[Step], apply: bool) -> list[dict]:
    """Run the creating steps through the function layer; without `apply`, roll them all back."""
    rows = []
    outer = call.session.begin_nested()
    try:
        for step in steps:
            row = step.row()
            if step.action == "create":
                try:
                    with call.session.begin_nested():
                        call_function(call.session, call.caller, f"{step.kind}.edit",
                                      {**step.params, "sok": "ok"})
                        if step.then_disable:
                            call_function(call.session, call.caller, "customer.disable",
                                          {"elid": step.name, "reason": "disabled on the router"})
                    row["action"] = "create" if apply else "would create"
                except FuncError as exc:
                    row.update(action="error", detail=exc.message)
            rows.append(row)
    finally:
        if apply:
            outer.commit()
        else:
            outer.rollback()
    return rows
