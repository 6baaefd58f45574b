"""Another radbill instance's data, read from its `radbill backup` folder: the files checked
against the manifest (as `radbill restore` checks them), the dump restored into a scratch
database beside ours, read into plain rows, and the scratch database dropped again. Rows are
read with `SELECT t.*`, so a backup of an older radbill (without a later column) still reads."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from radbill import backup, settings
from radbill.functions.registry import FuncError


@dataclass
class Source:
    """What an import carries: catalogue rows by name, live customers, their bills and payments.
    `key` names the instance for good (its first operator's name and creation time), so a later
    backup of it carries nothing twice."""

    key: str
    label: str
    packages: list[dict] = field(default_factory=list)
    profiles: list[dict] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    fields: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)
    bills: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    deleted: int = 0  # deleted customers, not carried
    operators: int = 0


def from_backup(folder: str | Path) -> Source:
    """Verify a backup folder and read it; FuncError (field `source`) naming the bad file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FuncError(f"no folder {str(folder)[:200]!r}", field="source")
    manifest, problems = backup.verify(folder)
    if problems:
        raise FuncError("refused: " + "; ".join(problems), field="source")
    url = sa.engine.make_url(settings.get().database_url)
    name = f"{url.database}_rbimport_{os.getpid()}_{secrets.token_hex(4)}"[:63]
    said: list[str] = []
    try:
        if not backup.restore(folder, name, url=url.render_as_string(hide_password=False),
                              out=said.append):
            bad = [s for s in said if s.startswith(("refused", "MISMATCH", "pg_restore"))]
            raise FuncError("the backup does not restore: " + "; ".join(bad or said[-1:]),
                            field="source")
        engine = sa.create_engine(url.set(database=name), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return read(conn, manifest)
        finally:
            engine.dispose()
    finally:
        drop(url, name)


def drop(url: sa.URL, name: str) -> None:
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT",
                             poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _rows(conn: sa.Connection, sql: str) -> list[dict]:
    return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]


LIVE = "c.deleted_at IS NULL"
CUSTOMERS = f"""
SELECT c.*, p.name AS package_name, z.name AS zone_name, b.name AS profile_name
  FROM customers c
  LEFT JOIN packages p ON p.id = c.package_id
  LEFT JOIN zones z ON z.id = c.zone_id
  LEFT JOIN billing_profiles b ON b.id = c.billing_profile_id
 WHERE {LIVE} ORDER BY c.id"""
BILLS = f"""SELECT b.* FROM bills b JOIN customers c ON c.id = b.customer_id
 WHERE {LIVE} ORDER BY b.id"""
PAYMENTS = f"""SELECT p.* FROM payments p JOIN customers c ON c.id = p.customer_id
 WHERE {LIVE} ORDER BY p.id"""


def read(conn: sa.Connection, manifest: dict) -> Source:
    first = conn.execute(sa.text(
        "SELECT name, created_at FROM operators ORDER BY id LIMIT 1")).first()
    seed = f"{first.name}|{first.created_at.isoformat()}" if first else manifest["created_at"]
    src = Source(key="radbill:" + hashlib.sha256(seed.encode()).hexdigest()[:16],
                 label=f"{manifest.get('database') or 'radbill'} ({manifest['created_at'][:10]})")
    src.operators = conn.scalar(sa.text("SELECT count(*) FROM operators"))
    src.deleted = conn.scalar(sa.text(
        "SELECT count(*) FROM customers WHERE deleted_at IS NOT NULL"))
    src.packages = _rows(conn, "SELECT * FROM packages ORDER BY id")
    src.profiles = _rows(conn, "SELECT * FROM billing_profiles ORDER BY id")
    src.customers = _rows(conn, CUSTOMERS)
    src.zones = sorted({c["zone_name"] for c in src.customers if c["zone_name"]},
                       key=str.lower)
    has_fields = conn.scalar(sa.text("SELECT to_regclass('public.custom_fields') IS NOT NULL"))
    if has_fields:
        src.fields = _rows(conn, "SELECT DISTINCT ON (name) * FROM custom_fields "
                                 "ORDER BY name, operator_id")
    src.bills = _rows(conn, BILLS)
    src.payments = _rows(conn, PAYMENTS)
    return src
