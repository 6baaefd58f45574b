"""A generic HTTP SMS gateway, described by settings rather than code, the way local SMS
providers are wired into ISP panels (ported from the first wave's RADBILL_SMS_* settings).

config: url, method (GET puts the fields in the query string, POST sends them form-encoded),
params (`name=value&...` where a value may hold {key}, {to}, {text}, {ref}, e.g.
`api_key={key}&type=text&contacts={to}&msg={text}`), ok (a text the reply must contain; empty:
any 2xx is a success, since many gateways answer 200 with an error in the body), to_format
(e164 "+8801..." | msisdn "8801..." | local "01..."). credentials: key (the secret behind {key}).
A 4xx reply (but 408) or a reply without `ok` is permanent; no answer, a 408 or a 5xx is
transient.
"""
from __future__ import annotations

import urllib.parse
from string import Formatter

from messaging.drivers import Driver, Outgoing, Permanent, Sent, Transient

PLACEHOLDERS = {"key", "to", "text", "ref"}


def parse_params(template: str) -> list[tuple[str, str]]:
    """Split `params` into (field, value template) pairs; ValueError says why not."""
    pairs = []
    for part in filter(None, template.split("&")):
        name, sep, value = part.partition("=")
        if not sep or not name:
            raise ValueError(f"{part!r} is not name=value")
        used = {f for _, f, _, _ in Formatter().parse(value) if f is not None}
        if used - PLACEHOLDERS:
            raise ValueError(f"unknown {sorted(used - PLACEHOLDERS)} in {part!r}; "
                             "use {key}, {to}, {text}, {ref}")
        pairs.append((name, value))
    present = {f for _, v in pairs for _, f, _, _ in Formatter().parse(v) if f}
    if not {"to", "text"} <= present:
        raise ValueError("must carry {to} and {text}")
    return pairs


def url(raw: str) -> str:
    if urllib.parse.urlsplit(raw).scheme not in ("http", "https") or " " in raw:
        raise ValueError("must be an http:// or https:// address")
    return raw


def method(raw: str) -> str:
    if raw.upper() not in ("GET", "POST"):
        raise ValueError("must be GET or POST")
    return raw.upper()


def to_format(raw: str) -> str:
    if raw not in ("e164", "msisdn", "local"):
        raise ValueError("must be e164, msisdn or local")
    return raw


def params(raw: str) -> str:
    parse_params(raw)
    return raw


def number(e164: str, fmt: str) -> str:
    """+8801712345678 as the gateway wants it."""
    if fmt == "msisdn":
        return e164.lstrip("+")
    if fmt == "local" and e164.startswith("+880"):
        return "0" + e164[4:]
    return e164


class HttpSms(Driver):
    kind, channel, title = "http", "sms", "HTTP SMS gateway (generic)"
    CONFIG = {"url": url, "method": method, "params": params, "ok": str, "to_format": to_format}
    REQUIRED_CONFIG = ("url",)
    CREDENTIALS = ("key",)

    def send(self, msg: Outgoing) -> Sent:
        fields = parse_params(self.config.get("params") or "api_key={key}&to={to}&msg={text}")
        values = {"key": self.credentials.get("key", ""), "text": msg.body, "ref": msg.ref,
                  "to": number(msg.recipient, self.config.get("to_format") or "e164")}
        form = [(n, v.format_map(values)) for n, v in fields]
        verb = (self.config.get("method") or "POST").upper()
        if verb == "GET":
            status, body = self.http("GET", self.config["url"], params=dict(form))
        else:
            status, body = self.http("POST", self.config["url"], form=dict(form))
        if status == 408:  # the gateway timed out waiting for us: ask again later
            raise Transient(self.mask(f"HTTP {status}: {body[:200]}"))
        if not 200 <= status < 300:
            raise Permanent(self.mask(f"HTTP {status}: {body[:200]}"),
                            gateway_wide=status in (401, 403))
        ok = self.config.get("ok") or ""
        if ok and ok not in body:
            raise Permanent(self.mask(f"the reply lacks {ok!r}: {body[:200]}"))
        return Sent(None, detail=f"HTTP {status}")


DRIVER = HttpSms
