"""ModelGraph <-> plain JSON-ready dicts; reading validates everything and never trusts the file."""

from __future__ import annotations

from typing import Any

from app.model.graph import ModelGraph
from app.model.graph_reader import MAX_DEPTH, read_graph
from app.model.node import Node

__all__ = ["MAX_DEPTH", "graph_from_dict", "graph_to_dict"]


def graph_to_dict(graph: ModelGraph) -> dict[str, Any]:
    """The graph as plain data (weights are not included)."""
    return {
        "name": graph.name,
        "nodes": [_node_to_dict(n) for n in graph.nodes()],
        "edges": [e.to_dict() for e in sorted(graph.edges())],
        "inputs": list(graph.inputs),
        "outputs": [[o.node, o.index] for o in graph.outputs],
    }


def _node_to_dict(n: Node) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": n.id,
        "spec": n.spec_id,
        "name": n.name,
        "params": n.params,
        "position": [n.position[0], n.position[1]],
    }
    if not n.trainable:
        d["trainable"] = False
    if n.shared_with is not None:
        d["shared_with"] = n.shared_with
    if n.call_kwargs:
        d["call_kwargs"] = n.call_kwargs
    if n.subgraph is not None:
        d["subgraph"] = graph_to_dict(n.subgraph)
    return d


def graph_from_dict(data: Any, repair: bool = False) -> ModelGraph:
    """Rebuild a graph from `graph_to_dict` output; GraphError with a plain message if invalid.

    With `repair`, damage inside a node or a connection costs only that part: it is reset or
    left out and noted in `graph.damage` (app.model.graph_reader says what is repaired).
    """
    return read_graph(data, repair=repair)
