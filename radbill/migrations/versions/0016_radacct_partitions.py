"""radacct partitioned by month of acctstarttime, and radacct_keys for acctuniqueid (issue 16).

A unique index on a partitioned table must include the partition key, so the stock
UNIQUE (acctuniqueid) cannot stay on radacct. It moves to `radacct_keys` (acctuniqueid primary
key, acctstarttime): one row per session, written by radbill_acct() in the transaction that
inserts the session, so a unique id is unique across every month, and the key tells which
partition holds it (every lookup by acctuniqueid then reads one partition). Each partition
keeps UNIQUE (acctuniqueid, acctstarttime) and the stock indexes, so stock readers are
unchanged. HACKING.md "radacct for years" has the rest.

Existing rows are kept: the table is rebuilt as a partitioned one, months that hold rows (back
to 36 months) and the next three get their partition, anything else lands in radacct_default;
radacctid keeps its sequence.

Revision ID: 0016
Revises: 0015
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COLUMNS = """
    radacctid bigint NOT NULL DEFAULT nextval('radacct_radacctid_seq'),
    acctsessionid text NOT NULL,
    acctuniqueid text NOT NULL,
    username text,
    realm text,
    nasipaddress inet NOT NULL,
    nasportid text,
    nasporttype text,
    acctstarttime timestamptz NOT NULL DEFAULT now(),
    acctupdatetime timestamptz,
    acctstoptime timestamptz,
    acctinterval bigint,
    acctsessiontime bigint,
    acctauthentic text,
    connectinfo_start text,
    connectinfo_stop text,
    acctinputoctets bigint,
    acctoutputoctets bigint,
    calledstationid text,
    callingstationid text,
    acctterminatecause text,
    servicetype text,
    framedprotocol text,
    framedipaddress inet,
    framedipv6address inet,
    framedipv6prefix inet,
    framedinterfaceid text,
    delegatedipv6prefix inet,
    class text"""

INDEXES = (
    "CREATE UNIQUE INDEX uq_radacct_acctuniqueid ON radacct (acctuniqueid, acctstarttime)",
    "CREATE INDEX radacct_active_session_idx ON radacct (acctuniqueid) "
    "WHERE acctstoptime IS NULL",
    "CREATE INDEX radacct_bulk_close ON radacct (nasipaddress, acctstarttime) "
    "WHERE acctstoptime IS NULL",
    "CREATE INDEX radacct_calss_idx ON radacct (class)",
    "CREATE INDEX radacct_open_user_idx ON radacct (username) WHERE acctstoptime IS NULL",
    "CREATE INDEX radacct_start_user_idx ON radacct (acctstarttime, username)",
    "CREATE INDEX ix_radacct_user_start ON radacct (username, acctstarttime)",
    "CREATE INDEX ix_radacct_open_framedip ON radacct (framedipaddress) "
    "WHERE acctstoptime IS NULL",
    "CREATE INDEX ix_radacct_open_start ON radacct (acctstarttime, username) "
    "WHERE acctstoptime IS NULL",
    "CREATE INDEX ix_radacct_stop ON radacct (acctstoptime, acctstarttime, username)",
)
OLD_INDEXES = ("radacct_active_session_idx", "radacct_bulk_close", "radacct_calss_idx",
               "radacct_open_user_idx", "radacct_start_user_idx", "ix_radacct_user_start",
               "ix_radacct_open_framedip", "ix_radacct_open_start", "ix_radacct_stop")

# a month's bounds are UTC midnights (radbill/sql/radacct_partitions.sql makes the same)
MONTHS = """
SELECT m::date FROM generate_series(
    least(coalesce((SELECT date_trunc('month', min(acctstarttime) AT TIME ZONE 'UTC')
                      FROM radacct_unpartitioned
                     WHERE acctstarttime >= now() - interval '36 months'),
                   date_trunc('month', now() AT TIME ZONE 'UTC')),
          date_trunc('month', now() AT TIME ZONE 'UTC')),
    date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months',
    interval '1 month') AS m
"""


def partition(month) -> None:
    name = f"radacct_{month:%Y_%m}"
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    op.execute(f"CREATE TABLE {name} PARTITION OF radacct FOR VALUES "
               f"FROM ('{month:%Y-%m-%d} 00:00:00+00') TO ('{nxt:%Y-%m-%d} 00:00:00+00') "
               f"WITH (fillfactor = 90)")


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("ALTER TABLE radacct RENAME TO radacct_unpartitioned")
    op.execute("ALTER SEQUENCE radacct_radacctid_seq OWNED BY NONE")
    op.execute("ALTER TABLE radacct_unpartitioned DROP CONSTRAINT pk_radacct, "
               "DROP CONSTRAINT uq_radacct_acctuniqueid")
    for name in OLD_INDEXES:
        op.execute(f"DROP INDEX {name}")
    op.execute(f"CREATE TABLE radacct ({COLUMNS},\n"
               "    CONSTRAINT pk_radacct PRIMARY KEY (radacctid, acctstarttime)\n"
               ") PARTITION BY RANGE (acctstarttime)")
    op.execute("CREATE TABLE radacct_default PARTITION OF radacct DEFAULT WITH (fillfactor = 90)")
    for (month,) in bind.execute(sa.text(MONTHS)):
        partition(month)
    op.execute("INSERT INTO radacct SELECT radacctid, acctsessionid, acctuniqueid, username, realm,"
               " nasipaddress, nasportid, nasporttype,"
               " coalesce(acctstarttime, acctupdatetime, acctstoptime, now()), acctupdatetime,"
               " acctstoptime, acctinterval, acctsessiontime, acctauthentic, connectinfo_start,"
               " connectinfo_stop, acctinputoctets, acctoutputoctets, calledstationid,"
               " callingstationid, acctterminatecause, servicetype, framedprotocol,"
               " framedipaddress, framedipv6address, framedipv6prefix, framedinterfaceid,"
               " delegatedipv6prefix, class FROM radacct_unpartitioned ORDER BY radacctid")
    for sql in INDEXES:
        op.execute(sql)
    op.execute("ALTER SEQUENCE radacct_radacctid_seq OWNED BY radacct.radacctid")
    op.execute("DROP TABLE radacct_unpartitioned")
    op.create_table(
        'radacct_keys',
        sa.Column('acctuniqueid', sa.Text(), nullable=False),
        sa.Column('acctstarttime', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('acctuniqueid', name=op.f('pk_radacct_keys')),
    )
    op.execute("INSERT INTO radacct_keys SELECT acctuniqueid, acctstarttime FROM radacct")
    op.execute("ANALYZE radacct")
    op.execute("ANALYZE radacct_keys")


def downgrade() -> None:
    op.drop_table('radacct_keys')
    op.execute("ALTER TABLE radacct RENAME TO radacct_partitioned")
    op.execute("ALTER SEQUENCE radacct_radacctid_seq OWNED BY NONE")
    op.execute("ALTER TABLE radacct_partitioned DROP CONSTRAINT pk_radacct")
    for name in OLD_INDEXES + ("uq_radacct_acctuniqueid",):
        op.execute(f"DROP INDEX {name}")
    op.execute(f"CREATE TABLE radacct ({COLUMNS.replace(' NOT NULL DEFAULT now()', '')},\n"
               "    CONSTRAINT pk_radacct PRIMARY KEY (radacctid),\n"
               "    CONSTRAINT uq_radacct_acctuniqueid UNIQUE (acctuniqueid))")
    op.execute("INSERT INTO radacct SELECT * FROM radacct_partitioned ORDER BY radacctid")
    for sql in INDEXES[1:]:
        op.execute(sql)
    op.execute("ALTER SEQUENCE radacct_radacctid_seq OWNED BY radacct.radacctid")
    op.execute("DROP TABLE radacct_partitioned CASCADE")
