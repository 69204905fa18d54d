"""Shape inference: Keras itself computes every node's output shapes, dtypes and weight counts.

`ShapeEngine` keeps the layers and symbolic outputs of the last run, so after one edit
only the edited node and the descendants whose inputs really changed are recomputed.
"""

from __future__ import annotations

from app.compiler.report import NodeResult, Problem, ShapeReport
from app.compiler.walk import Memo, Scope, Walker
from app.keras_internals import deferred_variables
from app.model.graph import ModelGraph

__all__ = ["NodeResult", "Problem", "ShapeEngine", "ShapeReport", "infer_shapes"]


class ShapeEngine:
    """Incremental shape inference over a graph that changes one edit at a time.

    Each node call is cached under a signature (type, params, name, trainable, shared layer,
    call kwargs and the shapes/dtypes of its inputs); an unchanged signature reuses the
    cached result.  `last_recomputed` holds the ids of the nodes the last run recomputed.
    Weights are never initialised: layers are built inside a Keras StatelessScope.
    """

    def __init__(self) -> None:
        self._memo = Memo()
        self.last_recomputed: set[str] = set()

    def run(self, graph: ModelGraph) -> ShapeReport:
        """Infer every node of `graph` (and of its blocks); never raises for a bad graph."""
        report = ShapeReport()
        walker = Walker(build=False, memo=self._memo)
        with deferred_variables():
            walker.walk_level(graph, report, Scope())
        self.last_recomputed = walker.recomputed
        # Forget nodes that are gone, so the cache follows the graph.
        self._memo.calls = {k: v for k, v in self._memo.calls.items() if k in walker.calls_seen}
        self._memo.params = {k: v for k, v in self._memo.params.items() if k in walker.params_seen}
        self._memo.layers = {k: v for k, v in self._memo.layers.items() if k in walker.layers_now}
        for _path, level in graph.walk():
            for nid in level.node_ids():
                report.nodes.setdefault(nid, NodeResult(waiting=True))
        top = [report.nodes[n] for n in graph.node_ids()]
        report.total_params = sum(r.params for r in top)
        report.trainable_params = sum(r.trainable_params for r in top)
        return report

    def clear(self) -> None:
        """Drop every cached layer (the next run recomputes everything)."""
        self._memo = Memo()


def infer_shapes(graph: ModelGraph, engine: ShapeEngine | None = None) -> ShapeReport:
    """Shapes, dtypes, weight counts and problems of every node, as Keras computes them."""
    return (engine or ShapeEngine()).run(graph)
