"""A topology map as drawable shapes: the rows of topology.view turned into positions, colours,
line widths and labels for the inline SVG (admin/templates/topology/_svg.html). No business
rule here: the status of every node and link comes from the function."""
from __future__ import annotations

import math
from dataclasses import dataclass

from admin.fmt import rate

COLOURS = {"up": "#2e8b47", "down": "#c62828", "warning": "#e09b00", "unknown": "#8f969e"}
# a mark inside each node besides its colour, for those who cannot tell red from green
MARKS = {"up": "\u2713", "down": "\u2715", "warning": "!", "unknown": "?"}
R = 24  # a node's radius in map units
PAD_X, PAD_Y = 160, 70  # around the outermost nodes: room for their labels
MIN_W, MIN_H = 480, 320


@dataclass
class Node:
    id: int
    label: str
    kind: str
    x: int
    y: int
    status: str
    colour: str
    mark: str
    shape: str  # an SVG path around (0, 0)
    device: str | None


@dataclass
class Link:
    id: int
    a: int
    b: int
    x1: float
    y1: float
    x2: float
    y2: float
    status: str
    colour: str
    width: float
    dashed: bool
    text: str
    tx: float
    ty: float


def shape(kind: str) -> str:
    """Each kind its outline: router a circle, switch a square, OLT a diamond, radio a
    triangle, POP a hexagon, anything else a small circle."""
    r = R
    if kind == "switch":
        return f"M{-r},{-r}H{r}V{r}H{-r}Z"
    if kind == "olt":
        return f"M0,{-r - 4}L{r + 4},0L0,{r + 4}L{-r - 4},0Z"
    if kind == "radio":
        return f"M0,{-r - 6}L{r + 4},{r - 2}L{-r - 4},{r - 2}Z"
    if kind == "pop":
        pts = [(round((r + 2) * math.cos(math.pi / 3 * i), 1),
                round((r + 2) * math.sin(math.pi / 3 * i), 1)) for i in range(6)]
        return "M" + "L".join(f"{x},{y}" for x, y in pts) + "Z"
    size = r if kind == "router" else r - 6
    return f"M{-size},0A{size},{size} 0 1,0 {size},0A{size},{size} 0 1,0 {-size},0Z"


def load_text(link: dict) -> str:
    """"450 Mbit/s / 1 Gbit/s (45%)": the load where it is known, the capacity where given."""
    parts = []
    if link.get("bps") is not None:
        parts.append(rate(link["bps"]))
    if link.get("capacity"):
        parts.append(rate(link["capacity"]))
    text = " / ".join(parts)
    if link.get("utilisation") is not None:
        text += f" ({round(link['utilisation'] * 100)}%)"
    return text


def layout(values: dict) -> dict:
    """The view's nodes and links as shapes, and the viewBox that holds them."""
    nodes = [Node(n["id"], n["label"], n["kind"], n["x"], n["y"], n["status"],
                  COLOURS.get(n["status"], COLOURS["unknown"]), MARKS.get(n["status"], "?"),
                  shape(n["kind"]), n.get("device")) for n in values["nodes"]]
    at = {n.id: n for n in nodes}
    links = []
    for link in values["links"]:
        a, b = at.get(link["node_a"]), at.get(link["node_b"])
        if a is None or b is None:
            continue
        util = link.get("utilisation")
        width = 3 + 9 * min(util, 1.0) if util is not None else 3
        text = " ".join(t for t in (link.get("label") or "", load_text(link)) if t)
        links.append(Link(link["id"], a.id, b.id, a.x, a.y, b.x, b.y, link["status"],
                          COLOURS.get(link["status"], COLOURS["unknown"]), round(width, 1),
                          link["kind"] == "wireless", text, (a.x + b.x) / 2, (a.y + b.y) / 2 - 8))
    if nodes:
        x0 = min(n.x for n in nodes) - PAD_X
        y0 = min(n.y for n in nodes) - PAD_Y
        x1 = max(n.x for n in nodes) + PAD_X
        y1 = max(n.y for n in nodes) + PAD_Y + 20
    else:
        x0 = y0 = 0
        x1, y1 = MIN_W, MIN_H
    w, h = max(x1 - x0, MIN_W), max(y1 - y0, MIN_H)
    x0, y0 = x0 - (w - (x1 - x0)) // 2, y0 - (h - (y1 - y0)) // 2  # a small map in the middle
    return {"nodes": nodes, "links": links, "box": (x0, y0, w, h)}
