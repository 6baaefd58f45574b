"""The cut-over import (issue 17): saved column mappings, import runs, their staged rows."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

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


class ImportedRecord(Base):
    """Money history carried over from another radbill instance (customer.import_radbill), read
    only: a source bill (`kind` bill, its number, period, total, paid, status) or payment
    (payment: method, amount, status), or the advance balance the customer had (advance).
    Unique by (source, kind, source_id), so a second import carries nothing twice. An open
    bill's unpaid rest became this instance's opening-due bill `bill_id`; an advance was booked
    once; paid history moved no money here (it moved in the old system)."""

    __tablename__ = "imported_records"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    source_id: Mapped[int] = mapped_column(sa.BigInteger)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="RESTRICT"))
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(sa.Text)
    on_date: Mapped[dt.date]
    period_from: Mapped[dt.date | None]
    period_to: Mapped[dt.date | None]
    amount: Mapped[Decimal]
    paid: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(sa.Text)
    method: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    bill_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bills.id", ondelete="RESTRICT"))
    imported_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint("kind in ('bill', 'payment', 'advance')", name="kind_known"),
        sa.UniqueConstraint("source", "kind", "source_id", name="uq_imported_records_source"),
        sa.Index("ix_imported_records_customer", "customer_id", "on_date"),
    )
