"""Declarative base with a naming convention, so Alembic names every constraint."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = sa.Numeric(14, 2)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dt.datetime: sa.DateTime(timezone=True),
        Decimal: Money,
        dict: pg.JSONB,
    }


def created_at() -> Mapped[dt.datetime]:
    return mapped_column(server_default=sa.func.now())


def pg_enum(name: str, *values: str) -> sa.Enum:
    """A PostgreSQL enum type; the values are the strings stored."""
    return sa.Enum(*values, name=name)
