"""Rates (bits per second, 1000-based as RouterOS counts them) and sizes (bytes, 1024-based)."""
from __future__ import annotations

import re
from decimal import Decimal

_RATE = re.compile(r"^\s*(\d{1,15}(?:\.\d{1,6})?)\s*([kKmMgG]?)(?:bps|b)?\s*$", re.ASCII)
_SIZE = re.compile(r"^\s*(\d{1,15}(?:\.\d{1,6})?)\s*([kKmMgGtT]?)(?:i?B)?\s*$", re.ASCII)
_RATE_MULT = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}
_SIZE_MULT = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_rate(text: str) -> int:
    """'10M' -> 10_000_000 bits/s; raises ValueError with the reason."""
    m = _RATE.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a rate like 512k, 10M or 1G")
    return int(Decimal(m.group(1)) * _RATE_MULT[m.group(2).lower()])


def parse_size(text: str) -> int:
    """'50G' -> 53_687_091_200 bytes; raises ValueError with the reason."""
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a size like 500M, 50G or 1T")
    return int(Decimal(m.group(1)) * _SIZE_MULT[m.group(2).lower()])


def format_rate(bps: int | None) -> str:
    """The shortest exact RouterOS form: 10000000 -> '10M', 1500000 -> '1500k'."""
    if bps is None:
        return ""
    for suffix, mult in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps >= mult and bps % mult == 0:
            return f"{bps // mult}{suffix}"
    return str(bps)


def format_speed(down: int | None, up: int | None) -> str:
    """A package's speed as subscribers see it: download/upload, 10M/5M."""
    return f"{format_rate(down)}/{format_rate(up)}"


def format_size(n: int | None) -> str:
    if n is None:
        return ""
    for suffix, mult in (("T", 2**40), ("G", 2**30), ("M", 2**20), ("K", 2**10)):
        if n >= mult and n % mult == 0:
            return f"{n // mult}{suffix}"
    return str(n)


# durations: a hotspot package's online time per cycle (issue 14), in seconds
_DURATION = re.compile(r"^\s*(?:\d{1,9}\s*[dhms]\s*)+$", re.ASCII)
_DURATION_PART = re.compile(r"(\d{1,9})\s*([dhms])", re.ASCII)
_DURATION_MULT = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(text: str) -> int:
    """'90m' -> 5400, '5h' -> 18000, '1d 12h' -> 129600, '3600' -> 3600 (seconds)."""
    raw = str(text).lower()
    if re.fullmatch(r"\s*\d{1,9}\s*", raw, re.ASCII):
        return int(raw)
    if not _DURATION.match(raw):
        raise ValueError(f"{str(text)[:40]!r} is not a duration like 90m, 5h or 1d (or seconds)")
    return sum(int(n) * _DURATION_MULT[u] for n, u in _DURATION_PART.findall(raw))


def format_duration(seconds: int | None) -> str:
    """The exact duration in days, hours, minutes, seconds: 5400 -> '1 h 30 m', 86400 -> '1 d';
    parse_duration reads it back."""
    if seconds is None:
        return ""
    parts, left = [], seconds
    for suffix, mult in (("d", 86_400), ("h", 3_600), ("m", 60)):
        n, left = divmod(left, mult)
        if n:
            parts.append(f"{n} {suffix}")
    if left or not parts:
        parts.append(f"{left} s")
    return " ".join(parts)


def format_bytes(n: int | None) -> str:
    """A size as people read it, exact and readable back by parse_size: 2 GB, 500 MB, 1500 B."""
    if n is None:
        return ""
    for suffix, mult in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= mult and n % mult == 0:
            return f"{n // mult} {suffix}"
    return f"{n} B"
