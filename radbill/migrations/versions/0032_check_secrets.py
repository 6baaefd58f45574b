"""SNMP status checks' communities encrypted at rest.

`checks.credentials` (bytea, Fernet: rating/gateways/secrets.py, as the devices' of 0031)
replaces the plaintext `checks.community`, which is dropped here. As in 0031, encrypting needs
the installation's key, which a migration must not read: `radbill db upgrade`
(radbill/migrate.py UPGRADE_STEPS: monitoring/checks.py over provisioning/device_secrets.py's
step) reads the communities BEFORE the migrations run and writes them encrypted right after,
in the same transaction. Run on its own (bare `alembic upgrade`), this migration refuses to
drop a column that still holds communities instead of losing them.

The downgrade brings `checks.community` back empty (it cannot decrypt either): enter the SNMP
checks' communities again after one.

Revision ID: 0032
Revises: 0031
"""
from alembic import context, op
import sqlalchemy as sa

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

# radbill/migrate.py's step that holds the plaintext and encrypts it after the migrations
STEP = "monitoring.checks"


def upgrade() -> None:
    op.add_column('checks', sa.Column('credentials', sa.LargeBinary(), nullable=True))
    if STEP not in context.config.attributes.get("upgrade_steps", ()):
        if op.get_bind().scalar(sa.text("SELECT count(*) FROM checks "
                                        "WHERE community IS NOT NULL AND community <> ''")):
            raise RuntimeError(
                "checks.community holds SNMP communities that only `radbill db upgrade` can "
                "encrypt (it needs the installation's key): run that, not alembic alone")
    op.drop_column('checks', 'community')


def downgrade() -> None:
    op.add_column('checks', sa.Column('community', sa.Text(), nullable=True))
    op.drop_column('checks', 'credentials')
