"""The hotspot walled garden a router gets: hosts a visitor may reach before logging in.

Staff list hosts per operator (`walled_garden` rows, walled_garden.edit). A router gets the rows
of its operator, that operator's ancestors and its sub-resellers (their customers may log in
through it); a shared router (no operator) gets every operator's. Two kinds of host are added by themselves, so nobody has to remember them:
  - the portal's host (RADBILL_PUBLIC_URL, where the hotspot's login and payment pages are);
  - the hosts of the enabled payment gateways of the operators in that line, as each driver
    names them for the gateway's mode (`rating.gateways.Driver.hosts`: the hosted payment page).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.models import Nas, Operator, PaymentGateway, WalledGardenHost

STAFF, AUTO = "staff", "auto"
ANY_ADDRESS = {"0.0.0.0", "::", ""}  # a server bound to every address names no host


@dataclass(frozen=True)
class Entry:
    host: str
    note: str
    operator_id: int | None   # whose row or gateway (None: the portal, everyone's)
    source: str               # STAFF (a walled_garden row) or AUTO
    id: int | None = None     # the walled_garden row's


def line_of(session: Session, operator_id: int | None) -> list[int] | None:
    """The operator, its ancestors and its sub-resellers (whose customers the router serves
    too: authorize lets a reseller's NAS serve its whole subtree); None: no operator, so every
    operator."""
    if operator_id is None:
        return None
    path = session.scalar(sa.select(Operator.path).where(Operator.id == operator_id)) or ""
    above = [int(p) for p in path.strip("/").split("/") if p] or [operator_id]
    below = session.scalars(sa.select(Operator.id).where(Operator.path.startswith(path))) \
        if path else []
    return sorted(set(above) | set(below))


def portal() -> tuple[str, str] | None:
    """The portal's host and its address (the entry's note)."""
    from rating.functions.checkout import public_url
    url = public_url()
    host = urlsplit(url).hostname or ""
    return None if host in ANY_ADDRESS else (host.lower(), url)


def gateway_entries(session: Session,
                    operators: list[int] | sa.ColumnElement | None) -> list[Entry]:
    """The hosted-page hosts of the enabled gateways of `operators` (ids, a condition on
    PaymentGateway.operator_id, or None: all)."""
    from rating import gateways
    stmt = sa.select(PaymentGateway).where(PaymentGateway.enabled).order_by(PaymentGateway.id)
    if isinstance(operators, list):
        stmt = stmt.where(PaymentGateway.operator_id.in_(operators))
    elif operators is not None:
        stmt = stmt.where(operators)
    out = []
    for gw in session.scalars(stmt):
        cls = gateways.driver_class(gw.kind)
        # the hosts follow from the kind, mode and address alone: no credentials decrypted
        config = gateways.Config(gw.kind, gw.mode, gw.base_url or cls.URLS[gw.mode], {})
        for host in cls.hosts(config):
            out.append(Entry(host, gw.name, gw.operator_id, AUTO))  # (notes are data, not prose)
    return out


def automatic(session: Session, operators: list[int] | sa.ColumnElement | None) -> list[Entry]:
    """The portal's host (its address as the note), then the gateways' (their names)."""
    site = portal()
    return ([Entry(site[0], site[1], None, AUTO)] if site else []) + \
        gateway_entries(session, operators)


def staff_entries(session: Session, operators: list[int] | None) -> list[Entry]:
    stmt = sa.select(WalledGardenHost).order_by(WalledGardenHost.host, WalledGardenHost.id)
    if operators is not None:
        stmt = stmt.where(WalledGardenHost.operator_id.in_(operators))
    return [Entry(r.host, r.note, r.operator_id, STAFF, r.id) for r in session.scalars(stmt)]


def unique(entries: list[Entry]) -> list[Entry]:
    """One entry per host (the first listed wins), sorted by host."""
    seen: dict[str, Entry] = {}
    for e in entries:
        seen.setdefault(e.host.lower(), e)
    return sorted(seen.values(), key=lambda e: e.host)


def walled_garden_for(session: Session, nas: Nas) -> list[Entry]:
    """What this router's walled garden should hold: one entry per host, by host."""
    line = line_of(session, nas.settings.operator_id if nas.settings else None)
    return unique(staff_entries(session, line) + automatic(session, line))
