"""The NOC (issue 18): Zabbix servers and the hosts, problems and events their last sync saw;
wireless radios (airMAX, ePMP), their poll series and associated stations.

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True, default: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=sa.func.now() if default else None)


def _server_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["server_id"], ["zabbix_servers.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_server_id_zabbix_servers"))


def _radio_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["radio_id"], ["radios.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_radio_id_radios"))


def upgrade() -> None:
    op.create_index("ix_radpostauth_authdate", "radpostauth", ["authdate"],
                    postgresql_using="brin")
    op.create_table(
        "zabbix_servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("credentials", sa.LargeBinary(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("timeout", sa.SmallInteger(), server_default="10", nullable=False),
        _ts("last_sync_at"), _ts("last_ok_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("version", sa.Text(), nullable=True),
        _ts("created_at", False, True),
        sa.CheckConstraint("timeout between 1 and 30", name=op.f("ck_zabbix_servers_timeout_range")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_zabbix_servers_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zabbix_servers")),
        sa.UniqueConstraint("operator_id", "name", name="uq_zabbix_servers_operator_name"),
    )
    op.create_table(
        "zabbix_hosts",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("hostid", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("available", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _ts("seen_at", False),
        _server_fk("zabbix_hosts"),
        sa.PrimaryKeyConstraint("server_id", "hostid", name=op.f("pk_zabbix_hosts")),
    )
    op.create_table(
        "zabbix_problems",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("eventid", sa.Text(), nullable=False),
        sa.Column("objectid", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        _ts("clock", False),
        sa.Column("acknowledged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("suppressed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hosts", sa.Text(), server_default="", nullable=False),
        sa.Column("opdata", sa.Text(), nullable=True),
        _ts("seen_at", False),
        sa.CheckConstraint("severity between 0 and 5",
                           name=op.f("ck_zabbix_problems_severity_range")),
        _server_fk("zabbix_problems"),
        sa.PrimaryKeyConstraint("server_id", "eventid", name=op.f("pk_zabbix_problems")),
    )
    op.create_index("ix_zabbix_problems_severity", "zabbix_problems", ["severity", "clock"])
    op.create_table(
        "zabbix_events",
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("eventid", sa.Text(), nullable=False),
        _ts("clock", False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("hosts", sa.Text(), server_default="", nullable=False),
        _server_fk("zabbix_events"),
        sa.PrimaryKeyConstraint("server_id", "eventid", name=op.f("pk_zabbix_events")),
    )
    op.create_index("ix_zabbix_events_clock", "zabbix_events", ["clock"])

    small = lambda name: sa.Column(name, sa.SmallInteger(), nullable=True)  # noqa: E731
    big = lambda name: sa.Column(name, sa.BigInteger(), nullable=True)  # noqa: E731
    op.create_table(
        "radios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("http_port", sa.Integer(), nullable=True),
        sa.Column("https", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("credentials", sa.LargeBinary(), nullable=True),
        sa.Column("snmp_port", sa.Integer(), server_default="161", nullable=False),
        sa.Column("poll_interval", sa.Integer(), server_default="300", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("firmware", sa.Text(), nullable=True),
        sa.Column("ssid", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=True),
        sa.Column("frequency", sa.Integer(), nullable=True),
        small("signal"), small("noise"), small("ccq"), small("snr"),
        big("tx_rate"), big("rx_rate"), small("cpu"), small("memory"), big("uptime"),
        sa.Column("stations", sa.Integer(), nullable=True),
        sa.Column("up", sa.Boolean(), nullable=True),
        _ts("last_poll_at"), _ts("last_ok_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at", False, True),
        sa.CheckConstraint("kind in ('airmax', 'epmp')", name=op.f("ck_radios_kind_known")),
        sa.CheckConstraint("poll_interval between 60 and 86400",
                           name=op.f("ck_radios_poll_interval_range")),
        sa.CheckConstraint("snmp_port between 1 and 65535 and "
                           "(http_port is null or http_port between 1 and 65535)",
                           name=op.f("ck_radios_port_range")),
        sa.CheckConstraint("name ~ '^[A-Za-z0-9_.-]{1,64}$'", name=op.f("ck_radios_name_format")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_radios_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radios")),
        sa.UniqueConstraint("name", name=op.f("uq_radios_name")),
    )
    op.create_index("ix_radios_operator", "radios", ["operator_id"])
    op.create_table(
        "radio_samples",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("radio_id", sa.Integer(), nullable=False),
        _ts("at", False),
        small("signal"), small("noise"), small("ccq"), small("snr"),
        big("tx_rate"), big("rx_rate"), small("cpu"), small("memory"),
        sa.Column("stations", sa.Integer(), nullable=True),
        _radio_fk("radio_samples"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radio_samples")),
    )
    op.create_index("ix_radio_samples_series", "radio_samples", ["radio_id", "at"])
    op.create_table(
        "radio_stations",
        sa.Column("radio_id", sa.Integer(), nullable=False),
        sa.Column("mac", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("ip", sa.Text(), nullable=True),
        small("signal"), small("noise"), small("ccq"),
        big("tx_rate"), big("rx_rate"),
        sa.Column("distance", sa.Integer(), nullable=True),
        big("uptime"),
        _ts("seen_at", False),
        _radio_fk("radio_stations"),
        sa.PrimaryKeyConstraint("radio_id", "mac", name=op.f("pk_radio_stations")),
    )


def downgrade() -> None:
    for table in ("radio_stations", "radio_samples", "radios", "zabbix_events",
                  "zabbix_problems", "zabbix_hosts", "zabbix_servers"):
        op.drop_table(table)
    op.drop_index("ix_radpostauth_authdate", table_name="radpostauth")
