"""Form fields: each parses one text parameter or says, in a few words, why it cannot."""
from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Callable

from radbill import money, settings, units
from radbill.functions.registry import FuncError, Param

Parser = Callable[[str], Any]


@dataclass
class Field:
    name: str
    parse: Parser
    required: bool = False
    help: str = ""
    clearable: bool = True  # an empty value sets NULL instead of being refused

    def param(self) -> Param:
        return Param(self.name, self.help, self.required)


def parse_fields(fields: list[Field], params: dict[str, str], *, creating: bool) -> dict[str, Any]:
    """The given fields parsed; every bad or missing one is reported at once."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw = params.get(f.name)
        if raw is None:
            if creating and f.required:
                errors[f.name] = "is required"
            continue
        raw = raw.strip()
        if raw == "":
            if f.required:
                errors[f.name] = "must not be empty"
            elif f.clearable:
                values[f.name] = None
            else:
                errors[f.name] = "must not be empty"
            continue
        try:
            values[f.name] = f.parse(raw)
        except ValueError as exc:
            errors[f.name] = str(exc)
    if errors:
        raise FuncError(errors=errors)
    return values


def text(max_len: int = 200, pattern: str | None = None, what: str = "") -> Parser:
    rx = re.compile(pattern) if pattern else None

    def parse(raw: str) -> str:
        if len(raw) > max_len:
            raise ValueError(f"is longer than {max_len} characters")
        if rx and not rx.fullmatch(raw):
            raise ValueError(f"is not {what or 'in the expected format'}")
        return raw
    return parse


def integer(lo: int | None = None, hi: int | None = None) -> Parser:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
        if lo is not None and value < lo:
            raise ValueError(f"must be at least {lo}")
        if hi is not None and value > hi:
            raise ValueError(f"must be at most {hi}")
        return value
    return parse


def amount(lo: str | None = "0") -> Parser:
    def parse(raw: str):
        value = money.parse_money(raw)
        if lo is not None and value < money.parse_money(lo):
            raise ValueError("must not be negative" if lo == "0" else f"must be at least {lo}")
        return value
    return parse


def percent(raw: str):
    value = money.parse_money(raw)
    if not 0 <= value <= 100:
        raise ValueError("must be between 0 and 100")
    return value


def rate(raw: str) -> int:
    value = units.parse_rate(raw)
    if value <= 0:
        raise ValueError("must be above zero")
    return value


def size(raw: str) -> int:
    value = units.parse_size(raw)
    if value <= 0:
        raise ValueError("must be above zero")
    return value


def boolean(raw: str) -> bool:
    low = raw.lower()
    if low in ("on", "yes", "true", "1", "ok"):
        return True
    if low in ("off", "no", "false", "0"):
        return False
    raise ValueError(f"{raw!r} is not on/off")


def choice(*options: str) -> Parser:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"{raw!r} is not one of {', '.join(options)}")
        return raw
    return parse


_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
_MAC_DOTTED = re.compile(r"^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$")


def mac(raw: str) -> str:
    """Any common MAC spelling -> 'AA:BB:CC:DD:EE:FF' (how MikroTik sends Calling-Station-Id)."""
    if not (_MAC.match(raw) or _MAC_DOTTED.match(raw)):
        raise ValueError(f"{raw!r} is not a MAC address like AA:BB:CC:DD:EE:FF")
    digits = re.sub(r"[^0-9A-Fa-f]", "", raw).upper()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def ipv4(raw: str) -> str:
    try:
        return str(ipaddress.IPv4Address(raw))
    except ValueError:
        raise ValueError(f"{raw!r} is not an IPv4 address") from None


def cidr(raw: str) -> str:
    try:
        net = ipaddress.IPv4Network(raw, strict=True)
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not an IPv4 network like 10.10.0.0/16 ({exc})") from None
    return str(net)


def port(raw: str) -> int:
    return integer(1, 65535)(raw)


def when(raw: str) -> dt.datetime:
    """An ISO date or date-time; a naive value is in the ISP's time zone."""
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a date like 2026-12-31 or 2026-12-31T23:59") from None
    if len(raw) <= 10:  # a bare date means the end of that day
        value = value.replace(hour=23, minute=59, second=59)
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings.get().tz)
    return value


def day(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a date like 2026-12-31") from None


NAME_RE = r"[A-Za-z0-9][A-Za-z0-9 _.@()+-]{0,63}"
name_text = text(64, NAME_RE, "a name of letters, digits and ' _.@()+-'")
