"""Device credentials encrypted at rest (OLT and router logins, SNMP communities).

`olts.credentials` and `nas_settings.credentials` (bytea, Fernet: rating/gateways/secrets.py)
replace the plaintext `olts.password`, `olts.community` and `nas_settings.api_password`, which
are dropped here. Encrypting needs the installation's key, which a migration must not read, so
`radbill db upgrade` (radbill/migrate.py UPGRADE_STEPS: provisioning/device_secrets.py)
reads the plaintext BEFORE the migrations run and writes it encrypted right after, in the same
transaction. Run on its own (bare `alembic upgrade`), this migration refuses to drop columns
that still hold credentials instead of losing them.

The downgrade brings the plaintext columns back empty: it cannot decrypt either, so after a
downgrade the devices' passwords and communities must be entered again.

Revision ID: 0031
Revises: 0030
"""
from alembic import context, op
import sqlalchemy as sa

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

# radbill/migrate.py's step that holds the plaintext and encrypts it after the migrations
STEP = "provisioning.device_secrets"
PLAINTEXT = (("olts", "password"), ("olts", "community"), ("nas_settings", "api_password"))


def upgrade() -> None:
    op.add_column('olts', sa.Column('credentials', sa.LargeBinary(), nullable=True))
    op.add_column('nas_settings', sa.Column('credentials', sa.LargeBinary(), nullable=True))
    if STEP not in context.config.attributes.get("upgrade_steps", ()):
        conn = op.get_bind()
        for table, column in PLAINTEXT:
            if conn.scalar(sa.text(f"SELECT count(*) FROM {table} "
                                   f"WHERE {column} IS NOT NULL AND {column} <> ''")):
                raise RuntimeError(
                    f"{table}.{column} holds device credentials that only `radbill db upgrade` "
                    "can encrypt (it needs the installation's key): run that, not alembic alone")
    for table, column in PLAINTEXT:
        op.drop_column(table, column)


def downgrade() -> None:
    for table, column in PLAINTEXT:
        op.add_column(table, sa.Column(column, sa.Text(), nullable=True))
    op.drop_column('nas_settings', 'credentials')
    op.drop_column('olts', 'credentials')
