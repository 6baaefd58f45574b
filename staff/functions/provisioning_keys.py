"""provisioning_key, provisioning_key.edit, provisioning_key.revoke, operator_signup: a new
operator registers itself under the parent that gave it a one-time key (issue 19).

`provisioning_key.edit` issues a key for an operator of the caller's subtree (default its own;
a sub-operator has none below it): how long it lasts (`expires`, default 7 days, at most 90)
and what the new operator gets (`kind`, `credit_limit`; its level is the one below the
parent's). The key is answered once (`secret`: the admin shows it on a page of its own) and
kept only as its SHA-256 (`key_hash`), as API client secrets are; `hint` (its first 8
characters) tells keys apart in the list.

`operator_signup` is the public /register page's function (the anonymous `visitor` role): the
key, the new operator's name and contact, its first staff login and password (the staff
password rule). It locks the key's row, so of two registrations with one key exactly one
wins (the other waits, then finds it used), creates the operator with `operator.edit` and the
login with `user.edit` as the parent would (audited as `provisioning_key:<id>`), and marks the
key used, all in the caller's one transaction. A wrong, used, revoked or expired key is a
failure counted per address (radbill/lockout.py, counter `register`); too many lock the
address out for lockout.LOCK_MINUTES.
"""
from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa

from radbill import events, lockout
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.auth import digest
from radbill.functions.caller import Caller
from radbill.functions.crud import Entity, in_subtree, may_manage, own_operator, paged
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, NotFound,
                                        OkResult, Param, call as registry_call, function)
from radbill.models import Operator, ProvisioningKey
from radbill.models.tree import KEY_KINDS
from staff.functions.operators import CHILD_LEVEL  # the level below a parent's (operator.edit)

ISSUERS = ("group_admin", "operator")  # roles whose operator may have operators below it
VISITOR = "visitor"  # the anonymous caller of the public pages (customers/functions/signups.py)
DEFAULT_DAYS, MAX_DAYS = 7, 90
FAILURE, BLOCKED = "bad provisioning key", "register blocked"
COLUMNS = ["id", "hint", "operator_id", "level", "kind", "credit_limit", "note", "state",
           "expires_at", "created_by", "created_at", "used_at", "new_operator_id", "new_login"]


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_key() -> str:
    """rbp- and 192 random bits: typed or pasted once, on the /register page."""
    return "rbp-" + secrets.token_urlsafe(24)


def state(k: ProvisioningKey, at: dt.datetime) -> str:
    if k.used_at is not None:
        return "used"
    if k.revoked_at is not None:
        return "revoked"
    return "expired" if k.expires_at <= at else "unused"


class ProvisioningKeys(Entity):
    name = "provisioning_key"
    model = ProvisioningKey
    label = "hint"
    fields = [
        F.Field("operator", str, help="the parent the new operator registers under (id or "
                                      "name; default yours)"),
        F.Field("expires", F.when, help=f"the key works until (default {DEFAULT_DAYS} days, at "
                                        f"most {MAX_DAYS})"),
        F.Field("kind", F.choice(*KEY_KINDS), clearable=False,
                help="the new operator's kind: credit (limit) or debit (prepaid)"),
        F.Field("credit_limit", F.amount(), clearable=False,
                help="the new operator's credit limit"),
        F.Field("note", F.text(300), help="who it is for (shown in the list only)"),
    ]
    columns = COLUMNS
    money = frozenset({"credit_limit"})

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, ProvisioningKey.operator_id))

    def editable(self, call: Call, obj: ProvisioningKey) -> bool:
        return may_manage(call, obj.operator_id)

    def row(self, k: ProvisioningKey) -> dict:
        row = {c: audit.jsonable(getattr(k, c)) for c in COLUMNS if hasattr(k, c)}
        row["state"] = state(k, now())
        row["level"] = None  # the list fills it in from the parent's level
        return row

    def form(self, call: Call, obj: ProvisioningKey | None) -> dict:
        if obj is None:
            return {"kind": "credit", "credit_limit": "0"}
        return {**self.row(obj), "expires": audit.jsonable(obj.expires_at)}

    def snapshot(self, obj):
        snap = audit.snapshot(obj)
        if snap is not None:
            snap.pop("key_hash", None)  # a digest, but nothing the audit log needs
        return snap

    def apply(self, call: Call, obj: ProvisioningKey, values: dict, creating: bool) -> None:
        if not creating and state(obj, now()) != "unused":
            raise FuncError(f"is {state(obj, now())}; issue a new key instead", field="elid",
                            status=409)
        own_operator(call, obj, values, creating)
        level = call.session.scalar(sa.select(Operator.level).where(Operator.id == obj.operator_id))
        if level not in CHILD_LEVEL:
            raise FuncError("a sub-operator cannot have operators under it", field="operator")
        if "expires" in values:
            obj.expires_at = values.pop("expires")
        elif creating:
            obj.expires_at = now() + dt.timedelta(days=DEFAULT_DAYS)
        if obj.expires_at is None:
            raise FuncError("is required", field="expires")
        if obj.expires_at <= now():
            raise FuncError("is in the past", field="expires")
        if obj.expires_at > now() + dt.timedelta(days=MAX_DAYS):
            raise FuncError(f"is more than {MAX_DAYS} days away", field="expires")
        if creating:
            values.setdefault("kind", "credit")
            key = new_key()
            obj.key_hash, obj.hint = digest(key), key[:8]
            obj.created_by = call.caller.login
            call.new_key = key  # answered once by edit(), never stored
        super().apply(call, obj, values, creating)

    def save(self, call: Call, obj: ProvisioningKey | None) -> ProvisioningKey:
        creating = obj is None
        obj = super().save(call, obj)
        if creating:
            events.emit(call.session, "provisioning_key.issued", operator_id=obj.operator_id,
                        actor=call.caller.login, func=call.func, key_id=obj.id,
                        expires_at=obj.expires_at, kind=obj.kind)
        return obj

    def edit(self, call: Call):
        result = super().edit(call)
        if isinstance(result, OkResult) and not call.elid and getattr(call, "new_key", None):
            result = OkResult(result.elid, {"secret": call.new_key, "register": "/register"})
        return result


ENTITY = ProvisioningKeys()
function("provisioning_key.edit", kind="form", roles=ISSUERS, money=ENTITY.money, params=(
    Param("elid", "the key's id (an unused key's expiry, limits and note change)"),)
    + tuple(f.param() for f in ENTITY.fields))(ENTITY.edit)


@function("provisioning_key", kind="list", roles=ISSUERS, money=ENTITY.money, params=(
    Param("state", "unused, used, revoked or expired"), Param("page"), Param("per_page")))
def key_list(call: Call) -> ListResult:
    """Provisioning keys of your subtree, newest first (never the key itself)."""
    stmt = ENTITY.visible(call, sa.select(ProvisioningKey, Operator.level).join(
        Operator, Operator.id == ProvisioningKey.operator_id))
    if raw := call.get("state"):
        wanted = F.parse_one("state", F.choice("unused", "used", "revoked", "expired"), raw)
        at = now()
        stmt = stmt.where({
            "used": ProvisioningKey.used_at.is_not(None),
            "revoked": ProvisioningKey.revoked_at.is_not(None),
            "expired": sa.and_(ProvisioningKey.used_at.is_(None),
                               ProvisioningKey.revoked_at.is_(None),
                               ProvisioningKey.expires_at <= at),
            "unused": sa.and_(ProvisioningKey.used_at.is_(None),
                              ProvisioningKey.revoked_at.is_(None),
                              ProvisioningKey.expires_at > at)}[wanted])

    def row(k: ProvisioningKey, level: str) -> dict:
        return {**ENTITY.row(k), "level": CHILD_LEVEL.get(level)}
    return paged(call, stmt, COLUMNS, row, ProvisioningKey.id.desc())


@function("provisioning_key.revoke", roles=ISSUERS, money=False, params=(
    Param("elid", "key ids, comma-separated", True, multi=True),))
def revoke(call: Call) -> OkResult:
    """Revoke provisioning keys: nobody can register with them any more."""
    refs = [r.strip() for r in (call.elid or "").split(",") if r.strip()]
    if not refs:
        raise FuncError("is required", field="elid")
    for ref in refs:
        ident = F.as_id(ref, ProvisioningKey.id)
        obj = None if ident is None else call.session.scalars(ENTITY.visible(call, sa.select(
            ProvisioningKey).where(ProvisioningKey.id == ident)).with_for_update()).first()
        if obj is None:
            raise NotFound(f"no provisioning key {F.short(ref)!r}", field="elid")
        if not ENTITY.editable(call, obj):
            raise AccessDenied("you may not revoke this key", field="elid")
        if obj.used_at is not None:
            raise FuncError(f"key {obj.hint}… was used on {obj.used_at:%Y-%m-%d}; a used key "
                            "cannot be revoked", field="elid", status=409)
        if obj.revoked_at is not None:
            continue
        before = ENTITY.snapshot(obj)
        obj.revoked_at = now()
        call.session.flush()
        audit.record(call, "provisioning_key", obj.id, obj.hint, before, ENTITY.snapshot(obj),
                     obj.operator_id)
        events.emit(call.session, "provisioning_key.revoked", operator_id=obj.operator_id,
                    actor=call.caller.login, func=call.func, key_id=obj.id)
    return OkResult()


# -- the public registration ------------------------------------------------------------------
def signup_fields() -> list[F.Field]:
    """The new operator's fields as operator.edit and user.edit parse them (one rule each)."""
    from staff.functions.operators import ENTITY as OPERATORS
    from staff.functions.users import ENTITY as USERS
    ops = {f.name: f for f in OPERATORS.fields}
    users = {f.name: f for f in USERS.fields}
    return [ops["name"], ops["phone"], ops["email"], ops["address"], users["login"],
            users["password"], users["lang"],
            F.Field("contact", F.text(100), help="your name (the first login's)")]


def key_problem(k: ProvisioningKey | None) -> str | None:
    if k is None:
        return "is not a provisioning key we issued; check it with whoever gave it to you"
    return {"used": "has already been used", "revoked": "has been revoked",
            "expired": "has expired; ask for a new one"}.get(state(k, now()))


def issuer(k: ProvisioningKey, parent: Operator, caller: Caller) -> Caller:
    """The parent, as the key stands for it: the highest role of its level, in its subtree."""
    from staff.functions.api_clients import default_role
    return Caller(login=f"provisioning_key:{k.id}", role=default_role(parent),
                  operator_id=parent.id, operator_path=parent.path, ip=caller.ip,
                  lang=caller.lang, channel=caller.channel)


@function("operator_signup", roles=(VISITOR,), money=False, params=(
    Param("key", "the provisioning key you were given", True),
    Param("name", "your company's name (the new operator's)", True),
    Param("phone", "phone"), Param("email", "e-mail"), Param("address", "address"),
    Param("contact", "your name"),
    Param("login", "your staff login: 2-64 letters, digits or _.@-", True),
    Param("password", "at least 8 characters", True),
    Param("lang", "en or bn: your pages' language")))
def operator_signup(call: Call) -> OkResult:
    """Register a new operator with a one-time provisioning key (the public /register page)."""
    session, ip = call.session, call.caller.ip
    if ip and lockout.failures(session, "register", ip=ip) >= lockout.limit():
        lockout.record(session, call.caller.channel, "register", False, BLOCKED, ip)
        raise FuncError("too many wrong keys from your address; try again later", field="key",
                        status=429, keep=True)
    errors: dict[str, str] = {}
    try:
        values = F.parse_fields(signup_fields(), call.params, creating=True)
    except FuncError as exc:
        values, errors = {}, dict(exc.errors)
    raw = (call.get("key") or "").strip()
    found = None
    if len(raw) <= 200 and raw.isascii():
        found = session.scalars(sa.select(ProvisioningKey).where(
            ProvisioningKey.key_hash == digest(raw)).with_for_update()).first()
    if (why := key_problem(found)) is not None:
        lockout.record(session, call.caller.channel, "register", False, FAILURE, ip)
        raise FuncError(errors={"key": why, **errors}, status=403 if found is None else 409,
                        keep=True)
    if errors:
        raise FuncError(errors=errors)
    parent = session.get(Operator, found.operator_id)
    as_parent = issuer(found, parent, call.caller)
    op_params = {"sok": "ok", "name": values["name"], "parent": str(parent.id),
                 "kind": found.kind, "credit_limit": str(found.credit_limit)}
    op_params.update({k: call.params[k] for k in ("phone", "email", "address")
                      if values.get(k) is not None})
    made = registry_call(session, as_parent, "operator.edit", op_params)
    user_params = {"sok": "ok", "login": values["login"], "password": values["password"],
                   "role": default_role_below(session, made.elid), "operator": str(made.elid)}
    if values.get("contact"):
        user_params["name"] = values["contact"]
    if values.get("lang"):
        user_params["lang"] = values["lang"]
    registry_call(session, as_parent, "user.edit", user_params)
    before = ENTITY.snapshot(found)
    found.used_at, found.used_ip = now(), ip
    found.new_operator_id, found.new_login = made.elid, values["login"]
    session.flush()
    audit.record(call, "provisioning_key", found.id, found.hint, before, ENTITY.snapshot(found),
                 parent.id)
    events.emit(session, "provisioning_key.used", operator_id=parent.id, actor=call.caller.login,
                func=call.func, key_id=found.id, new_operator_id=made.elid, name=values["name"],
                login=values["login"])
    return OkResult(made.elid, {"operator": values["name"], "login": values["login"]})


def default_role_below(session, operator_id: int) -> str:
    from staff.functions.api_clients import default_role
    return default_role(session.get(Operator, operator_id))
