"""permission, permission.edit, permission.delete: one function granted to a staff login beyond
its role, or revoked from it below its role (issue 19).

A login's grants and revocations ride on its Caller (radbill.functions.auth.caller_for), and
`registry.Function.allowed` reads them, so `registry.call` enforces them for every way a staff
login comes in (pages, /billmgr, `radbill call su=`) and the menus show what it may open.

Who may: someone who manages the login (it is in their subtree and below their role; never
their own, never an admin's). A grant needs the function in the granter's own hands (no one
hands out what they cannot do), never a function for the system administrator, customers or
visitors only, and never a money function to a role that sees no money (roles.NO_MONEY_ROLES:
the registry would refuse it anyway; the grant says so at once). Revoking only takes away, so
it needs no more than managing the login.
"""
from __future__ import annotations

import sqlalchemy as sa

from radbill import events
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, paged
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError, ListResult,
                                        OkResult, Param, function, load_all)
from radbill.functions.roles import RANK, RESELLERS, sees_money
from radbill.models import StaffPermission, StaffUser
from radbill.models.operators import ROLES
from staff.functions.users import ENTITY as USERS

COLUMNS = ["id", "user_id", "login", "role", "func", "access", "granted_by", "created_at"]
STAFF = frozenset(ROLES) - {"admin"}  # the roles a function must name to be grantable


def _user(call: Call, ref: str | None, field: str = "user") -> StaffUser:
    """The staff login named (id or login) that the caller may see; else one refusal whether
    it exists elsewhere or not at all."""
    ref = (ref or "").strip()
    if not ref:
        raise FuncError("is required: the staff login (id or login)", field=field)
    return USERS.find(call, ref, field)


def _manage(call: Call, user: StaffUser, field: str = "user") -> None:
    if user.id == call.caller.user_id:
        raise AccessDenied("your own permissions are set from above you", field=field)
    if user.role == "admin":
        raise FuncError("the admin role has every function", field=field)
    if not call.caller.is_sysadmin and RANK[user.role] <= RANK[call.caller.role]:
        raise AccessDenied("you may change the permissions of logins below your role only",
                           field=field)


def _func(call: Call, raw: str | None, user: StaffUser, allow: bool):
    name = (raw or "").strip()
    if not name:
        raise FuncError("is required: the function's name (customer.edit, ...)", field="func")
    fn = load_all().get(name)
    if fn is None:
        raise FuncError(f"no function {F.short(name)!r}", field="func")
    if fn.roles is not None and not fn.roles & STAFF:
        raise FuncError(f"{name} is not a staff function (it is for "
                        f"{', '.join(sorted(fn.roles))} only)", field="func")
    if allow and not fn.permits(call.caller):
        raise AccessDenied(f"you may grant only functions you may call yourself; {name} is not "
                           "one of them", field="func")
    if allow and fn.money and not sees_money(user.role):
        raise FuncError(f"{name} is about money, which the {user.role} role does not see; a "
                        "grant cannot change that", field="func")
    return fn


def _access(call: Call) -> bool:
    """grant=yes: allow; grant=no or revoke=yes: deny."""
    grant = F.parse_one("grant", F.boolean, call.get("grant")) \
        if call.get("grant") not in (None, "") else None
    revoke = F.parse_one("revoke", F.boolean, call.get("revoke")) \
        if call.get("revoke") not in (None, "") else None
    if grant is None and revoke is None:
        raise FuncError("is required: yes (grant the function) or no (revoke it)", field="grant")
    if grant is not None and revoke is not None and grant == revoke:
        raise FuncError("contradicts grant: give one of them", field="revoke")
    return grant if grant is not None else not revoke


def _access_name(allow: bool | None) -> str:
    return "default" if allow is None else "granted" if allow else "revoked"


def _row(p: StaffPermission, user: StaffUser) -> dict:
    return {"id": p.id, "user_id": user.id, "login": user.login, "role": user.role,
            "func": p.func, "access": _access_name(p.allow), "granted_by": p.granted_by,
            "created_at": audit.jsonable(p.created_at)}


def _changed(call: Call, user: StaffUser, func: str, before: bool | None,
             after_allow: bool | None, obj_id: int) -> None:
    before_v = None if before is None else {"func": func, "access": _access_name(before)}
    after_v = None if after_allow is None else {"func": func,
                                                "access": _access_name(after_allow)}
    audit.record(call, "permission", obj_id, f"{user.login}:{func}", before_v, after_v,
                 user.operator_id)
    events.emit(call.session, "permission.changed", operator_id=user.operator_id,
                actor=call.caller.login, func=call.func, user_id=user.id, login=user.login,
                permission=func, access=_access_name(after_allow))


@function("permission", kind="list", money=False, roles=RESELLERS, params=(
    Param("user", "a staff login (id or login): its permissions only"),
    Param("page"), Param("per_page")))
def permissions(call: Call) -> ListResult:
    """Functions granted to or revoked from the staff logins you manage."""
    stmt = sa.select(StaffPermission, StaffUser).join(
        StaffUser, StaffUser.id == StaffPermission.user_id).where(
        in_subtree(call, StaffUser.operator_id))
    if call.get("user") not in (None, ""):
        stmt = stmt.where(StaffUser.id == _user(call, call.get("user")).id)
    return paged(call, stmt, COLUMNS, _row, StaffUser.login, StaffPermission.func)


@function("permission.edit", kind="form", money=False, roles=RESELLERS, params=(
    Param("user", "the staff login (id or login)", True),
    Param("func", "the function (customer.edit, olt, ...)", True),
    Param("grant", "yes: allow it beyond the login's role; no: take it away"),
    Param("revoke", "yes: take the function away (as grant=no)")))
def edit(call: Call) -> FormResult | OkResult:
    """Grant one function to a staff login, or revoke it; without sok, what it has now."""
    if not call.sok:
        user = _user(call, call.get("user"))
        _manage(call, user)
        now = call.session.scalars(sa.select(StaffPermission).where(
            StaffPermission.user_id == user.id,
            StaffPermission.func == (call.get("func") or "").strip())).first()
        return FormResult(None, {"user": user.login, "func": call.get("func") or "",
                                 "grant": "" if now is None else "yes" if now.allow else "no"})
    refusals: list[FuncError] = []
    user = allow = fn = None
    try:
        user = _user(call, call.get("user"))
        _manage(call, user)
    except FuncError as exc:
        refusals.append(exc)
    try:
        allow = _access(call)
    except FuncError as exc:
        refusals.append(exc)
    if not refusals:
        try:
            fn = _func(call, call.get("func"), user, allow)
        except FuncError as exc:
            refusals.append(exc)
    if refusals:  # every bad field at once; a refusal of rights keeps its 403 / 404
        errors = {k: v for exc in refusals for k, v in exc.errors.items()}
        raise FuncError(errors=errors, status=max(exc.status for exc in refusals))
    row = call.session.scalars(sa.select(StaffPermission).where(
        StaffPermission.user_id == user.id, StaffPermission.func == fn.name)
        .with_for_update()).first()
    before = None if row is None else row.allow
    if row is None:
        row = StaffPermission(user_id=user.id, func=fn.name, allow=allow,
                              granted_by=call.caller.login)
        call.session.add(row)
    else:
        row.allow, row.granted_by = allow, call.caller.login
    call.session.flush()
    if before != allow:
        _changed(call, user, fn.name, before, allow, row.id)
    return OkResult(row.id, {"user": user.login, "func": fn.name,
                             "access": _access_name(allow)})


@function("permission.delete", money=False, roles=RESELLERS, params=(
    Param("elid", "permission ids, comma-separated: the login goes back to its role's",
          multi=True),))
def delete(call: Call) -> OkResult:
    """Take special permissions away: the logins have what their roles give again."""
    for ref in (call.elid or "").split(","):
        ref = ref.strip()
        if not ref:
            continue
        key = F.as_id(ref, StaffPermission.id)
        if key is None:
            raise FuncError(f"{F.short(ref)!r} is not a permission's id", field="elid")
        found = call.session.execute(
            sa.select(StaffPermission, StaffUser)
            .join(StaffUser, StaffUser.id == StaffPermission.user_id)
            .where(StaffPermission.id == key, in_subtree(call, StaffUser.operator_id))).first()
        if found is None:
            continue  # the seed's convention: deleting nothing succeeds
        row, user = found
        _manage(call, user, field="elid")
        before = row.allow
        call.session.delete(row)
        call.session.flush()
        _changed(call, user, row.func, before, None, key)
    return OkResult()
