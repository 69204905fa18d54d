"""CanvasView: zoom, pan, rubber band, drops from the palette, quick add and the editing keys."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QKeySequence, QPainter
from PySide6.QtWidgets import QGraphicsView

from app.ui.canvas import clipboard, edits
from app.ui.canvas.edge_item import EdgeItem
from app.ui.canvas.minimap import Minimap
from app.ui.canvas.node_item import NodeItem
from app.ui.canvas.quick_add import QuickAddPopup
from app.ui.canvas.scene import GraphScene
from app.ui.canvas.style import GRID_STEP, MAX_ZOOM, MIN_ZOOM

SPEC_MIME = "application/x-layerloom-spec"
FIT_MAX_ZOOM = 1.25
WHEEL_BASE = 1.0015  # zoom factor per wheel angle unit (one notch of 120 ~ x1.2)
FIT_MARGIN = 24  # viewport pixels left free around the graph by Fit


class CanvasView(QGraphicsView):
    """The widget showing a GraphScene; all edits go through the scene's undoable commands."""

    def __init__(self, scene: GraphScene, parent=None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("CanvasView")
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPoint | None = None
        self._space = False
        self._paste_serial: tuple[str, int] = ("", 0)
        self.quick_add: QuickAddPopup | None = None
        self._quick_add_pos = QPointF()
        self._quick_add_from: tuple[str, int] | None = None
        self._grid_key: tuple = ()
        self._grid_points: list[QPointF] = []
        self.minimap = Minimap(self)
        self.minimap.set_scene(self.graph_scene)
        self.centerOn(0, 0)

    @property
    def graph_scene(self) -> GraphScene | None:
        scene = self.scene()
        return scene if isinstance(scene, GraphScene) else None

    def setScene(self, scene) -> None:  # noqa: N802 - Qt API
        super().setScene(scene)
        self.resetCachedContent()
        self._scale_changed()
        self.minimap.set_scene(self.graph_scene)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().paintEvent(event)
        self.minimap.follow_view()  # every scroll and zoom repaints the view

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.minimap.place()

    # ----- zoom -------------------------------------------------------------------------------
    def zoom(self) -> float:
        """The current scale factor (1.0 = 100%)."""
        return self.transform().m11()

    def set_zoom(self, value: float, anchor_view_center: bool = False) -> None:
        """Set the scale to `value`, clamped to [MIN_ZOOM, MAX_ZOOM]; bad numbers are ignored."""
        current = self.zoom()
        if not math.isfinite(value) or value <= 0:
            return
        if not math.isfinite(current) or current <= 0:
            self.resetTransform()
            current = 1.0
        # Fit may have gone below MIN_ZOOM to show a big graph whole: from there, only closer.
        value = min(max(value, min(MIN_ZOOM, current)), MAX_ZOOM)
        factor = value / current
        if abs(factor - 1.0) < 1e-9:
            return
        old = self.transformationAnchor()
        if anchor_view_center:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.scale(factor, factor)
        self.setTransformationAnchor(old)
        self._scale_changed()

    def _scale_changed(self) -> None:
        if self.graph_scene is not None:
            self.graph_scene.set_view_scale(self.zoom())

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * 1.25, anchor_view_center=True)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / 1.25, anchor_view_center=True)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0, anchor_view_center=True)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt API
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        pixels = event.pixelDelta()
        if not ctrl and not pixels.isNull() and event.phase() != Qt.ScrollPhase.NoScrollPhase:
            # Two-finger scroll on a touchpad pans; a wheel (or pinch with Ctrl) zooms.
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - pixels.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - pixels.y())
            event.accept()
            return
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            delta = event.pixelDelta().y()
        if delta:
            self.set_zoom(self.zoom() * WHEEL_BASE ** max(-600, min(600, delta)))
        event.accept()

    def fit_to_view(self) -> None:
        """Show the whole graph, however small that makes it (not closer than 125%)."""
        scene = self.graph_scene
        if scene is None:
            return
        rect = QRectF()
        for item in scene.items_by_id.values():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        room = self.viewport().rect().adjusted(FIT_MARGIN, FIT_MARGIN, -FIT_MARGIN, -FIT_MARGIN)
        zoom = min(room.width() / rect.width(), room.height() / rect.height(), FIT_MAX_ZOOM)
        # No floor here: below MIN_ZOOM the wheel cannot zoom further out, but Fit may.
        if math.isfinite(zoom) and zoom > 0:
            self.resetTransform()
            self.scale(zoom, zoom)
            self._scale_changed()
        self.centerOn(rect.center())

    def show_start(self) -> None:
        """Show a freshly opened graph (an example, a project, an imported model): fitted."""
        self.fit_to_view()

    def frame_node(self, node_id: str) -> None:
        """Select a node and bring it to the middle of the view."""
        scene = self.graph_scene
        item = scene.items_by_id.get(node_id) if scene is not None else None
        if item is None:
            return
        self.graph_scene.select_node(node_id)
        if self.zoom() < 0.6:
            self.set_zoom(1.0, anchor_view_center=True)
        self.centerOn(item.sceneBoundingRect().center())

    # ----- background -------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt API
        scene = self.graph_scene
        if scene is None:
            painter.fillRect(rect, self.palette().base())
            return
        theme = scene.theme
        painter.fillRect(rect, theme.background)
        zoom = self.zoom()
        if zoom < 0.3:
            return
        step = GRID_STEP
        while step * zoom < 14:  # dots at least ~14 px apart on screen: a few thousand at most
            step *= 2
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        cols = int(rect.width() / step) + 2
        rows = int(rect.height() / step) + 2
        key = (left, top, cols, rows, step)
        if key != self._grid_key:  # repaints of the same area reuse the dot list
            self._grid_key = key
            self._grid_points = [
                QPointF(left + i * step, top + j * step) for j in range(rows) for i in range(cols)
            ]
        painter.setPen(theme.grid_pen)
        painter.drawPoints(self._grid_points)

    # ----- mouse: pan -------------------------------------------------------------------------
    def _wants_pan(self, event) -> bool:
        if event.button() == Qt.MouseButton.MiddleButton:
            return True
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if self._space:
            return True
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        return alt and self.itemAt(event.position().toPoint()) is None

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._wants_pan(event):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._pan_from is not None:
            pos = event.position().toPoint()
            delta = pos - self._pan_from
            self._pan_from = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor
            )
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # ----- keys -------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        # Tab would move the focus before keyPressEvent sees it.
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Tab
            and self.graph_scene is not None
        ):
            self.open_quick_add()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.graph_scene is None:
            super().keyPressEvent(event)
            return
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        elif event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif key == Qt.Key.Key_D and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.duplicate_selection()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.graph_scene.select_nodes(list(self.graph_scene.items_by_id))
        elif key == Qt.Key.Key_F and not event.modifiers():
            self.fit_to_view()
        elif key == Qt.Key.Key_Escape:
            self.graph_scene.clearSelection()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._pan_from is None:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._space = False
        super().focusOutEvent(event)

    # ----- editing ----------------------------------------------------------------------------
    def delete_selection(self) -> bool:
        return self.graph_scene is not None and edits.delete_selection(self.graph_scene)

    def copy_selection(self) -> bool:
        if self.graph_scene is None:
            return False
        ids = self.graph_scene.selected_node_ids()
        if not clipboard.copy_to_clipboard(self.graph_scene.graph, ids):
            return False
        self.graph_scene.status_message.emit(
            f"Copied {len(ids)} layer{'s' if len(ids) != 1 else ''}."
        )
        return True

    def paste(self, scene_pos: QPointF | None = None) -> list[str]:
        """Paste layers from the clipboard (at `scene_pos`, or shifted from the originals)."""
        if self.graph_scene is None:
            return []
        data = clipboard.clipboard_data()
        if data is None:
            self.graph_scene.status_message.emit("The clipboard holds no layers.")
            return []
        if scene_pos is not None:
            xs = [n.get("position", [0, 0])[0] for n in data["nodes"] if isinstance(n, dict)]
            ys = [n.get("position", [0, 0])[1] for n in data["nodes"] if isinstance(n, dict)]
            offset = (scene_pos.x() - min(xs, default=0), scene_pos.y() - min(ys, default=0))
        else:
            key = str(sorted(n.get("id", "") for n in data["nodes"] if isinstance(n, dict)))
            count = self._paste_serial[1] + 1 if self._paste_serial[0] == key else 1
            self._paste_serial = (key, count)
            offset = (clipboard.PASTE_OFFSET * count, clipboard.PASTE_OFFSET * count)
        return edits.paste_data(self.graph_scene, data, offset)

    def duplicate_selection(self) -> list[str]:
        return edits.duplicate_selection(self.graph_scene) if self.graph_scene is not None else []

    def cursor_scene_pos(self) -> QPointF:
        """The cursor in scene coordinates, or the view centre when the cursor is outside."""
        from PySide6.QtGui import QCursor

        local = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(local):
            local = self.viewport().rect().center()
        return self.mapToScene(local)

    def open_quick_add(
        self, scene_pos: QPointF | None = None, connect_from: tuple[str, int] | None = None
    ) -> QuickAddPopup | None:
        """Show the quick-add popup; the chosen layer is added at `scene_pos` (default: cursor).

        With `connect_from` (node id, output index) the new layer is wired to that output.
        """
        if self.graph_scene is None:
            return None
        self._quick_add_from = connect_from
        self._quick_add_pos = scene_pos if scene_pos is not None else self.cursor_scene_pos()
        if self.quick_add is None:
            self.quick_add = QuickAddPopup(self)
            self.quick_add.chosen.connect(self._quick_add_chosen)
        global_pos = self.viewport().mapToGlobal(self.mapFromScene(self._quick_add_pos))
        self.quick_add.popup_at(global_pos)
        return self.quick_add

    def _quick_add_chosen(self, spec_id: str) -> None:
        source, self._quick_add_from = self._quick_add_from, None
        if self.graph_scene is not None:
            self.graph_scene.add_node_at(spec_id, self._quick_add_pos, connect_from=source)

    # ----- drops from the palette -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.graph_scene is not None and event.mimeData().hasFormat(SPEC_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.graph_scene is not None and event.mimeData().hasFormat(SPEC_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        mime = event.mimeData()
        if self.graph_scene is None or not mime.hasFormat(SPEC_MIME):
            event.ignore()
            return
        spec_id = (
            bytes(mime.data(SPEC_MIME)).decode("utf-8", "replace").strip() or mime.text().strip()
        )
        pos = self.mapToScene(event.position().toPoint())
        if self.graph_scene.add_node_at(spec_id, pos) is not None:
            event.acceptProposedAction()
            self.setFocus()
        else:
            event.ignore()

    def selected_items(self) -> tuple[list[NodeItem], list[EdgeItem]]:
        items = self.graph_scene.selectedItems() if self.graph_scene is not None else []
        return [i for i in items if isinstance(i, NodeItem)], [
            i for i in items if isinstance(i, EdgeItem)
        ]
