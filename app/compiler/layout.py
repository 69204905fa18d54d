"""Left-to-right layered layout of a ModelGraph (and of every block's sub-graph), wrapped into bands.

Sugiyama-style: longest-path layers from the inputs (inputs in column 0, model outputs
without successors in the last column), long edges split by dummy vertices, barycentre
sweeps to order each column with few crossings, then y positions that follow each node's
predecessors while keeping NODE_HEIGHT + V_GAP between neighbours.

A deep, narrow model (an imported MobileNetV2 is 155 columns by one row) would be one long
strip that no screen can show readably, so its columns are cut into bands stacked top to
bottom, like lines of text, until the whole has a screen-like aspect ratio.  Cuts go where
the fewest edges cross (between residual blocks), and the wire that leaves the end of one
band runs back through the gap to the start of the next.  Ports stay on the left and right
of a node: every saved project and example is drawn for left-to-right flow.  Pure Python.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import accumulate

from app.model.graph import ModelGraph

NODE_WIDTH = 200
NODE_HEIGHT = 96
H_GAP = 90
V_GAP = 40
X_STEP = NODE_WIDTH + H_GAP
Y_STEP = NODE_HEIGHT + V_GAP
DUMMY_GAP = 24
LINE_MARGIN = V_GAP / 2
SWEEPS = 12

WRAP_WIDTH = 3000.0  # a layout at most this wide (~10 columns) stays one band
TARGET_ASPECT = 1.5  # width / height a wrapped layout aims at: the canvas of a laptop window
BAND_GAP = 90.0  # between bands: room for the wires that run back to the next band's start
MIN_BAND_COLUMNS = 3

PORTS_TOP = 40  # header and padding above the first port row, as the canvas draws it
PORT_ROW = 18

Vertex = object  # a node id (str) or a dummy tuple ("~", edge number, step)
HeightFn = Callable[[ModelGraph, str], float]


def layout_graph(graph: ModelGraph, node_height: HeightFn | None = None, wrap: bool = True) -> None:
    """Set every node's position (top-left corner) left-to-right; sub-graphs get their own.

    `node_height(graph, node_id)` may give the drawn height of a node (the canvas knows it);
    by default `estimated_height` is used.  With `wrap`, a long layout is cut into bands.
    """
    positions = compute_layout(graph, node_height, wrap)
    for node in graph.nodes():
        node.position = positions[node.id]
        if node.subgraph is not None:
            layout_graph(node.subgraph, node_height, wrap)


def estimated_height(graph: ModelGraph, node_id: str) -> float:
    """NODE_HEIGHT, or more for a node with many port rows (one row per input slot / output)."""
    node = graph.node(node_id)
    ins = graph.in_edges(node_id)
    ports = graph.ports(node_id)
    rows_in = max(len(ports), len(ins) + (1 if any(p.variadic for p in ports) else 0))
    owner = graph.owner(node_id)
    n_out = len(owner.subgraph.outputs) if owner.subgraph is not None else 1
    used = [e.src_index for e in graph.out_edges(node_id)]
    used += [o.index for o in graph.outputs if o.node == node.id]
    rows_out = max(n_out, max(used, default=0) + 1)
    return max(float(NODE_HEIGHT), PORTS_TOP + PORT_ROW * max(rows_in, rows_out))


def compute_layout(
    graph: ModelGraph, node_height: HeightFn | None = None, wrap: bool = True
) -> dict[str, tuple[float, float]]:
    """Positions by node id, without changing the graph (wrapped into bands if `wrap`)."""
    ids = graph.topological_order()
    if not ids:
        return {}
    succ: dict[str, list[str]] = defaultdict(list)
    pred: dict[str, list[str]] = defaultdict(list)
    pairs = []
    index = {nid: i for i, nid in enumerate(ids)}
    edges = [e for nid in ids for e in graph.in_edges(nid)]  # port order, then slot
    for e in sorted(edges, key=lambda e: index[e.dst]):
        if e.dst not in succ[e.src]:
            succ[e.src].append(e.dst)
            pred[e.dst].append(e.src)
            pairs.append((e.src, e.dst))
    rank = _ranks(graph, ids, pred, succ)
    columns, up, down = _columns(ids, rank, pairs)
    _order(columns, up, down)
    height_of = node_height or estimated_height
    heights = {nid: float(height_of(graph, nid)) for nid in ids}
    ys = _y_positions(columns, up, heights)
    if wrap:
        return wrap_into_bands(rank, ys, heights, pairs)
    return {nid: (float(rank[nid] * X_STEP), ys[nid]) for nid in ids}


def _ranks(graph: ModelGraph, ids: list[str], pred: dict, succ: dict) -> dict[str, int]:
    """Longest path from the sources; model outputs that end a path go to the last column."""
    rank: dict[str, int] = {}
    for nid in ids:
        rank[nid] = max((rank[p] + 1 for p in pred[nid]), default=0)
    last = max(rank.values())
    outputs = {o.node for o in graph.outputs}
    for nid in ids:
        if nid in outputs and not succ[nid] and pred[nid]:
            rank[nid] = last
    return rank


def _columns(
    ids: list[str], rank: dict[str, int], pairs: list[tuple[str, str]]
) -> tuple[list[list[Vertex]], dict, dict]:
    """Vertices per column (dummies for edges spanning columns) and their neighbour lists."""
    columns: list[list[Vertex]] = [[] for _ in range(max(rank.values()) + 1)]
    for nid in ids:
        columns[rank[nid]].append(nid)
    up: dict[Vertex, list[Vertex]] = defaultdict(list)
    down: dict[Vertex, list[Vertex]] = defaultdict(list)
    for n, (src, dst) in enumerate(pairs):
        prev: Vertex = src
        for step in range(rank[src] + 1, rank[dst]):
            dummy = ("~", n, step)
            columns[step].append(dummy)
            down[prev].append(dummy)
            up[dummy].append(prev)
            prev = dummy
        down[prev].append(dst)
        up[dst].append(prev)
    return columns, up, down


def _order(columns: list[list[Vertex]], up: dict, down: dict) -> None:
    """Reorder columns in place by barycentre sweeps, keeping the best order seen."""
    best = [list(c) for c in columns]
    best_cost = _total_crossings(columns, down)
    for sweep in range(SWEEPS):
        if best_cost == 0:
            break
        if sweep % 2 == 0:
            for i in range(1, len(columns)):
                _sort_by_barycentre(columns[i], columns[i - 1], up)
        else:
            for i in range(len(columns) - 2, -1, -1):
                _sort_by_barycentre(columns[i], columns[i + 1], down)
        cost = _total_crossings(columns, down)
        if cost < best_cost:
            best, best_cost = [list(c) for c in columns], cost
    columns[:] = best


def _sort_by_barycentre(column: list[Vertex], fixed: list[Vertex], links: dict) -> None:
    pos = {v: i for i, v in enumerate(fixed)}
    keys = {}
    for i, v in enumerate(column):
        ps = [pos[u] for u in links[v] if u in pos]
        keys[v] = (sum(ps) / len(ps) if ps else float(i), i)
    column.sort(key=keys.__getitem__)


def _total_crossings(columns: list[list[Vertex]], down: dict) -> int:
    total = 0
    for left, right in zip(columns, columns[1:]):
        pos = {v: i for i, v in enumerate(right)}
        ends = [pos[w] for v in left for w in sorted(down[v], key=pos.__getitem__) if w in pos]
        total += _inversions(ends)
    return total


def _inversions(seq: list[int]) -> int:
    """Pairs i < j with seq[i] > seq[j] (merge sort, O(n log n))."""
    if len(seq) < 2:
        return 0
    mid = len(seq) // 2
    left, right = seq[:mid], seq[mid:]
    count = _inversions(left) + _inversions(right)
    left.sort()
    right.sort()
    j = 0
    for x in left:
        while j < len(right) and right[j] < x:
            j += 1
        count += j
    return count


def _y_positions(
    columns: list[list[Vertex]], up: dict, heights: dict[str, float]
) -> dict[str, float]:
    """y per node: near the mean of its predecessors, V_GAP below the node above it."""
    y: dict[Vertex, float] = {}
    for c, column in enumerate(columns):
        wanted = []
        for i, v in enumerate(column):
            # A long edge arriving (a dummy) sets the line: skips stay straight, branches bend.
            ps = [y[u] for u in up[v] if not isinstance(u, str)] or [y[u] for u in up[v]]
            wanted.append(sum(ps) / len(ps) if ps else (i * Y_STEP if c == 0 else None))
        placed = _pack(column, wanted, heights)
        y.update(placed)
    ys = {v: val for v, val in y.items() if isinstance(v, str)}
    top = min(ys.values(), default=0.0)
    return {v: float(round(val - top)) for v, val in ys.items()}


def _pack(
    column: Sequence[Vertex], wanted: list[float | None], heights: dict[str, float]
) -> dict[Vertex, float]:
    """Place one column top to bottom in order, as close to `wanted` as spacing allows.

    A dummy stands for a long edge passing through the column at its port line
    (y + NODE_HEIGHT / 2); it keeps LINE_MARGIN away from real nodes, so the edge's line
    does not run over the nodes it passes.
    """
    out: dict[Vertex, float] = {}
    prev: Vertex | None = None
    real_bottom = None
    for v, want in zip(column, wanted):
        is_real = isinstance(v, str)
        lo = -float("inf")
        if prev is not None:
            y = out[prev]
            if isinstance(prev, str):
                bottom = y + heights[prev]
                lo = bottom + V_GAP if is_real else bottom + LINE_MARGIN - NODE_HEIGHT / 2
            else:
                lo = y + NODE_HEIGHT / 2 + LINE_MARGIN if is_real else y + DUMMY_GAP
        if is_real and real_bottom is not None:
            lo = max(lo, real_bottom + V_GAP)
        if want is None:
            want = 0.0 if prev is None else lo
        out[v] = max(want, lo)
        prev = v
        if is_real:
            real_bottom = out[v] + heights[v]
    # Pull the column back up by the mean overshoot, so pushing does not drift downwards;
    # long edges (dummies) are kept straight when the column has any.
    pairs = [(v, w) for v, w in zip(column, wanted) if w is not None]
    lines = [(v, w) for v, w in pairs if not isinstance(v, str)]
    shifts = [out[v] - w for v, w in (lines or pairs)]
    if shifts:
        mean = sum(shifts) / len(shifts)
        out = {v: val - mean for v, val in out.items()}
    return out


def wrap_into_bands(
    rank: dict[str, int],
    ys: dict[str, float],
    heights: dict[str, float],
    pairs: list[tuple[str, str]],
) -> dict[str, tuple[float, float]]:
    """Positions with the columns cut into bands stacked top to bottom, if one band is too wide.

    The number of bands is the one whose whole comes closest to TARGET_ASPECT; each cut is
    moved, within a quarter band of its even place, to where the fewest edges cross it.
    """
    n_cols = max(rank.values()) + 1
    if (n_cols - 1) * X_STEP + NODE_WIDTH <= WRAP_WIDTH:
        return {nid: (float(r * X_STEP), ys[nid]) for nid, r in rank.items()}
    tops = [math.inf] * n_cols
    bottoms = [-math.inf] * n_cols
    for nid, r in rank.items():
        tops[r] = min(tops[r], ys[nid])
        bottoms[r] = max(bottoms[r], ys[nid] + heights[nid])
    # A cut's cost: the edges crossing it, twice over for those that do not start in the
    # column just before it (they would have to run back from the middle of a band).
    delta = [0] * (n_cols + 2)
    for src, dst in pairs:
        a, b = rank[src], rank[dst]
        delta[a + 1] += 1
        delta[b + 1] -= 1
        if a + 2 <= b:
            delta[a + 2] += 2
            delta[b + 1] -= 2
    crossing = list(accumulate(delta))
    best: tuple[float, list[int]] | None = None
    for bands in range(1, n_cols // MIN_BAND_COLUMNS + 1):
        starts = _band_starts(bands, n_cols, crossing)
        width, height = _bands_extent(starts, n_cols, tops, bottoms)
        aspect = width / max(height, 1.0)
        score = abs(math.log(aspect / TARGET_ASPECT))
        if best is None or score < best[0]:
            best = (score, starts)
        if aspect < TARGET_ASPECT:  # more bands only make it narrower
            break
    assert best is not None
    starts = best[1]
    positions: dict[str, tuple[float, float]] = {}
    band_of = [0] * n_cols
    shift = []
    y = 0.0
    for b, (s, e) in enumerate(zip(starts, [*starts[1:], n_cols])):
        band_of[s:e] = [b] * (e - s)
        top, bottom = min(tops[s:e]), max(bottoms[s:e])
        shift.append(y - top)
        y += bottom - top + BAND_GAP
    for nid, r in rank.items():
        b = band_of[r]
        positions[nid] = (float((r - starts[b]) * X_STEP), float(round(ys[nid] + shift[b])))
    return positions


def _band_starts(bands: int, n_cols: int, crossing: list[int]) -> list[int]:
    """First column of each band: even cuts, each moved to a nearby column few edges cross."""
    starts = [0]
    reach = max(1, n_cols // (bands * 4))
    for k in range(1, bands):
        even = round(k * n_cols / bands)
        lo = max(starts[-1] + MIN_BAND_COLUMNS, even - reach)
        hi = min(n_cols - MIN_BAND_COLUMNS, even + reach)
        if lo > hi:
            break
        starts.append(min(range(lo, hi + 1), key=lambda c: (crossing[c], abs(c - even))))
    return starts


def _bands_extent(
    starts: list[int], n_cols: int, tops: list[float], bottoms: list[float]
) -> tuple[float, float]:
    """Width and height of the layout once its columns are cut at `starts`."""
    width = height = 0.0
    for s, e in zip(starts, [*starts[1:], n_cols]):
        width = max(width, (e - s - 1) * X_STEP + NODE_WIDTH)
        height += max(bottoms[s:e]) - min(tops[s:e])
    return width, height + BAND_GAP * (len(starts) - 1)


def count_crossings(graph: ModelGraph) -> int:
    """Pairs of edges whose straight lines (output side -> input side) cross, from positions."""
    segs = []
    for e in {(e.src, e.dst) for e in graph.edges()}:
        (x1, y1), (x2, y2) = graph.node(e[0]).position, graph.node(e[1]).position
        segs.append((e, (x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2), (x2, y2 + NODE_HEIGHT / 2)))
    count = 0
    for i, (ea, a1, a2) in enumerate(segs):
        for eb, b1, b2 in segs[i + 1 :]:
            if set(ea) & set(eb):
                continue
            if _segments_cross(a1, a2, b1, b2):
                count += 1
    return count


def _segments_cross(p1, p2, q1, q2) -> bool:
    def orient(a, b, c) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def count_edges_over_nodes(graph: ModelGraph) -> int:
    """Edges whose straight line runs over a node they do not connect (a layout quality figure)."""
    count = 0
    nodes = graph.nodes()
    for e in {(e.src, e.dst) for e in graph.edges()}:
        (x1, y1), (x2, y2) = graph.node(e[0]).position, graph.node(e[1]).position
        ax, ay, bx, by = x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2, x2, y2 + NODE_HEIGHT / 2
        for n in nodes:
            nx, ny = n.position
            if n.id in e or not (ax < nx and nx + NODE_WIDTH < bx):
                continue
            at = [ay + (by - ay) * (x - ax) / (bx - ax) for x in (nx, nx + NODE_WIDTH)]
            if max(at) >= ny and min(at) <= ny + NODE_HEIGHT:
                count += 1
                break
    return count
