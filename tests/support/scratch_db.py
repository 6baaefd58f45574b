"""A database of a test's own beside the test database (for tests that migrate or damage one)."""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from radbill import db


RADBILL = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "radbill"


def radbill_at(url: str, *args: str, timeout: int = 120,
               **env: str) -> subprocess.CompletedProcess:
    """Run the real `radbill` against the database at `url`, with RADBILL_<NAME> = value for
    each keyword given."""
    environ = dict(os.environ, RADBILL_DATABASE_URL=url,
                   **{f"RADBILL_{k.upper()}": str(v) for k, v in env.items()})
    return subprocess.run([str(RADBILL), *args], capture_output=True, text=True, env=environ,
                          timeout=timeout)


@contextmanager
def scratch_database(database_url: str, suffix: str):
    """Yield the URL of `<test database>_<suffix>`, made empty; dropped afterwards."""
    url = sa.engine.make_url(database_url)
    name = f"{url.database}_{suffix}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    scratch = url.set(database=name).render_as_string(hide_password=False)
    try:
        yield scratch
    finally:
        db.engine(scratch).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
