"""Special permissions (issue 19): one function granted to a staff login beyond its role, or
revoked from it below its role (staff/functions/permissions.py; registry.Function.allowed)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at


class StaffPermission(Base):
    """`allow` true: `func` is granted to the login; false: it is revoked from it."""

    __tablename__ = "staff_permissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="CASCADE"))
    func: Mapped[str] = mapped_column(sa.Text)
    allow: Mapped[bool]
    granted_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "func", name="uq_staff_permissions_user_func"),
        sa.CheckConstraint(r"func ~ '^[a-z_]+(\.[a-z_]+)*$'", name="func_name"),
    )
