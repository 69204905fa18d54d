"""ModelGraph: a DAG of layer calls, the single source of truth for the canvas and the compiler."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from app.errors import CycleError, GraphError, InvalidNameError, NodeNotFoundError, PortError
from app.model.adjacency import Adjacency
from app.model.events import (
    EDGE_ADDED,
    EDGE_REMOVED,
    INPUTS_CHANGED,
    NODE_ADDED,
    NODE_CHANGED,
    NODE_REMOVED,
    OUTPUTS_CHANGED,
    EventEmitter,
    GraphEvent,
)
from app.model.node import Edge, Node, OutputRef, is_valid_name, snake_case
from app.nodes import REGISTRY, NodeSpec, PortSpec

NODE_FIELDS = ("spec_id", "name", "params", "position", "trainable", "shared_with", "subgraph", "call_kwargs", "weights")  # fmt: skip


class ModelGraph:
    """A directed acyclic graph of layer calls with ordered model inputs and outputs.

    Read it with `nodes()`, `node()`, `edges()`, `in_edges()`, `topological_order()`.
    Change it with the methods below; each applies an undoable command (see
    `app.model.commands`) and returns its result.  `apply(command)` returns the inverse
    command, which is how undo works.
    """

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self._g = Adjacency()
        self._nodes: dict[str, Node] = {}
        self.inputs: list[str] = []
        self.outputs: list[OutputRef] = []
        self.events = EventEmitter()
        # What reading a damaged file repaired, by node id (None: the graph itself); shape
        # inference shows the notes. A node's notes go when the user changes or rewires it.
        self.damage: dict[str | None, list[str]] = {}

    # ----- reading ---------------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise NodeNotFoundError(f"No node with id {node_id!r} in the graph.") from None

    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    def node_ids(self) -> list[str]:
        return list(self._nodes)

    def node_by_name(self, name: str) -> Node | None:
        for n in self._nodes.values():
            if n.name == name:
                return n
        return None

    def spec(self, node_id: str) -> NodeSpec:
        return REGISTRY[self.node(node_id).spec_id]

    def owner(self, node_id: str) -> Node:
        """The node whose layer `node_id` calls: itself, or the end of its shared_with chain."""
        node = self.node(node_id)
        seen = {node.id}
        while node.shared_with is not None:
            node = self.node(node.shared_with)
            if node.id in seen:
                raise GraphError(f"Layer '{node.name}' shares its layer with itself (a loop).")
            seen.add(node.id)
        return node

    def sharers(self, node_id: str) -> list[Node]:
        """Nodes that reuse the layer of `node_id`."""
        return [n for n in self._nodes.values() if n.shared_with == node_id]

    def ports(self, node_id: str) -> tuple[PortSpec, ...]:
        """Input ports of a node; for blocks, one per Input node of the sub-graph (named by its id)."""
        owner = self.owner(node_id)
        spec = REGISTRY[owner.spec_id]
        if spec.kind == "block":
            sub = owner.subgraph
            return tuple(PortSpec(i) for i in sub.inputs) if sub is not None else ()
        return spec.inputs

    def port_label(self, node_id: str, port: str) -> str:
        """What a user calls a port: the inner Input's name for blocks, else the port name."""
        owner = self.owner(node_id)
        if owner.subgraph is not None and port in owner.subgraph:
            return owner.subgraph.node(port).name
        return port

    def edges(self) -> list[Edge]:
        return list(self._g.edges())

    def in_edges(self, node_id: str) -> list[Edge]:
        """Edges into `node_id`, ordered by port (spec order) then slot."""
        self.node(node_id)
        order = {p.name: i for i, p in enumerate(self.ports(node_id))}
        return sorted(
            self._g.in_edges(node_id), key=lambda e: (order.get(e.port, len(order)), e.port, e.slot)
        )

    def out_edges(self, node_id: str) -> list[Edge]:
        self.node(node_id)
        return sorted(self._g.out_edges(node_id))

    def has_edge(self, edge: Edge) -> bool:
        return self._g.has_edge(edge.src, edge.dst, edge)

    def predecessors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(e.src for e in self.in_edges(node_id)))

    def successors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(e.dst for e in self.out_edges(node_id)))

    def descendants(self, node_id: str) -> set[str]:
        self.node(node_id)
        return self._g.descendants(node_id)

    def ancestors(self, node_id: str) -> set[str]:
        self.node(node_id)
        return self._g.ancestors(node_id)

    def would_cycle(self, src: str, dst: str) -> bool:
        """True if an edge src -> dst would close a cycle."""
        return self._g.has_path(dst, src)

    def is_acyclic(self) -> bool:
        return self._g.is_acyclic()

    def topological_order(self) -> list[str]:
        """Node ids so that every node comes after its inputs (stable for a given graph).

        Raises CycleError if the connections form a cycle (only a damaged file can hold one).
        """
        order = {nid: i for i, nid in enumerate(self._nodes)}
        return self._g.topological_order(key=order.__getitem__)

    def sequential_chain(self) -> list[str] | None:
        """Node ids of a simple Input -> a -> b -> ... chain (Sequential-shaped), else None."""
        if len(self.inputs) != 1 or len(self.outputs) != 1 or self.outputs[0].index != 0:
            return None
        order, current = [], self.inputs[0]
        while True:
            nxt = self.out_edges(current)
            if not nxt:
                break
            if len(nxt) != 1 or len(self.in_edges(nxt[0].dst)) != 1 or nxt[0].src_index != 0:
                return None
            current = nxt[0].dst
            if self.node(current).shared_with is not None:
                return None
            order.append(current)
        if current != self.outputs[0].node or len(order) != len(self) - 1:
            return None
        return order

    def input_nodes(self) -> list[Node]:
        return [self._nodes[i] for i in self.inputs]

    def free_slot(self, node_id: str, port: str) -> int:
        """The next free slot of a port (0 for ordinary ports, max+1 for variadic ones)."""
        used = [e.slot for e in self.in_edges(node_id) if e.port == port]
        return max(used) + 1 if used else 0

    def unique_name(self, base: str, exclude: Iterable[str] = ()) -> str:
        """A Keras-style unique name: base, base_1, base_2, ..."""
        taken = {n.name for n in self._nodes.values()} | set(exclude)
        base = base if is_valid_name(base) else "layer"
        if base not in taken:
            return base
        i = 1
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    def default_name(self, spec_id: str) -> str:
        spec = REGISTRY[spec_id]
        base = {"input": "input", "block": "block"}.get(spec.kind, snake_case(spec.class_name))
        return self.unique_name(base)

    def walk(self) -> Iterator[tuple[tuple[str, ...], ModelGraph]]:
        """This graph and every nested sub-graph, with the path of block node ids leading to it."""
        yield (), self
        for node in self._nodes.values():
            if node.subgraph is not None:
                for path, g in node.subgraph.walk():
                    yield (node.id, *path), g

    def copy(self) -> ModelGraph:
        """A deep copy with no event subscribers."""
        g = ModelGraph(self.name)
        for node in self._nodes.values():
            g._add_node(node.copy(), emit=False)
        for e in self.edges():
            g._g.add_edge(e.src, e.dst, e)
        g.inputs = list(self.inputs)
        g.outputs = list(self.outputs)
        g.damage = {k: list(v) for k, v in self.damage.items()}
        return g

    # ----- checks used by commands -----------------------------------------------------------
    def check_name(self, name: str, node_id: str | None = None) -> None:
        if not is_valid_name(name):
            raise InvalidNameError(
                f"'{name}' is not a valid layer name: use letters, digits, '_', '-' or '.', "
                "starting with a letter or '_'.",
                node_id=node_id,
            )
        other = self.node_by_name(name)
        if other is not None and other.id != node_id:
            raise InvalidNameError(
                f"The name '{name}' is already used by another layer.", node_id=node_id
            )

    def check_connect(self, edge: Edge) -> None:
        """Raise a GraphError saying why `edge` cannot be added, or return."""
        src, dst = self.node(edge.src), self.node(edge.dst)
        if edge.src_index < 0:
            raise PortError(f"Output index {edge.src_index} of '{src.name}' is negative.")
        ports = {p.name: p for p in self.ports(edge.dst)}
        port = ports.get(edge.port)
        if port is None:
            names = ", ".join(ports) or "none"
            raise PortError(
                f"'{dst.name}' has no input port '{edge.port}' (ports: {names}).", node_id=dst.id
            )
        if edge.slot < 0 or (not port.variadic and edge.slot != 0):
            raise PortError(f"Port '{edge.port}' of '{dst.name}' takes one tensor.", node_id=dst.id)
        if self.would_cycle(edge.src, edge.dst):
            raise CycleError(
                f"Connecting '{src.name}' to '{dst.name}' would make a cycle; "
                "a Keras model must be acyclic.",
                node_id=dst.id,
            )
        for e in self.in_edges(edge.dst):
            if e.port == edge.port and e.slot == edge.slot:
                raise PortError(
                    f"Input '{edge.port}' of '{dst.name}' is already connected "
                    f"(from '{self.node(e.src).name}').",
                    node_id=dst.id,
                )

    # ----- primitive mutations (commands call these; they emit events) ------------------------
    def _add_node(
        self, node: Node, index: int | None = None, emit: bool = True, order: int | None = None
    ) -> None:
        if node.id in self._nodes:
            raise GraphError(f"A node with id {node.id!r} already exists.")
        if order is None or order >= len(self._nodes):
            self._nodes[node.id] = node
        else:  # undo of a removal puts the node back where it was (stable topological order)
            items = list(self._nodes.items())
            items.insert(order, (node.id, node))
            self._nodes = dict(items)
        self._g.add_node(node.id)
        if REGISTRY[node.spec_id].kind == "input" and node.id not in self.inputs:
            self.inputs.insert(len(self.inputs) if index is None else index, node.id)
        if emit:
            self.events.emit(GraphEvent(NODE_ADDED, node_id=node.id))

    def _remove_node(self, node_id: str) -> tuple[Node, int | None, int]:
        node = self.node(node_id)
        if self._g.degree(node_id):
            raise GraphError(f"'{node.name}' still has connections.")
        index = None
        if node_id in self.inputs:
            index = self.inputs.index(node_id)
            self.inputs.remove(node_id)
        order = list(self._nodes).index(node_id)
        del self._nodes[node_id]
        self.damage.pop(node_id, None)
        self._g.remove_node(node_id)
        self.events.emit(GraphEvent(NODE_REMOVED, node_id=node_id))
        return node, index, order

    def _update_node(self, node_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        node = self.node(node_id)
        old = {}
        for key, value in changes.items():
            if key not in NODE_FIELDS:
                raise GraphError(f"Unknown node field {key!r}.")
            old[key] = getattr(node, key)
            setattr(node, key, value)
        if set(changes) != {"position"}:
            self.damage.pop(node_id, None)
        self.events.emit(GraphEvent(NODE_CHANGED, node_id=node_id, fields=tuple(changes)))
        return old

    def _connect(self, edge: Edge) -> None:
        self.check_connect(edge)
        self._g.add_edge(edge.src, edge.dst, edge)
        self.damage.pop(edge.dst, None)
        self.events.emit(GraphEvent(EDGE_ADDED, edge=edge))

    def _disconnect(self, edge: Edge) -> None:
        if not self.has_edge(edge):
            raise GraphError("That connection does not exist.")
        self._g.remove_edge(edge.src, edge.dst, edge)
        self.events.emit(GraphEvent(EDGE_REMOVED, edge=edge))

    def _set_outputs(self, outputs: list[OutputRef]) -> list[OutputRef]:
        for ref in outputs:
            self.node(ref.node)
        old = self.outputs
        self.outputs = list(outputs)
        self.events.emit(GraphEvent(OUTPUTS_CHANGED))
        return old

    def _set_inputs(self, inputs: list[str]) -> list[str]:
        if sorted(inputs) != sorted(self.inputs):
            raise GraphError("The new input order must name the same Input nodes.")
        old = self.inputs
        self.inputs = list(inputs)
        self.events.emit(GraphEvent(INPUTS_CHANGED))
        return old

    # ----- undoable edits (scripting convenience over app.model.commands) ----------------------
    def apply(self, command):
        """Apply a command; returns its inverse (apply that to undo)."""
        return command.apply(self)

    def add_node(
        self,
        spec_id: str,
        name: str | None = None,
        params: dict[str, Any] | None = None,
        position: tuple[float, float] = (0.0, 0.0),
        **fields: Any,
    ) -> str:
        """Add a node of type `spec_id`; returns its id."""
        from app.model import commands

        cmd = commands.add_node(
            self, spec_id, name=name, params=params, position=position, **fields
        )
        self.apply(cmd)
        return cmd.node.id

    def remove_node(self, node_id: str) -> None:
        """Remove a node with its connections (and its place among the outputs)."""
        from app.model import commands

        self.apply(commands.remove_nodes(self, [node_id]))

    def update_node(self, node_id: str, **changes: Any) -> None:
        """Change fields of a node (name, params, position, trainable, shared_with, ...)."""
        from app.model import commands

        self.apply(commands.update_node(self, node_id, **changes))

    def set_params(self, node_id: str, **params: Any) -> None:
        """Set some params of a node, keeping the others."""
        node = self.node(node_id)
        self.update_node(node_id, params={**node.params, **params})

    def connect(
        self,
        src: str,
        dst: str,
        port: str | None = None,
        src_index: int = 0,
        slot: int | None = None,
    ) -> Edge:
        """Connect output `src_index` of `src` to `port` of `dst` (first port / next slot by default)."""
        from app.model import commands

        cmd = commands.connect(self, src, dst, port=port, src_index=src_index, slot=slot)
        self.apply(cmd)
        return cmd.edge

    def disconnect(self, edge: Edge) -> None:
        from app.model import commands

        self.apply(commands.Disconnect(edge))

    def set_outputs(self, outputs: Iterable[str | OutputRef | tuple[str, int]]) -> None:
        """Make these node outputs the model's outputs, in order."""
        from app.model import commands

        self.apply(commands.SetOutputs([_as_ref(o) for o in outputs]))

    def add_output(self, node_id: str, index: int = 0) -> None:
        ref = OutputRef(node_id, index)
        if ref not in self.outputs:
            self.set_outputs([*self.outputs, ref])

    def group(self, node_ids: Iterable[str], name: str | None = None) -> str:
        """Move nodes into a block (nested model node); returns the block's id."""
        from app.model import grouping

        cmd = grouping.group_nodes(self, list(node_ids), name=name)
        self.apply(cmd)
        return cmd.block_id

    def ungroup(self, block_id: str) -> list[str]:
        """Replace a block by its content; returns the ids of the nodes that came out."""
        from app.model import grouping

        cmd = grouping.ungroup_block(self, block_id)
        self.apply(cmd)
        return cmd.node_ids


def _as_ref(o: str | OutputRef | tuple[str, int]) -> OutputRef:
    if isinstance(o, OutputRef):
        return o
    if isinstance(o, str):
        return OutputRef(o, 0)
    return OutputRef(o[0], int(o[1]))
