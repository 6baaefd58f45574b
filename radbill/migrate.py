"""Run and check the Alembic migrations that ship inside the radbill package."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from radbill import db
from radbill.models import Base


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "radbill:migrations")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def pending_model_changes(url: str | None = None) -> list:
    """Differences between the models and the migrated database (empty when they agree)."""
    import warnings
    with db.engine(url).connect() as conn, warnings.catch_warnings():
        # expression indexes with an operator class cannot be compared; alembic says so loudly
        warnings.filterwarnings("ignore", message="Expression #1")
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)
