"""Staff identities: password hashing, and turning a login into a Caller."""
from __future__ import annotations

import hashlib
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from radbill import lifecycle
from radbill.functions.caller import SYSTEM, Caller
from radbill.functions.registry import AccessDenied, FuncError
from radbill.models import Operator, StaffUser

# Reseller roles may act as (su=) their own staff; every other role may not use su at all.
SU_ROLES = ("group_admin", "operator", "sub_operator")


def digest(secret: str) -> str:
    """A one-time secret (login key, recovery code, API session id) as it is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password(user: StaffUser, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def caller_for(session: Session, user: StaffUser, ip: str | None = None, lang: str = "en") -> Caller:
    """A staff user as a Caller; the system administrator role sees the whole tree. Any other
    login carries its special permissions (functions granted beyond its role, revoked below)."""
    if user.role == "admin":
        return Caller(user.login, "admin", user.operator_id, None, user.id, ip, lang)
    path = session.scalar(sa.select(Operator.path).where(Operator.id == user.operator_id))
    granted, revoked = permissions_of(session, user.id)
    return Caller(user.login, user.role, user.operator_id, path, user.id, ip, lang,
                  granted=granted, revoked=revoked)


def permissions_of(session: Session,
                   user_id: int | None) -> tuple[frozenset[str], frozenset[str]]:
    """The functions granted to and revoked from a staff login (issue 19)."""
    from radbill.models import StaffPermission
    rows = session.execute(sa.select(StaffPermission.func, StaffPermission.allow)
                           .where(StaffPermission.user_id == user_id)).all()
    return (frozenset(f for f, allow in rows if allow),
            frozenset(f for f, allow in rows if not allow))


def operator_chain(session: Session, user: StaffUser) -> list[int]:
    """The ids of the user's operator and every operator above it."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == user.operator_id)) or ""
    return [int(x) for x in path.strip("/").split("/") if x] or [user.operator_id]


def requires_2fa(session: Session, user: StaffUser) -> bool:
    """Whether the user's operator, or any above it, requires two-factor logins."""
    return bool(session.scalar(sa.select(sa.func.bool_or(Operator.require_2fa))
                               .where(Operator.id.in_(operator_chain(session, user)))))


def find_user(session: Session, login: str) -> StaffUser | None:
    return session.scalars(sa.select(StaffUser).where(sa.func.lower(StaffUser.login) == login.lower())).first()


def su(session: Session, caller: Caller, login: str) -> Caller:
    """Act as `login`: the system administrator as anyone, a reseller as its subtree's staff
    (by the same channel: acting as someone else never makes a cookie GET a change)."""
    as_target = _su(session, caller, login)
    return replace(as_target, may_change=caller.may_change, channel=caller.channel)


def _su(session: Session, caller: Caller, login: str) -> Caller:
    target = find_user(session, login)
    if target is None or target.disabled:
        raise FuncError(f"no staff login {login!r}", field="su", status=403)
    if held := lifecycle.login_blocked(session, target):
        raise AccessDenied(f"{login!r} is shut out: operator {held!r} is suspended", field="su")
    if caller.is_sysadmin:
        return caller_for(session, target, caller.ip, caller.lang)
    if caller.role not in SU_ROLES:
        raise AccessDenied("your role may not act as another user", field="su")
    as_target = caller_for(session, target, caller.ip, caller.lang)
    if as_target.operator_path is None or not caller.sees(as_target.operator_path) \
            or target.role in ("admin", "group_admin") and caller.role != "group_admin":
        raise AccessDenied(f"{login!r} is outside your subtree", field="su")
    return as_target


def system_caller(session: Session, su_login: str | None = None) -> Caller:
    """The local command line runs as the system administrator, or as `su_login`."""
    return su(session, SYSTEM, su_login) if su_login else SYSTEM
