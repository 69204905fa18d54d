"""Edit-menu operations as model commands: copy/paste payloads, delete, duplicate, auto-layout."""

from __future__ import annotations

import json

from app.errors import GraphError
from app.model import Edge, ModelGraph, graph_from_dict, graph_to_dict
from app.model import commands as cmds
from app.model.commands import AddNode, Command, Compound, Connect, Disconnect, UpdateNode
from app.model.node import new_id
from app.nodes import REGISTRY

NODES_MIME = "application/x-layerloom-nodes"
PASTE_OFFSET = 40.0


def copy_payload(graph: ModelGraph, node_ids: list[str]) -> str:
    """The selected nodes and the wires between them as JSON text (for the clipboard)."""
    chosen = [nid for nid in dict.fromkeys(node_ids) if nid in graph]
    if not chosen:
        raise GraphError("Select the layers to copy.")
    inside = set(chosen)
    part = ModelGraph(graph.name)
    for nid in chosen:
        node = graph.node(nid).copy()
        if node.shared_with is not None and node.shared_with not in inside:
            # Keep the link to the layer outside the selection: same params, owner kept by id.
            node.params = dict(graph.owner(nid).params)
        part._add_node(node, emit=False)
    for e in graph.edges():
        if e.src in inside and e.dst in inside:
            part._g.add_edge(e.src, e.dst, key=e)
    data = graph_to_dict(part)
    return json.dumps({"layerloom_nodes": 1, "graph": data})


def paste_command(graph: ModelGraph, payload: str, offset: float = PASTE_OFFSET) -> tuple[Compound, list[str]]:
    """The command adding a copy of `payload` with fresh ids and names; and the new ids."""
    try:
        doc = json.loads(payload)
        data = doc["graph"]
        # Links to layers outside the copied set are resolved below, not by the reader.
        outside = {n.get("shared_with") for n in data.get("nodes", [])} - {n.get("id") for n in data.get("nodes", [])}
        clean = {**data, "nodes": [{k: v for k, v in n.items() if not (k == "shared_with" and v in outside)} for n in data["nodes"]]}
        part = graph_from_dict(clean)
    except GraphError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphError(f"The clipboard does not hold LayerLoom layers ({exc}).") from None
    shared_outside = {n["id"]: n.get("shared_with") for n in data["nodes"] if n.get("shared_with") in outside}
    id_map = {nid: new_id() for nid in part.node_ids()}
    taken: set[str] = set()
    adds: list[Command] = []
    for node in part.nodes():
        copy = node.copy()
        copy.id = id_map[node.id]
        copy.name = graph.unique_name(node.name, exclude=taken)
        taken.add(copy.name)
        copy.position = (node.position[0] + offset, node.position[1] + offset)
        if node.shared_with is not None:
            copy.shared_with = id_map.get(node.shared_with)
        else:
            target = shared_outside.get(node.id)
            if target in graph and graph.owner(target).spec_id == copy.spec_id:
                copy.shared_with = graph.owner(target).id
        adds.append(AddNode(copy))
    # Owners first, so a sharer never points at a node not yet added.
    adds.sort(key=lambda c: c.node.shared_with is not None and c.node.shared_with in id_map.values())
    wires = [Connect(Edge(id_map[e.src], e.src_index, id_map[e.dst], e.port, e.slot)) for e in sorted(part.edges())]
    what = f"{len(adds)} layer{'s' if len(adds) != 1 else ''}"
    return Compound(adds + wires, description=f"Paste {what}"), [id_map[n] for n in part.node_ids()]


def delete_command(graph: ModelGraph, node_ids: list[str], edges: list[Edge] = ()) -> Compound:
    """Remove the nodes (with their wires) and any extra selected wires, as one step."""
    node_ids = [n for n in node_ids if n in graph]
    loose = [e for e in edges if graph.has_edge(e) and e.src not in node_ids and e.dst not in node_ids]
    parts: list[Command] = [Disconnect(e) for e in loose]
    if node_ids:
        parts.append(cmds.remove_nodes(graph, node_ids))
    if not parts:
        raise GraphError("Nothing is selected to delete.")
    if len(parts) == 1 and node_ids:
        return parts[0]
    what = f"{len(node_ids)} layers" if node_ids else f"{len(loose)} connection(s)"
    return Compound(parts, description=f"Delete {what}")


def layout_command(graph: ModelGraph) -> Compound:
    """Positions from `layout_graph` as one undoable move of every node that changes place."""
    from app.compiler.layout import layout_graph

    laid = graph.copy()
    layout_graph(laid)
    moves: list[Command] = []
    for node in graph.nodes():
        new = laid.node(node.id).position
        if tuple(new) != tuple(node.position):
            moves.append(UpdateNode(node.id, {"position": (float(new[0]), float(new[1]))}))
    return Compound(moves, description="Auto-layout")


def block_ids(graph: ModelGraph, node_ids: list[str]) -> list[str]:
    """The selected nodes that are blocks (nested models)."""
    return [n for n in node_ids if n in graph and REGISTRY[graph.node(n).spec_id].kind == "block"]
