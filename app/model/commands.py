"""Undoable edits of a ModelGraph.  `command.apply(graph)` mutates and returns the inverse command.

The UI wraps these in QUndoCommands; headless code uses `History`.  Builders (`add_node`,
`remove_nodes`, `update_node`, `connect`) validate first, so a command that is built applies.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from app.errors import GraphError, UnknownSpecError
from app.model.node import Edge, Node, OutputRef, new_id
from app.nodes import REGISTRY
from app.nodes.validate import validate_params


class Command:
    """Base class: `apply` mutates the graph and returns the command that undoes it."""

    description = "Edit"

    def apply(self, graph) -> Command:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class AddNode(Command):
    node: Node
    index: int | None = None  # place among the model inputs (Input nodes only)
    description: str = "Add layer"
    order: int | None = None  # place in the node order (undo of a removal)

    def apply(self, graph) -> Command:
        graph._add_node(self.node.copy(), self.index, order=self.order)
        return RemoveNode(self.node.id, description=self.description)


@dataclass
class RemoveNode(Command):
    """Removes a node that has no connections (use `remove_nodes` to build a full removal)."""

    node_id: str
    description: str = "Remove layer"

    def apply(self, graph) -> Command:
        node, index, order = graph._remove_node(self.node_id)
        return AddNode(node.copy(), index, description=self.description, order=order)


@dataclass
class UpdateNode(Command):
    node_id: str
    changes: dict[str, Any]
    description: str = "Change layer"

    def apply(self, graph) -> Command:
        old = graph._update_node(self.node_id, copy.deepcopy(self.changes))
        return UpdateNode(self.node_id, old, description=self.description)


@dataclass
class Connect(Command):
    edge: Edge
    description: str = "Connect"

    def apply(self, graph) -> Command:
        graph._connect(self.edge)
        return Disconnect(self.edge, description=self.description)


@dataclass
class Disconnect(Command):
    edge: Edge
    description: str = "Disconnect"

    def apply(self, graph) -> Command:
        graph._disconnect(self.edge)
        return Connect(self.edge, description=self.description)


@dataclass
class SetOutputs(Command):
    outputs: list[OutputRef]
    description: str = "Set model outputs"

    def apply(self, graph) -> Command:
        old = graph._set_outputs(list(self.outputs))
        return SetOutputs(old, description=self.description)


@dataclass
class SetInputOrder(Command):
    inputs: list[str]
    description: str = "Reorder model inputs"

    def apply(self, graph) -> Command:
        old = graph._set_inputs(list(self.inputs))
        return SetInputOrder(old, description=self.description)


@dataclass
class Compound(Command):
    """Several commands applied as one; all or nothing."""

    commands: list[Command] = field(default_factory=list)
    description: str = "Edit"

    def apply(self, graph) -> Command:
        inverses: list[Command] = []
        try:
            for cmd in self.commands:
                inverses.append(cmd.apply(graph))
        except Exception:
            for inv in reversed(inverses):
                inv.apply(graph)
            raise
        return Compound(list(reversed(inverses)), description=self.description)


# ----- builders -------------------------------------------------------------------------------


def add_node(
    graph,
    spec_id: str,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    position: tuple[float, float] = (0.0, 0.0),
    node_id: str | None = None,
    **fields: Any,
) -> AddNode:
    """An AddNode for a new node of type `spec_id`, with a default unique name."""
    spec = REGISTRY.get(spec_id)
    if spec is None:
        raise UnknownSpecError(f"Unknown layer type {spec_id!r}.")
    name = name or graph.default_name(spec.id)
    graph.check_name(name)
    params = validate_params(spec, params or {}, node_name=name)
    node = Node(
        id=node_id or new_id(),
        spec_id=spec.id,
        name=name,
        params=params,
        position=(float(position[0]), float(position[1])),
        **fields,
    )
    if node.shared_with is not None:
        graph.node(node.shared_with)
    return AddNode(node, description=f"Add {spec.class_name}")


def remove_nodes(graph, node_ids: list[str]) -> Compound:
    """Remove nodes with their connections, output marks, and hand shared layers to a sharer."""
    ids = list(dict.fromkeys(node_ids))
    for nid in ids:
        graph.node(nid)
    doomed = set(ids)
    cmds: list[Command] = []
    edges = {e for nid in ids for e in graph.in_edges(nid) + graph.out_edges(nid)}
    cmds += [Disconnect(e) for e in sorted(edges)]
    outputs = [o for o in graph.outputs if o.node not in doomed]
    if outputs != graph.outputs:
        cmds.append(SetOutputs(outputs))
    # A removed layer owner hands its layer to its first surviving sharer.
    for nid in ids:
        survivors = [n for n in graph.sharers(nid) if n.id not in doomed]
        if survivors:
            owner = graph.node(nid)
            heir = survivors[0]
            cmds.append(
                UpdateNode(
                    heir.id,
                    {
                        "shared_with": owner.shared_with,
                        "params": copy.deepcopy(owner.params),
                        "subgraph": owner.subgraph.copy() if owner.subgraph is not None else None,
                        "weights": owner.weights,
                    },
                )
            )
            for other in survivors[1:]:
                cmds.append(UpdateNode(other.id, {"shared_with": heir.id}))
    cmds += [RemoveNode(nid) for nid in ids]
    what = graph.node(ids[0]).name if len(ids) == 1 else f"{len(ids)} layers"
    return Compound(cmds, description=f"Delete {what}")


def update_node(graph, node_id: str, **changes: Any) -> UpdateNode:
    """An UpdateNode after checking name, params and sharing."""
    node = graph.node(node_id)
    if "name" in changes and changes["name"] != node.name:
        graph.check_name(changes["name"], node_id)
    spec = REGISTRY[changes.get("spec_id", node.spec_id)]
    if "params" in changes:
        changes["params"] = validate_params(spec, changes["params"], node_name=node.name)
    if changes.get("shared_with") is not None:
        other = graph.node(changes["shared_with"])
        owner = graph.owner(other.id)
        if owner.id == node_id:
            raise GraphError(f"'{node.name}' cannot share its own layer.", node_id=node_id)
        if REGISTRY[owner.spec_id].id != spec.id:
            raise GraphError(
                f"'{node.name}' can only share the layer of a node of the same type "
                f"({spec.class_name}), not '{owner.name}'.",
                node_id=node_id,
            )
        if graph.sharers(node_id):
            raise GraphError(
                f"Other layers reuse '{node.name}'; it cannot itself reuse another layer.",
                node_id=node_id,
            )
        changes["shared_with"] = owner.id
    if "position" in changes:
        x, y = changes["position"]
        changes["position"] = (float(x), float(y))
    label = (
        "Rename"
        if set(changes) == {"name"}
        else "Move"
        if set(changes) == {"position"}
        else "Change"
    )
    return UpdateNode(node_id, changes, description=f"{label} {node.name}")


def connect(
    graph, src: str, dst: str, port: str | None = None, src_index: int = 0, slot: int | None = None
) -> Connect:
    """A Connect into the first free port of `dst` (or the given port / next variadic slot)."""
    ports = graph.ports(dst)
    if port is None:
        if not ports:
            raise GraphError(f"'{graph.node(dst).name}' takes no inputs.", node_id=dst)
        taken = {e.port for e in graph.in_edges(dst)}
        free = [p for p in ports if p.variadic or p.name not in taken]
        port = (free or ports)[0].name
    if slot is None:
        slot = (
            graph.free_slot(dst, port) if any(p.name == port and p.variadic for p in ports) else 0
        )
    edge = Edge(src, src_index, dst, port, slot)
    graph.check_connect(edge)
    return Connect(edge, description=f"Connect {graph.node(src).name} → {graph.node(dst).name}")
