"""Wires: Bézier edges with a tensor-shape label, the live wire of a drag, and shared-layer links."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker
from PySide6.QtWidgets import QGraphicsItem, QStyle

from app.model.node import Edge

if TYPE_CHECKING:
    from app.ui.canvas.scene import GraphScene


def wire_path(p0: QPointF, p1: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from an output anchor to an input anchor."""
    dx = abs(p1.x() - p0.x())
    reach = (
        max(40.0, dx * 0.5)
        if p1.x() >= p0.x()
        else max(80.0, dx * 0.4 + abs(p1.y() - p0.y()) * 0.25)
    )
    path = QPainterPath(p0)
    path.cubicTo(QPointF(p0.x() + reach, p0.y()), QPointF(p1.x() - reach, p1.y()), p1)
    return path


LANE_RUN = 28.0  # how far a wire running back to the next band leaves and enters sideways
LANE_CORNER = 12.0


def lane_path(p0: QPointF, p1: QPointF, lane_y: float) -> QPainterPath:
    """A wire from the end of one band back to the start of a band below it, through the gap.

    Out of the output to the right, down to `lane_y`, left along the gap between the bands,
    down to the input's height and into it from the left; corners are rounded.
    """
    right, left = p0.x() + LANE_RUN, p1.x() - LANE_RUN
    points = [p0, QPointF(right, p0.y()), QPointF(right, lane_y), QPointF(left, lane_y)]
    points += [QPointF(left, p1.y()), p1]
    path = QPainterPath(p0)
    for i in range(1, len(points) - 1):
        prev, corner, nxt = points[i - 1], points[i], points[i + 1]
        r = min(LANE_CORNER, _dist(prev, corner) / 2, _dist(corner, nxt) / 2)
        path.lineTo(_towards(corner, prev, r))
        path.quadTo(corner, _towards(corner, nxt, r))
    path.lineTo(p1)
    return path


def _dist(a: QPointF, b: QPointF) -> float:
    return abs(a.x() - b.x()) + abs(a.y() - b.y())  # segments are axis-parallel


def _towards(a: QPointF, b: QPointF, r: float) -> QPointF:
    """The point `r` along the axis-parallel segment from a to b."""
    d = _dist(a, b)
    if d == 0:
        return QPointF(a)
    return QPointF(a.x() + (b.x() - a.x()) * r / d, a.y() + (b.y() - a.y()) * r / d)


class EdgeLabelItem(QGraphicsItem):
    """The tensor shape written on a wire's midpoint (cached: text is the costly part to draw)."""

    def __init__(self, edge_item: EdgeItem) -> None:
        super().__init__(edge_item)
        self.canvas = edge_item.canvas
        self.text = ""
        self._rect = QRectF()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(1)

    def set_text(self, text: str) -> None:
        if text == self.text:
            return
        self.prepareGeometryChange()
        self.text = text
        fm = self.canvas.theme.small_metrics
        w = fm.horizontalAdvance(text) + 10
        h = fm.height() + 4
        self._rect = QRectF(-w / 2, -h / 2, w, h)
        self.setVisible(bool(text) and self.canvas.wire_labels_shown)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.55:
            return
        st = self.canvas.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(st.label_border)
        painter.setBrush(st.label_fill)
        painter.drawRoundedRect(self._rect, 4, 4)
        painter.setFont(st.small_font)
        painter.setPen(st.muted)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.text)


class EdgeItem(QGraphicsItem):
    """One model edge drawn from its source output port to its target input port."""

    def __init__(self, canvas: GraphScene, edge: Edge) -> None:
        super().__init__()
        self.canvas = canvas
        self.edge = edge
        self.error: str | None = None
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setZValue(-1)
        self.label = EdgeLabelItem(self)
        self._texts: tuple[str, ...] = ()
        self.update_path()

    def update_path(self) -> None:
        """Re-route after a node moved or its ports changed."""
        items = self.canvas.items_by_id
        src, dst = items.get(self.edge.src), items.get(self.edge.dst)
        if src is None or dst is None:
            return
        p0 = src.output_anchor(self.edge.src_index)
        p1 = dst.input_anchor(self.edge.port, self.edge.slot)
        lane = None
        src_bottom = src.y() + src.height
        if p1.x() < p0.x() and dst.y() > src_bottom:  # back to a band below: use the gap
            lane = self.canvas.free_lane(p1.x() - LANE_RUN, p0.x() + LANE_RUN, src_bottom, dst.y())
        self.prepareGeometryChange()
        self._path = wire_path(p0, p1) if lane is None else lane_path(p0, p1, lane)
        self.canvas.wire_layer.mark_dirty()
        self._shape = None
        self._rect = self._path.boundingRect().adjusted(-4, -4, 4, 4)
        self.label.setPos(self._path.pointAtPercent(0.5))
        self._fit_label(p1.x() - p0.x(), p1.y() - p0.y())

    def _fit_label(self, dx: float, dy: float) -> None:
        """Show the longest label text that fits between the two nodes (none if none fits)."""
        fm = self.canvas.theme.small_metrics
        clear_below = abs(dy) >= 110  # the midpoint lies between node rows: any width fits
        for text in self._texts:
            if clear_below or fm.horizontalAdvance(text) + 20 <= dx:
                self.label.set_text(text)
                return
        self.label.set_text("")

    def set_label(self, texts: tuple[str, ...], error: str | None = None) -> None:
        """Label candidates, longest first (e.g. "(None, 26, 26, 16)", "26×26×16"); tooltip too."""
        if texts != self._texts:
            self._texts = texts
            p0 = self._path.elementAt(0) if self._path.elementCount() else None
            end = self._path.currentPosition()
            if p0 is not None:
                self._fit_label(end.x() - p0.x, end.y() - p0.y)
        tip = "\n".join(t for t in (texts[0] if texts else "", error or "") if t)
        self.setToolTip(tip)
        if error != self.error:
            self.error = error
            self.update()
            self.canvas.wire_layer.mark_dirty()

    @property
    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._rect

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def paint(self, painter: QPainter, option, widget=None) -> None:
        st = self.canvas.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(st.wire_selected_pen)
        elif self.error:
            painter.setPen(st.wire_error_pen)
        else:
            painter.setPen(st.wire_pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)

    def itemChange(self, change, value):  # noqa: N802 - Qt API
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.setZValue(-0.5 if value else -1)
        return super().itemChange(change, value)


class LiveWireItem(QGraphicsItem):
    """The wire that follows the cursor while the user drags a connection."""

    def __init__(self, canvas: GraphScene) -> None:
        super().__init__()
        self.canvas = canvas
        self.valid = True
        self._path = QPainterPath()
        self._rect = QRectF()
        self.setZValue(10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_ends(self, p0: QPointF, p1: QPointF, valid: bool = True) -> None:
        self.prepareGeometryChange()
        self._path = wire_path(p0, p1)
        self._rect = self._path.boundingRect().adjusted(-4, -4, 4, 4)
        self.valid = valid
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        st = self.canvas.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(st.wire_live_pen if self.valid else st.wire_bad_pen)
        painter.drawPath(self._path)


class ShareLinkItem(QGraphicsItem):
    """A dashed line from a node that reuses a layer to the node that owns it."""

    def __init__(self, canvas: GraphScene, sharer_id: str, owner_id: str) -> None:
        super().__init__()
        self.canvas = canvas
        self.sharer_id = sharer_id
        self.owner_id = owner_id
        self._p0 = QPointF()
        self._p1 = QPointF()
        self.setZValue(-2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.update_path()

    def update_path(self) -> None:
        items = self.canvas.items_by_id
        a, b = items.get(self.sharer_id), items.get(self.owner_id)
        if a is None or b is None:
            return
        self.prepareGeometryChange()
        self._p0 = a.mapToScene(a.boundingRect().center())
        self._p1 = b.mapToScene(b.boundingRect().center())

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(self._p0, self._p1).normalized().adjusted(-3, -3, 3, 3)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self.canvas.theme.share_pen)
        painter.drawLine(self._p0, self._p1)


class WireLayerItem(QGraphicsItem):
    """Every wire as one cached picture, shown instead of the wire items when zoomed far out.

    A thousand wire items cost a thousand paint calls (or pixmap copies) per frame; this is one.
    It is rebuilt from the wire items' paths, once per event-loop turn after any of them changed.
    """

    def __init__(self, canvas: GraphScene) -> None:
        super().__init__()
        self.canvas = canvas
        self._normal = QPainterPath()
        self._errors = QPainterPath()
        self._rect = QRectF()
        # The timer belongs to the scene: it dies with it and never calls into a deleted item.
        self._timer = QTimer(canvas)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._rebuild_later)
        self.setZValue(-1)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setVisible(False)

    def mark_dirty(self) -> None:
        """A wire changed: rebuild the picture on the next event-loop turn (if it is shown)."""
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def _rebuild_later(self) -> None:
        if self.isVisible():
            self.rebuild()

    def rebuild(self) -> None:
        normal, errors = QPainterPath(), QPainterPath()
        for item in self.canvas.edge_items.values():
            (errors if item.error else normal).addPath(item.path)
        self.prepareGeometryChange()
        self._normal, self._errors = normal, errors
        self._rect = normal.boundingRect().united(errors.boundingRect()).adjusted(-3, -3, 3, 3)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        st = self.canvas.theme
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(st.wire_pen)
        painter.drawPath(self._normal)
        if not self._errors.isEmpty():
            painter.setPen(st.wire_error_pen)
            painter.drawPath(self._errors)
