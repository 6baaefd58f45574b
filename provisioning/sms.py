"""SMS through a generic HTTP gateway, the way local SMS providers are wired into ISP panels.

The gateway is described by settings, not code: RADBILL_SMS_URL, RADBILL_SMS_METHOD (GET puts
the fields in the query string, POST sends them form-encoded), RADBILL_SMS_PARAMS (the fields as
`name=value&...`, where a value may hold `{key}`, `{to}` and `{text}`, e.g.
`api_key={key}&type=text&contacts={to}&msg={text}`), RADBILL_SMS_KEY (the secret behind `{key}`,
masked in every error we keep) and RADBILL_SMS_OK (a text the reply body must contain; empty
means any 2xx reply is a success, since many gateways answer 200 with an error in the body).
"""
from __future__ import annotations

import datetime as dt
import http.client
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from string import Formatter
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from provisioning.errors import DeviceUnreachable, ProvisioningError

if TYPE_CHECKING:
    from provisioning.notify import Note

PLACEHOLDERS = {"key", "to", "text"}
MAX_REPLY = 64 * 1024

# One line per event of radbill/events.py (or "event:reason" where the reason changes what to
# say); a text whose fields the notice lacks falls back to GENERIC.
TEXTS = {
    "payment.received": "Dear {name}, we received {amount} {currency} for {username}.{until}",
    "payment.reversed": "Dear {name}, the payment of {amount} {currency} for {username} "
                        "was reversed.",
    "customer.activated": "Dear {name}, your internet account {username} is active again.{until}",
    "customer.suspended": "Dear {name}, your internet account {username} is suspended. "
                          "Please pay to reconnect.",
    "customer.suspended:expired": "Dear {name}, your package for {username} expired on "
                                  "{expires}. Please recharge.",
    "customer.suspended:manual": "Dear {name}, your internet account {username} is suspended. "
                                 "Please contact us.",
    "customer.disabled": "Dear {name}, your internet account {username} is disabled.",
    "customer.expiring": "Dear {name}, your package for {username} expires on {expires}. "
                         "Please recharge.",
    "customer.fup_reached": "Dear {name}, {username} has reached its fair-usage limit; speed "
                            "is reduced.",
    "bill.created": "Dear {name}, a new bill of {total} {currency} for {username} is due on "
                    "{due_date}.",
    "bill.due": "Dear {name}, your bill of {due} {currency} for {username} is due today.",
}
GENERIC = "Dear {name}, account {username}: {event}."


def text(note: Note, isp: str, currency: str, tz: str = "UTC") -> str:
    """The SMS for `note`, signed with the ISP's name."""
    expires = note.expires.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") \
        if isinstance(note.expires, dt.datetime) else None
    values = {k: v for k, v in note.data.items() if v is not None and v != ""}
    values.update(name=note.name or note.username or "customer", username=note.username or "",
                  currency=currency, event=note.title(),
                  until=f" Valid until {expires}." if expires else "")
    if expires:
        values["expires"] = expires
    try:
        body = TEXTS.get(f"{note.event}:{note.data.get('reason')}",
                         TEXTS.get(note.event, GENERIC)).format_map(values)
    except KeyError:
        body = GENERIC.format_map(values)
    return f"{body} - {isp}"


def parse_params(template: str) -> list[tuple[str, str]]:
    """Split RADBILL_SMS_PARAMS into (field, value template) pairs; ValueError says why not."""
    pairs = []
    for part in filter(None, template.split("&")):
        name, sep, value = part.partition("=")
        if not sep or not name:
            raise ValueError(f"RADBILL_SMS_PARAMS: {part!r} is not name=value")
        used = {f for _, f, _, _ in Formatter().parse(value) if f is not None}
        if used - PLACEHOLDERS:
            raise ValueError(f"RADBILL_SMS_PARAMS: unknown {sorted(used - PLACEHOLDERS)} in "
                             f"{part!r}; use {{key}}, {{to}}, {{text}}")
        pairs.append((name, value))
    present = {f for _, v in pairs for _, f, _, _ in Formatter().parse(v) if f}
    if not {"to", "text"} <= present:
        raise ValueError("RADBILL_SMS_PARAMS must carry {to} and {text}")
    return pairs


@dataclass
class HttpSms:
    """An HTTP(S) SMS gateway; a refused connection, a non-2xx reply or a body without `ok` is
    retried later."""

    url: str
    params: str = "api_key={key}&to={to}&msg={text}"
    method: str = "POST"
    key: str = ""
    ok: str = ""
    isp: str = "radbill ISP"
    currency: str = "BDT"
    tz: str = "UTC"
    timeout: float = 10.0
    name: str = "sms"
    needs: str = "mobile number"

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.method not in ("GET", "POST"):
            raise ValueError(f"RADBILL_SMS_METHOD must be GET or POST, not {self.method!r}")
        if urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):
            raise ValueError("RADBILL_SMS_URL must be an http:// or https:// URL")
        self.fields = parse_params(self.params)
        self.host = urllib.parse.urlsplit(self.url).hostname or self.url

    def wants(self, note: Note) -> bool:
        return bool(note.mobile)

    def request(self, note: Note) -> urllib.request.Request:
        values = {"key": self.key, "to": note.mobile,
                  "text": text(note, self.isp, self.currency, self.tz)}
        form = urllib.parse.urlencode([(n, v.format_map(values)) for n, v in self.fields])
        if self.method == "GET":
            joiner = "&" if urllib.parse.urlsplit(self.url).query else "?"
            return urllib.request.Request(self.url + joiner + form, method="GET")
        return urllib.request.Request(
            self.url, data=form.encode("ascii"), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def send(self, note: Note) -> str:
        where = f"SMS gateway {self.host}"
        try:
            with urllib.request.urlopen(self.request(note), timeout=self.timeout) as reply:
                status = reply.status
                body = reply.read(MAX_REPLY).decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", errors="replace").strip()
            raise ProvisioningError(where, self.mask(f"HTTP {exc.code} {exc.reason}: {detail}"),
                                    field="sms_url") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise DeviceUnreachable(where, self.mask(f"{getattr(exc, 'reason', exc)}")) from None
        if not 200 <= status < 300:
            raise ProvisioningError(where, self.mask(f"HTTP {status}: {body[:200]}"),
                                    field="sms_url")
        if self.ok and self.ok not in body:
            raise ProvisioningError(where, self.mask(f"reply lacks {self.ok!r}: {body[:200]}"),
                                    field="sms_ok")
        return f"sms to {note.mobile} accepted by {self.host} (HTTP {status})"

    def mask(self, message: str) -> str:
        """`message` with the key replaced by ***, also as it looks URL-encoded."""
        if not self.key:
            return message
        for form in {self.key, urllib.parse.quote_plus(self.key), urllib.parse.quote(self.key)}:
            message = message.replace(form, "***")
        return message
