"""What every radio module shares: reading numbers as devices print them, the web API's base
URL and session (radios ship self-signed certificates, so HTTPS is not verified; no redirects),
a capped JSON read, the host's memory from UCD-SNMP-MIB, and the poll's rule: HTTP when a
login is set, SNMP when a community is, HTTP's figures first and SNMP filling the gaps."""
from __future__ import annotations

import contextlib
import json
import re
import warnings
from typing import Callable, Iterator

import requests
import urllib3

from monitoring.radios import RadioError, Reading, Target

ANSWER_CAP = 4 * 1024 * 1024
MEM_TOTAL = ".1.3.6.1.4.1.2021.4.5.0"   # UCD-SNMP-MIB memTotalReal (kB)
MEM_AVAIL = ".1.3.6.1.4.1.2021.4.6.0"   # memAvailReal


def num(value) -> int | None:
    """An integer from what a device printed: 23, 23.4, "-58", "5180 MHz", "12.7%"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(round(value))
    m = re.match(r"\s*(-?[0-9]+(?:\.[0-9]+)?)", str(value))
    return int(round(float(m.group(1)))) if m else None


def pct(used, total) -> int | None:
    used, total = num(used), num(total)
    return round(100 * used / total) if used is not None and total else None


def ucd_memory(total, avail) -> int | None:
    """Percent of real memory in use from memTotalReal/memAvailReal."""
    return pct((num(total) or 0) - (num(avail) or 0), total) if total and avail else None


def mean(values) -> int | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values)) if values else None


def text(value, limit: int) -> str | None:
    return str(value if value is not None else "").strip()[:limit] or None


def base_url(t: Target) -> str:
    scheme = "https" if t.https else "http"
    port = f":{t.http_port}" if t.http_port else ""
    host = f"[{t.host}]" if ":" in t.host else t.host
    return f"{scheme}://{host}{port}"


@contextlib.contextmanager
def http_session(t: Target) -> Iterator[requests.Session]:
    """A session for one poll: certificates not verified, redirects not followed; a network
    failure inside the block becomes a RadioError."""
    with requests.Session() as s, warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        s.verify = False
        s.max_redirects = 0
        try:
            yield s
        except requests.Timeout:
            raise RadioError(f"HTTP: no answer within {t.timeout:g} s") from None
        except requests.RequestException as exc:
            raise RadioError(f"HTTP: cannot connect ({type(exc).__name__})") from None


def read_json(r: requests.Response, what: str, device: str) -> dict:
    """The answer's JSON object, read to ANSWER_CAP; its body is never echoed into the error."""
    raw = r.raw.read(ANSWER_CAP + 1, decode_content=True)
    if len(raw) > ANSWER_CAP:
        raise RadioError(f"{what}: the answer is too large")
    try:
        value = json.loads(raw)
    except ValueError:
        raise RadioError(f"{what}: the answer is not JSON (is this an {device} device?)") from None
    if not isinstance(value, dict):
        raise RadioError(f"{what}: the answer is not a JSON object")
    return value


def combine(t: Target, http: Callable[[], Reading], snmp: Callable[[], Reading]) -> Reading:
    """HTTP when a login is set, SNMP when a community is; HTTP's figures first, SNMP fills
    the gaps; either alone is a reading, what failed is in its `errors`."""
    readings, errors = [], []
    if t.username and t.password:
        try:
            readings.append(http())
        except RadioError as exc:
            errors.append(exc.reason)
    if t.community:
        try:
            readings.append(snmp())
        except RadioError as exc:
            errors.append(exc.reason)
    if not readings:
        raise RadioError("; ".join(errors) or "neither a login nor an SNMP community is set")
    reading = readings[0]
    for other in readings[1:]:
        reading.fill(other)
    reading.errors += errors
    return reading
