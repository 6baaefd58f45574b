"""One-time codes by SMS or WhatsApp (issue 13, for the self-care portal of issue 14).

`send` makes a 6-digit code (secrets.randbelow), keeps only its HMAC (key
radbill.keys.derived("otp"), over purpose, recipient and code), valid VALID (5 minutes), and
queues it as a message at once (event 'otp', the operator's template or the default; never held
back by quiet hours; ahead of whatever else is queued: AHEAD) and wakes the worker. Rate limits,
counted over `otp_codes`: per number (PER_NUMBER: 3 in 15 minutes, 10 a day) and per client
address (PER_ADDRESS: 10 in 15 minutes, 50 a day); a refusal says how long to wait. The
message's text (the history) holds the code; the `message` list hides it.

`check` judges the newest code sent to the recipient for the purpose: right once (it is marked
used: a replay is refused), MAX_TRIES wrong tries burn it, an expired one is refused; the
comparison is constant-time. Older codes are superseded by a newer one.

Both take `now` (a fixed clock for tests); the functions (messaging/functions/otp.py) use the
real one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from messaging import compose
from radbill import keys, tasks
from radbill.models import Customer, OtpCode, Operator

DIGITS = 6
VALID = dt.timedelta(minutes=5)
MAX_TRIES = 3
PER_NUMBER = ((dt.timedelta(minutes=15), 3), (dt.timedelta(days=1), 10))
PER_ADDRESS = ((dt.timedelta(minutes=15), 10), (dt.timedelta(days=1), 50))
CHANNELS = ("sms", "whatsapp")
# a code is due since this long before it was made: the sender, which takes the earliest due
# message first, sends it ahead of a broadcast's batch or a reminder run waiting in the queue
AHEAD = dt.timedelta(hours=1)


class OtpError(Exception):
    """A refusal: `field` names the parameter, `status` the HTTP code; `keep` when the
    refusal's own record (a wrong try counted) must be committed."""

    def __init__(self, message: str, field: str = "code", status: int = 400, keep: bool = False):
        super().__init__(message)
        self.message, self.field, self.status, self.keep = message, field, status, keep


def digest(recipient: str, purpose: str, code: str) -> str:
    return hmac.new(keys.derived("otp"), f"{purpose}\n{recipient}\n{code}".encode(),
                    hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"


def masked(recipient: str) -> str:
    """+8801711000001 -> +880171*****01 (for the audit log and answers)."""
    if len(recipient) <= 6:
        return "*" * len(recipient)
    return recipient[:7] + "*" * (len(recipient) - 9) + recipient[-2:]


Limits = tuple[tuple[dt.timedelta, int], ...]


def _wait(session: Session, column, value: str, now: dt.datetime,
          limits: Limits) -> tuple[dt.timedelta, int, dt.timedelta] | None:
    """(how long to wait, the limit, its window) when `limits` are used up, else None."""
    worst = None
    for window, most in limits:
        times = session.scalars(sa.select(OtpCode.created_at).where(
            column == value, OtpCode.created_at > now - window, OtpCode.created_at <= now)
            .order_by(OtpCode.created_at.desc()).limit(most)).all()
        if len(times) >= most:
            wait = times[most - 1] + window - now  # when the oldest of them leaves the window
            if worst is None or wait > worst[0]:
                worst = (wait, most, window)
    return worst


def _say(delta: dt.timedelta) -> str:
    seconds = max(1, math.ceil(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"


def _window(delta: dt.timedelta) -> str:
    if delta >= dt.timedelta(days=1):
        return "a day"
    return f"{int(delta.total_seconds() // 60)} minutes"


def limit(session: Session, recipient: str, ip: str | None, now: dt.datetime) -> None:
    """Refuse when the number or the client address had its codes."""
    hit = _wait(session, OtpCode.recipient, recipient, now, PER_NUMBER)
    if hit is not None:
        wait, most, window = hit
        raise OtpError(f"{most} codes were sent to {masked(recipient)} in {_window(window)}, "
                       f"the most we send; try again in {_say(wait)}", field="recipient",
                       status=429)
    if ip:
        hit = _wait(session, OtpCode.ip, ip, now, PER_ADDRESS)
        if hit is not None:
            wait, most, window = hit
            raise OtpError(f"{most} codes were asked for from your address ({ip}) in "
                           f"{_window(window)}, the most we send; try again in {_say(wait)}",
                           field="recipient", status=429)


@dataclass
class Sent:
    otp: OtpCode
    message_id: int


def send(session: Session, *, recipient: str, purpose: str, operator_id: int,
         channel: str = "sms", customer: Customer | None = None, ip: str | None = None,
         lang: str = "en", now: dt.datetime | None = None) -> Sent:
    """Make a code for `recipient` (E.164) and queue it at once."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if channel not in CHANNELS:
        raise OtpError(f"is one of {', '.join(CHANNELS)}", field="channel")
    limit(session, recipient, ip, now)
    gw = compose.gateway(session, operator_id, channel)
    if gw is None:
        raise OtpError(f"no {channel} gateway is set up to send codes by", field="channel")
    wording = compose.template(session, operator_id, "otp", channel, lang)
    if wording is None or not wording.enabled:
        raise OtpError(f"the {channel} template for one-time codes is switched off",
                       field="channel")
    code = new_code()
    minutes = int(VALID.total_seconds() // 60)
    vals = compose.values(session, customer, {"code": code, "minutes": minutes}, lang)
    if not vals.get("operator"):
        from radbill.functions.crud import operator_name
        vals["operator"] = operator_name(session, session.get(Operator, operator_id))
    subject, body = compose.render(wording, vals, channel)
    mid = compose.queue(session, operator_id=operator_id, event="otp", channel=channel,
                        recipient=recipient, body=body, subject=subject, lang=lang, gateway=gw,
                        customer_id=customer.id if customer is not None else None,
                        not_before=now - AHEAD)
    row = OtpCode(purpose=purpose, channel=channel, recipient=recipient,
                  customer_id=customer.id if customer is not None else None,
                  code_hash=digest(recipient, purpose, code), expires_at=now + VALID, ip=ip,
                  message_id=mid, created_at=now)
    session.add(row)
    session.flush()
    tasks.wake(session)  # the worker sends it now
    return Sent(row, mid)


def check(session: Session, *, recipient: str, purpose: str, code: str,
          now: dt.datetime | None = None) -> OtpCode:
    """The code sent for `purpose` to `recipient` if `code` is it (once); else OtpError."""
    now = now or dt.datetime.now(dt.timezone.utc)
    row = session.scalars(sa.select(OtpCode).where(
        OtpCode.recipient == recipient, OtpCode.purpose == purpose)
        .order_by(OtpCode.created_at.desc(), OtpCode.id.desc()).limit(1)
        .with_for_update()).first()
    if row is None:
        raise OtpError(f"no code was sent to {masked(recipient)} for {purpose}; ask for one")
    right = hmac.compare_digest(digest(recipient, purpose, code), row.code_hash)
    if row.used_at is not None:
        raise OtpError("was used already; ask for a new code")
    if row.tries >= MAX_TRIES:
        raise OtpError(f"was tried wrongly {MAX_TRIES} times; ask for a new code")
    if row.expires_at <= now:
        raise OtpError("has expired; ask for a new code")
    if not right:
        row.tries += 1
        left = MAX_TRIES - row.tries
        raise OtpError("is wrong; " + (f"{left} {'try' if left == 1 else 'tries'} left" if left
                                       else "no tries left: ask for a new code"), keep=True)
    row.used_at = now
    return row
