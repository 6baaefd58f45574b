"""radbill's own tables beside FreeRADIUS' accounting: the inbox of acknowledged records and
the log the drain reads.

rlm_sql appends each Accounting-Request to radius_acct_inbox in one committed INSERT (the
durable write the Accounting-Response waits for). A FreeRADIUS process's thread drains it every
0.2 s in one transaction (radbill_drain(), radbill/sql/radius_accounting.sql): the records go into
radacct, each appending at most one row to radius_acct_log, and the same transaction turns that
log into usage_counters, cap crossings and session notices and leaves it empty. So the log holds
no row at any commit and is UNLOGGED (migration 0036): no WAL for what never outlives its
transaction.
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
    # written and emptied within each radbill_drain() transaction: no WAL (migration 0036)
    prefixes=["UNLOGGED"],
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
