"""The engine and session factory; callers own the transaction (`with session_scope() as s`).
`reporting()` is the session report pages and exports read from: the streaming replica when
RADBILL_REPLICA_URL is set (HACKING.md, "Several nodes"), else the primary."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from radbill import settings


@lru_cache(maxsize=4)
def engine(url: str | None = None) -> sa.Engine:
    url = url or settings.get().database_url
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache(maxsize=4)
def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with session_factory(url).begin() as session:
        yield session


@contextmanager
def reporting(session: Session | None = None) -> Iterator[Session]:
    """A read-only transaction on the replica (RADBILL_REPLICA_URL) for reports and exports,
    rolled back at the end; without a replica, `session` itself (or a new transaction on the
    primary). What it reads may lag the primary by the replica's replay delay."""
    url = settings.get().replica_url
    if not url:
        if session is not None:
            yield session
        else:
            with session_scope() as s:
                yield s
        return
    with session_factory(url)() as s:
        s.execute(sa.text("SET TRANSACTION READ ONLY"))  # a standby refuses writes anyway
        try:
            yield s
        finally:
            s.rollback()
