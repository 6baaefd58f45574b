"""A database of a test's own beside the test database (for tests that migrate or damage one)."""
from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from radbill import db


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
