"""Canvas edits behind keys and menus; each builds model commands and pushes them on the scene."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from app.model import commands, grouping
from app.model.commands import Command, Compound, Disconnect, OutputRef, SetOutputs, UpdateNode
from app.model.graph import ModelGraph
from app.model.node import Node
from app.ui.canvas import clipboard
from app.ui.wording import counted

if TYPE_CHECKING:
    from app.ui.canvas.scene import GraphScene


def delete_selection(scene: GraphScene) -> bool:
    """Delete the selected nodes (with their wires) and the selected wires, as one command."""
    ids = scene.selected_node_ids()
    doomed = set(ids)
    edges = [e for e in scene.selected_edges() if e.src not in doomed and e.dst not in doomed]
    if not ids and not edges:
        return False

    def build() -> Command:
        cmds: list[Command] = [Disconnect(e) for e in edges]
        if ids:
            cmds.append(commands.remove_nodes(scene.graph, ids))
        if len(cmds) == 1:
            return cmds[0]
        return Compound(cmds, description=f"Delete {len(ids)} layers, {len(edges)} wires")

    return scene.try_push(build)


def rename_node(scene: GraphScene, node_id: str, name: str) -> bool:
    return scene.try_push(lambda: commands.update_node(scene.graph, node_id, name=name.strip()))


def set_trainable(scene: GraphScene, node_ids: list[str], trainable: bool) -> bool:
    """Freeze or unfreeze layers (the owner's flag, for shared layers)."""
    graph = scene.graph
    owners = list(dict.fromkeys(graph.owner(n).id for n in node_ids))
    cmds = [
        UpdateNode(o, {"trainable": trainable})
        for o in owners
        if graph.node(o).trainable != trainable
    ]
    if not cmds:
        return False
    verb = "Unfreeze" if trainable else "Freeze"
    what = graph.node(owners[0]).name if len(owners) == 1 else f"{len(owners)} layers"
    return scene.try_push(Compound(cmds, description=f"{verb} {what}"))


def toggle_output(scene: GraphScene, node_id: str) -> bool:
    """Mark a node's first output as a model output, or unmark all of its outputs."""
    graph = scene.graph
    if any(o.node == node_id for o in graph.outputs):
        refs = [o for o in graph.outputs if o.node != node_id]
        text = f"Unmark {graph.node(node_id).name} as output"
    else:
        refs = [*graph.outputs, OutputRef(node_id, 0)]
        text = f"Mark {graph.node(node_id).name} as output"
    return scene.try_push(SetOutputs(refs, description=text))


def share_candidates(graph: ModelGraph, node_id: str) -> list[Node]:
    """Nodes whose layer `node_id` could reuse: owners of the same layer type."""
    if graph.sharers(node_id):
        return []
    spec_id = graph.spec(graph.owner(node_id).id).id
    return [
        n
        for n in graph.nodes()
        if n.id != node_id
        and n.shared_with is None
        and graph.spec(n.id).id == spec_id
        and n.id != graph.node(node_id).shared_with
    ]


def share_layer(scene: GraphScene, node_id: str, owner_id: str) -> bool:
    return scene.try_push(
        lambda: _described(
            commands.update_node(scene.graph, node_id, shared_with=owner_id),
            f"Share layer of {scene.graph.node(owner_id).name}",
        )
    )


def stop_sharing(scene: GraphScene, node_id: str) -> bool:
    """Give a node its own layer again, starting from a copy of the shared layer's settings."""
    graph = scene.graph
    node = graph.node(node_id)
    if node.shared_with is None:
        return False
    owner = graph.owner(node_id)
    return scene.try_push(
        lambda: _described(
            commands.update_node(
                graph, node_id, shared_with=None, params=copy.deepcopy(owner.params)
            ),
            f"Stop sharing {node.name}",
        )
    )


def group_selection(scene: GraphScene, node_ids: list[str] | None = None) -> str | None:
    """Put the selected layers into a block; returns the block id (selected) or None."""
    ids = node_ids if node_ids is not None else scene.selected_node_ids()
    holder: list[str] = []

    def build() -> Command:
        cmd = grouping.group_nodes(scene.graph, ids)
        holder.append(cmd.block_id)
        return cmd

    if not scene.try_push(build):
        return None
    scene.select_node(holder[0])
    return holder[0]


def ungroup(scene: GraphScene, block_id: str) -> list[str]:
    """Replace a block by its layers; returns their ids (selected)."""
    holder: list[list[str]] = []

    def build() -> Command:
        cmd = grouping.ungroup_block(scene.graph, block_id)
        holder.append(cmd.node_ids)
        return cmd

    if not scene.try_push(build):
        return []
    scene.select_nodes(holder[0])
    return holder[0]


def paste_data(
    scene: GraphScene, data, offset: tuple[float, float], verb: str = "Pasted"
) -> list[str]:
    """Paste node data as one undoable command and select the new nodes."""
    holder: list[list[str]] = []

    def build() -> Command:
        cmd, ids = clipboard.paste_command(scene.graph, data, offset)
        holder.append(ids)
        return cmd

    if not scene.try_push(build):
        return []
    scene.select_nodes(holder[0])
    scene.status_message.emit(f"{verb} {counted(len(holder[0]), 'layer')}.")  # not "Copied …"
    return holder[0]


def duplicate_selection(scene: GraphScene) -> list[str]:
    ids = scene.selected_node_ids()
    if not ids:
        return []
    data = clipboard.selection_data(scene.graph, ids)
    return paste_data(
        scene, data, (clipboard.PASTE_OFFSET, clipboard.PASTE_OFFSET), verb="Duplicated"
    )


def auto_layout(scene: GraphScene) -> bool:
    """Lay the graph out left to right (app.compiler.layout) as one undoable move."""
    try:
        from app.compiler.layout import layout_graph
    except ImportError:
        scene.status_message.emit("Auto-layout is not available in this build.")
        return False
    trial = scene.graph.copy()
    layout_graph(trial)
    cmds = [
        UpdateNode(n.id, {"position": (float(t.position[0]), float(t.position[1]))})
        for n in scene.graph.nodes()
        for t in [trial.node(n.id)]
        if tuple(t.position) != tuple(n.position)
    ]
    if not cmds:
        return False
    return scene.try_push(Compound(cmds, description="Auto-layout"))


def _described(cmd: Command, text: str) -> Command:
    cmd.description = text
    return cmd
