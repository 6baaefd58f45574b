"""Fixtures over a real PostgreSQL: one throwaway database per test run, migrated from scratch."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_DB = os.environ.get("RADBILL_TEST_DB", f"radbill_test_{os.getpid()}")
# The environment the run was started with: pytest-xdist's workers (scripts/test runs two)
# inherit the controller's changes below, and each must derive a database and a var dir of its
# own (from its own pid) from what was given, not from the controller's.
_given = json.loads(os.environ.setdefault("RADBILL_TEST_GIVEN", json.dumps(
    {k: os.environ.get(k) for k in ("RADBILL_DATABASE_URL", "RADBILL_VAR_DIR")})))
_base = (_given["RADBILL_DATABASE_URL"]
         or "postgresql+psycopg://radbill:radbill@/radbill?host=/var/run/postgresql")
# Point this process and every child (CLI, FreeRADIUS, gunicorn) at the throwaway database.
os.environ["RADBILL_DATABASE_URL"] = _base.replace("@/radbill?", f"@/{TEST_DB}?")
os.environ["RADBILL_VAR_DIR"] = (_given["RADBILL_VAR_DIR"]
                                 or str(ROOT / "var" / f"test-{os.getpid()}"))
os.environ.setdefault("RADBILL_SECRET_KEY", "test-secret-key")

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from radbill import db, migrate, settings  # noqa: E402
from radbill.functions.caller import SYSTEM  # noqa: E402

# fixtures shared across folders: the admin app and client, devices and their emulators
pytest_plugins = ["tests.support.admin_fixtures", "tests.support.device_fixtures"]


def _admin_url() -> str:
    return os.environ["RADBILL_DATABASE_URL"].replace(f"@/{TEST_DB}?", "@/postgres?")


@pytest.fixture(scope="session")
def database_url():
    """Create and migrate the run's database; drop it afterwards."""
    admin = sa.create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{TEST_DB}"'))
    url = os.environ["RADBILL_DATABASE_URL"]
    settings.get.cache_clear()
    migrate.upgrade(url)
    yield url
    db.engine(url).dispose()
    db.engine.cache_clear()
    db.session_factory.cache_clear()
    if not os.environ.get("RADBILL_KEEP_TEST_DB"):
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(database_url):
    return db.engine(database_url)


@pytest.fixture
def session(engine):
    """A session inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def committed(engine):
    """For tests whose data must be committed (other processes read it): wiped afterwards."""
    yield engine
    wipe(engine)


def wipe(engine) -> None:
    with engine.begin() as conn:
        tables = conn.execute(sa.text(
            "select tablename from pg_tables where schemaname='public' and tablename not in "
            "('alembic_version', 'event_types', 'customer_transitions')"  # written by db upgrade
        )).scalars().all()
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def system():
    return SYSTEM


def radbill_cli(*args: str, check: bool = False, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real `radbill` command line against the test database."""
    exe = ROOT / ".venv" / "bin" / "radbill"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, check=check,
                          input=input, env=os.environ.copy(), timeout=120)


@pytest.fixture
def cli(committed):
    return radbill_cli
