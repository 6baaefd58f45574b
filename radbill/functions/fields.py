"""Form fields: each parses one text parameter or says, in a few words, why it cannot."""
from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa

from radbill import money, settings, units
from radbill.functions.registry import FuncError, Param

Parser = Callable[[str], Any]

# what the database's columns hold: ids and counts are int4 (bills, payments... int8)
INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
RATE_MAX = 10**12  # bits/s: 1000G, far above any access link, well inside a bigint
SIZE_MAX = 2**50  # bytes: 1024T a cycle
_ASCII_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_ID = re.compile(r"[0-9]{1,19}", re.ASCII)


def as_id(ref: Any, column: Any = None) -> int | None:
    """`ref` as a row id when it is written in ASCII digits and fits the id column (`column`'s
    type: a bigint, or by default an integer), else None.

    `str.isdigit()` is no test for this: '²' and '①' pass it and then int() fails, and
    ten digits overflow an integer column; a reference that is no id is looked up by name."""
    text = str(ref).strip() if ref is not None else ""
    if not _ID.fullmatch(text):
        return None
    value = int(text)
    big = column is not None and isinstance(getattr(column, "type", None), sa.BigInteger)
    return value if value <= (INT8_MAX if big else INT4_MAX) else None


def is_id(ref: Any, column: Any = None) -> bool:
    return as_id(ref, column) is not None


def clean(raw: str) -> str:
    """Refuse what no text column stores: NUL bytes (PostgreSQL refuses them), lone
    surrogates (not UTF-8) and other control characters but tab and newline."""
    for ch in raw:
        if ch in "\t\n\r":
            continue
        code = ord(ch)
        if code == 0:
            raise ValueError("must not contain a NUL byte")
        if code < 32 or code == 127:
            raise ValueError(f"must not contain the control character U+{code:04X}")
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError("is not valid UTF-8 text")
    return raw


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
            values[f.name] = f.parse(clean(raw))
        except ValueError as exc:
            errors[f.name] = str(exc)
    if errors:
        raise FuncError(errors=errors)
    return values


def parse_one(name: str, parse: Parser, raw: str) -> Any:
    """One parameter outside a Field list: parsed, or a FuncError naming it with the reason."""
    try:
        return parse(clean(raw))
    except ValueError as exc:
        raise FuncError(str(exc), field=name) from None


def text(max_len: int = 200, pattern: str | None = None, what: str = "") -> Parser:
    rx = re.compile(pattern) if pattern else None

    def parse(raw: str) -> str:
        if len(raw) > max_len:
            raise ValueError(f"is longer than {max_len} characters")
        clean(raw)
        if rx and not rx.fullmatch(raw):
            raise ValueError(f"is not {what or 'in the expected format'}")
        return raw
    return parse


def integer(lo: int | None = None, hi: int | None = INT4_MAX) -> Parser:
    """A whole number in ASCII digits between lo and hi (by default what an int4 holds)."""
    hi = INT4_MAX if hi is None else hi
    lo = -INT4_MAX - 1 if lo is None else lo

    def parse(raw: str) -> int:
        raw = raw.strip()
        if len(raw) > 20 or not _ASCII_INT.fullmatch(raw):
            raise ValueError(f"{short(raw)!r} is not a whole number")
        value = int(raw)
        if value < lo:
            raise ValueError(f"must be at least {lo}")
        if value > hi:
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
    if value > RATE_MAX:
        raise ValueError(f"must be at most {units.format_rate(RATE_MAX)}")
    return value


def size(raw: str) -> int:
    value = units.parse_size(raw)
    if value <= 0:
        raise ValueError("must be above zero")
    if value > SIZE_MAX:
        raise ValueError(f"must be at most {units.format_size(SIZE_MAX)}")
    return value


def boolean(raw: str) -> bool:
    low = raw.lower()
    if low in ("on", "yes", "true", "1", "ok"):
        return True
    if low in ("off", "no", "false", "0"):
        return False
    raise ValueError(f"{short(raw)!r} is not on/off")


def choice(*options: str) -> Parser:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"{short(raw)!r} is not one of {', '.join(options)}")
        return raw
    return parse


_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
_MAC_DOTTED = re.compile(r"^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$")


EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                   r"[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def email(raw: str) -> str:
    """An e-mail address a mail server accepts (local@domain.tld, ASCII), lower-cased domain."""
    value = raw.strip()
    if len(value) > 254 or not EMAIL.fullmatch(value):
        raise ValueError(f"{short(value)!r} is not an e-mail address (like name@example.com)")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def mac(raw: str) -> str:
    """Any common MAC spelling -> 'AA:BB:CC:DD:EE:FF' (how MikroTik sends Calling-Station-Id)."""
    if not (_MAC.match(raw) or _MAC_DOTTED.match(raw)):
        raise ValueError(f"{short(raw)!r} is not a MAC address like AA:BB:CC:DD:EE:FF")
    digits = re.sub(r"[^0-9A-Fa-f]", "", raw).upper()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def ipv4(raw: str) -> str:
    try:
        return str(ipaddress.IPv4Address(raw))
    except ValueError:
        raise ValueError(f"{short(raw)!r} is not an IPv4 address") from None


_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")


def host_ipv4(raw: str, loopback: bool = True) -> str:
    """The IPv4 address of one host: not 0.0.0.0 ("this network"), not the broadcast
    255.255.255.255, not multicast or reserved (240/4); loopback only where `loopback`."""
    addr = ipaddress.IPv4Address(ipv4(raw))
    if addr in _THIS_NETWORK:
        raise ValueError(f"{addr} is not a host address (0.0.0.0/8 means this network)")
    if addr == ipaddress.IPv4Address("255.255.255.255"):
        raise ValueError(f"{addr} is the broadcast address, not a host")
    if addr.is_multicast:
        raise ValueError(f"{addr} is a multicast address, not a host")
    if addr.is_reserved:
        raise ValueError(f"{addr} is in the reserved range 240.0.0.0/4")
    if not loopback and addr.is_loopback:
        raise ValueError(f"{addr} is a loopback address")
    return str(addr)


def subscriber_ipv4(raw: str) -> str:
    """A subscriber's address: a host address that is not loopback."""
    return host_ipv4(raw, loopback=False)


def cidr(raw: str) -> str:
    try:
        net = ipaddress.IPv4Network(raw, strict=True)
    except ValueError as exc:
        raise ValueError(f"{short(raw)!r} is not an IPv4 network like 10.10.0.0/16 ({exc})") from None
    if net.prefixlen < 8:
        raise ValueError(f"{net} is too large; a pool is at most a /8")
    if net.network_address in _THIS_NETWORK or net.is_multicast or net.is_reserved \
            or net.is_loopback:
        raise ValueError(f"{net} holds no subscriber addresses (this-network, loopback, "
                         "multicast or reserved)")
    return str(net)


def ipv6_network(raw: str, largest: int = 16) -> str:
    """An IPv6 network that can hold subscribers: global unicast or unique local (fc00::/7),
    strict (no host bits), at most a /`largest`."""
    try:
        net = ipaddress.IPv6Network(raw, strict=True)
    except ValueError as exc:
        raise ValueError(f"{short(raw)!r} is not an IPv6 network like 2001:db8:100::/40 "
                         f"({exc})") from None
    if net.prefixlen < largest:
        raise ValueError(f"{net} is too large; at most a /{largest}")
    if net.is_multicast or net.is_link_local or net.is_loopback or net.is_unspecified \
            or net.is_reserved or net.is_site_local or net.network_address.ipv4_mapped:
        raise ValueError(f"{net} holds no subscriber addresses (multicast, link-local, "
                         "loopback, reserved or IPv4-mapped)")
    return str(net)


def pool_cidr(raw: str) -> str:
    """A pool's network: IPv4 as `cidr` says, or IPv6 (`ipv6_network`)."""
    if ":" in (raw or ""):
        return ipv6_network(raw)
    return cidr(raw)


def subscriber_prefix6(raw: str) -> str:
    """A subscriber's static IPv6 prefix: /48 to /128."""
    return ipv6_network(raw, largest=48)


def port(raw: str) -> int:
    return integer(1, 65535)(raw)


YEARS = (1970, 2999)  # dates outside these are typing mistakes, and date arithmetic overflows


def _in_years(value: dt.date) -> None:
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"must be a date between {YEARS[0]} and {YEARS[1]}")


def when(raw: str) -> dt.datetime:
    """An ISO date or date-time; a naive value is in the ISP's time zone."""
    try:
        if len(raw) > 40 or not raw.isascii():
            raise ValueError
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{short(raw)!r} is not a date like 2026-12-31 or 2026-12-31T23:59") from None
    _in_years(value)
    if len(raw) <= 10:  # a bare date means the end of that day
        value = value.replace(hour=23, minute=59, second=59)
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings.get().tz)
    return value


def day(raw: str) -> dt.date:
    try:
        if len(raw) > 10 or not raw.isascii():
            raise ValueError
        value = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{short(raw)!r} is not a date like 2026-12-31") from None
    _in_years(value)
    return value


def short(text: str, limit: int = 40) -> str:
    """A value as quoted back in an error: cut when long."""
    return text if len(text) <= limit else text[:limit] + "..."


NAME_RE = r"[A-Za-z0-9][A-Za-z0-9 _.@()+-]{0,63}"
name_text = text(64, NAME_RE, "a name of letters, digits and ' _.@()+-'")
