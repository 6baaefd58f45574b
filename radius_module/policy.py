"""The authorize decision: a pure function of the subscriber's state and the request.

No database, no FreeRADIUS: `decide(state, request, now)` reads the in-process `State` and returns
a `Decision`; `radius_module.hooks` maps it to rlm_python3's return value. The order of the
checks below is the precedence of issue 3 and must not be changed lightly.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from radbill.units import format_rate as rate  # RouterOS' shortest exact form: 10M, 1500k
from radius_module.state import Customer, Package, State

ACCEPT, REJECT, DEFER = "accept", "reject", "defer"
_MAC_HEX = re.compile(r"[^0-9A-Fa-f]")


class Decision(NamedTuple):
    """`verdict` is accept, reject (now) or defer (reject after FreeRADIUS checked the password,
    so a wrong password still wins over the reasons that rank below it). A tuple: made once a
    request, it costs less than a frozen dataclass."""

    verdict: str
    reason: str
    reply: tuple = ()
    control: tuple = ()
    customer_id: int | None = None


def reject(reason: str, customer: Customer | None = None) -> Decision:
    return Decision(REJECT, reason, customer_id=customer.id if customer else None)


def decide(state: State, req: dict[str, str], now: float) -> Decision:
    """Walk the precedence list of issue 3; the first rule that applies decides."""
    name = req.get("User-Name")
    if not name:
        return reject("no User-Name in the request")
    c = state.customers.get(name.lower())
    if c is None:
        return reject(f"unknown user {name!r}")
    if c.deleted:
        return reject("account deleted", c)
    if c.status == "disabled":
        return reject("account disabled", c)
    if c.password is None and "CHAP-Password" in req:
        return reject("CHAP needs the clear-text password, which this account does not store "
                      "(hash only); use PAP or MS-CHAPv2", c)
    control = secret(c)
    late = late_reject(state, c, req)
    if late:
        return Decision(DEFER, late, control=control, customer_id=c.id)
    pkg = state.packages.get(c.package_id)
    if pkg is None:
        return reject("the customer's package is missing", c)
    if c.status == "suspended" or (c.expires_at is not None and c.expires_at <= now):
        why = "suspended" if c.status == "suspended" else "expired"
        return Decision(ACCEPT, why, suspended_reply(state), control, c.id)
    used_up = exhausted(pkg, state.usage.get(c.id, (0, 0)))
    if used_up:
        return Decision(DEFER, used_up, control=control, customer_id=c.id)
    if c.status == "fup" and pkg.fup_rate_down is not None:
        return Decision(ACCEPT, "over the data cap", fup_reply(state, c, pkg, now), control, c.id)
    pairs = normal_reply(state, c, pkg, now)
    return Decision(ACCEPT, "active", merge(pairs, state.reply_attributes(c.username)),
                    control, c.id)


def exhausted(pkg: Package, used: tuple[int, int]) -> str | None:
    """A package's online time or data for the cycle, all used (the hotspot's limits)."""
    if pkg.time_limit is not None and used[0] >= pkg.time_limit:
        return "the package's online time for this cycle is used up"
    if pkg.data_limit is not None and used[1] >= pkg.data_limit:
        return "the package's data for this cycle is used up"
    return None


def secret(c: Customer) -> tuple:
    """The known-good password for FreeRADIUS' pap/chap/mschap: clear text, else the NT hash."""
    if c.password is not None:
        return (("Cleartext-Password", ":=", c.password),)
    return (("NT-Password", ":=", "0x" + c.nt_hash),)


def late_reject(state: State, c: Customer, req: dict[str, str]) -> str | None:
    """The rejects that rank below a wrong password: MAC binding, NAS, simultaneous use."""
    if c.mac:
        seen = normalize_mac(req.get("Calling-Station-Id", ""))
        if seen != c.mac:
            return f"MAC address {seen or 'missing'} is not the one bound to this account"
    nas_ip = req.get("Radbill-Client-IP") or req.get("NAS-IP-Address") or ""
    if not nas_allowed(state, c, nas_ip):
        return f"NAS {nas_ip} does not serve this customer's operator"
    pkg = state.packages.get(c.package_id)
    limit = pkg.sim_use if pkg else 1
    online = state.sessions.count(c.username.lower())
    if online >= limit:
        return f"already {online} session(s) online; the package allows {limit}"
    return None


def nas_allowed(state: State, c: Customer, nas_ip: str) -> bool:
    """A NAS with no operator is shared; else the customer must be in that operator's subtree."""
    nas = state.nas.get(nas_ip)
    if nas is None or nas.operator_id is None:
        return True
    nas_path = state.operators.get(nas.operator_id)
    own_path = state.operators.get(c.operator_id)
    return bool(nas_path and own_path and own_path.startswith(nas_path))


def normalize_mac(raw: str) -> str:
    """aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff and AA:BB:... all become AA:BB:CC:DD:EE:FF."""
    digits = _MAC_HEX.sub("", raw).upper()
    if len(digits) != 12:
        return raw.upper()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def suspended_reply(state: State) -> tuple:
    """The walled garden: the suspension pool, the address list the router filters on, and a
    short session so the subscriber comes back in as soon as they have paid."""
    cfg = state.config
    pairs = []
    if state.suspension_pool:
        pairs.append(("Framed-Pool", state.suspension_pool))
    if state.suspension_pool6:  # the garden's IPv6: its link prefix and delegated prefix
        pairs += [("Framed-IPv6-Pool", state.suspension_pool6),
                  ("Delegated-IPv6-Prefix-Pool", state.suspension_pool6)]
    pairs += [("Mikrotik-Address-List", cfg.suspended_address_list),
              ("Session-Timeout", str(cfg.suspended_session_timeout)),
              ("Acct-Interim-Interval", str(cfg.interim_interval))]
    return tuple((a, ":=", v) for a, v in pairs)


def fup_reply(state: State, c: Customer, pkg: Package, now: float) -> tuple:
    pairs = [("Mikrotik-Rate-Limit", f"{rate(pkg.fup_rate_up)}/{rate(pkg.fup_rate_down)}")]
    if pkg.fup_pool:
        pairs.append(("Framed-Pool", pkg.fup_pool))
        pairs += address6(c, pkg)
    else:
        pairs += address(c, pkg)
    pairs += timers(state, c, pkg, now)
    return tuple((a, ":=", v) for a, v in pairs)


def normal_reply(state: State, c: Customer, pkg: Package, now: float) -> list[tuple[str, str]]:
    return [("Mikrotik-Rate-Limit", rate_limit(pkg)), *address(c, pkg),
            *timers(state, c, pkg, now)]


def address(c: Customer, pkg: Package) -> list[tuple[str, str]]:
    if c.static_ip:
        v4 = [("Framed-IP-Address", c.static_ip)]
    else:
        v4 = [("Framed-Pool", pkg.pool)] if pkg.pool else []
    return v4 + address6(c, pkg)


def address6(c: Customer, pkg: Package) -> list[tuple[str, str]]:
    """IPv6 as RouterOS takes it: a static prefix (Framed-IPv6-Prefix for the link,
    Delegated-IPv6-Prefix for DHCPv6-PD) wins over the package's pool of that kind
    (Framed-IPv6-Pool, Delegated-IPv6-Prefix-Pool)."""
    pairs = []
    if c.ipv6_prefix:
        pairs.append(("Framed-IPv6-Prefix", c.ipv6_prefix))
    elif pkg.pool6:
        pairs.append(("Framed-IPv6-Pool", pkg.pool6))
    if c.delegated_prefix:
        pairs.append(("Delegated-IPv6-Prefix", c.delegated_prefix))
    elif pkg.pd_pool:
        pairs.append(("Delegated-IPv6-Prefix-Pool", pkg.pd_pool))
    return pairs


def timers(state: State, c: Customer, pkg: Package, now: float) -> list[tuple[str, str]]:
    """The session ends when the paid period does (so the next login is suspended) or when the
    cycle's online time runs out, whichever comes first; the NAS counts the data left."""
    pairs = []
    left = []
    used_time, used_bytes = state.usage.get(c.id, (0, 0))
    if c.expires_at is not None:
        left.append(max(1, int(c.expires_at - now)))
    if pkg.time_limit is not None:
        left.append(max(1, pkg.time_limit - used_time))
    if left:
        pairs.append(("Session-Timeout", str(min(left))))
    if pkg.data_limit is not None:
        # RouterOS counts in + out against Total-Limit; above 4 GiB the high part goes in
        # Gigawords (RFC 2869's convention)
        rest = max(1, pkg.data_limit - used_bytes)
        pairs.append(("Mikrotik-Total-Limit", str(rest & 0xFFFFFFFF)))
        if rest >> 32:
            pairs.append(("Mikrotik-Total-Limit-Gigawords", str(rest >> 32)))
    pairs.append(("Acct-Interim-Interval", str(state.config.interim_interval)))
    return pairs


def rate_limit(pkg: Package) -> str:
    """RouterOS' rx/tx as the router sees it: rx is what it receives, the subscriber's upload."""
    text = f"{rate(pkg.rate_up)}/{rate(pkg.rate_down)}"
    if pkg.burst_up is None:
        return text
    text += f" {rate(pkg.burst_up)}/{rate(pkg.burst_down)}"
    if pkg.burst_threshold_up is not None or pkg.burst_threshold_down is not None or pkg.burst_time:
        up = pkg.burst_threshold_up if pkg.burst_threshold_up is not None else pkg.rate_up
        down = pkg.burst_threshold_down if pkg.burst_threshold_down is not None else pkg.rate_down
        text += f" {rate(up)}/{rate(down)}"
    if pkg.burst_time:
        text += f" {pkg.burst_time}/{pkg.burst_time}"
    return text


def merge(pairs: list[tuple[str, str]], extra: list[tuple[str, str, str]]) -> tuple:
    """Our attributes, then radreply (the user's) and radgroupreply (by group priority) with
    FreeRADIUS' operator meaning: `:=` replaces, `=` adds when absent, `+=` appends."""
    if not extra and len({attr for attr, _ in pairs}) == len(pairs):
        return tuple([(attr, ":=", value) for attr, value in pairs])  # the usual case, at once
    values: dict[str, list[str]] = {}
    for attr, value in pairs:
        values.setdefault(attr, []).append(value)
    for attr, op, value in extra:
        if op == ":=":
            values[attr] = [value]
        elif op == "=":
            values.setdefault(attr, [value])
        elif op == "+=":
            values.setdefault(attr, []).append(value)
    out = []
    for attr, vals in values.items():
        out += [(attr, ":=" if i == 0 else "+=", v) for i, v in enumerate(vals)]
    return tuple(out)

