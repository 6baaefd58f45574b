"""The engine and session factory; callers own the transaction (`with session_scope() as s`)."""
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
