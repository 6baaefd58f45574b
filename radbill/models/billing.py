"""Money: bills and their lines, payments, recharge cards, the double-entry ledger, daily usage.

Invariants that protect money live here as constraints (and money history outlives a customer:
customers are soft-deleted, so bills and payments refuse a hard delete): one period bill per customer per
period, one payment per reference, a bill never paid beyond its total, and (in the migration)
a deferred trigger that refuses a ledger transaction whose legs do not sum to zero.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from radbill.models.base import Base, created_at, pg_enum

BILL_KINDS = ("period", "change", "manual")
BILL_STATUSES = ("open", "paid")
PAYMENT_METHODS = ("cash", "card", "online", "advance")
PAYMENT_STATUSES = ("completed", "reversed")
CARD_STATUSES = ("unused", "used", "expired")
ACCOUNT_KINDS = ("cash", "receivable", "advances", "vat_payable", "revenue", "upstream",
                 "downstream", "wholesale_cost", "gateway_fees", "commission",
                 "commission_payable", "messaging_cost", "payable", "service_cost",
                 "opening_balance",  # issue 17: what a cut-over import carried over
                 "expense", "bank",  # issue 19: expenses; money held at the bank
                 # issue 19, operator bills (rating/operator_billing.py): the operator's fee
                 # and what it owes for it, the parent's claim, and the legs a deleted
                 # reseller left in its parent's transactions (staff/operator_delete.py)
                 "operator_fees", "fees_payable", "fees_receivable", "archived",
                 "transfers")  # issue 19: what operators owe each other for moved customers
GATEWAY_KINDS = ("bkash", "sslcommerz", "nagad", "aamarpay")
GATEWAY_MODES = ("sandbox", "live")
CHECKOUT_STATUSES = ("pending", "completed", "failed", "cancelled", "review", "expired",
                     "refunded")


class Bill(Base):
    """An invoice. `period_start` is the canonical period (the due day, or the day for daily
    billing); `service_from`/`service_to` are the days actually charged (pro-rated)."""

    __tablename__ = "bills"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="RESTRICT"))
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(pg_enum("bill_kind", *BILL_KINDS), server_default="period")
    period_start: Mapped[dt.date | None]
    service_from: Mapped[dt.date | None]
    service_to: Mapped[dt.date | None]
    issued_on: Mapped[dt.date] = mapped_column(server_default=sa.func.current_date())
    due_date: Mapped[dt.date]
    subtotal: Mapped[Decimal]
    discount: Mapped[Decimal] = mapped_column(server_default="0")
    vat_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), server_default="0")
    vat: Mapped[Decimal] = mapped_column(server_default="0")
    total: Mapped[Decimal]
    paid: Mapped[Decimal] = mapped_column(server_default="0")
    status: Mapped[str] = mapped_column(pg_enum("bill_status", *BILL_STATUSES), server_default="open")
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()

    lines: Mapped[list[BillLine]] = relationship(back_populates="bill", cascade="all, delete-orphan",
                                                 order_by="BillLine.id")

    __table_args__ = (
        sa.CheckConstraint("subtotal >= 0 and discount >= 0 and vat >= 0", name="amounts_nonneg"),
        sa.CheckConstraint("total = subtotal - discount + vat", name="total_adds_up"),
        sa.CheckConstraint("paid >= 0 and paid <= total", name="paid_range"),
        sa.CheckConstraint("(status = 'paid') = (paid = total)", name="status_matches"),
        sa.CheckConstraint("kind <> 'period' or period_start is not null", name="period_needs_start"),
        # the key that makes billing idempotent: a second run cannot bill the same period
        sa.Index("uq_bills_customer_period", "customer_id", "period_start", unique=True,
                 postgresql_where=sa.text("kind = 'period'")),
        sa.Index("ix_bills_open", "customer_id", "due_date", postgresql_where=sa.text("status = 'open'")),
        # report.aging from the index alone (migration 0010)
        sa.Index("ix_bills_open_aging", "operator_id", "due_date",
                 postgresql_include=["total", "paid"], postgresql_where=sa.text("status = 'open'")),
    )


class BillLine(Base):
    __tablename__ = "bill_lines"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    bill_id: Mapped[int] = mapped_column(sa.ForeignKey("bills.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    amount: Mapped[Decimal]

    bill: Mapped[Bill] = relationship(back_populates="lines")


class Payment(Base):
    """Money received from a customer; `reference` is unique, so a replay counts once."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="RESTRICT"))
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    method: Mapped[str] = mapped_column(pg_enum("payment_method", *PAYMENT_METHODS))
    amount: Mapped[Decimal]
    applied: Mapped[Decimal] = mapped_column(server_default="0")
    to_advance: Mapped[Decimal] = mapped_column(server_default="0")
    reference: Mapped[str | None] = mapped_column(sa.Text, unique=True)
    gateway: Mapped[str | None] = mapped_column(sa.Text)
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recharge_cards.id", ondelete="SET NULL"))
    collected_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(pg_enum("payment_status", *PAYMENT_STATUSES),
                                        server_default="completed")
    expires_before: Mapped[dt.datetime | None]
    expires_after: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[dt.datetime] = created_at()
    reversed_at: Mapped[dt.datetime | None]
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("applied >= 0 and to_advance >= 0", name="parts_nonneg"),
        sa.CheckConstraint("applied + to_advance = amount", name="parts_add_up"),
        sa.Index("ix_payments_customer", "customer_id", "received_at"),
        sa.Index("ix_payments_operator_received", "operator_id", "received_at"),
    )


class PaymentAllocation(Base):
    """How much of a payment settled which bill (so a reversal can undo exactly that)."""

    __tablename__ = "payment_allocations"
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"),
                                            primary_key=True)
    bill_id: Mapped[int] = mapped_column(sa.ForeignKey("bills.id", ondelete="RESTRICT"),
                                         primary_key=True)
    amount: Mapped[Decimal]
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),
                      sa.Index("ix_payment_allocations_bill", "bill_id"))


class RechargeCard(Base):
    __tablename__ = "recharge_cards"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    pin: Mapped[str] = mapped_column(sa.Text, unique=True)
    serial: Mapped[str] = mapped_column(sa.Text, unique=True)
    batch: Mapped[str] = mapped_column(sa.Text)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    package_id: Mapped[int | None] = mapped_column(sa.ForeignKey("packages.id", ondelete="SET NULL"))
    amount: Mapped[Decimal]
    distributor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(pg_enum("card_status", *CARD_STATUSES), server_default="unused")
    used_by: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"))
    used_at: Mapped[dt.datetime | None]
    valid_until: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("(status = 'used') = (used_at is not null)", name="used_has_time"),
        sa.Index("ix_recharge_cards_batch", "batch"),
        sa.Index("ix_recharge_cards_distributor", "distributor_id", "status"),
    )


class LedgerAccount(Base):
    """One account of an operator's chart; the balance is the sum of its entries (debit +)."""

    __tablename__ = "ledger_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(pg_enum("account_kind", *ACCOUNT_KINDS))
    __table_args__ = (sa.UniqueConstraint("operator_id", "kind", name="uq_ledger_accounts_operator_kind"),)


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = created_at()
    kind: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text)
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="SET NULL"))
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id", ondelete="SET NULL"))
    bill_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bills.id", ondelete="SET NULL"))
    reference: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (sa.Index("ix_ledger_transactions_at", "at"),
                      sa.Index("ix_ledger_transactions_operator", "operator_id", "at"))


class LedgerEntry(Base):
    """One leg: a positive amount debits the account, a negative one credits it."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_transactions.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id", ondelete="CASCADE"))
    amount: Mapped[Decimal]
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_nonzero"),
        sa.Index("ix_ledger_entries_transaction", "transaction_id"),
        sa.Index("ix_ledger_entries_account", "account_id", "id"),
    )


class UsageDaily(Base):
    """Bytes and session time per customer per day (the ISP's zone), rolled up from radacct.

    Derived data, rebuilt from radacct at will. Keyed by integers, not by the username text:
    a rollup writes hundreds of thousands of rows, and integer keys sort and index several
    times faster; for the same reason customer_id carries no foreign key (a per-row check)."""

    __tablename__ = "usage_daily"
    customer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    bytes_in: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    bytes_out: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    session_time: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    sessions: Mapped[int] = mapped_column(server_default="0")


class JobState(Base):
    """What each scheduled job last did, and the watermark of an incremental one."""

    __tablename__ = "job_state"
    name: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    watermark: Mapped[dt.datetime | None]
    last_started_at: Mapped[dt.datetime | None]
    last_finished_at: Mapped[dt.datetime | None]
    last_result: Mapped[str | None] = mapped_column(sa.Text)


class PaymentGateway(Base):
    """An operator's account with an online gateway. `credentials` is the encrypted JSON of the
    kind's secrets (rating/gateways/secrets.py); operators without one of a kind use the nearest
    ancestor's."""

    __tablename__ = "payment_gateways"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(pg_enum("gateway_kind", *GATEWAY_KINDS))
    mode: Mapped[str] = mapped_column(pg_enum("gateway_mode", *GATEWAY_MODES),
                                      server_default="sandbox")
    base_url: Mapped[str | None] = mapped_column(sa.Text)  # empty: the kind's URL for the mode
    credentials: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    charge_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), server_default="0")
    charge_fixed: Mapped[Decimal] = mapped_column(server_default="0")
    enabled: Mapped[bool] = mapped_column(server_default=sa.true())
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "name", name="uq_payment_gateways_operator_name"),
        sa.CheckConstraint("charge_percent >= 0 and charge_percent < 100", name="charge_percent_range"),
        sa.CheckConstraint("charge_fixed >= 0", name="charge_fixed_nonneg"),
        sa.Index("ix_payment_gateways_operator_kind", "operator_id", "kind"),
    )


class GatewayCheckout(Base):
    """A payment started at a gateway: pending until the gateway confirms it (then `payment_id`
    is the payment it became) or says it failed. `invoice` is our id at the gateway (its
    merchant invoice / transaction id); `gateway_txn` the gateway's own transaction id, unique
    per gateway so a callback delivered three times is one payment."""

    __tablename__ = "gateway_checkouts"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    invoice: Mapped[str] = mapped_column(sa.Text, unique=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="RESTRICT"))
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    gateway_id: Mapped[int] = mapped_column(sa.ForeignKey("payment_gateways.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal]
    charge: Mapped[Decimal] = mapped_column(server_default="0")
    currency: Mapped[str] = mapped_column(sa.Text, server_default="BDT")
    status: Mapped[str] = mapped_column(pg_enum("checkout_status", *CHECKOUT_STATUSES),
                                        server_default="pending")
    source: Mapped[str] = mapped_column(sa.Text, server_default="staff")  # staff, portal, link
    gateway_ref: Mapped[str | None] = mapped_column(sa.Text)  # its session / payment id
    gateway_txn: Mapped[str | None] = mapped_column(sa.Text)  # its transaction id, once paid
    redirect_url: Mapped[str | None] = mapped_column(sa.Text)
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    message: Mapped[str | None] = mapped_column(sa.Text)  # why it failed or needs review
    detail: Mapped[dict | None] = mapped_column(sa.dialects.postgresql.JSONB)  # last answer
    created_at: Mapped[dt.datetime] = created_at()
    checked_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("charge >= 0", name="charge_nonneg"),
        sa.CheckConstraint("source in ('staff', 'portal', 'link')", name="source_valid"),
        sa.Index("uq_gateway_checkouts_txn", "gateway_id", "gateway_txn", unique=True,
                 postgresql_where=sa.text("gateway_txn is not null")),
        sa.Index("ix_gateway_checkouts_pending", "created_at",
                 postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_gateway_checkouts_customer", "customer_id", "created_at"),
    )
