"""Minimap: the whole graph small in a corner of the canvas, with the part the view shows.

The graph is drawn into a pixmap when it changes (debounced), never per frame; a frame only
copies that pixmap and draws the visible rectangle.  Click or drag in it to move the view.
It hides while the whole graph is in view (then it would only repeat the canvas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.ui.canvas.scene import GraphScene
    from app.ui.canvas.view import CanvasView

MAX_SIZE = (220, 150)  # pixels the minimap may take
PAD = 6  # pixels around the drawing inside the frame
CORNER_GAP = 12  # pixels from the canvas corner
REDRAW_DELAY_MS = 120


class Minimap(QWidget):
    """An overview of the view's GraphScene, placed over the bottom-right of the canvas."""

    def __init__(self, view: CanvasView) -> None:
        super().__init__(view)
        self.view = view
        self.setObjectName("Minimap")
        self._scene: GraphScene | None = None
        self._pixmap = QPixmap()
        self._bounds = QRectF()  # the scene area the pixmap shows
        self._scale = 1.0  # minimap pixels per scene unit
        self._visible_area = QRectF()
        self.redraws = 0  # how often the graph was drawn (the tests check it is not per frame)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_DELAY_MS)
        self._timer.timeout.connect(self.redraw)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self.hide()

    # ----- following the scene and the view ---------------------------------------------------
    def set_scene(self, scene: GraphScene | None) -> None:
        """Follow `scene` (None: nothing to show)."""
        if self._scene is not None:
            try:
                self._scene.contents_changed.disconnect(self.schedule_redraw)
            except (RuntimeError, TypeError):
                pass
        self._scene = scene
        if scene is not None:
            scene.contents_changed.connect(self.schedule_redraw)
        self.redraw()

    def schedule_redraw(self) -> None:
        """The graph changed: draw it again shortly (edits in a burst draw it once)."""
        self._timer.start()

    def redraw(self) -> None:
        """Draw the whole graph into the cached pixmap and resize to its shape."""
        self._timer.stop()
        scene = self._scene
        items = list(scene.items_by_id.values()) if scene is not None else []
        bounds = QRectF()
        for item in items:
            bounds = bounds.united(QRectF(item.x(), item.y(), item.width, item.height))
        self._bounds = bounds
        if bounds.isEmpty():
            self._pixmap = QPixmap()
            self.follow_view()
            return
        max_w, max_h = MAX_SIZE[0] - 2 * PAD, MAX_SIZE[1] - 2 * PAD
        self._scale = min(max_w / bounds.width(), max_h / bounds.height())
        w = max(1, round(bounds.width() * self._scale))
        h = max(1, round(bounds.height() * self._scale))
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(round(w * ratio), round(h * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.scale(self._scale, self._scale)
        painter.translate(-bounds.topLeft())
        theme = scene.theme
        pen = QPen(theme.wire_pen)
        pen.setWidthF(1.0)
        painter.setPen(pen)
        for edge in scene.edge_items.values():
            painter.drawPath(edge.path)
        painter.setPen(Qt.PenStyle.NoPen)
        for item in items:
            painter.setBrush(item.header_brush)
            painter.drawRect(QRectF(item.x(), item.y(), item.width, item.height))
        painter.end()
        self._pixmap = pixmap
        self.redraws += 1
        self.resize(w + 2 * PAD, h + 2 * PAD)
        self.place()
        self.follow_view()

    def place(self) -> None:
        """Stay in the bottom-right corner of the canvas."""
        area = self.view.viewport().geometry()
        self.move(
            area.right() - self.width() - CORNER_GAP + 1,
            area.bottom() - self.height() - CORNER_GAP + 1,
        )

    def follow_view(self) -> None:
        """After the view scrolled or zoomed: move the visible rectangle, show or hide."""
        view = self.view
        area = view.mapToScene(view.viewport().rect()).boundingRect()
        whole = self._bounds.isEmpty() or area.contains(self._bounds)
        if whole != self.isHidden():
            self.setVisible(not whole)
        if area != self._visible_area:
            self._visible_area = area
            self.update()

    # ----- drawing and mouse ------------------------------------------------------------------
    def to_scene(self, point: QPointF) -> QPointF:
        """The scene point under a minimap point."""
        return QPointF(
            self._bounds.left() + (point.x() - PAD) / self._scale,
            self._bounds.top() + (point.y() - PAD) / self._scale,
        )

    def _to_map(self, rect: QRectF) -> QRectF:
        return QRectF(
            PAD + (rect.left() - self._bounds.left()) * self._scale,
            PAD + (rect.top() - self._bounds.top()) * self._scale,
            rect.width() * self._scale,
            rect.height() * self._scale,
        )

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        scene = self._scene
        if scene is None:
            return
        theme = scene.theme
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(theme.node_border)
        painter.setBrush(theme.node_fill)
        painter.drawRoundedRect(frame, 5, 5)
        painter.drawPixmap(PAD, PAD, self._pixmap)
        seen = self._to_map(self._visible_area).intersected(frame)
        fill = QColor(theme.highlight)
        fill.setAlphaF(0.14)
        painter.setBrush(fill)
        painter.setPen(QPen(theme.highlight, 1.5))
        painter.drawRect(seen)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            self._centre_on(event.position())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._centre_on(event.position())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def _centre_on(self, point: QPointF) -> None:
        if not self._bounds.isEmpty():
            self.view.centerOn(self.to_scene(point))
