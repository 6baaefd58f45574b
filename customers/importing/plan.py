"""The checks against the database for a chunk of parsed rows, set-based, with customer.edit's
messages: who exists (update) or not (create), the references (through customer.edit's own
lookups, once per distinct value), and the unique values (username, MAC, static address,
mobile, national ID) against the database and against the file's earlier rows."""
from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import lifecycle, settings
from radbill.functions.caller import Caller
from radbill.functions.crud import in_subtree, resolve_operator
from radbill.functions.registry import FuncError
from radbill.models import Customer, Operator, Package

# columns a row writes, beside the references it names
PLAIN = ("name", "mobile", "email", "national_id", "lang", "address", "mac", "service",
         "static_ip", "custom_price", "notes")


@dataclass
class Ctx:
    """What customer.edit's lookups read from a Call: the session, the caller, the function."""

    session: Session
    caller: Caller
    func: str = "customer.import"
    params: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    def get(self, name: str, default=None):
        return self.params.get(name, default)

    def once(self, key, work):
        """work() once per key: its value, or the FuncError it raised."""
        if key not in self.cache:
            try:
                self.cache[key] = work()
            except FuncError as exc:
                self.cache[key] = exc
        value = self.cache[key]
        if isinstance(value, FuncError):
            raise value
        return value


@dataclass
class Seen:
    """The file's earlier rows: the first line (and username) holding each unique value."""

    keys: dict[tuple[str, str], str] = field(default_factory=dict)

    def claim(self, kind: str, value: str, username: str) -> str | None:
        """The earlier row's username holding value, else None (and this row holds it)."""
        key = (kind, value)
        if key in self.keys:
            return self.keys[key]
        self.keys[key] = username
        return None


@dataclass
class Plan:
    creates: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    errors: dict[int, dict[str, str]] = field(default_factory=dict)


class _Stub:
    """The customer as customer.edit's lookups see it (its operator)."""

    def __init__(self, operator_id: int, id: int | None = None):
        self.operator_id, self.id = operator_id, id


def plan(ctx: Ctx, rows: list[tuple[int, dict]], seen: Seen | None = None) -> Plan:
    """Creates, updates and errors (by line) for parsed rows [(line, values)]."""
    from customers.functions.customers import ENTITY, mobile_key
    out = Plan()
    existing = _existing(ctx, [v["username"] for _, v in rows if "username" in v])
    pending: list[tuple[int, dict, dict | None]] = []
    for line, values in rows:
        errors: dict[str, str] = {}
        old = existing.get(values.get("username", "").lower())
        row = _resolve(ctx, ENTITY, values, old, errors)
        if row is not None:
            row["line"] = line
            pending.append((line, row, old))
        if errors:
            out.errors[line] = errors
    _custom(ctx, pending, out.errors)
    _unique(ctx, pending, out.errors, seen, mobile_key)
    for line, row, old in pending:
        if line in out.errors:
            continue
        (out.updates if old else out.creates).append(row)
    return out


def _custom(ctx: Ctx, pending: list, errors: dict) -> None:
    """Custom fields (cf_<name>) through customers/custom_fields.py as customer.edit checks
    them: per operator, typed, required for a new customer, unique; errors name cf_<name>."""
    from customers import custom_fields as CF
    by_op: dict[int, list] = {}
    for line, row, old in pending:
        by_op.setdefault(row["operator_id"] or old["operator_id"], []).append((line, row, old))
    for op, rows in sorted(by_op.items()):
        defined = ctx.once(("custom", op), lambda: bool(CF.definitions(ctx.session, op)))
        if not defined and not any(row["custom_fields"] for _, row, _ in rows):
            continue
        checked = CF.check_many(ctx.session, op, [row["custom_fields"] or {} for _, row, _ in rows],
                                [old["id"] if old else None for _, _, old in rows], lock=True)
        for (line, row, _), (values, errs) in zip(rows, checked):
            if errs:
                errors.setdefault(line, {}).update({f"cf_{k}": v for k, v in errs.items()})
            row["custom_fields"] = {k: v for k, v in values.items() if v is not None} or None


def _existing(ctx: Ctx, names: list[str]) -> dict[str, dict]:
    from customers.functions.customers import ENTITY
    if not names:
        return {}
    visible = ENTITY.visible(ctx, sa.select(Customer.id), deleted=True).scalar_subquery()
    wanted = sa.func.unnest(sa.cast(sorted({n.lower() for n in names}), sa.ARRAY(sa.Text))) \
        .table_valued("name").render_derived()
    rows = ctx.session.execute(
        sa.select(Customer.id, Customer.username, Customer.operator_id, Customer.status,
                  Customer.deleted_at, Customer.mobile, Customer.service, Customer.static_ip,
                  Customer.password.is_(None).label("hash_only"),
                  Customer.id.in_(visible).label("mine"))
        .join(wanted, sa.func.lower(Customer.username) == wanted.c.name)).mappings()
    return {r["username"].lower(): dict(r) for r in rows}


def _resolve(ctx: Ctx, entity, values: dict, old: dict | None,
             errors: dict[str, str]) -> dict | None:
    """The row as columns (references resolved), or None when it cannot be written."""
    username = values.get("username")
    if username is None:
        errors.setdefault("username", "is required")
        return None
    if old is not None and (not old["mine"] or old["deleted_at"] is not None):
        errors["username"] = (f"{username!r} is a deleted customer; restore it first"
                              if old["mine"] else f"{username!r} is taken")
        return None
    creating = old is None
    if creating:
        for name in ("package", "password"):
            if name not in values and not (name == "password" and "nt_hash" in values):
                errors[name] = "is required"
    else:
        for name in ("advance_balance", "opening_due"):
            if name in values:
                errors[name] = "only a new customer gets an opening balance (take a payment)"
    row: dict[str, Any] = {k: values.get(k) for k in PLAIN}
    row["username"] = username if creating else old["username"]
    if creating or "nt_hash" in values:
        row["set_secret"] = True
        row["password"] = values.get("password")
        row["nt_hash"] = values.get("nt_hash")
    if creating:
        row["service"] = row["service"] or "pppoe"
        row["lang"] = row["lang"] or "en"
        row["advance_balance"] = values.get("advance_balance")
        row["opening_due"] = values.get("opening_due")
    row["expires_at"] = values.get("expires")
    row["custom_fields"] = values.get("custom")
    try:
        if creating or "operator" in values:
            row["operator_id"] = ctx.once(("operator", (values.get("operator") or "").lower()),
                                          lambda: resolve_operator(ctx, values.get("operator")).id)
        else:
            row["operator_id"] = None
    except FuncError as exc:
        errors.update(exc.errors or {"operator": exc.message})
        return None
    op_id = row["operator_id"] or old["operator_id"]
    row["creating"] = creating
    _references(ctx, entity, values, row, op_id, errors)
    service = row["service"] or (old and old["service"])
    static_ip = row["static_ip"] or (old and old["static_ip"])
    if service == "static" and not static_ip:
        errors["static_ip"] = "is required for the static service"
    row["status"], row["reason"] = _status(values.get("status"), old, username, errors)
    row["id"] = old["id"] if old else None
    row["old_mobile"] = old["mobile"] if old else None
    row["old_operator"] = old["operator_id"] if old else None
    return row


def _references(ctx: Ctx, entity, values: dict, row: dict, op_id: int,
                errors: dict[str, str]) -> None:
    """package, billing_profile and zone through customer.edit's own lookups, once each."""
    from packages.functions.packages import ENTITY as packages
    from rating.functions.billing_profiles import ENTITY as profiles
    row["package_id"] = row["billing_profile_id"] = row["zone_id"] = None
    try:
        if "package" in values:
            ref = values["package"]
            pkg_id = ctx.once(("package", ref.lower()),
                              lambda: packages.find(ctx, ref, field="package").id)
            ctx.once(("usable", op_id, pkg_id),
                     lambda: entity._usable_by(ctx, _Stub(op_id), Package, pkg_id, "package"))
            row["package_id"] = pkg_id
            _trial(ctx, values, row, pkg_id, errors)
    except FuncError as exc:
        errors.update(exc.errors or {"package": exc.message})
    try:
        if "billing_profile" in values:
            ref = values["billing_profile"]
            row["billing_profile_id"] = ctx.once(
                ("profile", ref.lower()),
                lambda: profiles.find(ctx, ref, field="billing_profile").id)
    except FuncError as exc:
        errors.update(exc.errors or {"billing_profile": exc.message})
    try:
        if "zone" in values:
            ref = values["zone"]
            row["zone_id"] = ctx.once(("zone", op_id, ref.lower()),
                                      lambda: entity._zone(ctx, _Stub(op_id), ref))
    except FuncError as exc:
        errors.update(exc.errors or {"zone": exc.message})


def _trial(ctx: Ctx, values: dict, row: dict, pkg_id: int, errors: dict) -> None:
    """customer.edit's rule for a trial package: a new customer gets its fixed length (from
    today), never a given expiry; nobody moves onto one."""
    from customers import trials
    days = ctx.once(("trial", pkg_id), lambda: ctx.session.scalar(
        sa.select(Package.trial_days).where(Package.id == pkg_id)))
    if not days:
        return
    if "expires" in values:
        errors["expires"] = f"a trial lasts its package's {days} days"
    elif row["creating"]:
        tz = settings.get().tz
        row["expires_at"] = trials.trial_end(today(), days, tz).isoformat()
    else:
        errors["package"] = "a trial package is for new customers only"


def _status(dest: str | None, old: dict | None, username: str,
            errors: dict[str, str]) -> tuple[str | None, str | None]:
    """(the status to move to, the lifecycle's reason), or (None, None): as it is. A status
    the old system had moves in with reason import (no notice) where the lifecycle allows it;
    lifting a suspension is a staff decision (manual)."""
    state = old["status"] if old else "active"  # a deleted customer was refused already
    if dest is None or state == dest:
        return None, None
    reason = "import" if lifecycle.find(state, dest, "import") else "manual"
    if lifecycle.find(state, dest, reason) is None:
        errors["status"] = str(lifecycle.TransitionRefused(username, state, dest, "manual"))
    return dest, reason


def _unique(ctx: Ctx, pending: list, errors: dict, seen: Seen | None, mobile_key) -> None:
    """username, MAC, static address, mobile, national ID: free in the database (but for the
    row's own customer) and not held by an earlier row of the file."""
    rows = [(line, row, old) for line, row, old in pending]
    shares = _shares(ctx, {row["operator_id"] or old["operator_id"] for _, row, old in rows})

    def mobile_checked(row, old) -> bool:  # a parsed mobile is already E.164 (its key)
        if not row["mobile"] or shares.get(row["operator_id"] or old["operator_id"]):
            return False
        return old is None or row["mobile"] != mobile_key(old["mobile"] or "") \
            or (row["operator_id"] and row["operator_id"] != old["operator_id"])

    checks = [("mac", Customer.mac, lambda r, o: r["mac"]),
              ("static_ip", Customer.static_ip, lambda r, o: r["static_ip"]),
              ("mobile", Customer.mobile,
               lambda r, o: r["mobile"] if mobile_checked(r, o) else None),
              ("national_id", Customer.national_id, lambda r, o: r["national_id"])]
    if any(row["mobile"] for _, row, _ in rows):
        _lock_mobiles(ctx, {r["mobile"] for _, r, _ in rows if r["mobile"]})
    for name, column, value_of in checks:
        values = {value_of(row, old) for _, row, old in rows} - {None}
        held = _holders(ctx, column, values) if values else {}
        for line, row, old in rows:
            value = value_of(row, old)
            if value is None:
                continue
            others = [(u, mine) for cid, u, mine in held.get(str(value), ()) if cid != row["id"]]
            earlier = seen.claim(name, str(value), row["username"]) if seen else None
            if earlier is not None and earlier != row["username"]:
                errors.setdefault(line, {})[name] = held_by(name, value, repr(earlier))
            elif others:
                mine = [u for u, m in others if m]
                who = repr(mine[0]) if mine else "another customer"
                errors.setdefault(line, {})[name] = held_by(name, value, who)
    if seen is not None:
        for line, row, old in rows:
            earlier = seen.claim("username", row["username"].lower(), str(line))
            if earlier is not None and earlier != str(line):
                errors.setdefault(line, {})["username"] = f"{row['username']!r} is taken"
    _edges(ctx, rows, errors)


def held_by(name: str, value, who: str) -> str:
    """customer.edit's message for a unique value `who` holds (a username's repr, or "another
    customer" when the holder is outside the caller's subtree)."""
    from customers.functions.customers import national
    if name == "mac":
        return f"{value} is bound to {who}"
    if name == "static_ip":
        return f"{value} belongs to {who}"
    if name == "mobile":
        return f"{national(value)} is in use" + ("" if who == "another customer" else f" by {who}")
    return "is taken"  # a national ID: customer.edit's (its unique index's) word, no holder


def _holders(ctx: Ctx, column, values: set) -> dict[str, list[tuple[int, str, bool]]]:
    """Live customers holding any of values: value -> [(id, username, in caller's subtree)]."""
    wanted = sa.func.unnest(sa.cast(sorted(str(v) for v in values), sa.ARRAY(sa.Text))) \
        .table_valued("v").render_derived()
    stmt = (sa.select(sa.cast(column, sa.Text).label("v"), Customer.id, Customer.username,
                      in_subtree(ctx, Customer.operator_id).label("mine"))
            .join(wanted, column == sa.cast(wanted.c.v, column.type))
            .where(Customer.deleted_at.is_(None)))
    out: dict[str, list] = {}
    for v, cid, username, mine in ctx.session.execute(stmt):
        v = v.split("/")[0] if column is Customer.static_ip else v
        out.setdefault(v, []).append((cid, username, bool(mine)))
    return out


def _edges(ctx: Ctx, rows: list, errors: dict) -> None:
    """A static address must not be its pool subnet's network or broadcast address."""
    ips = sorted({row["static_ip"] for _, row, _ in rows if row["static_ip"]})
    if not ips:
        return
    bad = set(ctx.session.scalars(sa.text(
        "SELECT DISTINCT host(a.ip) FROM unnest(CAST(:ips AS inet[])) AS a(ip) "
        "JOIN ip_pools p ON p.cidr >>= a.ip AND masklen(p.cidr) < 31 "
        "AND host(a.ip) IN (host(network(p.cidr)), host(broadcast(p.cidr)))"), {"ips": ips}))
    for line, row, _ in rows:
        if row["static_ip"] in bad:
            errors.setdefault(line, {})["static_ip"] = (
                f"{row['static_ip']} is the network or broadcast address of its subnet, not a host")


def _shares(ctx: Ctx, operator_ids: set[int]) -> dict[int, bool]:
    missing = [o for o in operator_ids if ("shares", o) not in ctx.cache]
    if missing:
        for oid, shares in ctx.session.execute(sa.select(Operator.id, Operator.allow_shared_mobile)
                                               .where(Operator.id.in_(missing))):
            ctx.cache[("shares", oid)] = bool(shares)
    return {o: ctx.cache.get(("shares", o), False) for o in operator_ids}


def _lock_mobiles(ctx: Ctx, keys: set[str]) -> None:
    """customer.edit's locks on the numbers' buckets, in order (two imports cannot deadlock),
    so a customer.edit with one of these numbers waits for this chunk and then sees it."""
    from customers.functions.customers import MOBILE_BUCKETS, MOBILE_LOCK
    buckets = sorted({zlib.crc32(k.encode()) % MOBILE_BUCKETS for k in keys})
    ctx.session.execute(sa.text(
        "SELECT pg_advisory_xact_lock(:lock, b) FROM unnest(CAST(:b AS int[])) AS b ORDER BY b"),
        {"lock": MOBILE_LOCK, "b": buckets})


def today() -> dt.date:
    return dt.datetime.now(settings.get().tz).date()
