"""Reading a graph from untrusted plain data: strict (refuse at the first fault) or repairing.

A damaged project file should cost the user the damaged node, not the project. Repairing
keeps what is sound and leaves a note where the user will look for it: on the node it
concerns (`graph.damage[node_id]`) or on the graph (`graph.damage[None]`); shape inference
shows the notes as warnings in the Problems panel and on the nodes. The repairs:

- a parameter that fails its spec's check is dropped, so its default applies (parameters
  that are not a mapping: every default); a bad position becomes (0, 0), a bad `trainable`
  true, bad call arguments none, a missing name a fresh one; a node that reuses a missing
  layer, or whose reuse loops, gets its own layer;
- a node that cannot be restored (not an object, no or a repeated id, an unknown type, a
  block without sound content) is left out; its connections are noted on the nodes at
  their other end;
- a connection that is malformed, names a missing node or port, is a second one onto one
  input, or closes a cycle is left out, noted on the node it went into;
- model inputs in a wrong order, or model outputs that are malformed or name missing nodes,
  are put right or left out, noted on the graph (or the node).

Refused as a whole (GraphError), also when repairing: data that is not a mapping, 'nodes'
that is not a list, blocks nested deeper than MAX_DEPTH.
"""

from __future__ import annotations

from typing import Any

from app.errors import GraphError, LayerLoomError
from app.model.graph import ModelGraph
from app.model.node import Edge, Node, OutputRef
from app.nodes import REGISTRY, NodeSpec
from app.nodes.validate import validate_params

MAX_DEPTH = 32
LEFT_OUT = "it was left out"


def read_graph(data: Any, repair: bool = False, depth: int = 0) -> ModelGraph:
    """A graph from `graph_to_dict` output; GraphError in plain words for what is not repaired."""
    if depth > MAX_DEPTH:
        raise GraphError("Blocks are nested too deeply.")
    if not isinstance(data, dict):
        raise GraphError("The graph must be an object with nodes and edges.")
    nodes = data.get("nodes", [])
    if not isinstance(nodes, list):
        raise GraphError("'nodes' must be a list.")
    level = _Level(repair, depth)
    level.read_name(data.get("name", "model"))
    for i, nd in enumerate(nodes):
        node = level.read_node(nd, i)
        if node is not None:
            level.graph._add_node(node, emit=False)
    level.check_sharing()
    level.read_edges(data.get("edges", []))
    level.read_inputs(data.get("inputs"))
    level.read_outputs(data.get("outputs", []))
    level.note_lost_nodes()
    level.graph.damage = level.notes
    return level.graph


def _sentence(problem: str, repair: str) -> str:
    return f"{problem.rstrip('. ')}; {repair}."


def _ok_str(v: Any) -> bool:
    return isinstance(v, str) and 0 < len(v) <= 512


def _ok_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100_000


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e9


def who(node: Node) -> str:
    """How notes name a node: Dense 'dense_1', Input 'x', Block 'encoder'."""
    spec = REGISTRY.get(node.spec_id)
    kind = (
        "Layer"
        if spec is None
        else {"input": "Input", "block": "Block"}.get(spec.kind, spec.class_name)
    )
    return f"{kind} '{node.name}'"


class _Level:
    """One level of the graph being read, with the notes of what was repaired."""

    def __init__(self, repair: bool, depth: int) -> None:
        self.repair = repair
        self.depth = depth
        self.graph = ModelGraph()
        self.notes: dict[str | None, list[str]] = {}
        self.lost: dict[str, str] = {}  # id of a node left out -> why
        self.lost_noted: set[str] = set()  # ... whose loss a neighbour's note tells

    def note(self, node_id: str | None, problem: str, repair: str) -> None:
        """Record a repair (strict reading: refuse with the problem instead)."""
        if not self.repair:
            raise GraphError(problem.rstrip(". ") + ".")
        notes = self.notes.setdefault(node_id, [])
        text = _sentence(problem, repair)
        if text not in notes:
            notes.append(text)

    def lose(self, node_id: str | None, why: str) -> None:
        """A node that cannot be restored: left out, its neighbours told why."""
        if node_id is None or node_id in self.graph or node_id in self.lost:
            self.note(None, why, LEFT_OUT)  # no id its connections could name
        else:
            if not self.repair:
                raise GraphError(why.rstrip(". ") + ".")
            self.lost[node_id] = why

    def has(self, node_id: Any) -> bool:
        """True if `node_id` is the id of a node read so far (any value may come from a file)."""
        return isinstance(node_id, str) and node_id in self.graph

    # ----- nodes ------------------------------------------------------------------------------
    def read_name(self, name: Any) -> None:
        if _ok_str(name):
            self.graph.name = name
        else:
            self.note(None, f"The model's name {name!r:.60} is invalid", "it is named 'model'")

    def read_node(self, nd: Any, i: int) -> Node | None:
        if not isinstance(nd, dict):
            self.note(None, f"Layer #{i + 1} in the file is not an object", LEFT_OUT)
            return None
        node_id, spec_id, name = nd.get("id"), nd.get("spec"), nd.get("name")
        label = f"Layer '{name}'" if _ok_str(name) else f"Layer #{i + 1}"
        if not _ok_str(node_id):
            what = "lacks its 'id'" if node_id is None else f"has an invalid id {node_id!r:.60}"
            self.note(None, f"{label} {what}", LEFT_OUT)
            return None
        if node_id in self.graph or node_id in self.lost:
            self.note(None, f"{label} has the id of another layer ({node_id:.60})", LEFT_OUT)
            return None
        if not _ok_str(spec_id):
            what = "lacks its 'spec'" if spec_id is None else "has an invalid layer type"
            self.lose(node_id, f"{label} {what}")
            return None
        spec = REGISTRY.get(spec_id)
        if spec is None:
            self.lose(node_id, f"{label} has an unknown type {spec_id!r:.80}")
            return None
        node = Node(id=node_id, spec_id=spec.id, name=name if _ok_str(name) else "")
        if not node.name:
            node.name = self.graph.default_name(spec.id)
            what = "lacks its 'name'" if name is None else f"has an invalid name {name!r:.60}"
            self.note(node_id, f"{label} {what}", f"it is named '{node.name}'")
        node.params = self.read_params(node, spec, nd.get("params", {}))
        self.read_fields(node, nd)
        sub = nd.get("subgraph")
        if sub is not None:
            try:
                node.subgraph = read_graph(sub, self.repair, self.depth + 1)
            except GraphError as exc:
                self.lose(node_id, f"{who(node)}: its content is damaged ({exc.message})")
                return None
        if spec.kind == "block" and node.subgraph is None and node.shared_with is None:
            self.lose(node_id, f"Block '{node.name}' has no content")
            return None
        return node

    def read_params(self, node: Node, spec: NodeSpec, raw: Any) -> dict[str, Any]:
        """The params that pass the spec's checks; each one that fails is noted and dropped."""
        if not isinstance(raw, dict):
            self.note(node.id, f"{who(node)}: its parameters are not a mapping",
                      "every parameter has its default value")  # fmt: skip
            return {}
        params: dict[str, Any] = {}
        for key, value in raw.items():
            try:
                params[key] = validate_params(spec, {key: value}, node.name)[key]
            except LayerLoomError as exc:
                self._bad_param(node, spec, key, exc.message)
            except (TypeError, OverflowError):  # e.g. Infinity for a whole number
                self._bad_param(node, spec, key, f"{who(node)}: {key} {value!r:.60} is invalid")
        return params

    def _bad_param(self, node: Node, spec: NodeSpec, key: str, problem: str) -> None:
        ps = spec.param(key)
        repair = LEFT_OUT if ps is None else f"it has its default value ({ps.default!r})"
        self.note(node.id, problem, repair)

    def read_fields(self, node: Node, nd: dict[str, Any]) -> None:
        """Position, trainable, call arguments and shared layer; bad ones noted and reset."""
        pos = nd.get("position", [0, 0])
        if isinstance(pos, list | tuple) and len(pos) == 2 and all(_is_num(v) for v in pos):
            node.position = (float(pos[0]), float(pos[1]))
        else:
            self.note(node.id, f"{who(node)} has an invalid position", "it is placed at (0, 0)")
        trainable = nd.get("trainable", True)
        if isinstance(trainable, bool):
            node.trainable = trainable
        else:
            self.note(node.id, f"{who(node)}: trainable must be true or false",
                      "the layer is trainable")  # fmt: skip
        kwargs = nd.get("call_kwargs", {})
        if isinstance(kwargs, dict):
            node.call_kwargs = dict(kwargs)
        else:
            self.note(node.id, f"{who(node)} has invalid call arguments", "they were left out")
        shared = nd.get("shared_with")
        if shared is None or _ok_str(shared):
            node.shared_with = shared
        else:
            self.note(node.id, f"{who(node)} reuses an invalid layer id",
                      "it has a layer of its own")  # fmt: skip

    def check_sharing(self) -> None:
        """Nodes reusing a layer that is missing, or whose reuse loops, get their own."""
        for node in self.graph.nodes():
            if node.shared_with is not None and node.shared_with not in self.graph:
                why = self.lost.get(node.shared_with)
                problem = f"{who(node)} reuses a layer that is not in the graph" + (
                    f" ({why})" if why else ""
                )
                node.shared_with = None
                self.note(node.id, problem, "it has a layer of its own")
        for node in self.graph.nodes():
            try:
                self.graph.owner(node.id)
            except GraphError as exc:
                node.shared_with = None
                self.note(node.id, exc.message, f"{who(node)} has a layer of its own")

    def note_lost_nodes(self) -> None:
        """Nodes left out whose loss no neighbour's note tells: noted on the graph."""
        for node_id, why in self.lost.items():
            if node_id not in self.lost_noted:
                self.note(None, why, LEFT_OUT)

    # ----- connections, inputs, outputs ----------------------------------------------------------
    def read_edges(self, edges: Any) -> None:
        if not isinstance(edges, list):
            self.note(None, "The list of connections is not a list",
                      "every connection was left out")  # fmt: skip
            return
        for ed in edges:
            self.read_edge(ed)

    def read_edge(self, ed: Any) -> None:
        if not isinstance(ed, dict):
            self.note(None, "A connection in the file is not an object", LEFT_OUT)
            return
        src, dst, port = ed.get("src"), ed.get("dst"), ed.get("port")
        src_index, slot = ed.get("src_index", 0), ed.get("slot", 0)
        here = dst if self.has(dst) else src if self.has(src) else None
        into = f"{who(self.graph.node(dst))}: a connection into it" if self.has(dst) else (
            f"{who(self.graph.node(src))}: a connection from it" if self.has(src)
            else "A connection"
        )  # fmt: skip
        missing = [k for k in ("src", "dst", "port") if k not in ed]
        if missing:
            self.note(here, f"{into} lacks its {missing[0]!r}", LEFT_OUT)
            return
        if not (_ok_str(src) and _ok_str(dst) and _ok_str(port)):
            self.note(here, f"{into} names an invalid layer or port", LEFT_OUT)
            return
        if not (_ok_int(src_index) and _ok_int(slot)):
            self.note(here, f"{into} has an invalid output index or slot", LEFT_OUT)
            return
        for end in (src, dst):
            if end in self.lost:
                self.lost_noted.add(end)
                self.note(here, f"{into} links a layer that could not be restored "
                          f"({self.lost[end]})", LEFT_OUT)  # fmt: skip
                return
        if not (self.has(src) and self.has(dst)):
            self.note(here, f"{into} links a layer that is not in the graph", LEFT_OUT)
            return
        try:
            self.graph._connect(Edge(src, src_index, dst, port, slot))
        except GraphError as exc:
            self.note(dst, exc.message, "the connection was left out")

    def read_inputs(self, inputs: Any) -> None:
        """The order of the model inputs (the Input nodes' own order if it does not fit)."""
        if inputs is None:
            return
        ids = self.graph.inputs
        listed = inputs if isinstance(inputs, list) else []
        # An Input left out is told by its own note, not as a wrong order.
        listed = [i for i in listed if not (isinstance(i, str) and i in self.lost)]
        if sorted(ids) == sorted(i for i in listed if isinstance(i, str)) and len(listed) == len(
            ids
        ):
            self.graph.inputs = list(listed)
            return
        first = [i for i in dict.fromkeys(i for i in listed if isinstance(i, str)) if i in ids]
        self.graph.inputs = first + [i for i in ids if i not in first]
        self.note(None, "The list of model inputs does not match the Input nodes",
                  "the inputs are taken in the order of the Input nodes")  # fmt: skip

    def read_outputs(self, outs: Any) -> None:
        if not isinstance(outs, list):
            self.note(None, "The list of model outputs is not a list",
                      "mark the model's outputs again")  # fmt: skip
            return
        refs: list[OutputRef] = []
        for o in outs:
            if not isinstance(o, list | tuple) or len(o) != 2 or not _ok_str(o[0]):
                self.note(None, "A model output is not [node id, output index]", LEFT_OUT)
            elif o[0] in self.lost:
                self.lost_noted.add(o[0])
                self.note(None, f"A model output came from a layer that could not be restored "
                          f"({self.lost[o[0]]})", LEFT_OUT)  # fmt: skip
            elif o[0] not in self.graph:
                self.note(None, "A model output names a node that is not in the graph", LEFT_OUT)
            elif not _ok_int(o[1]):
                node = self.graph.node(o[0])
                self.note(o[0], f"{who(node)}: its model output has an invalid index {o[1]!r:.60}",
                          LEFT_OUT)  # fmt: skip
            else:
                refs.append(OutputRef(o[0], o[1]))
        self.graph.outputs = refs
