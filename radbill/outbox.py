"""Queue side effects (CoA, Disconnect, notifications) in the same transaction as the change."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill.models import Outbox

CHANNEL = "radbill_outbox"


def enqueue(session: Session, kind: str, customer_id: int | None = None,
            payload: dict[str, Any] | None = None, dedupe_key: str | None = None) -> None:
    """Add an event; with `dedupe_key`, a second event with the same key is dropped."""
    stmt = insert(Outbox).values(kind=kind, customer_id=customer_id, payload=payload or {},
                                 dedupe_key=dedupe_key)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(stmt)
    session.execute(sa.select(sa.func.pg_notify(CHANNEL, kind)))


def disconnect(session: Session, customer_id: int, username: str, reason: str) -> None:
    """Ask the NAS to drop the live session so it re-authenticates under the new state."""
    enqueue(session, "disconnect", customer_id, {"username": username, "reason": reason})


def notify(session: Session, customer_id: int, event: str, **data: Any) -> None:
    enqueue(session, "notify", customer_id, {"event": event, **data})
