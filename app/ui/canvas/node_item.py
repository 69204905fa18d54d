"""A node on the canvas: a cached rounded card drawn from the model node and its shape result."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyle, QStyleOptionGraphicsItem

from app.nodes import REGISTRY
from app.ui.canvas.lod import FULL_DETAIL, TEXT_PAD, level_for, overview_label
from app.ui.canvas.port_item import PortItem
from app.ui.canvas.style import (
    CORNER_RADIUS,
    ERROR_COLOR,
    HEADER_HEIGHT,
    NODE_HEIGHT,
    NODE_WIDTH,
    PORT_RADIUS,
    PORT_SPACING,
    WARNING_COLOR,
)

if TYPE_CHECKING:
    from app.ui.canvas.scene import GraphScene

PAD = 12.0
LABEL_COLUMN = 44.0
MARKER = 16.0


def format_shape(shape: Any) -> str:
    """ "(None, 64)" for a shape tuple; "?" when unknown."""
    if shape is None:
        return "?"
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def compact_shape(shape: Any) -> str:
    """ "26×26×16" for (None, 26, 26, 16): the batch dimension left out, for tight wire labels."""
    if not shape or len(shape) < 2:
        return format_shape(shape)
    return "×".join("?" if d is None else str(d) for d in shape[1:])


def format_value(name: str, value: Any) -> str | None:
    """A compact face text for one key param value, or None to leave it out."""
    if value is None or value is False:
        return None
    if value is True:
        return name
    if isinstance(value, list):
        if (
            value
            and all(isinstance(v, int) for v in value)
            and len(set(value)) == 1
            and len(value) > 1
        ):
            return "×".join(str(v) for v in value)
        return "(" + ", ".join("None" if v is None else str(v) for v in value) + ")"
    if isinstance(value, dict):
        return str(value.get("class_name", "config"))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class BadgeItem(QGraphicsItem):
    """The error or warning badge on a node's corner; its tooltip is the problem message."""

    SIZE = 16.0

    def __init__(self, parent: NodeItem, severity: str) -> None:
        super().__init__(parent)
        self.severity = severity
        self._brush = QBrush(ERROR_COLOR if severity == "error" else WARNING_COLOR)
        self._pen = QPen(QColor("#ffffff"), 1.6)
        self._pen.setCosmetic(True)
        self.setZValue(2)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        s = self.SIZE
        return QRectF(-s / 2 - 1, -s / 2 - 1, s + 2, s + 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        s = self.SIZE
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        if self.severity == "error":
            painter.drawEllipse(QRectF(-s / 2, -s / 2, s, s))
        else:
            tri = QPainterPath()
            tri.moveTo(0, -s / 2)
            tri.lineTo(s / 2, s / 2 - 1)
            tri.lineTo(-s / 2, s / 2 - 1)
            tri.closeSubpath()
            painter.drawPath(tri)
        painter.setPen(self._pen)
        painter.drawLine(QPointF(0, -s / 4), QPointF(0, s / 8))
        painter.drawPoint(QPointF(0, s / 4 + 0.5))


class NodeItem(QGraphicsItem):
    """The card of one layer call.  It keeps only display copies of model data (see `refresh`)."""

    def __init__(self, canvas: GraphScene, node_id: str) -> None:
        super().__init__()
        self.canvas = canvas
        self.node_id = node_id
        self.width = NODE_WIDTH
        self.height = NODE_HEIGHT
        self.in_ports: list[PortItem] = []
        self.out_ports: list[PortItem] = []
        self.result = None
        self.report_state: tuple | None = None  # (result, error, warning) last shown
        self.error: str | None = None
        self.warning: str | None = None
        self._hover_port: tuple | None = None
        self._badge: BadgeItem | None = None
        self._header_path = QPainterPath()
        self._body_path = QPainterPath()
        self._port_labels: list[tuple[QPointF, str]] = []
        self._overview_text: dict[int, str] = {}  # the name wrapped for each overview level
        self._text_x = PAD
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsSelectable | flags.ItemIsMovable | flags.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(False)
        self.refresh()

    # ----- model -> item ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the node from the graph (name, params, flags, ports) and repaint."""
        graph = self.canvas.graph
        node = graph.node(self.node_id)
        owner = graph.owner(self.node_id)
        spec = REGISTRY[owner.spec_id]
        style = self.canvas.theme
        self.spec = spec
        self.name = node.name
        self.frozen = not owner.trainable
        self.shared = node.shared_with is not None
        self.is_block = spec.kind == "block"
        self.is_input = spec.kind == "input"
        self.is_output = any(o.node == self.node_id for o in graph.outputs)
        self._header_brush = style.header_brush(spec.category, self.frozen)
        if self.is_block:
            sub = owner.subgraph
            n = sum(1 for n in sub.nodes() if n.spec_id != "keras.Input") if sub is not None else 0
            detail = f"{n} layer{'s' if n != 1 else ''}"
            cls = "Block"
        else:
            values = {**spec.defaults(), **owner.params}
            parts = [format_value(k, values.get(k)) for k in spec.key_params]
            detail = ", ".join(p for p in parts if p)
            cls = "Input" if self.is_input else spec.class_name
        if self.shared:
            detail = f"shares {owner.name}" + (f" · {detail}" if detail else "")
        self.class_text = cls
        self.detail_text = detail
        self.setPos(QPointF(*node.position))
        tip = f"<b>{node.name}</b> — {spec.class_name}<br>{spec.doc}" if spec.doc else node.name
        self.setToolTip(tip)
        self._rebuild_ports()
        self._layout_text()
        self.update()

    def set_result(self, result, error: str | None, warning: str | None) -> bool:
        """Show a shape-inference result (shapes, params) and problems; True if ports changed."""
        self.result = result
        self.error = error
        self.warning = warning
        severity = "error" if error else "warning" if warning else None
        if severity is None:
            if self._badge is not None:
                self.canvas.removeItem(self._badge)
                self._badge = None
        else:
            if self._badge is None or self._badge.severity != severity:
                if self._badge is not None:
                    self.canvas.removeItem(self._badge)
                self._badge = BadgeItem(self, severity)
                self._badge.setPos(self.width - 4, 0)
            self._badge.setToolTip(error or warning or "")
        rebuilt = self._output_count() != len(self.out_ports)
        if rebuilt:
            self._rebuild_ports()
        self._layout_text()
        self.update()
        return rebuilt

    def refresh_ports(self) -> None:
        """Re-read ports after a wire was added or removed."""
        self._rebuild_ports()
        self._layout_text()
        self.update()

    @property
    def header_brush(self) -> QBrush:
        """The category colour of the card's header."""
        return self._header_brush

    @property
    def badge(self) -> BadgeItem | None:
        return self._badge

    def _output_count(self) -> int:
        graph = self.canvas.graph
        n = len(self.result.output_shapes) if self.result is not None else 0
        for e in graph.out_edges(self.node_id):
            n = max(n, e.src_index + 1)
        for o in graph.outputs:
            if o.node == self.node_id:
                n = max(n, o.index + 1)
        return max(n, 1)

    def _rebuild_ports(self) -> None:
        """Create the port hit items: declared inputs (+ a free slot on variadic ones), outputs."""
        graph = self.canvas.graph
        edges = graph.in_edges(self.node_id)
        wanted: list[tuple[str, int]] = []
        for p in graph.ports(self.node_id):
            if p.variadic:
                slots = sorted(e.slot for e in edges if e.port == p.name)
                wanted += [(p.name, s) for s in slots]
                cap = getattr(p, "max_count", None)
                if cap is None or len(slots) < cap:
                    wanted.append((p.name, (slots[-1] + 1) if slots else 0))
            else:
                wanted.append((p.name, 0))
        connected = {(e.port, e.slot) for e in edges}
        used_out = {e.src_index for e in graph.out_edges(self.node_id)}
        n_out = self._output_count()
        current_in = [(p.port, p.slot) for p in self.in_ports]
        if current_in != wanted or len(self.out_ports) != n_out:
            scene = self.scene()
            for p in self.in_ports + self.out_ports:
                p.setParentItem(None)
                if scene is not None:
                    scene.removeItem(p)
            self.in_ports = [
                PortItem(self, "in", name, slot, i) for i, (name, slot) in enumerate(wanted)
            ]
            self.out_ports = [PortItem(self, "out", index=i) for i in range(n_out)]
        rows = max(len(self.in_ports), len(self.out_ports))
        height = max(NODE_HEIGHT, HEADER_HEIGHT + 14 + rows * PORT_SPACING)
        if height != self.height:
            self.prepareGeometryChange()
            self.height = height
        named = len({p.port for p in self.in_ports}) > 1
        fm = self.canvas.theme.small_metrics
        self._port_labels = []
        for item in self.in_ports:
            item.connected = (item.port, item.slot) in connected
            item.setPos(0, self._port_y(item.index, len(self.in_ports)))
            label = graph.port_label(self.node_id, item.port)
            item.setToolTip(f"{label}[{item.slot}]" if self._is_variadic(item.port) else label)
            if named:
                text = fm.elidedText(label, Qt.TextElideMode.ElideRight, LABEL_COLUMN - 4)
                self._port_labels.append(
                    (QPointF(PORT_RADIUS + 4, item.y() + fm.ascent() / 2 - 1), text)
                )
        # With named ports (query / value / key, block inputs) the texts move right of a label column.
        self._text_x = PAD + (LABEL_COLUMN if named else 0.0)
        for item in self.out_ports:
            item.connected = item.index in used_out
            item.setPos(self.width, self._port_y(item.index, len(self.out_ports)))
            item.setToolTip(f"output {item.index}")
        self._build_paths()

    def _is_variadic(self, port: str) -> bool:
        return any(p.name == port and p.variadic for p in self.canvas.graph.ports(self.node_id))

    def _port_y(self, i: int, n: int) -> float:
        body = self.height - HEADER_HEIGHT
        if n * PORT_SPACING >= body - 8:
            return HEADER_HEIGHT + 8 + PORT_SPACING * (i + 0.5)
        return HEADER_HEIGHT + body * (i + 1) / (n + 1)

    def _build_paths(self) -> None:
        rect = QRectF(0, 0, self.width, self.height)
        body = QPainterPath()
        body.addRoundedRect(rect, CORNER_RADIUS, CORNER_RADIUS)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, self.width, HEADER_HEIGHT))
        self._body_path = body
        self._header_path = body.intersected(clip)

    def _layout_text(self) -> None:
        """Elide the face texts once here so paint() only draws."""
        st = self.canvas.theme
        self._overview_text = {}
        inner = self.width - PAD - self._text_x
        markers = sum((self.frozen, self.shared, self.is_output)) * (MARKER + 2)
        title_w = self.width - 2 * PAD - markers
        self._name = st.title_metrics.elidedText(self.name, Qt.TextElideMode.ElideRight, title_w)
        cls_w = st.body_metrics.horizontalAdvance(self.class_text + "  ")
        self._detail = st.body_metrics.elidedText(
            self.detail_text, Qt.TextElideMode.ElideRight, max(inner - cls_w, 0)
        )
        self._cls_w = cls_w
        r = self.result
        if r is not None and r.output_shapes:
            shape = format_shape(r.output_shapes[0])
            if len(r.output_shapes) > 1:
                shape += f" +{len(r.output_shapes) - 1}"
            params = f"{r.params:,} params" if r.params else ""
        else:
            shape, params = ("error" if self.error else "…"), ""
        shape_w = st.mono_metrics.horizontalAdvance(shape)
        params_w = st.small_metrics.horizontalAdvance(" · " + params) if params else 0.0
        # One line "(None, 64) · 4,160 params" when it fits, else the count goes on a third line.
        self._params_below = bool(params) and shape_w + params_w > inner
        self._shape = st.mono_metrics.elidedText(shape, Qt.TextElideMode.ElideMiddle, inner)
        self._shape_w = st.mono_metrics.horizontalAdvance(self._shape)
        self._params = params if self._params_below else (f" · {params}" if params else "")

    # ----- geometry ---------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(-PORT_RADIUS - 2, -3, self.width + 2 * PORT_RADIUS + 4, self.height + 6)

    def shape(self) -> QPainterPath:
        return self._body_path

    def input_anchor(self, port: str, slot: int) -> QPointF:
        """Scene point where a wire into (port, slot) ends."""
        for p in self.in_ports:
            if p.port == port and p.slot == slot:
                return p.scenePos()
        return self.mapToScene(QPointF(0, HEADER_HEIGHT + (self.height - HEADER_HEIGHT) / 2))

    def output_anchor(self, index: int) -> QPointF:
        """Scene point where a wire from output `index` starts."""
        if 0 <= index < len(self.out_ports):
            return self.out_ports[index].scenePos()
        return self.mapToScene(
            QPointF(self.width, HEADER_HEIGHT + (self.height - HEADER_HEIGHT) / 2)
        )

    def port_at(self, kind: str, port: str = "", slot: int = 0, index: int = 0) -> PortItem | None:
        """The port item of an input (port, slot) or an output index."""
        if kind == "out":
            return self.out_ports[index] if 0 <= index < len(self.out_ports) else None
        return next((p for p in self.in_ports if p.port == port and p.slot == slot), None)

    def set_hover_port(self, key: tuple | None) -> None:
        if key != self._hover_port:
            self._hover_port = key
            self.update()

    def itemChange(self, change, value):  # noqa: N802 - Qt API
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.canvas.node_moved(self)
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.setZValue(1 if value else 0)
        return super().itemChange(change, value)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.is_block:
            self.canvas.open_block_requested.emit(self.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    # ----- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        st = self.canvas.theme
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if lod < FULL_DETAIL:  # too small to read the face: a coloured box with its name
            self._paint_overview(painter, st, lod, selected)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(st.selected_pen if selected else st.node_border)
        painter.setBrush(st.node_fill)
        painter.drawPath(self._body_path)
        if self.is_block:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(
                QRectF(3, 3, self.width - 6, self.height - 6), CORNER_RADIUS - 2, CORNER_RADIUS - 2
            )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._header_brush)
        painter.drawPath(self._header_path)
        self._paint_ports(painter, st)
        painter.setPen(st.header_text)
        painter.setFont(st.title_font)
        painter.drawText(QPointF(PAD, 17.5), self._name)
        self._paint_markers(painter, st)
        y1 = HEADER_HEIGHT + (20 if self._params_below else 22)
        painter.setFont(st.body_font)
        painter.setPen(st.muted)
        x = self._text_x
        painter.drawText(QPointF(x, y1), self.class_text)
        painter.setPen(st.text)
        painter.drawText(QPointF(x + self._cls_w, y1), self._detail)
        y2 = y1 + (19 if self._params_below else 22)
        painter.setFont(st.mono_font)
        painter.setPen(ERROR_COLOR if self.error else st.text)
        painter.drawText(QPointF(x, y2), self._shape)
        if self._params:
            painter.setFont(st.small_font)
            painter.setPen(st.muted)
            if self._params_below:
                painter.drawText(QPointF(x, y2 + 17), self._params)
            else:
                painter.drawText(QPointF(x + self._shape_w, y2), self._params)
        if self._port_labels:
            painter.setFont(st.small_font)
            painter.setPen(st.muted)
            for pos, text in self._port_labels:
                painter.drawText(pos, text)

    def _paint_overview(self, painter: QPainter, st, lod: float, selected: bool) -> None:
        """The zoomed-out card: a box in the category colour, its name or type if they fit."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if selected:
            painter.setPen(st.selected_pen)
        elif self.error:
            painter.setPen(st.wire_error_pen)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._header_brush)
        painter.drawRect(QRectF(0, 0, self.width, self.height))
        level = level_for(lod)
        if level is None:
            return
        font, metrics = st.overview_fonts.get(level)
        text = self._overview_text.get(level)
        if text is None:
            box_w, box_h = self.width - 2 * TEXT_PAD, self.height - 2 * TEXT_PAD
            text = self._overview_text[level] = "\n".join(
                overview_label(
                    self.name, self.class_text, metrics, box_w, box_h, named=self.is_output
                )
            )
        if text:
            painter.setFont(font)
            painter.setPen(st.header_text)
            painter.drawText(
                QRectF(TEXT_PAD, TEXT_PAD, self.width - 2 * TEXT_PAD, self.height - 2 * TEXT_PAD),
                Qt.AlignmentFlag.AlignCenter,
                text,
            )

    def _paint_ports(self, painter: QPainter, st) -> None:
        painter.setPen(st.port_pen)
        for p in self.in_ports + self.out_ports:
            hovered = self._hover_port == p.key
            painter.setBrush(
                st.port_hover if hovered else st.port_connected if p.connected else st.port_fill
            )
            r = PORT_RADIUS + (1.5 if hovered else 0)
            painter.drawEllipse(p.pos(), r, r)

    def _paint_markers(self, painter: QPainter, st) -> None:
        x = self.width - PAD - MARKER
        cy = HEADER_HEIGHT / 2
        painter.setPen(st.marker_pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.is_output:  # an arrow leaving a bar: "model output"
            painter.drawLine(QLineF(x + 3, cy, x + 13, cy))
            painter.drawLine(QLineF(x + 9, cy - 4, x + 13, cy))
            painter.drawLine(QLineF(x + 9, cy + 4, x + 13, cy))
            painter.drawLine(QLineF(x + 2, cy - 5, x + 2, cy + 5))
            x -= MARKER + 2
        if self.shared:  # two chain links
            painter.drawRoundedRect(QRectF(x + 1, cy - 3, 8, 6), 3, 3)
            painter.drawRoundedRect(QRectF(x + 7, cy - 3, 8, 6), 3, 3)
            x -= MARKER + 2
        if self.frozen:  # a snowflake: three crossing strokes
            c = QPointF(x + MARKER / 2, cy)
            for k in range(3):
                a = math.pi * k / 3
                d = QPointF(6 * math.cos(a), 6 * math.sin(a))
                painter.drawLine(QLineF(c - d, c + d))
