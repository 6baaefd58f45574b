"""Open sessions in radacct as CoA targets: which NAS holds them and how to close stale ones."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from provisioning.coa import DEFAULT_PORT, SessionRef, Target
from radbill.models import Nas, NasSettings, RadAcct

STALE_CAUSE = "Stale-Session"


@dataclass(frozen=True)
class OpenSession:
    ref: SessionRef
    nasipaddress: str
    radacctid: int | None = None

    @property
    def key(self) -> str:
        return f"{self.nasipaddress}/{self.ref.acctsessionid or self.ref.username}"


def _host(ip) -> str | None:
    return None if ip is None else str(ip).split("/")[0]


def open_sessions(session: Session, payload: dict) -> list[OpenSession]:
    """The sessions an event is about: the one it names, else the user's open ones in radacct."""
    username = payload.get("username")
    sid, nasip = payload.get("acctsessionid"), payload.get("nasipaddress")
    stmt = sa.select(RadAcct).where(RadAcct.acctstoptime.is_(None))
    if sid:
        stmt = stmt.where(RadAcct.acctsessionid == str(sid))
    if nasip:
        stmt = stmt.where(RadAcct.nasipaddress == sa.cast(str(nasip), RadAcct.nasipaddress.type))
    if username:
        stmt = stmt.where(RadAcct.username == username)
    elif not sid:
        return []
    found = [OpenSession(SessionRef(r.username or username, r.acctsessionid,
                                    _host(payload.get("framedipaddress") or r.framedipaddress)),
                         _host(r.nasipaddress), r.radacctid)
             for r in session.scalars(stmt.order_by(RadAcct.radacctid))]
    if not found and sid and nasip and username:
        # The event names its session exactly (the AAA engine knows it even before radacct
        # has the row, e.g. a CoA queued by the Accounting-Start itself): send it as given.
        found = [OpenSession(SessionRef(username, str(sid), payload.get("framedipaddress")),
                             _host(nasip))]
    return found


def target_for(session: Session, nasip: str) -> Target | None:
    """The CoA listener of the NAS whose address is `nasip` (None: not in the nas table)."""
    row = session.execute(
        sa.select(Nas.secret, NasSettings.coa_port)
        .outerjoin(NasSettings, NasSettings.nas_id == Nas.id)
        .where(Nas.nasname == nasip).order_by(Nas.id).limit(1)).first()
    if row is None:
        return None
    return Target(nasip, row.secret, row.coa_port or DEFAULT_PORT)


def close_stale(session: Session, s: OpenSession) -> int:
    """The NAS says it has no such session (Error-Cause 503): close ours so it stops counting."""
    stmt = sa.update(RadAcct).where(RadAcct.acctstoptime.is_(None))
    if s.radacctid is not None:
        stmt = stmt.where(RadAcct.radacctid == s.radacctid)
    else:
        nas = sa.cast(s.nasipaddress, RadAcct.nasipaddress.type)
        stmt = stmt.where(RadAcct.acctsessionid == s.ref.acctsessionid, RadAcct.nasipaddress == nas)
    stmt = stmt.values(acctstoptime=sa.func.now(), acctterminatecause=STALE_CAUSE)
    return session.execute(stmt).rowcount
