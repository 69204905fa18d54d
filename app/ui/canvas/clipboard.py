"""Copy / paste / duplicate of nodes: selection to plain JSON, and back as ONE undoable Compound."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QApplication

from app.errors import GraphError, LayerLoomError
from app.model.commands import AddNode, Compound, Connect
from app.model.graph import ModelGraph
from app.model.node import Edge, new_id
from app.model.serialize import graph_from_dict, graph_to_dict

MIME = "application/x-layerloom-nodes"
FORMAT = "layerloom-nodes"
PASTE_OFFSET = 32.0


def selection_data(graph: ModelGraph, node_ids: list[str]) -> dict[str, Any]:
    """The chosen nodes and the edges between them, as graph_to_dict-style plain data."""
    chosen = set(node_ids)
    data = graph_to_dict(graph)
    return {
        "format": FORMAT,
        "version": 1,
        "nodes": [n for n in data["nodes"] if n["id"] in chosen],
        "edges": [e for e in data["edges"] if e["src"] in chosen and e["dst"] in chosen],
    }


def _fresh_name(graph: ModelGraph, name: str, taken: set[str]) -> str:
    if graph.node_by_name(name) is None and name not in taken:
        return name
    return graph.unique_name(re.sub(r"_\d+$", "", name) or "layer", exclude=taken)


def paste_command(
    graph: ModelGraph, data: Any, offset: tuple[float, float] = (PASTE_OFFSET, PASTE_OFFSET)
) -> tuple[Compound, list[str]]:
    """A Compound adding copies of `data`'s nodes (new ids, unique names, shifted) and their edges.

    Sharing with a node outside the copied set is kept when that node is in `graph` (same
    layer type), else dropped.  Raises GraphError if `data` is not valid node data.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise GraphError("The clipboard does not hold LayerLoom layers.")
    nodes = copy.deepcopy(data.get("nodes"))
    edges = data.get("edges", [])
    if not isinstance(nodes, list) or not nodes:
        raise GraphError("The clipboard holds no layers.")
    outside_share: dict[str, str] = {}
    ids = {nd.get("id") for nd in nodes if isinstance(nd, dict)}
    for nd in nodes:
        if (
            isinstance(nd, dict)
            and nd.get("shared_with") is not None
            and nd["shared_with"] not in ids
        ):
            outside_share[nd["id"]] = nd.pop("shared_with")
    try:
        tmp = graph_from_dict({"name": "clipboard", "nodes": nodes, "edges": edges})
    except LayerLoomError as exc:
        raise GraphError(f"The copied layers are not valid: {exc.message}") from None
    id_map = {nid: new_id() for nid in tmp.node_ids()}
    taken: set[str] = set()
    cmds = []
    for node in tmp.nodes():
        n = node.copy()
        n.id = id_map[node.id]
        n.name = _fresh_name(graph, node.name, taken)
        taken.add(n.name)
        n.position = (node.position[0] + offset[0], node.position[1] + offset[1])
        if node.shared_with is not None:
            n.shared_with = id_map[node.shared_with]
        elif node.id in outside_share:
            owner_id = outside_share[node.id]
            if (
                owner_id in graph
                and graph.spec(graph.owner(owner_id).id).id == tmp.spec(node.id).id
            ):
                n.shared_with = graph.owner(owner_id).id
        cmds.append(AddNode(n))
    for e in tmp.edges():
        cmds.append(Connect(Edge(id_map[e.src], e.src_index, id_map[e.dst], e.port, e.slot)))
    what = tmp.nodes()[0].name if len(tmp) == 1 else f"{len(tmp)} layers"
    return Compound(cmds, description=f"Paste {what}"), [id_map[n] for n in tmp.node_ids()]


def copy_to_clipboard(graph: ModelGraph, node_ids: list[str]) -> bool:
    """Put the chosen nodes on the system clipboard (own mime type plus JSON text)."""
    if not node_ids:
        return False
    payload = json.dumps(selection_data(graph, node_ids))
    mime = QMimeData()
    mime.setData(MIME, payload.encode("utf-8"))
    mime.setText(payload)
    QApplication.clipboard().setMimeData(mime)
    return True


def release_clipboard() -> None:
    """Before Python shuts down: swap copied layers on the clipboard for a copy Qt makes itself.

    The QMimeData of copy_to_clipboard() was created from Python; Qt deletes clipboard data in
    a static destructor after the interpreter has finished, and deleting an object with a
    Python wrapper then crashes the process. The text copy (the same JSON) still pastes.
    """
    app = QApplication.instance()
    if app is None:
        return
    board = QApplication.clipboard()
    mime = board.mimeData()
    if mime is not None and mime.hasFormat(MIME):
        board.setText(mime.text())  # QClipboard.setText builds its QMimeData in C++


def clipboard_data() -> dict[str, Any] | None:
    """The LayerLoom node data on the system clipboard, or None."""
    mime = QApplication.clipboard().mimeData()
    if mime is None:
        return None
    raw = bytes(mime.data(MIME)).decode("utf-8") if mime.hasFormat(MIME) else mime.text()
    if not raw or len(raw) > 50_000_000:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None
