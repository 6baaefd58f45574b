"""Who is calling /billmgr: authinfo=login:password, auth=ID, or the browser's login cookie."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user

from radbill.functions.registry import FuncError
from radbill.models import StaffUser

from admin import security
from admin.calls import client_ip
from admin.dbs import db, keep_writes


class Unauthorized(FuncError):
    def __init__(self, message: str = "authorization required", field: str | None = None,
                 status: int = 401):
        super().__init__(message, field=field, status=status)


def policy() -> security.Policy:
    return security.Policy(current_app.config["LOCKOUT_AFTER"], "api")


def authinfo_allowed(ip: str | None) -> bool:
    """settings.authinfo_networks (comma/space separated networks); empty allows every address."""
    return security.address_in(ip, current_app.config["AUTHINFO_NETWORKS"])


def password_login(login: str, password: str, totp: str | None, record_ok: bool) -> StaffUser:
    """Check a password (and a second factor when the login has one) for an API caller."""
    try:
        user = security.check_login(db(), login, password, client_ip(), policy())
    except security.LoginRefused as exc:
        keep_writes()
        raise Unauthorized(str(exc)) from None
    if user.totp_enabled:
        if not totp:
            raise Unauthorized("two-factor code required", field="totp")
        if security.locked(user) or not security.check_second_factor(db(), user, totp):
            security.failed(db(), login, user, client_ip(), policy(), "bad second factor")
            keep_writes()
            raise Unauthorized("wrong two-factor code", field="totp")
    elif security.needs_2fa(db(), user):
        raise Unauthorized("your operator requires two-factor; enrol in the web admin first",
                           status=403)
    if record_ok:
        security.succeeded(db(), user, client_ip(), "api")
    elif user.failed_logins:
        user.failed_logins = 0
    return user


def identify(params: dict[str, str]) -> tuple[StaffUser, str]:
    """The calling user and how they proved it: 'authinfo', 'session' or 'cookie'."""
    if params.get("authinfo"):
        if not authinfo_allowed(client_ip()):
            raise Unauthorized("authinfo is not allowed from this address", status=403)
        login, _, password = params["authinfo"].partition(":")
        return password_login(login, password, params.get("totp"), record_ok=False), "authinfo"
    if params.get("auth"):
        user = security.api_session_user(db(), params["auth"], client_ip())
        if user is None:
            keep_writes()  # an expired session row is deleted
            raise Unauthorized("the session has expired; log in again")
        return user, "session"
    if current_user.is_authenticated:
        user = db().get(StaffUser, int(current_user.get_id()))
        if user is not None and not user.disabled:
            return user, "cookie"
    raise Unauthorized()
