"""GraphScene: the canvas as a view of a ModelGraph, kept in step through graph events."""

from __future__ import annotations

import logging
from collections import defaultdict

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmapCache, QUndoStack
from PySide6.QtWidgets import QGraphicsScene

from app.errors import LayerLoomError
from app.model import commands, events
from app.model.commands import Command, Compound
from app.model.graph import ModelGraph
from app.model.node import Edge
from app.nodes import REGISTRY
from app.ui import undo
from app.ui.canvas.edge_item import EdgeItem, ShareLinkItem, WireLayerItem
from app.ui.canvas.interactions import (
    ConnectFromInput,
    ConnectFromOutput,
    Interaction,
    ReplugWire,
)
from app.ui.canvas.lod import FULL_DETAIL
from app.ui.canvas.node_item import NodeItem, compact_shape, format_shape
from app.ui.canvas.port_item import PortItem
from app.ui.canvas.style import HEADER_HEIGHT, NODE_HEIGHT, NODE_WIDTH, CanvasStyle

SCENE_HALF = 200_000.0
LANE_MARGIN = 10.0
LABEL_DETAIL = 0.55  # below this view scale wire labels are hidden (too small to read)  # a wire routed through a gap keeps this far from the nodes beside it
PIXMAP_CACHE_KB = 96 * 1024  # node cards are cached as pixmaps: room for a 4K, HiDPI screenful
log = logging.getLogger(__name__)


class GraphScene(QGraphicsScene):
    """Items for every node, edge and shared-layer link of `graph`; user edits go to `undo_stack`.

    The scene holds no state the model lacks: items are rebuilt from graph events, and every
    gesture becomes a model command pushed through `app.ui.undo.push`.
    """

    selection_changed_nodes = Signal(list)
    status_message = Signal(str)
    open_block_requested = Signal(str)
    contents_changed = Signal()  # after items followed a graph edit (the minimap redraws)

    def __init__(self, graph: ModelGraph, undo_stack: QUndoStack, parent=None) -> None:
        super().__init__(parent)
        self.graph = graph
        self.undo_stack = undo_stack
        self.theme = CanvasStyle()
        if QPixmapCache.cacheLimit() < PIXMAP_CACHE_KB:
            QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)
        self._palette_key = QGuiApplication.palette().cacheKey()
        self.items_by_id: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.share_links: dict[str, ShareLinkItem] = {}
        self._edges_at: dict[str, set[Edge]] = defaultdict(set)
        self.report = None
        self._edge_errors: dict[Edge, str] = {}
        self._interaction: Interaction | None = None
        self._move_start: dict[str, QPointF] = {}
        self.wire_labels_shown = True
        self.wires_in_layer = False  # zoomed far out: wires drawn by wire_layer as one picture
        self.wire_layer = WireLayerItem(self)
        self.addItem(self.wire_layer)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setSceneRect(QRectF(-SCENE_HALF, -SCENE_HALF, 2 * SCENE_HALF, 2 * SCENE_HALF))
        self.setBackgroundBrush(self.theme.background)
        graph.events.connect(self._on_event)
        self.selectionChanged.connect(self._emit_selection)
        self._rebuild()

    # ----- lifetime ---------------------------------------------------------------------------
    def dispose(self) -> None:
        """Stop following the graph (call before dropping the scene)."""
        self.graph.events.disconnect(self._on_event)
        self._cancel_interaction()

    def apply_palette(self) -> None:
        """Re-derive colours from the application palette (after a theme switch)."""
        key = QGuiApplication.palette().cacheKey()
        if key == self._palette_key:  # the window and the palette event may both ask
            return
        self._palette_key = key
        self.theme.rebuild()
        self.setBackgroundBrush(self.theme.background)
        for item in self.items_by_id.values():
            item.refresh()
        for e in self.edge_items.values():
            e.label.text = ""
            e.update_path()
        for view in self.views():
            view.resetCachedContent()
        self.update()
        self.contents_changed.emit()

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply_palette()
        return super().event(event)

    # ----- public API -------------------------------------------------------------------------
    def set_view_scale(self, scale: float) -> None:
        """Follow the view's zoom: zoomed far out, wires are one picture and labels are hidden.

        Painting a thousand wires costs a thousand Python paint calls per frame; the wire
        layer is one cached picture of them all.  At such scales no one picks a single wire.
        """
        labels = scale >= LABEL_DETAIL
        layer = scale < FULL_DETAIL
        if labels == self.wire_labels_shown and layer == self.wires_in_layer:
            return
        self.wire_labels_shown, self.wires_in_layer = labels, layer
        for item in self.edge_items.values():
            item.setVisible(not layer)
            item.label.setVisible(labels and bool(item.label.text))
        self.wire_layer.setVisible(layer)
        if layer:
            self.wire_layer.rebuild()

    def push(self, command: Command) -> None:
        """Apply a model command and put it on the undo stack (LayerLoomError if refused)."""
        undo.push(self.undo_stack, self.graph, command)

    def try_push(self, command_or_builder) -> bool:
        """Push a command (or build one first); a refusal goes to `status_message`."""
        try:
            command = command_or_builder() if callable(command_or_builder) else command_or_builder
            if command is not None:
                self.push(command)
            return True
        except LayerLoomError as exc:
            self.status_message.emit(exc.message)
            return False

    def add_node_at(
        self, spec_id: str, scene_pos: QPointF, connect_from: tuple[str, int] | None = None
    ) -> str | None:
        """Add a node of `spec_id` centred at `scene_pos` (undoable); returns its id or None.

        With `connect_from` (node id, output index) the new node's first free input is wired
        to that output in the same undo step, and its input port lands at `scene_pos`.
        """
        spec = REGISTRY.get(spec_id)
        if spec is None:
            self.status_message.emit(f"Unknown layer type {spec_id!r}.")
            return None
        if spec.kind == "block":
            self.status_message.emit("To make a block, select layers and choose Group into block.")
            return None
        if connect_from is None:
            x, y = scene_pos.x() - NODE_WIDTH / 2, scene_pos.y() - HEADER_HEIGHT / 2
        else:
            x, y = scene_pos.x() + 8, scene_pos.y() - (HEADER_HEIGHT + NODE_HEIGHT) / 2
        holder: list[str] = []

        def build() -> Command:
            add = commands.add_node(self.graph, spec.id, position=(round(x), round(y)))
            holder.append(add.node.id)
            if connect_from is None:
                return add
            trial = self.graph.copy()
            add.apply(trial)
            try:
                link = commands.connect(
                    trial, connect_from[0], add.node.id, src_index=connect_from[1]
                )
            except LayerLoomError as exc:
                self.status_message.emit(exc.message)
                return add
            return Compound([add, link], description=f"{add.description} and connect")

        if not self.try_push(build):
            return None
        self.select_node(holder[0])
        return holder[0]

    def request_quick_add(self, scene_pos: QPointF, connect_from: tuple[str, int] | None) -> bool:
        """Ask the view to open its quick-add popup (a wire dropped on empty canvas)."""
        for view in self.views():
            if hasattr(view, "open_quick_add"):
                view.open_quick_add(scene_pos, connect_from=connect_from)
                return True
        return False

    def select_node(self, node_id: str) -> None:
        """Make `node_id` the only selected node."""
        item = self.items_by_id.get(node_id)
        self.clearSelection()
        if item is not None:
            item.setSelected(True)

    def select_nodes(self, node_ids) -> None:
        """Make exactly these nodes selected, then emit selection_changed_nodes once."""
        self.blockSignals(True)
        try:
            self.clearSelection()
            for nid in node_ids:
                item = self.items_by_id.get(nid)
                if item is not None:
                    item.setSelected(True)
        finally:
            self.blockSignals(False)
        self._emit_selection()

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def set_report(self, report) -> None:
        """Show a ShapeReport: shapes and params on node faces, shapes on wires, problem badges.

        Only nodes whose result or problems changed since the last report are repainted.
        A problem inside a block shows on the block node when the block's inside is not shown.
        """
        self.report = report
        errors: dict[str, list[str]] = defaultdict(list)
        warnings: dict[str, list[str]] = defaultdict(list)
        old_edge_errors, self._edge_errors = self._edge_errors, {}
        for p in getattr(report, "problems", []) or []:
            if p.edge is not None:
                self._edge_errors[p.edge] = p.message
            where = next(
                (n for n in (p.node_id, *getattr(p, "path", ())) if n in self.items_by_id), None
            )
            if where is not None:
                target = errors if p.severity == "error" else warnings
                if p.message not in target[where]:
                    target[where].append(p.message)
        results = getattr(report, "nodes", {}) or {}
        changed: set[str] = set()
        for nid, item in self.items_by_id.items():
            res = results.get(nid)
            errs = list(errors.get(nid, []))
            if res is not None and res.error and res.error not in errs:
                errs.insert(0, res.error)
            warn = warnings.get(nid)
            state = (res, "\n".join(errs) or None, "\n".join(warn) if warn else None)
            if item.report_state == state:
                continue
            item.report_state = state
            changed.add(nid)
            if item.set_result(*state):
                self._update_edges_of(nid)
        for edge, item in self.edge_items.items():
            err = self._edge_errors.get(edge)
            if edge.src in changed or err != old_edge_errors.get(edge):
                item.set_label(self._edge_texts(edge), err)

    def edge_label(self, edge: Edge) -> str:
        """The shape of the tensor `edge` carries, from the last report ("" if unknown)."""
        texts = self._edge_texts(edge)
        return texts[0] if texts else ""

    def _edge_texts(self, edge: Edge) -> tuple[str, ...]:
        res = (getattr(self.report, "nodes", None) or {}).get(edge.src)
        if res is None or edge.src_index >= len(res.output_shapes):
            return ()
        shape = res.output_shapes[edge.src_index]
        return tuple(dict.fromkeys((format_shape(shape), compact_shape(shape))))

    # ----- graph events -> items --------------------------------------------------------------
    def _on_event(self, ev: events.GraphEvent) -> None:
        # The model has already changed: a failing view update must not make the command fail
        # (that would desynchronise the undo stack), so the scene rebuilds itself instead.
        try:
            self._follow(ev)
        except Exception:
            log.exception("Canvas update for %s failed; rebuilding the canvas.", ev.kind)
            try:
                self._rebuild()
            except Exception:
                log.exception("Canvas rebuild failed.")
        self.contents_changed.emit()

    def _follow(self, ev: events.GraphEvent) -> None:
        kind = ev.kind
        if kind == events.NODE_ADDED:
            self._add_node_item(ev.node_id)
        elif kind == events.NODE_REMOVED:
            self._remove_node_item(ev.node_id)
        elif kind == events.NODE_CHANGED:
            self._node_changed(ev.node_id, ev.fields)
        elif kind == events.EDGE_ADDED:
            self._add_edge_item(ev.edge)
            self._refresh_ports(ev.edge.src, ev.edge.dst)
        elif kind == events.EDGE_REMOVED:
            self._remove_edge_item(ev.edge)
            self._refresh_ports(ev.edge.src, ev.edge.dst)
        elif kind == events.OUTPUTS_CHANGED:
            for item in self.items_by_id.values():
                is_out = any(o.node == item.node_id for o in self.graph.outputs)
                if is_out != item.is_output or is_out:
                    item.refresh()
                    self._update_edges_of(item.node_id)
        elif kind == events.RESET:
            self._rebuild()

    def _rebuild(self) -> None:
        self._cancel_interaction()
        for nid in list(self.items_by_id):
            self.removeItem(self.items_by_id.pop(nid))
        for e in list(self.edge_items):
            self.removeItem(self.edge_items.pop(e))
        for sid in list(self.share_links):
            self.removeItem(self.share_links.pop(sid))
        self._edges_at.clear()
        for node in self.graph.nodes():
            self._add_node_item(node.id)
        for edge in self.graph.edges():
            self._add_edge_item(edge)

    def _add_node_item(self, node_id: str) -> None:
        item = NodeItem(self, node_id)
        self.items_by_id[node_id] = item
        self.addItem(item)
        node = self.graph.node(node_id)
        if node.shared_with is not None:
            self._set_share_link(node_id, node.shared_with)

    def _remove_node_item(self, node_id: str) -> None:
        item = self.items_by_id.pop(node_id, None)
        if item is not None:
            self.removeItem(item)
        self._set_share_link(node_id, None)
        for sid, link in list(self.share_links.items()):
            if link.owner_id == node_id:
                self._set_share_link(sid, None)
        self._edges_at.pop(node_id, None)

    def _node_changed(self, node_id: str, fields: tuple[str, ...]) -> None:
        item = self.items_by_id.get(node_id)
        if item is None:
            return
        node = self.graph.node(node_id)
        if set(fields) == {"position"}:
            item.setPos(QPointF(*node.position))
            return
        item.refresh()
        self._update_edges_of(node_id)
        if "shared_with" in fields:
            self._set_share_link(node_id, node.shared_with)
        for sharer in self.graph.sharers(node_id):
            other = self.items_by_id.get(sharer.id)
            if other is not None:
                other.refresh()
                self._update_edges_of(sharer.id)

    def _add_edge_item(self, edge: Edge) -> None:
        if edge in self.edge_items:
            return
        item = EdgeItem(self, edge)
        item.setVisible(not self.wires_in_layer)
        self.edge_items[edge] = item
        self._edges_at[edge.src].add(edge)
        self._edges_at[edge.dst].add(edge)
        item.set_label(self._edge_texts(edge), self._edge_errors.get(edge))
        self.addItem(item)

    def _remove_edge_item(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        if item is not None:
            self.removeItem(item)
            self.wire_layer.mark_dirty()
        for nid in (edge.src, edge.dst):
            self._edges_at.get(nid, set()).discard(edge)

    def _refresh_ports(self, *node_ids: str) -> None:
        for nid in dict.fromkeys(node_ids):
            item = self.items_by_id.get(nid)
            if item is not None:
                item.refresh_ports()
                self._update_edges_of(nid)

    def _set_share_link(self, sharer_id: str, owner_id: str | None) -> None:
        old = self.share_links.pop(sharer_id, None)
        if old is not None:
            self.removeItem(old)
        if owner_id is not None and owner_id in self.items_by_id:
            link = ShareLinkItem(self, sharer_id, self.graph.owner(sharer_id).id)
            self.share_links[sharer_id] = link
            self.addItem(link)

    def node_moved(self, item: NodeItem) -> None:
        """Called by a NodeItem whose position changed: re-route its wires."""
        if item.scene() is self:
            self._update_edges_of(item.node_id)

    def _update_edges_of(self, node_id: str) -> None:
        for e in self._edges_at.get(node_id, ()):
            edge_item = self.edge_items.get(e)
            if edge_item is not None:
                edge_item.update_path()
        for sid, link in self.share_links.items():
            if node_id in (sid, link.owner_id):
                link.update_path()

    def free_lane(self, x0: float, x1: float, y0: float, y1: float) -> float | None:
        """A height between y0 and y1 where a horizontal wire from x0 to x1 crosses no node.

        The clear gap nearest y1 is taken (the one just above a wrapped layout's next band);
        None when nodes fill the whole height.
        """
        blocked = sorted(
            (item.y() - LANE_MARGIN, item.y() + item.height + LANE_MARGIN)
            for item in self.items_by_id.values()
            if item.x() < x1
            and item.x() + item.width > x0
            and item.y() < y1
            and item.y() + item.height > y0
        )
        gaps, top = [], y0
        for a, b in blocked:
            if a > top:
                gaps.append((top, a))
            top = max(top, b)
        if top < y1:
            gaps.append((top, y1))
        return (gaps[-1][0] + gaps[-1][1]) / 2 if gaps else None

    def _emit_selection(self) -> None:
        try:
            self.selection_changed_nodes.emit(self.selected_node_ids())
        except RuntimeError:  # scene being destroyed
            pass

    # ----- mouse ------------------------------------------------------------------------------
    def _port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item
            if isinstance(item, NodeItem):
                return None
        return None

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton and self._interaction is None:
            port = self._port_at(event.scenePos())
            if port is not None:
                self._interaction = self._start_gesture(port)
                self._interaction.track(event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._move_start = {
                i.node_id: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)
            }

    def _start_gesture(self, port: PortItem) -> Interaction:
        if port.kind == "out":
            return ConnectFromOutput(self, port)
        edge = next(
            (
                e
                for e in self.graph.in_edges(port.node_id)
                if (e.port, e.slot) == (port.port, port.slot)
            ),
            None,
        )
        return ReplugWire(self, edge) if edge is not None else ConnectFromInput(self, port)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._interaction is not None:
            self._interaction.track(event.scenePos())
            self._interaction.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._interaction is not None and event.button() == Qt.MouseButton.LeftButton:
            gesture, self._interaction = self._interaction, None
            gesture.track(event.scenePos())
            try:
                if gesture.travel >= 4:
                    gesture.release(event.scenePos())
            finally:
                gesture.finish()
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._commit_move()

    def _commit_move(self) -> None:
        """One undoable command for the whole drag (a Compound when several nodes moved)."""
        start, self._move_start = self._move_start, {}
        cmds = []
        for nid, old in start.items():
            item = self.items_by_id.get(nid)
            if item is None or nid not in self.graph:
                continue
            new = item.pos()
            if (new - old).manhattanLength() < 0.5:
                continue
            cmds.append(
                commands.update_node(self.graph, nid, position=(round(new.x()), round(new.y())))
            )
        if not cmds:
            return
        command = (
            cmds[0] if len(cmds) == 1 else Compound(cmds, description=f"Move {len(cmds)} layers")
        )
        self.try_push(command)

    def _cancel_interaction(self) -> None:
        if self._interaction is not None:
            self._interaction.finish()
            self._interaction = None

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt API
        from app.ui.canvas import menus

        menus.show_context_menu(self, event)
