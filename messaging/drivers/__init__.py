"""Message gateways behind one interface: a driver per kind, each following its provider's
published HTTP API (SMS: http (generic), bulksmsbd, sslwireless, adn; WhatsApp: meta, twilio;
e-mail: smtp; Telegram: telegram).

A driver knows nothing of our tables. sender.py gives it an `Outgoing` and gets back a `Sent`,
or one of two exceptions:
    Permanent  the gateway refused this message for good (bad key, invalid number, blocked
               sender id): the message fails at once with the reason
    Transient  it could not be asked or said "try later" (timeout, 5xx, throttled): retried with
               backoff

    driver = drivers.make(kind, config, credentials)
    sent = driver.send(outgoing)          # -> Sent(gateway_ref, status, detail)
    hook = driver.webhook(request)        # -> Hook(reports, incoming, reply), see webhooks.py

`idempotent = True` says resending the same `Outgoing.ref` can never deliver twice (the gateway
refuses a repeated reference): a message interrupted while sending is then sent again;
otherwise it is marked failed ("interrupted"), so nobody ever gets it twice.
Secrets never go into a message, an exception or a log: `mask()` them.
"""
from __future__ import annotations

import importlib
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

TIMEOUT = 10.0
MAX_REPLY = 256 * 1024
KIND_MODULES = {  # kind -> module under messaging.drivers
    "http": "http", "bulksmsbd": "bulksmsbd", "sslwireless": "sslwireless", "adn": "adn",
    "meta": "meta", "twilio": "twilio", "smtp": "smtp", "telegram": "telegram",
}


class Permanent(Exception):
    """Refused for good: do not retry. `gateway_wide` when no message can get through this
    gateway as configured (a wrong key, a blocked account): staff are alerted."""

    def __init__(self, message: str, gateway_wide: bool = False):
        super().__init__(message)
        self.gateway_wide = gateway_wide


class Transient(Exception):
    """Try again later."""


@dataclass(frozen=True)
class Outgoing:
    ref: str                      # our reference, unique per message ("rb<id>"); [a-z0-9]
    channel: str
    recipient: str                # E.164 (+8801...), an e-mail address, a Telegram chat id
    body: str                     # the rendered text
    subject: str | None = None    # e-mail
    html: str | None = None       # e-mail's HTML part
    lang: str = "en"
    extra: dict = field(default_factory=dict)  # WhatsApp template: name, language, components
    segments: int = 1             # SMS segments of `body` (messaging.segments)


@dataclass(frozen=True)
class Sent:
    gateway_ref: str | None       # the gateway's id of the message (for delivery reports)
    status: str = "sent"          # sent | delivered (a gateway that answers "delivered" at once)
    detail: str = ""              # a short human line for the history, no secrets


@dataclass(frozen=True)
class Report:
    """A delivery report: the message the gateway calls `gateway_ref` (or ours, `ref`) is now
    `status` (delivered | failed; anything else is ignored), with the gateway's reason."""

    status: str
    gateway_ref: str | None = None
    ref: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Incoming:
    sender: str                   # E.164 or the provider's sender id
    body: str
    gateway_ref: str | None = None


@dataclass(frozen=True)
class Request:
    """What a webhook received, framework-free."""

    method: str
    args: dict[str, str]
    form: dict[str, str]
    body: bytes
    headers: dict[str, str]       # lower-case names
    url: str                      # the full URL the provider called (Twilio signs it)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class Hook:
    reports: list[Report] = field(default_factory=list)
    incoming: list[Incoming] = field(default_factory=list)
    reply: tuple[int, str, str] = (200, "text/plain", "OK")  # status, content type, body


class Driver:
    """Base of every driver; `config` is the kind's plain settings (CONFIG names them, with a
    parser each), `credentials` its decrypted secrets (CREDENTIALS)."""

    kind: ClassVar[str]
    channel: ClassVar[str]
    title: ClassVar[str]                                  # "BulkSMSBD", "Meta WhatsApp Cloud API"
    CONFIG: ClassVar[dict[str, Callable[[str], Any]]] = {}
    REQUIRED_CONFIG: ClassVar[tuple[str, ...]] = ()
    CREDENTIALS: ClassVar[tuple[str, ...]] = ()
    idempotent: ClassVar[bool] = False

    def __init__(self, config: dict, credentials: dict, timeout: float = TIMEOUT):
        self.config, self.credentials, self.timeout = dict(config), dict(credentials), timeout

    def __repr__(self) -> str:  # never print the secrets
        return f"<{type(self).__name__} {self.config!r}>"

    def send(self, msg: Outgoing) -> Sent:
        raise NotImplementedError

    def webhook(self, request: Request) -> Hook:
        """Delivery reports / incoming messages the provider posts to
        /hooks/messages/<gateway id>/<token>; the default knows none."""
        return Hook(reply=(404, "text/plain", "this gateway posts nothing here"))

    # -- helpers --------------------------------------------------------------------------
    def secrets(self) -> list[str]:
        return [v for v in self.credentials.values() if v]

    def mask(self, text: str) -> str:
        """`text` with every credential replaced by ***, also as it looks URL-encoded."""
        for secret in self.secrets():
            for form in {secret, urllib.parse.quote_plus(secret), urllib.parse.quote(secret)}:
                if len(form) >= 4:
                    text = text.replace(form, "***")
        return text

    def http(self, method: str, url: str, *, params: dict | None = None,
             form: dict | None = None, json_body: Any = None,
             headers: dict | None = None) -> tuple[int, str]:
        """One HTTP request; (status, body text). A network error or a 5xx/429 is Transient;
        other statuses are returned for the driver to judge."""
        if params:
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + urllib.parse.urlencode(params)
        data, hdrs = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        where = urllib.parse.urlsplit(url).hostname or url
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as reply:
                status, text = reply.status, reply.read(MAX_REPLY).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read(MAX_REPLY).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Transient(self.mask(f"{where}: {getattr(exc, 'reason', exc)}")) from None
        if status >= 500 or status == 429:
            raise Transient(self.mask(f"{where}: HTTP {status}: {text[:200]}"))
        return status, text


def driver_class(kind: str) -> type[Driver]:
    try:
        module = importlib.import_module(f"messaging.drivers.{KIND_MODULES[kind]}")
    except KeyError:
        raise ValueError(f"{kind!r} is not a message gateway kind") from None
    return module.DRIVER


def make(kind: str, config: dict, credentials: dict, timeout: float = TIMEOUT) -> Driver:
    return driver_class(kind)(config, credentials, timeout)


def available() -> dict[str, type[Driver]]:
    """Every kind whose driver module exists (helpers add them one by one)."""
    out = {}
    for kind in KIND_MODULES:
        try:
            out[kind] = driver_class(kind)
        except ImportError:
            continue
    return out
