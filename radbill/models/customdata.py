"""Custom fields an operator defines for its customers (issue 17); the values live in
customers.custom_fields, keyed by the definition's name (customers/custom_fields.py)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

FIELD_KINDS = ("text", "number", "date", "choice")
FIELD_NAME_RE = "^[a-z][a-z0-9_]{0,39}$"


class CustomField(Base):
    __tablename__ = "custom_fields"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text)
    label: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text, server_default="text")
    choices: Mapped[list] = mapped_column(JSONB,
                                          server_default=sa.text("'[]'::jsonb"))
    required: Mapped[bool] = mapped_column(server_default=sa.false())
    is_unique: Mapped[bool] = mapped_column(server_default=sa.false())
    searchable: Mapped[bool] = mapped_column(server_default=sa.false())
    in_list: Mapped[bool] = mapped_column(server_default=sa.false())
    position: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        sa.CheckConstraint(f"name ~ '{FIELD_NAME_RE}'", name="name_format"),
        sa.CheckConstraint("kind in ('text', 'number', 'date', 'choice')", name="kind_known"),
        sa.CheckConstraint("jsonb_typeof(choices) = 'array'", name="choices_array"),
        sa.UniqueConstraint("operator_id", "name", name="uq_custom_fields_operator_name"),
    )
