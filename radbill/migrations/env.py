"""Alembic environment: runs against radbill's engine URL, or the connection handed in."""
from __future__ import annotations

from alembic import context

from radbill import db
from radbill.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or None
    with db.engine(url).connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      compare_type=True, compare_server_default=False)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
