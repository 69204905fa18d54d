"""Checks of a laid-out graph as the canvas shows it, shared by the layout and import tests."""

from __future__ import annotations

from app.compiler.layout import BAND_GAP, NODE_HEIGHT, NODE_WIDTH, estimated_height
from app.model import ModelGraph


def assert_no_overlaps(g: ModelGraph) -> None:
    boxes = [(n.name, n.position) for n in g.nodes()]
    for i, (a, (ax, ay)) in enumerate(boxes):
        for b, (bx, by) in boxes[i + 1 :]:
            apart = abs(ax - bx) >= NODE_WIDTH or abs(ay - by) >= NODE_HEIGHT
            assert apart, f"{a} at {(ax, ay)} overlaps {b} at {(bx, by)}"


def assert_forward(g: ModelGraph) -> None:
    """Every edge goes right within its band, or down into a later band (below the source)."""
    for e in g.edges():
        src, dst = g.node(e.src), g.node(e.dst)
        right = src.position[0] + NODE_WIDTH < dst.position[0]
        below = dst.position[1] >= src.position[1] + estimated_height(g, src.id) + BAND_GAP
        assert right or below, (src.name, src.position, dst.name, dst.position)
