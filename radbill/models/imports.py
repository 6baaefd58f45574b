"""The cut-over import (issue 17): saved column mappings, import runs, their staged rows."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

IMPORT_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class ImportMapping(Base):
    """A named column mapping an operator saved ({column header: field})."""

    __tablename__ = "import_mappings"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text)
    mapping: Mapped[dict]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (sa.UniqueConstraint("operator_id", "name",
                                          name="uq_import_mappings_operator_name"),)


class CustomerImport(Base):
    """One real run of customer.import; `next_line`: the chunks up to it are done."""

    __tablename__ = "customer_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    file_name: Mapped[str] = mapped_column(sa.Text, server_default="")
    mapping: Mapped[dict] = mapped_column(server_default=sa.text("'{}'::jsonb"))
    caller: Mapped[dict] = mapped_column(server_default=sa.text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(sa.Text, server_default="queued")
    rows: Mapped[int] = mapped_column(server_default="0")
    bad_rows: Mapped[int] = mapped_column(server_default="0")
    created: Mapped[int] = mapped_column(server_default="0")
    updated: Mapped[int] = mapped_column(server_default="0")
    failed: Mapped[int] = mapped_column(server_default="0")
    next_line: Mapped[int] = mapped_column(server_default="0")
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at()
    finished_at: Mapped[dt.datetime | None]
    __table_args__ = (
        sa.CheckConstraint("status in ('queued', 'running', 'done', 'failed', 'cancelled')",
                           name="status_known"),
    )


class CustomerImportRow(Base):
    """A row of an import: its normalised values (`data`) or its `errors` by field."""

    __tablename__ = "customer_import_rows"
    import_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer_imports.id", ondelete="CASCADE"), primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict] = mapped_column(server_default=sa.text("'{}'::jsonb"))
    errors: Mapped[dict | None]
    outcome: Mapped[str | None] = mapped_column(sa.Text)  # created | updated | failed
    __table_args__ = (
        sa.Index("ix_customer_import_rows_bad", "import_id", "line",
                 postgresql_where=sa.text("errors IS NOT NULL")),
    )
