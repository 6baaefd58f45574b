"""Outbox rows written directly, to drive the worker in its own tests. Production code never
does this: its rows are derived from events (radbill/events.py)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill.models import Outbox
from radbill.outbox import CHANNEL


def enqueue(session: Session, kind: str, customer_id: int | None = None,
            payload: dict[str, Any] | None = None) -> None:
    session.execute(insert(Outbox).values(kind=kind, customer_id=customer_id,
                                          payload=payload or {}))
    session.execute(sa.select(sa.func.pg_notify(CHANNEL, kind)))


def disconnect(session: Session, customer_id: int, username: str, reason: str) -> None:
    enqueue(session, "disconnect", customer_id, {"username": username, "reason": reason})


def notify(session: Session, customer_id: int, event: str, **data: Any) -> None:
    enqueue(session, "notify", customer_id, {"event": event, **data})
