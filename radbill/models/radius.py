"""radbill's own table beside FreeRADIUS' accounting: what accounting saw, for the drain.

Each Accounting-Request appends at most one row here in the transaction that writes radacct (so
an acknowledged record's usage is never lost); a FreeRADIUS process drains it a few times a
second in one set-based statement that grows usage_counters, flags the customers who crossed
their cap and tells every process which sessions opened and closed (radbill_drain(), migration
0002). A narrow heap without indexes is the cheapest durable write there is, which is what lets
accounting keep up with stock rlm_sql.
"""
from __future__ import annotations

import sqlalchemy as sa

from radbill.models.base import Base

# kind: open (a Start, or the first record of a session), use (an Interim-Update that added
# usage), close (a Stop), nas (Accounting-On/Off: every session of nasip closed)
radius_acct_log = sa.Table(
    "radius_acct_log", Base.metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("username", sa.Text, nullable=False, server_default=""),
    sa.Column("uniqueid", sa.Text, nullable=False, server_default=""),
    sa.Column("nasip", sa.Text, nullable=False, server_default=""),
    sa.Column("d_in", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("d_out", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("d_time", sa.BigInteger, nullable=False, server_default="0"),
    sa.CheckConstraint("kind in ('open', 'use', 'close', 'nas')", name="kind_valid"),
)


# Accounting's inbox (migration 0033): rlm_sql appends each Accounting-Request here as it came,
# one committed INSERT (the Accounting-Response leaves after that commit, RFC 2866); the next
# radbill_drain() (a FreeRADIUS process's thread, every 0.2 s) takes the rows in order and
# applies each with radbill_acct() to radacct and radius_acct_log, in one transaction.
# `fields` are radbill_acct()'s 27 arguments in its order; `at` is when the record arrived
# (radbill_acct's "now" for a record drained late). No index: the drain reads it whole.
radius_acct_inbox = sa.Table(
    "radius_acct_inbox", Base.metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("fields", sa.ARRAY(sa.Text), nullable=False),
)
