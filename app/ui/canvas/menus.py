"""Context menus of the canvas: one for a node (or the selection), one for empty space."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from app.ui.canvas import edits
from app.ui.canvas.edge_item import EdgeItem
from app.ui.canvas.node_item import NodeItem
from app.ui.canvas.port_item import PortItem

if TYPE_CHECKING:
    from app.ui.canvas.scene import GraphScene
    from app.ui.canvas.view import CanvasView


def _view_of(event) -> CanvasView | None:
    from app.ui.canvas.view import CanvasView

    widget = event.widget()
    parent = widget.parentWidget() if widget is not None else None
    return parent if isinstance(parent, CanvasView) else None


def show_context_menu(scene: GraphScene, event) -> None:
    """Open the menu that fits what is under the cursor."""
    view = _view_of(event)
    pos = event.scenePos()
    target = None
    for item in scene.items(pos):
        if isinstance(item, PortItem):
            item = item.node_item
        if isinstance(item, NodeItem | EdgeItem):
            target = item
            break
    if isinstance(target, NodeItem):
        if not target.isSelected():
            scene.select_node(target.node_id)
        menu = build_node_menu(scene, view, target.node_id)
    elif isinstance(target, EdgeItem):
        scene.clearSelection()
        target.setSelected(True)
        menu = QMenu(view)
        menu.addAction("Disconnect", lambda: edits.delete_selection(scene))
    else:
        menu = build_canvas_menu(scene, view, pos)
    menu.exec(event.screenPos())
    event.accept()


def build_node_menu(scene: GraphScene, view: QWidget | None, node_id: str) -> QMenu:
    """Actions on a node (and on the whole selection where that makes sense)."""
    graph = scene.graph
    node = graph.node(node_id)
    item = scene.items_by_id[node_id]
    selected = scene.selected_node_ids() or [node_id]
    menu = QMenu(view)
    menu.setObjectName("NodeMenu")
    menu.addAction("Rename…", lambda: _ask_rename(scene, view, node_id))
    owner = graph.owner(node_id)
    if not item.is_input:
        if owner.trainable:
            menu.addAction(
                "Freeze (not trainable)", lambda: edits.set_trainable(scene, selected, False)
            )
        else:
            menu.addAction(
                "Unfreeze (trainable)", lambda: edits.set_trainable(scene, selected, True)
            )
    if item.is_output:
        menu.addAction("Unmark as model output", lambda: edits.toggle_output(scene, node_id))
    else:
        menu.addAction("Mark as model output", lambda: edits.toggle_output(scene, node_id))
    if not item.is_input:
        share = menu.addMenu("Share layer of")
        candidates = edits.share_candidates(graph, node_id)
        for other in sorted(candidates, key=lambda n: n.name):
            share.addAction(other.name, lambda oid=other.id: edits.share_layer(scene, node_id, oid))
        share.setEnabled(bool(candidates))
        if node.shared_with is not None:
            menu.addAction("Stop sharing", lambda: edits.stop_sharing(scene, node_id))
    menu.addSeparator()
    menu.addAction("Group selection into block", lambda: edits.group_selection(scene, selected))
    if item.is_block:
        menu.addAction("Open block", lambda: scene.open_block_requested.emit(node_id))
        menu.addAction("Ungroup block", lambda: edits.ungroup(scene, node_id))
    menu.addSeparator()
    menu.addAction("Duplicate", lambda: edits.duplicate_selection(scene))
    menu.addAction("Delete", lambda: edits.delete_selection(scene))
    return menu


def build_canvas_menu(scene: GraphScene, view: CanvasView | None, scene_pos: QPointF) -> QMenu:
    """Actions on empty canvas: add, paste, auto-layout, fit."""
    menu = QMenu(view)
    menu.setObjectName("CanvasMenu")
    if view is not None:
        menu.addAction("Add layer…", lambda: view.open_quick_add(scene_pos))
        menu.addAction("Paste", lambda: view.paste(scene_pos))
    menu.addAction("Auto-layout", lambda: edits.auto_layout(scene))
    if view is not None:
        menu.addAction("Fit to view", view.fit_to_view)
    return menu


def _ask_rename(scene: GraphScene, parent: QWidget | None, node_id: str) -> None:
    old = scene.graph.node(node_id).name
    name, ok = QInputDialog.getText(parent, "Rename layer", "Layer name:", text=old)
    if ok and name.strip() and name.strip() != old:
        edits.rename_node(scene, node_id, name)
