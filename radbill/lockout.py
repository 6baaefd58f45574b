"""One lockout for staff and customers: failures counted per channel from `login_attempts`.

Each counter reads only its own rows, so failures in one channel never lock another (eleven
wrong PINs on the portal do not lock a staff login from that address):

  web     staff logins on the web pages        (per address; per login: StaffUser.locked_until)
  api     staff logins on /billmgr             (same)
  portal  customer logins on the portal        (per login, forgiven by a good login)
  pin     recharge-card PIN guessing           (per caller and per customer; never forgiven
                                                by a login, else cards could be guessed
                                                between two logins)
  register  provisioning keys on the public    (per address; rows of channel web, login
            /register page                      `register`, reason "bad provisioning key")

A refusal because a counter is full is recorded with a reason no counter counts ("locked",
"address blocked", "pin locked", "register blocked"), so being refused never extends a block:
it ends LOCK_MINUTES after the failures that caused it. No Flask here: the admin's login views,
the portal and the function layer (`portal.recharge`, `payment.edit method=card`,
`operator_signup`) all use it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.models.web import LoginAttempt

LOCK_MINUTES = 15
ADDRESS_FACTOR = 4  # an address may fail this many times a login's limit, over many logins
STAFF_FAILURES = ("bad password", "disabled", "bad second factor", "bad key")
PIN_FAILURE, PIN_LOCKED = "bad pin", "pin locked"
TOO_MANY_PINS = "too many wrong PINs; try again later"


@dataclass(frozen=True)
class Counter:
    rows: tuple[str, ...]  # the login_attempts.channel values it reads
    counted: tuple[str, ...]  # the reasons (prefixes) that count as failures
    forgiven: bool  # whether a success on the same login resets it


COUNTERS = {
    "web": Counter(("web",), STAFF_FAILURES, False),
    "api": Counter(("api",), STAFF_FAILURES, False),
    "portal": Counter(("portal",), ("bad password", "unknown login"), True),
    "pin": Counter(("web", "api", "portal"), (PIN_FAILURE,), False),
    # issue 19: staff/functions/provisioning_keys.py (operator_signup)
    "register": Counter(("web",), ("bad provisioning key",), False),
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def limit() -> int:
    """Failures in a row before a lock (RADBILL_LOCKOUT_AFTER)."""
    return settings.get().lockout_after


def row_channel(channel: str | None) -> str:
    """The login_attempts.channel a caller's channel is recorded under (the CLI as api)."""
    return channel if channel in ("web", "api", "portal") else "api"


def record(session: Session, channel: str, login: str, ok: bool, reason: str | None = None,
           ip: str | None = None, user_id: int | None = None) -> None:
    session.add(LoginAttempt(login=login[:64], user_id=user_id, ip=ip,
                             channel=row_channel(channel), ok=ok, reason=reason))
    session.flush()


def failures(session: Session, counter: str, *, login: str | None = None,
             ip: str | None = None) -> int:
    """Counted failures of `counter` in the last LOCK_MINUTES, for one login or one address."""
    c = COUNTERS[counter]
    since = now() - dt.timedelta(minutes=LOCK_MINUTES)
    where = [LoginAttempt.channel.in_(c.rows), LoginAttempt.at > since]
    if login is not None:
        where.append(sa.func.lower(LoginAttempt.login) == login.lower()[:64])
    if ip is not None:
        where.append(LoginAttempt.ip == ip)
    stmt = sa.select(sa.func.count()).select_from(LoginAttempt).where(
        *where, LoginAttempt.ok.is_(False),
        sa.or_(*(LoginAttempt.reason.startswith(r, autoescape=True) for r in c.counted)))
    if c.forgiven and login is not None:  # ids, not times: now() is equal within a transaction
        last_ok = sa.select(sa.func.max(LoginAttempt.id)).where(*where, LoginAttempt.ok.is_(True))
        stmt = stmt.where(LoginAttempt.id > sa.func.coalesce(last_ok.scalar_subquery(), 0))
    return session.scalar(stmt) or 0


def blocked(session: Session, counter: str, login: str, after: int | None = None) -> bool:
    """Whether `login` has used up `counter`'s failures (`after`, default `limit()`)."""
    return failures(session, counter, login=login) >= (after or limit())


def address_blocked(session: Session, counter: str, ip: str | None,
                    after: int | None = None) -> bool:
    """Guessing across many logins from one address, which no per-login count sees."""
    if not ip:
        return False
    return failures(session, counter, ip=ip) >= (after or limit()) * ADDRESS_FACTOR


# -- recharge-card PINs: per caller and per customer --------------------------------------------
def pin_keys(caller_login: str, customer_username: str) -> list[str]:
    """The counters a PIN guess feeds: the caller's, and the customer's (`customer:NAME`, which
    is also the portal caller's own login, so a customer's guess is one row)."""
    keys = [caller_login, f"customer:{customer_username}"]
    return list(dict.fromkeys(k[:64] for k in keys))


def pin_blocked(session: Session, caller_login: str, customer_username: str,
                after: int | None = None) -> bool:
    return any(blocked(session, "pin", k, after) for k in pin_keys(caller_login, customer_username))


def pin_guard(session: Session, caller, customer_username: str) -> None:
    """Refuse (and record the refusal, uncounted) when the caller or the customer is blocked."""
    from radbill.functions.registry import FuncError
    if pin_blocked(session, caller.login, customer_username):
        record(session, caller.channel, caller.login, False, PIN_LOCKED, caller.ip, caller.user_id)
        raise FuncError(TOO_MANY_PINS, field="pin", status=429, keep=True)


def pin_failed(session: Session, channel: str, caller_login: str, customer_username: str,
               ip: str | None = None, user_id: int | None = None) -> None:
    for key in pin_keys(caller_login, customer_username):
        record(session, channel, key, False, PIN_FAILURE, ip, user_id)
