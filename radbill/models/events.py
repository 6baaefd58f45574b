"""The event stream, and the catalogue and transition tables it is checked against (the
customer status log is the stream's lifecycle events: logs/functions/events.py)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at


class Event(Base):
    """One thing that happened (radbill/events.py). Append-only: the database refuses updates
    and deletes."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(always=False), primary_key=True)
    at: Mapped[dt.datetime] = created_at()
    name: Mapped[str] = mapped_column(sa.Text)
    # plain ids, no foreign keys: history outlives what it names, and a row never changes
    customer_id: Mapped[int | None]
    operator_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(sa.Text, server_default="")
    func: Mapped[str] = mapped_column(sa.Text, server_default="")  # the function or job
    data: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    dedupe_key: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (
        sa.Index("ix_events_customer", "customer_id", "id"),
        sa.Index("uq_events_dedupe_key", "dedupe_key", unique=True,
                 postgresql_where=sa.text("dedupe_key is not null")),
    )


class EventType(Base):
    """radbill/events.py's catalogue as the events trigger reads it (written by db upgrade)."""

    __tablename__ = "event_types"
    name: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    fields: Mapped[list[str]] = mapped_column(ARRAY(sa.Text))
    routes: Mapped[list] = mapped_column(JSONB, server_default=sa.text("'[]'::jsonb"))


class CustomerTransition(Base):
    """radbill/lifecycle.py's table as radbill_transition() reads it (written by db upgrade)."""

    __tablename__ = "customer_transitions"
    from_state: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    to_state: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    reason: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    event: Mapped[str] = mapped_column(sa.Text)
