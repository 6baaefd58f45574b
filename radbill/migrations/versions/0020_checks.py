"""Status checks, results, hourly rollups, incidents, announcements (issue 18).

A check runs every `interval` seconds on a 10-second grid (`next_due`); its raw results are kept
35 days, its hourly rollups a year; an incident is opened after `failures` failed runs in a
row (one open incident per check); announcements feed the public status page.

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

KINDS = "'http', 'ping', 'tcp', 'dns', 'tls', 'snmp'"


def upgrade() -> None:
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("interval", sa.Integer(), server_default="60", nullable=False),
        sa.Column("failures", sa.SmallInteger(), server_default="3", nullable=False),
        sa.Column("timeout", sa.SmallInteger(), server_default="5", nullable=False),
        sa.Column("expect_status", sa.SmallInteger(), nullable=True),
        sa.Column("expect_body", sa.Text(), nullable=True),
        sa.Column("dns_server", sa.Text(), nullable=True),
        sa.Column("record_type", sa.Text(), nullable=True),
        sa.Column("expect_answer", sa.Text(), nullable=True),
        sa.Column("warn_days", sa.SmallInteger(), nullable=True),
        sa.Column("community", sa.Text(), nullable=True),
        sa.Column("component", sa.Text(), server_default="", nullable=False),
        sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("device_kind", sa.Text(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("next_due", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("state", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("streak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint(f"kind in ({KINDS})", name=op.f("ck_checks_kind_known")),
        sa.CheckConstraint("state in ('unknown', 'up', 'down')", name=op.f("ck_checks_state_known")),
        sa.CheckConstraint("interval between 10 and 86400 and interval % 10 = 0",
                           name=op.f("ck_checks_interval_grid")),
        sa.CheckConstraint("failures between 1 and 100", name=op.f("ck_checks_failures_range")),
        sa.CheckConstraint("timeout between 1 and 8", name=op.f("ck_checks_timeout_range")),
        sa.CheckConstraint("(device_kind is null) = (device_id is null)",
                           name=op.f("ck_checks_device_pair")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_checks_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
    )
    op.create_index("ix_checks_due", "checks", ["next_due"], postgresql_where=sa.text("enabled"))
    op.create_index("ix_checks_operator", "checks", ["operator_id", "name"])
    op.create_index("uq_checks_device", "checks", ["device_kind", "device_id"], unique=True,
                    postgresql_where=sa.text("device_kind is not null"))

    op.create_table(
        "check_results",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("ms", sa.Integer(), nullable=True),
        sa.Column("lag_ms", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], ondelete="CASCADE",
                                name=op.f("fk_check_results_check_id_checks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
    )
    op.create_index("ix_check_results_check_at", "check_results", ["check_id", "at"])
    op.create_index("ix_check_results_at", "check_results", ["at"])

    op.create_table(
        "check_hourly",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("ups", sa.Integer(), nullable=False),
        sa.Column("ms_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("ms_count", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], ondelete="CASCADE",
                                name=op.f("fk_check_hourly_check_id_checks")),
        sa.PrimaryKeyConstraint("check_id", "hour", name=op.f("pk_check_hourly")),
    )
    op.create_index("ix_check_hourly_hour", "check_hourly", ["hour"])

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("cause", sa.Text(), server_default="", nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_by", sa.Text(), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"], ondelete="CASCADE",
                                name=op.f("fk_incidents_check_id_checks")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_incidents_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("uq_incidents_open", "incidents", ["check_id"], unique=True,
                    postgresql_where=sa.text("resolved_at is null"))
    op.create_index("ix_incidents_check_opened", "incidents", ["check_id", "opened_at"])
    op.create_index("ix_incidents_operator", "incidents", ["operator_id", "opened_at"])

    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("ends_at is null or starts_at is null or ends_at > starts_at",
                           name=op.f("ck_announcements_window_order")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_announcements_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_index("ix_announcements_operator", "announcements", ["operator_id", "created_at"])


def downgrade() -> None:
    for table in ("announcements", "incidents", "check_hourly", "check_results", "checks"):
        op.drop_table(table)
