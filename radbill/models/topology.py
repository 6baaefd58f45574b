"""The topology map (issue 18): maps staff draw of their network, nodes (routers, OLTs, radios,
switches, POPs) placed on them and links between nodes; each node may name the real device
(or status check) whose live state colours it (monitoring/topology.py)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

NODE_KINDS = ("router", "olt", "radio", "switch", "pop", "other")
LINK_KINDS = ("fibre", "wireless", "copper")
MAX_POS = 2000  # a node's x and y lie in 0..MAX_POS (the map's drawing units)
# the device a node may name, and the node kind each is for (a check suits any kind)
DEVICE_COLUMNS = {"nas_id": "router", "olt_id": "olt", "radio_id": "radio", "check_id": None}


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class TopologyMap(Base):
    """One drawing of (part of) an operator's network: a POP, an area, the core."""

    __tablename__ = "topology_maps"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "name", name="uq_topology_maps_operator_name"),
        sa.CheckConstraint("length(name) between 1 and 80", name="name_length"),
    )


class TopologyNode(Base):
    """A thing on a map at (x, y); at most one of nas_id / olt_id / radio_id / check_id names
    what it stands for, and only a router may name a NAS, an OLT node an OLT, a radio node a
    radio. The device going away leaves the node, unlinked."""

    __tablename__ = "topology_nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(sa.ForeignKey("topology_maps.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    nas_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nas.id", ondelete="SET NULL"))
    olt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("olts.id", ondelete="SET NULL"))
    radio_id: Mapped[int | None] = mapped_column(sa.ForeignKey("radios.id", ondelete="SET NULL"))
    check_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checks.id", ondelete="SET NULL"))
    x: Mapped[int]
    y: Mapped[int]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        # the target of the links' (map_id, node) keys: both ends of a link on the link's map
        sa.UniqueConstraint("map_id", "id", name="uq_topology_nodes_map_id"),
        sa.UniqueConstraint("map_id", "label", name="uq_topology_nodes_map_label"),
        sa.CheckConstraint(f"kind in ({_in(NODE_KINDS)})", name="kind_known"),
        sa.CheckConstraint("length(label) between 1 and 60", name="label_length"),
        sa.CheckConstraint(f"x between 0 and {MAX_POS} and y between 0 and {MAX_POS}",
                           name="position_range"),
        sa.CheckConstraint("num_nonnulls(nas_id, olt_id, radio_id, check_id) <= 1",
                           name="one_device"),
        sa.CheckConstraint("(nas_id is null or kind = 'router') and (olt_id is null or "
                           "kind = 'olt') and (radio_id is null or kind = 'radio')",
                           name="device_fits_kind"),
    )


class TopologyLink(Base):
    """A cable or radio path between two nodes of one map (stored with node_a < node_b, so a
    pair is linked once whichever way it was drawn); `if_node_id` and `if_name` name the
    router's or OLT's interface at one end whose SNMP traffic is the link's load."""

    __tablename__ = "topology_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(sa.ForeignKey("topology_maps.id", ondelete="CASCADE"))
    node_a: Mapped[int]
    node_b: Mapped[int]
    label: Mapped[str] = mapped_column(sa.Text, server_default="")
    kind: Mapped[str] = mapped_column(sa.Text, server_default="fibre")
    capacity: Mapped[int | None] = mapped_column(sa.BigInteger)  # bit/s
    if_node_id: Mapped[int | None]
    if_name: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.ForeignKeyConstraint(["map_id", "node_a"],
                                ["topology_nodes.map_id", "topology_nodes.id"],
                                ondelete="CASCADE", name="fk_topology_links_node_a"),
        sa.ForeignKeyConstraint(["map_id", "node_b"],
                                ["topology_nodes.map_id", "topology_nodes.id"],
                                ondelete="CASCADE", name="fk_topology_links_node_b"),
        sa.UniqueConstraint("map_id", "node_a", "node_b", name="uq_topology_links_pair"),
        sa.CheckConstraint("node_a <> node_b", name="no_self_link"),
        sa.CheckConstraint("node_a < node_b", name="ends_ordered"),
        sa.CheckConstraint(f"kind in ({_in(LINK_KINDS)})", name="kind_known"),
        sa.CheckConstraint("capacity is null or capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("length(label) <= 60", name="label_length"),
        sa.CheckConstraint("(if_node_id is null) = (if_name is null) and (if_node_id is null "
                           "or if_node_id in (node_a, node_b))", name="interface_at_an_end"),
        sa.Index("ix_topology_links_node_b", "map_id", "node_b"),
    )
