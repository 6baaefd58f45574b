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


def format_size(n: int | None) -> str:
    if n is None:
        return ""
    for suffix, mult in (("T", 2**40), ("G", 2**30), ("M", 2**20), ("K", 2**10)):
        if n >= mult and n % mult == 0:
            return f"{n // mult}{suffix}"
    return str(n)
