"""The topology map (issue 18): topology_maps (an operator's drawings of its network),
topology_nodes (routers, OLTs, radios, switches, POPs at x, y, each optionally naming its real
device or status check) and topology_links (two nodes of one map, once per pair).

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                     nullable=False)


def _device_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{table}.id"], ondelete="SET NULL",
                                   name=op.f(f"fk_topology_nodes_{column}_{table}"))


def upgrade() -> None:
    op.create_table(
        "topology_maps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        _created(),
        sa.CheckConstraint("length(name) between 1 and 80",
                           name=op.f("ck_topology_maps_name_length")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_topology_maps_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topology_maps")),
        sa.UniqueConstraint("operator_id", "name", name="uq_topology_maps_operator_name"),
    )
    op.create_table(
        "topology_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("map_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("nas_id", sa.Integer(), nullable=True),
        sa.Column("olt_id", sa.Integer(), nullable=True),
        sa.Column("radio_id", sa.Integer(), nullable=True),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        _created(),
        sa.CheckConstraint("kind in ('router', 'olt', 'radio', 'switch', 'pop', 'other')",
                           name=op.f("ck_topology_nodes_kind_known")),
        sa.CheckConstraint("length(label) between 1 and 60",
                           name=op.f("ck_topology_nodes_label_length")),
        sa.CheckConstraint("x between 0 and 2000 and y between 0 and 2000",
                           name=op.f("ck_topology_nodes_position_range")),
        sa.CheckConstraint("num_nonnulls(nas_id, olt_id, radio_id, check_id) <= 1",
                           name=op.f("ck_topology_nodes_one_device")),
        sa.CheckConstraint("(nas_id is null or kind = 'router') and (olt_id is null or "
                           "kind = 'olt') and (radio_id is null or kind = 'radio')",
                           name=op.f("ck_topology_nodes_device_fits_kind")),
        sa.ForeignKeyConstraint(["map_id"], ["topology_maps.id"], ondelete="CASCADE",
                                name=op.f("fk_topology_nodes_map_id_topology_maps")),
        _device_fk("nas_id", "nas"), _device_fk("olt_id", "olts"),
        _device_fk("radio_id", "radios"), _device_fk("check_id", "checks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topology_nodes")),
        sa.UniqueConstraint("map_id", "id", name="uq_topology_nodes_map_id"),
        sa.UniqueConstraint("map_id", "label", name="uq_topology_nodes_map_label"),
    )
    op.create_table(
        "topology_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("map_id", sa.Integer(), nullable=False),
        sa.Column("node_a", sa.Integer(), nullable=False),
        sa.Column("node_b", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), server_default="", nullable=False),
        sa.Column("kind", sa.Text(), server_default="fibre", nullable=False),
        sa.Column("capacity", sa.BigInteger(), nullable=True),
        sa.Column("if_node_id", sa.Integer(), nullable=True),
        sa.Column("if_name", sa.Text(), nullable=True),
        _created(),
        sa.CheckConstraint("node_a <> node_b", name=op.f("ck_topology_links_no_self_link")),
        sa.CheckConstraint("node_a < node_b", name=op.f("ck_topology_links_ends_ordered")),
        sa.CheckConstraint("kind in ('fibre', 'wireless', 'copper')",
                           name=op.f("ck_topology_links_kind_known")),
        sa.CheckConstraint("capacity is null or capacity > 0",
                           name=op.f("ck_topology_links_capacity_positive")),
        sa.CheckConstraint("length(label) <= 60", name=op.f("ck_topology_links_label_length")),
        sa.CheckConstraint("(if_node_id is null) = (if_name is null) and (if_node_id is null "
                           "or if_node_id in (node_a, node_b))",
                           name=op.f("ck_topology_links_interface_at_an_end")),
        sa.ForeignKeyConstraint(["map_id"], ["topology_maps.id"], ondelete="CASCADE",
                                name=op.f("fk_topology_links_map_id_topology_maps")),
        sa.ForeignKeyConstraint(["map_id", "node_a"],
                                ["topology_nodes.map_id", "topology_nodes.id"],
                                ondelete="CASCADE", name="fk_topology_links_node_a"),
        sa.ForeignKeyConstraint(["map_id", "node_b"],
                                ["topology_nodes.map_id", "topology_nodes.id"],
                                ondelete="CASCADE", name="fk_topology_links_node_b"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topology_links")),
        sa.UniqueConstraint("map_id", "node_a", "node_b", name="uq_topology_links_pair"),
    )
    op.create_index("ix_topology_links_node_b", "topology_links", ["map_id", "node_b"])


def downgrade() -> None:
    for table in ("topology_links", "topology_nodes", "topology_maps"):
        op.drop_table(table)
