"""The books (issue 19): expense categories, expenses, and the monthly summary the yearly report
reads.

An expense is a balanced ledger transaction (debit `expense`, credit `cash` or `bank`) dated
at its day; `transaction_id` is its booking in force. Money history is never destroyed: a
correction or a removal books a reversal (`reversal_id` when removed) and the row stays.
`books_monthly` is derived data, written over by the job `yearly_summary` (rating/books.py).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

PAID_FROM = ("cash", "bank")
EXPENSE_STATUSES = ("booked", "reversed")


class ExpenseCategory(Base):
    """What money is spent on; one level of subcategories (a parent has no parent). Owned by
    an operator and offered to its subtree, as packages are."""

    __tablename__ = "expense_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("expense_categories.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint("parent_id is distinct from id", name="not_own_parent"),
        sa.Index("uq_expense_categories_top", "operator_id", "name", unique=True,
                 postgresql_where=sa.text("parent_id IS NULL")),
        sa.Index("uq_expense_categories_sub", "parent_id", "operator_id", "name", unique=True,
                 postgresql_where=sa.text("parent_id IS NOT NULL")),
    )


class Expense(Base):
    """Money an operator spent, on its day (the ISP's), from cash or the bank."""

    __tablename__ = "expenses"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("expense_categories.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal]
    spent_on: Mapped[dt.date]
    paid_from: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, server_default="booked")
    # the receipt's file under var/expenses/ (a name we made), its shown name, type and size
    receipt_file: Mapped[str | None] = mapped_column(sa.Text)
    receipt_name: Mapped[str | None] = mapped_column(sa.Text)
    receipt_type: Mapped[str | None] = mapped_column(sa.Text)
    receipt_size: Mapped[int | None]
    transaction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_transactions.id", ondelete="RESTRICT"))
    reversal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_transactions.id", ondelete="RESTRICT"))
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    reversed_at: Mapped[dt.datetime | None]
    reverse_reason: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("paid_from in ('cash', 'bank')", name="paid_from_known"),
        sa.CheckConstraint("status in ('booked', 'reversed')", name="status_known"),
        sa.CheckConstraint("(status = 'reversed') = (reversed_at is not null)",
                           name="reversed_has_time"),
        sa.CheckConstraint("receipt_size is null or receipt_size > 0", name="receipt_size_pos"),
        sa.Index("ix_expenses_operator_day", "operator_id", "spent_on"),
        sa.Index("ix_expenses_category", "category_id"),
        sa.Index("ix_expenses_updated", "updated_at"),
    )


class BooksMonthly(Base):
    """One operator's month as its own ledger says (months in the ISP's zone): written over by
    the job yearly_summary for the months it touches; report.yearly reads it."""

    __tablename__ = "books_monthly"
    operator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    cash_in: Mapped[Decimal] = mapped_column(server_default="0")
    cash_out: Mapped[Decimal] = mapped_column(server_default="0")
    received: Mapped[Decimal] = mapped_column(server_default="0")
    income: Mapped[Decimal] = mapped_column(server_default="0")
    vat: Mapped[Decimal] = mapped_column(server_default="0")
    expenses: Mapped[Decimal] = mapped_column(server_default="0")
    costs: Mapped[Decimal] = mapped_column(server_default="0")
    card_sales: Mapped[Decimal] = mapped_column(server_default="0")
    card_commission: Mapped[Decimal] = mapped_column(server_default="0")
    __table_args__ = (
        sa.CheckConstraint("extract(day from month) = 1", name="month_first_day"),
        sa.Index("ix_books_monthly_month", "month"),
    )
