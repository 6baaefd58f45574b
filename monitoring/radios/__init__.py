"""Wireless radios: one small module per vendor (airmax.py, epmp.py; what they share is in
common.py) turns a device's HTTP status and SNMP answers into a `Reading`; `store` keeps it
(the row's last figures, a sample for the graphs, the associated stations). Polls run in
threads without the ORM (a `Target` is a plain copy of the radio's settings), storing happens
in the caller's session."""
from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field, fields

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.models import Radio, RadioSample, RadioStation

KEEP_SAMPLES = dt.timedelta(days=35)
MAX_STATIONS = 512


class RadioError(Exception):
    """The radio could not be read: `reason` is safe to show and store."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    kind: str
    host: str
    http_port: int | None = None
    https: bool = True
    username: str | None = None
    password: str | None = None
    community: str | None = None
    snmp_port: int = 161
    timeout: float = 5.0


@dataclass
class Station:
    mac: str
    name: str | None = None
    ip: str | None = None
    signal: int | None = None
    noise: int | None = None
    ccq: int | None = None
    tx_rate: int | None = None  # kbit/s
    rx_rate: int | None = None
    distance: int | None = None
    uptime: int | None = None


@dataclass
class Reading:
    model: str | None = None
    firmware: str | None = None
    ssid: str | None = None
    mode: str | None = None
    frequency: int | None = None
    signal: int | None = None
    noise: int | None = None
    ccq: int | None = None
    snr: int | None = None
    tx_rate: int | None = None
    rx_rate: int | None = None
    cpu: int | None = None
    memory: int | None = None
    uptime: int | None = None
    station_count: int | None = None
    stations: list[Station] | None = None
    sources: list[str] = field(default_factory=list)  # "http", "snmp": what answered
    errors: list[str] = field(default_factory=list)   # what did not, and why

    def fill(self, other: "Reading") -> None:
        """Take `other`'s figures where this reading has none."""
        for f in fields(self):
            if f.name in ("sources", "errors"):
                continue
            if getattr(self, f.name) is None:
                setattr(self, f.name, getattr(other, f.name))
        self.sources += other.sources
        self.errors += other.errors


POLLERS = {"airmax": "monitoring.radios.airmax", "epmp": "monitoring.radios.epmp"}


def poll(target: Target) -> Reading:
    """Read the radio with its kind's module (no database: this runs in a thread)."""
    module = POLLERS.get(target.kind)
    if module is None:
        raise RadioError(f"polling {target.kind} radios is not built")
    return importlib.import_module(module).poll(target)


SAMPLE_FIGURES = ("signal", "noise", "ccq", "snr", "tx_rate", "rx_rate", "cpu", "memory")
ROW_FIGURES = SAMPLE_FIGURES + ("model", "firmware", "ssid", "mode", "frequency", "uptime")


def store(session: Session, radio: Radio, reading: Reading | None, error: str | None,
          at: dt.datetime) -> None:
    """Keep a poll: the row's figures and verdict, a sample, the stations it listed."""
    radio.last_poll_at = at
    if reading is None:
        radio.up, radio.last_error = False, error
        return
    radio.up, radio.last_ok_at = True, at
    radio.last_error = "; ".join(reading.errors)[:500] or None
    for name in ROW_FIGURES:
        setattr(radio, name, getattr(reading, name))
    count = reading.station_count if reading.station_count is not None else \
        (len(reading.stations) if reading.stations is not None else None)
    radio.stations = count
    session.add(RadioSample(radio_id=radio.id, at=at, stations=count,
                            **{n: getattr(reading, n) for n in SAMPLE_FIGURES}))
    if reading.stations is not None:
        session.execute(sa.delete(RadioStation).where(RadioStation.radio_id == radio.id))
        seen: set[str] = set()
        for s in reading.stations[:MAX_STATIONS]:
            if s.mac in seen:
                continue
            seen.add(s.mac)
            session.add(RadioStation(radio_id=radio.id, seen_at=at, **vars(s)))
    session.flush()


def prune(session: Session, keep: dt.timedelta = KEEP_SAMPLES) -> int:
    return session.execute(sa.delete(RadioSample).where(
        RadioSample.at < sa.func.now() - keep)).rowcount
