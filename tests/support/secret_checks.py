"""What the tests of credentials at rest share (tests/provisioning/test_device_secrets.py,
tests/monitoring/test_check_secrets.py): the places a secret could leak to (the audit log, a
table's rows, the logs) as text to search, an edit function's audit rows, and an installation
whose credentials key changed."""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from typing import Iterator

import pytest
import sqlalchemy as sa

from radbill import settings
from radbill.models import AuditLog

__all__ = ["another_key", "audit_text", "edits", "logs", "row_text"]


@pytest.fixture
def logs(caplog):
    """Every log record, DEBUG included (import it into the test module to use it)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def audit_text(session) -> str:
    return json.dumps([[a.before, a.after, a.request] for a in
                       session.scalars(sa.select(AuditLog))], default=str)


def row_text(session, table: str) -> str:
    """A table's rows as PostgreSQL prints them (what a dump or a stray SELECT would show)."""
    return " ".join(session.scalars(sa.text(f"SELECT row_to_json(t)::text FROM {table} t")))


def edits(session, func: str, object_type: str) -> list[AuditLog]:
    """The audit rows `func` wrote about `object_type`s, oldest first."""
    return list(session.scalars(sa.select(AuditLog).where(
        AuditLog.func == func, AuditLog.object_type == object_type).order_by(AuditLog.id)))


@contextmanager
def another_key(monkeypatch) -> Iterator[None]:
    """Inside: RADBILL_CREDENTIALS_KEY is another installation's, so no stored blob opens."""
    monkeypatch.setenv("RADBILL_CREDENTIALS_KEY", "another installation's key")
    settings.get.cache_clear()
    try:
        yield
    finally:
        monkeypatch.delenv("RADBILL_CREDENTIALS_KEY")
        settings.get.cache_clear()
