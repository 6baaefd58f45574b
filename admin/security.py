"""Staff login checks shared by the login page and the func API: lockout, attempts, TOTP, keys.

This is access bookkeeping (counters and the record of attempts), not business: every change a
person makes to their own account (enrolling TOTP, new recovery codes) goes through a function.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from dataclasses import dataclass
from functools import lru_cache

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from werkzeug.security import check_password_hash

from radbill.functions.auth import (check_password, digest, find_user, hash_password,
                                    requires_2fa)
from radbill import lifecycle, lockout
from radbill.models import StaffUser
from radbill.models.web import ApiSession, LoginKey, TotpStep

LOCK_MINUTES = lockout.LOCK_MINUTES
API_SESSION_IDLE = dt.timedelta(hours=1)


class LoginRefused(Exception):
    """Why a login failed, in words fit to show (never which part of the pair was wrong)."""


@dataclass
class Policy:
    lockout_after: int = 5
    channel: str = "web"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def record(session: Session, login: str, user: StaffUser | None, ip: str | None, channel: str,
           ok: bool, reason: str | None = None) -> None:
    lockout.record(session, channel, login, ok, reason, ip, user.id if user else None)


def check_login(session: Session, login: str, password: str, ip: str | None,
                policy: Policy) -> StaffUser:
    """The user whose password this is, or LoginRefused; failures count towards a lockout."""
    if address_blocked(session, ip, policy):
        record(session, login, None, ip, policy.channel, False, "address blocked")
        raise LoginRefused("too many failed logins from this address; try again later")
    user = find_user(session, login) if login else None
    if user is not None and locked(user):
        record(session, login, user, ip, policy.channel, False, "locked")
        raise LoginRefused("too many failed logins; try again later")
    if user is None:
        _burn(password)  # as slow as a real check, so timing does not tell which logins exist
    if user is None or user.disabled or not check_password(user, password):
        reason = "disabled" if user is not None and user.disabled else "bad password"
        failed(session, login, user, ip, policy, reason)
        raise LoginRefused("wrong login or password")
    if operator_suspended(session, user):
        record(session, login, user, ip, policy.channel, False, "operator suspended")
        raise LoginRefused("your operator is suspended; ask the one above it")
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(8))


def _burn(password: str) -> None:
    check_password_hash(_dummy_hash(), password)


def failed(session: Session, login: str, user: StaffUser | None, ip: str | None, policy: Policy,
           reason: str) -> None:
    """Count a failure (a password or a second factor); enough in a row lock the login."""
    if user is not None:
        user.failed_logins += 1
        if user.failed_logins >= policy.lockout_after:
            user.locked_until = now() + dt.timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            reason += "; locked"
    record(session, login, user, ip, policy.channel, False, reason)


def address_blocked(session: Session, ip: str | None, policy: Policy) -> bool:
    """Guessing across many logins from one address (which no per-login lockout sees) stops
    after ADDRESS_FACTOR times the per-login limit of this channel's failures (radbill.lockout:
    portal logins, PINs and the other staff channel do not count, nor do refusals)."""
    return lockout.address_blocked(session, policy.channel, ip, policy.lockout_after)


def locked(user: StaffUser) -> bool:
    return bool(user.locked_until and user.locked_until > now())


def operator_suspended(session: Session, user: StaffUser) -> bool:
    """A suspended operator's staff (and its sub-operators') are shut out until it is resumed
    (radbill.lifecycle.login_blocked: the same check as su= and the API's)."""
    return lifecycle.login_blocked(session, user) is not None


def succeeded(session: Session, user: StaffUser, ip: str | None, channel: str) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now()
    record(session, user.login, user, ip, channel, True)


def needs_2fa(session: Session, user: StaffUser) -> bool:
    """Whether the user's operator, or any above it, requires two-factor logins."""
    return requires_2fa(session, user)


def check_second_factor(session: Session, user: StaffUser, code: str) -> bool:
    """A current TOTP code, or an unused recovery code (which is then spent)."""
    code = (code or "").replace(" ", "").strip()
    if not code or not user.totp_secret:
        return False
    if code.isascii() and code.isdigit() and len(code) == 6:
        return fresh_totp(session, user, code)
    hashed = digest(code.lower())
    if hashed in (user.recovery_codes or []):
        user.recovery_codes = [c for c in user.recovery_codes if c != hashed]
        return True
    return False


def fresh_totp(session: Session, user: StaffUser, code: str) -> bool:
    """A code for the current step (or one either side, for clock drift) not used before;
    an observed code cannot be replayed within its 30 seconds."""
    totp = pyotp.TOTP(user.totp_secret)
    base = totp.timecode(now())
    step = next((base + d for d in (0, -1, 1)
                 if secrets.compare_digest(totp.generate_otp(base + d), code)), None)
    if step is None:
        return False
    row = session.get(TotpStep, user.id, with_for_update=True)
    if row is not None and step <= row.last_step:
        return False
    if row is None:
        session.add(TotpStep(user_id=user.id, last_step=step))
    else:
        row.last_step = step
    return True


# -- staff sessions (func API and browser) and one-time keys -----------------------------------
# A session is a row (ApiSession): deleting it ends the session in every worker at once. Logout
# deletes it; radbill/sql/sessions.sql deletes a login's rows when its password, role, operator
# or disabled flag changes, and when its operator or one above it is suspended.
WEB_TOUCH = dt.timedelta(minutes=1)  # a browser row's last use is written at most this often


def open_api_session(session: Session, user: StaffUser, ip: str | None, via: str) -> str:
    """A new session id; sessions idle past the hour are swept here, so the table stays small."""
    session.execute(sa.delete(ApiSession).where(ApiSession.via != "web",
                                                 ApiSession.last_used_at < now() - API_SESSION_IDLE))
    token = secrets.token_hex(16)
    session.add(ApiSession(token_hash=digest(token), user_id=user.id, ip=ip, via=via))
    return token


def api_session_user(session: Session, token: str, ip: str | None) -> StaffUser | None:
    """The user of a live API session, refreshing it; None once it sat idle for an hour."""
    row = session.get(ApiSession, digest(token))
    if row is None or row.via == "web":
        return None
    if row.last_used_at < now() - API_SESSION_IDLE or (row.ip and ip and row.ip != ip):
        if row.last_used_at < now() - API_SESSION_IDLE:
            session.delete(row)
        return None
    row.last_used_at = now()
    user = session.get(StaffUser, row.user_id)
    return None if user is None or user.disabled else user


def close_api_session(session: Session, token: str) -> None:
    session.execute(sa.delete(ApiSession).where(ApiSession.token_hash == digest(token)))


def open_web_session(session: Session, user: StaffUser, idle: dt.timedelta) -> str:
    """A browser login's session id (kept in the signed cookie); idle browser rows are swept."""
    session.execute(sa.delete(ApiSession).where(ApiSession.via == "web",
                                                ApiSession.last_used_at < now() - idle))
    token = secrets.token_hex(16)
    session.add(ApiSession(token_hash=digest(token), user_id=user.id, ip=None, via="web"))
    return token


def web_session_user(session: Session, token: str, user_id: int) -> StaffUser | None:
    """The user of a live browser session: its row exists (not logged out, not revoked) and
    is this user's. One query per request, as reading the user alone was; the last use is
    written at most once a minute."""
    found = session.execute(sa.select(ApiSession, StaffUser)  # one query: the row and its user
                            .join(StaffUser, StaffUser.id == ApiSession.user_id)
                            .where(ApiSession.token_hash == digest(token),
                                   ApiSession.via == "web", ApiSession.user_id == user_id)).first()
    if found is None:
        return None
    row, user = found
    if row.last_used_at < now() - WEB_TOUCH:
        row.last_used_at = now()
    return None if user.disabled else user


def close_web_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(sa.delete(ApiSession).where(ApiSession.token_hash == digest(token),
                                                    ApiSession.via == "web"))


def use_key(session: Session, login: str, key: str) -> StaffUser | None:
    """The user a one-time key was made for; a matching key is spent (deleted) at once."""
    user = find_user(session, login)
    if user is None:
        return None
    row = session.get(LoginKey, user.id)
    if row is None:
        return None
    if not secrets.compare_digest(row.key_hash, digest(key)):
        return None  # a wrong guess must not burn the real key
    session.delete(row)
    return None if user.disabled or operator_suspended(session, user) else user


def address_in(ip: str | None, networks: str) -> bool:
    """Whether `ip` lies in one of `networks` (CIDRs or addresses, comma or space separated);
    no networks allow every address, an unreadable address none."""
    nets = [n for n in (networks or "").replace(",", " ").split() if n]
    if not nets:
        return True
    try:
        addr = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(n, strict=False) for n in nets)
