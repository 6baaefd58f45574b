"""Staff logins' own security: one-time login keys (session.newkey) and two-factor (me.totp,
me.recovery, user.totp_reset)."""
from __future__ import annotations

import secrets

import pyotp

from radbill.functions import audit
from radbill.functions.auth import digest, requires_2fa, su
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError,
                                        NotFound, OkResult, Param, function)
from radbill.functions.roles import RANK
from radbill.models import StaffUser
from radbill.models.operators import ROLES
from radbill.models.web import LoginKey


KEY_MIN = 16
STAFF = tuple(r for r in ROLES if r != "admin")  # staff logins (admin may do anything anyway)
ISSUER = "radbill"


@function("session.newkey", roles=("group_admin",),
          params=(Param("username", "the staff login to let in", True),
                  Param("key", f"a secret of at least {KEY_MIN} characters", True)))
def newkey(call: Call) -> OkResult:
    """Make a one-time key: func=auth&username=LOGIN&key=KEY then logs that person in once."""
    login, key = call.get("username") or "", call.get("key") or ""
    errors = {}
    if not login:
        errors["username"] = "is required"
    if len(key) < KEY_MIN:
        errors["key"] = f"must be at least {KEY_MIN} characters"
    if errors:
        raise FuncError(errors=errors)
    target = su(call.session, call.caller, login)  # the same rule as acting as that person
    existing = call.session.get(LoginKey, target.user_id)
    if existing is not None:
        call.session.delete(existing)
        call.session.flush()
    call.session.add(LoginKey(user_id=target.user_id, key_hash=digest(key),
                              created_by=call.caller.login))
    audit.record(call, "user", target.user_id, target.login, None, {"login_key": "issued"},
                 target.operator_id)
    return OkResult(target.user_id, {"redirect": f"func=auth&username={target.login}&key=***"})


def _own_or_managed(call: Call, ref: str | None) -> StaffUser:
    """Yourself, or (to reset two-factor) a login below you in your subtree."""
    from staff.functions.users import ENTITY as users
    if ref in (None, "") or ref == str(call.caller.user_id):
        user = call.session.get(StaffUser, call.caller.user_id) if call.caller.user_id else None
        if user is None:
            raise NotFound("no staff login for this caller", field="elid")
        return user
    user = users.find(call, ref)
    if not users.editable(call, user):
        raise AccessDenied("you may not change this login's two-factor settings")
    return user


def new_recovery_codes(user: StaffUser, n: int = 8) -> list[str]:
    codes = ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(n)]
    user.recovery_codes = [digest(c) for c in codes]
    return codes


@function("me.totp", kind="form", roles=STAFF,
          params=(Param("secret", "the base32 secret shown at enrolment"),
                  Param("totp", "a current 6-digit code from the authenticator")))
def totp(call: Call) -> FormResult | OkResult:
    """Enrol a TOTP authenticator: without sok a new secret; sok=ok checks a code, keeps it."""
    user = _own_or_managed(call, None)
    if not call.sok:
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.login, issuer_name=ISSUER)
        return FormResult(user.id, {"login": user.login, "secret": secret, "uri": uri,
                                    "enabled": user.totp_enabled})
    secret, code = (call.get("secret") or "").strip().upper(), (call.get("totp") or "").strip()
    try:
        ok = bool(secret) and pyotp.TOTP(secret).verify(code, valid_window=1)
    except Exception:  # a malformed base32 secret
        ok = False
    if not ok:
        raise FuncError("does not match the secret; check the phone's clock", field="totp")
    before = audit.snapshot(user)
    user.totp_secret, user.totp_enabled = secret, True
    codes = new_recovery_codes(user)
    call.session.flush()
    audit.record(call, "user", user.id, user.login, before, audit.snapshot(user), user.operator_id)
    return OkResult(user.id, {"recovery_codes": codes})


@function("me.recovery", roles=STAFF, params=())
def recovery(call: Call) -> OkResult:
    """Replace your recovery codes; the old ones stop working."""
    user = _own_or_managed(call, None)
    if not user.totp_enabled:
        raise FuncError("enrol two-factor first", field="elid")
    codes = new_recovery_codes(user)
    audit.record(call, "user", user.id, user.login, None, {"recovery_codes": "renewed"},
                 user.operator_id)
    return OkResult(user.id, {"recovery_codes": codes})


@function("user.totp_reset", roles=STAFF,
          params=(Param("elid", "login or id; default yourself"),))
def totp_reset(call: Call) -> OkResult:
    """Switch two-factor off (yours, or a lower login's when its phone is lost)."""
    user = _own_or_managed(call, call.elid)
    if user.role == "admin" and RANK.get(call.caller.role, 9) > 0:
        raise AccessDenied("only the system administrator resets an administrator")
    if requires_2fa(call.session, user):
        raise AccessDenied(f"{user.login}'s operator requires two-factor logins, so it cannot be "
                           "switched off; enrol a new authenticator instead (me.totp)")
    before = audit.snapshot(user)
    user.totp_secret, user.totp_enabled, user.recovery_codes = None, False, None
    call.session.flush()
    audit.record(call, "user", user.id, user.login, before, audit.snapshot(user), user.operator_id)
    return OkResult(user.id)
