"""Telling subscribers what happened to their account: pluggable channels, SMTP e-mail and
HTTP SMS (`sms.py`) built in.

A channel is any object with `name`, `wants(note)` and `send(note) -> str` (a receipt for the
outbox's result), and optionally `needs` (what a customer lacks when `wants` says no); `send`
raises ProvisioningError when delivery should be retried.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

from provisioning import sms
from provisioning.errors import DeviceUnreachable, LoginRejected, ProvisioningError
from radbill import events, settings

log = logging.getLogger("radbill.notify")

@dataclass
class Note:
    event: str
    username: str | None = None
    name: str | None = None
    email: str | None = None
    mobile: str | None = None
    expires: dt.datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def title(self) -> str:
        """What happened, as the event catalogue (radbill/events.py) words it."""
        known = events.CATALOGUE.get(self.event)
        return known.title if known else self.event.replace("_", " ").capitalize()

    def subject(self, isp: str) -> str:
        return f"{isp}: {self.title()}"

    def body(self, isp: str) -> str:
        lines = [f"Dear {self.name or self.username or 'customer'},", "", self.title() + "."]
        if self.username:
            lines.append(f"Account: {self.username}")
        for key, value in sorted(self.data.items()):
            lines.append(f"{key.replace('_', ' ').capitalize()}: {value}")
        lines += ["", f"-- {isp}"]
        return "\n".join(lines) + "\n"


class Channel(Protocol):
    name: str

    def wants(self, note: Note) -> bool: ...

    def send(self, note: Note) -> str: ...


@dataclass
class SmtpEmail:
    """E-mail through an SMTP relay; a refused connection or a 4xx reply is retried later."""

    host: str
    port: int = 25
    sender: str = "radbill@localhost"
    user: str = ""
    password: str = ""
    starttls: bool = False
    isp: str = "radbill ISP"
    timeout: float = 10.0
    name: str = "email"
    needs: str = "e-mail address"

    def wants(self, note: Note) -> bool:
        return bool(note.email)

    def message(self, note: Note) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"] = self.sender, note.email
        msg["Subject"] = note.subject(self.isp)
        msg.set_content(note.body(self.isp))
        return msg

    def send(self, note: Note) -> str:
        where = f"{self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(self.message(note))
        except smtplib.SMTPAuthenticationError as exc:
            raise LoginRejected(where, self.user, exc.smtp_error.decode(errors="replace")) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise ProvisioningError(where, f"recipient {note.email} refused: {code} "
                                    f"{text.decode(errors='replace')}", field="email") from None
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            raise DeviceUnreachable(where, f"SMTP: {exc}") from None
        if refused:
            raise ProvisioningError(where, f"refused {sorted(refused)}", field="email")
        return f"email to {note.email} accepted by {where}"


def channels_from_settings(s: settings.Settings | None = None) -> list[Channel]:
    """The configured channels; ValueError names a setting that is set but unusable."""
    s = s or settings.get()
    found: list[Channel] = []
    if s.smtp_host:
        found.append(SmtpEmail(s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_user,
                               s.smtp_password, bool(s.smtp_starttls), s.isp_name))
    if s.sms_url:
        found.append(sms.HttpSms(s.sms_url, s.sms_params, s.sms_method, s.sms_key, s.sms_ok,
                                 s.isp_name, s.currency, s.time_zone))
    return found


@dataclass
class Delivery:
    """What each channel did with one notice; kept in the outbox row so a retry skips the
    channels that already got it through."""

    channels: dict[str, dict] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def receipts(self) -> list[str]:
        return [c["receipt"] for c in self.channels.values() if c.get("sent")]


def deliver(channels: list[Channel], note: Note, before: dict | None = None) -> Delivery:
    """Send `note` on every channel that wants it and has not sent it yet (per `before`)."""
    if not channels:
        raise ProvisioningError("notify", "no notification channel is configured "
                                          "(RADBILL_SMTP_HOST, RADBILL_SMS_URL)")
    before, out = before or {}, Delivery()
    for ch in channels:
        if (before.get(ch.name) or {}).get("sent"):
            out.channels[ch.name] = before[ch.name]  # got through on an earlier attempt
            continue
        if not ch.wants(note):
            out.channels[ch.name] = {"skipped": f"no {getattr(ch, 'needs', 'address')}"}
            continue
        try:
            out.channels[ch.name] = {"sent": True, "receipt": ch.send(note)}
        except ProvisioningError as exc:
            reason = str(exc)
        except Exception as exc:  # a bug in one channel must not undo what the others sent
            log.exception("notify channel %s crashed", ch.name)
            reason = f"{type(exc).__name__}: {exc}"
        else:
            continue
        out.channels[ch.name] = {"sent": False, "error": reason}
        out.errors.append(f"{ch.name}: {reason}")
    return out
