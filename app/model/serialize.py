"""ModelGraph <-> plain JSON-ready dicts; reading validates everything and never trusts the file."""

from __future__ import annotations

from typing import Any

from app.errors import GraphError, LayerLoomError
from app.model.graph import ModelGraph
from app.model.node import Edge, Node, OutputRef
from app.nodes import REGISTRY
from app.nodes.validate import validate_params

MAX_DEPTH = 32


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


def graph_from_dict(data: Any, _depth: int = 0) -> ModelGraph:
    """Rebuild a graph from `graph_to_dict` output; GraphError with a plain message if invalid."""
    if _depth > MAX_DEPTH:
        raise GraphError("Blocks are nested too deeply.")
    if not isinstance(data, dict):
        raise GraphError("The graph must be an object with nodes and edges.")
    graph = ModelGraph(_str(data.get("name", "model"), "graph name"))
    nodes = data.get("nodes", [])
    if not isinstance(nodes, list):
        raise GraphError("'nodes' must be a list.")
    for i, nd in enumerate(nodes):
        graph._add_node(_node_from_dict(nd, i, _depth), emit=False)
    for node in graph.nodes():
        if node.shared_with is not None and node.shared_with not in graph:
            raise GraphError(f"Layer '{node.name}' reuses a layer that is not in the graph.")
    for node in graph.nodes():
        graph.owner(node.id)  # detects sharing loops
    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise GraphError("'edges' must be a list.")
    for ed in edges:
        if not isinstance(ed, dict):
            raise GraphError("Every edge must be an object.")
        try:
            edge = Edge(
                _str(ed["src"], "edge source"),
                _int(ed.get("src_index", 0), "edge output index"),
                _str(ed["dst"], "edge target"),
                _str(ed["port"], "edge port"),
                _int(ed.get("slot", 0), "edge slot"),
            )
        except KeyError as exc:
            raise GraphError(f"An edge lacks its {exc.args[0]!r}.") from None
        graph._connect(edge)
    inputs = data.get("inputs")
    if inputs is not None:
        if not isinstance(inputs, list) or sorted(inputs) != sorted(graph.inputs):
            raise GraphError("The list of model inputs does not match the Input nodes.")
        graph.inputs = [str(i) for i in inputs]
    outs = data.get("outputs", [])
    if not isinstance(outs, list):
        raise GraphError("'outputs' must be a list.")
    refs = []
    for o in outs:
        if not isinstance(o, list | tuple) or len(o) != 2:
            raise GraphError("Every model output must be [node id, output index].")
        ref = OutputRef(_str(o[0], "output node"), _int(o[1], "output index"))
        if ref.node not in graph:
            raise GraphError("A model output names a node that is not in the graph.")
        refs.append(ref)
    graph.outputs = refs
    return graph


def _node_from_dict(nd: Any, i: int, depth: int) -> Node:
    if not isinstance(nd, dict):
        raise GraphError(f"Node #{i + 1} is not an object.")
    try:
        spec_id = _str(nd["spec"], "layer type")
        node_id = _str(nd["id"], "node id")
        name = _str(nd["name"], "layer name")
    except KeyError as exc:
        raise GraphError(f"Node #{i + 1} lacks its {exc.args[0]!r}.") from None
    spec = REGISTRY.get(spec_id)
    if spec is None:
        raise GraphError(f"Layer '{name}' has an unknown type {spec_id!r}.")
    params = nd.get("params", {})
    try:
        params = validate_params(spec, params, node_name=name)
    except LayerLoomError as exc:
        raise GraphError(exc.message) from None
    pos = nd.get("position", [0, 0])
    if not (isinstance(pos, list | tuple) and len(pos) == 2 and all(_is_num(v) for v in pos)):
        raise GraphError(f"Layer '{name}' has an invalid position.")
    sub = nd.get("subgraph")
    subgraph = graph_from_dict(sub, depth + 1) if sub is not None else None
    if spec.kind == "block" and subgraph is None and nd.get("shared_with") is None:
        raise GraphError(f"Block '{name}' has no content.")
    call_kwargs = nd.get("call_kwargs", {})
    if not isinstance(call_kwargs, dict):
        raise GraphError(f"Layer '{name}' has invalid call arguments.")
    trainable = nd.get("trainable", True)
    if not isinstance(trainable, bool):
        raise GraphError(f"Layer '{name}': trainable must be true or false.")
    shared = nd.get("shared_with")
    return Node(
        id=node_id,
        spec_id=spec.id,
        name=name,
        params=params,
        position=(float(pos[0]), float(pos[1])),
        trainable=trainable,
        shared_with=_str(shared, "shared layer") if shared is not None else None,
        subgraph=subgraph,
        call_kwargs=dict(call_kwargs),
    )


def _str(v: Any, what: str) -> str:
    if not isinstance(v, str) or not v or len(v) > 512:
        raise GraphError(f"Invalid {what}: {v!r:.60}.")
    return v


def _int(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > 100_000:
        raise GraphError(f"Invalid {what}: {v!r:.60}.")
    return v


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e9
