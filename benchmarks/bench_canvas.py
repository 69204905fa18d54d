"""Canvas figures for a 1000-node graph: scene load time and full-repaint time per frame.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/bench_canvas.py [--nodes 1000] [--frames 30]
Prints figures; never passes or fails on a time (target: a full repaint <= 16 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtGui import QImage, QPainter, QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.model import ModelGraph  # noqa: E402
from app.model.commands import Connect, add_node  # noqa: E402
from app.model.node import Edge  # noqa: E402


@dataclass
class Result:
    output_shapes: list
    params: int = 0
    trainable_params: int = 0
    output_dtypes: list = field(default_factory=lambda: ["float32"])
    error: str | None = None


@dataclass
class Report:
    nodes: dict
    problems: list = field(default_factory=list)


def build_graph(n: int) -> tuple[ModelGraph, Report]:
    """An Input then n-1 Dense nodes as a binary tree laid out in columns by depth.

    The report holds the shapes Dense layers give by construction: (None, units).
    """
    g = ModelGraph("bench")
    inp = add_node(g, "keras.Input", params={"shape": [32]}, position=(0, 0))
    inp.apply(g)
    ids = [inp.node.id]
    units = {inp.node.id: 32}
    depth = {inp.node.id: 0}
    rows: dict[int, int] = {}
    report = Report({inp.node.id: Result([(None, 32)])})
    for i in range(1, n):
        parent = ids[(i - 1) // 2]
        d = depth[parent] + 1
        row = rows.get(d, 0)
        rows[d] = row + 1
        u = 16 + (i % 7) * 8
        cmd = add_node(
            g,
            "keras.layers.Dense",
            params={"units": u, "activation": "relu"},
            position=(d * 290.0, row * 136.0),
        )
        cmd.apply(g)
        nid = cmd.node.id
        Connect(Edge(parent, 0, nid, "inputs")).apply(g)
        ids.append(nid)
        units[nid], depth[nid] = u, d
        p = units[parent] * u + u
        report.nodes[nid] = Result([(None, u)], params=p, trainable_params=p)
    try:  # the app's own layout, as after "Auto-layout"
        from app.compiler.layout import layout_graph
    except ImportError:
        return g, report
    layout_graph(g)
    return g, report


def residual_chain(n: int) -> ModelGraph:
    """About n nodes in blocks of three Dense layers whose input skips to an Add (MobileNet-like)."""
    g = ModelGraph("residual")
    prev = g.add_node("keras.Input", "x", params={"shape": [4]})
    while len(g) + 4 <= n:
        out = prev
        for _ in range(3):
            nid = g.add_node("keras.layers.Dense", params={"units": 4})
            g.connect(out, nid)
            out = nid
        add = g.add_node("keras.layers.Add")
        g.connect(prev, add)
        g.connect(out, add)
        prev = add
    g.set_outputs([prev])
    return g


def print_layout_times(n: int) -> None:
    """Median time of layout_graph on the bench tree and on a deep residual chain (wrapped)."""
    from app.compiler.layout import compute_layout

    for label, graph in (("tree", build_graph(n)[0]), ("residual chain", residual_chain(n))):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            compute_layout(graph)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"layout of the {len(graph)}-node {label}: median {statistics.median(times):.1f} ms")


def time_frames(view, image: QImage, frames: int) -> tuple[float, list[float], list[float]]:
    """Cold first frame, then per-frame ms of view.render(QImage) and of a synchronous repaint."""
    rendered, repainted = [], []
    for _ in range(frames + 1):
        t0 = time.perf_counter()
        painter = QPainter(image)
        view.render(painter)
        painter.end()
        rendered.append((time.perf_counter() - t0) * 1000)
    for _ in range(frames):
        t0 = time.perf_counter()
        view.viewport().repaint()
        repainted.append((time.perf_counter() - t0) * 1000)
    return rendered[0], rendered[1:], repainted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    from app.ui.canvas.scene import GraphScene
    from app.ui.canvas.view import CanvasView

    t0 = time.perf_counter()
    graph, report = build_graph(args.nodes)
    t_graph = time.perf_counter() - t0

    stack = QUndoStack()
    t0 = time.perf_counter()
    scene = GraphScene(graph, stack)
    t_scene = time.perf_counter() - t0
    t0 = time.perf_counter()
    scene.set_report(report)
    t_report = time.perf_counter() - t0

    last = graph.node_ids()[-1]
    report.nodes[last] = Result([(None, 99)], params=1)
    t0 = time.perf_counter()
    scene.set_report(report)
    t_report1 = time.perf_counter() - t0

    view = CanvasView(scene)
    view.resize(args.width, args.height)
    view.show()
    app.processEvents()
    image = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)

    print(
        f"graph: {len(graph)} nodes, {len(graph.edges())} edges (model built in {t_graph * 1000:.0f} ms)"
    )
    print_layout_times(args.nodes)
    print(f"scene load (items for every node and wire): {t_scene * 1000:.1f} ms")
    print(f"set_report (faces, wire labels, badges):    {t_report * 1000:.1f} ms")
    print(f"set_report after a one-node change:         {t_report1 * 1000:.1f} ms")
    cases = [
        ("zoom 100% (part of the graph)", 1.0, None),
        ("zoom 50%", 0.5, None),
        ("fit: whole graph visible", None, "fit"),
    ]
    for label, zoom, mode in cases:
        if mode == "fit":
            view.fit_to_view()
        else:
            view.resetTransform()
            view.set_zoom(zoom, anchor_view_center=True)
            view.centerOn(scene.items_by_id[graph.node_ids()[len(graph) // 2]].pos())
        app.processEvents()
        cold, warm, sync = time_frames(view, image, args.frames)
        area = view.mapToScene(view.viewport().rect()).boundingRect()
        nodes = sum(1 for i in scene.items_by_id.values() if area.intersects(i.sceneBoundingRect()))
        print(
            f"full repaint, {label}: zoom {view.zoom():.2f}, {nodes} nodes in view: first {cold:.1f} ms; "
            f"render to QImage median {statistics.median(warm):.1f} ms (min {min(warm):.1f}); "
            f"viewport repaint median {statistics.median(sync):.1f} ms (min {min(sync):.1f})"
        )
    chain_scene = GraphScene(residual_chain(args.nodes), QUndoStack())
    from app.compiler.layout import layout_graph

    layout_graph(chain_scene.graph)
    chain_scene._rebuild()
    view.setScene(chain_scene)
    view.fit_to_view()
    app.processEvents()
    cold, warm, sync = time_frames(view, image, args.frames)
    print(
        f"full repaint, fit: whole wrapped {len(chain_scene.graph)}-node residual chain: "
        f"zoom {view.zoom():.2f}: first {cold:.1f} ms; render to QImage median "
        f"{statistics.median(warm):.1f} ms; viewport repaint median {statistics.median(sync):.1f} ms"
    )
    view.setScene(scene)
    view.fit_to_view()
    steps = []
    for i in range(10):  # wheel zoom from the fitted view: node caches are re-rendered each step
        factor = 1.2 if i < 5 else 1 / 1.2
        t0 = time.perf_counter()
        view.set_zoom(view.zoom() * factor, anchor_view_center=True)
        view.viewport().repaint()
        steps.append((time.perf_counter() - t0) * 1000)
    print(
        f"wheel zoom step from the whole-graph view (re-cache + repaint): median {statistics.median(steps):.1f} ms"
    )
    t0 = time.perf_counter()
    node = next(iter(scene.items_by_id.values()))
    for _ in range(100):
        node.setPos(node.pos().x() + 1, node.pos().y())
    print(
        f"dragging a node (100 moves, wires re-routed): {(time.perf_counter() - t0) * 10:.2f} ms/move"
    )
    scene.dispose()


if __name__ == "__main__":
    main()
