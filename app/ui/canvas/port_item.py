"""Port hit areas on a node: invisible child items the node paints itself (cheap to repaint)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QGraphicsItem

from app.ui.canvas.style import PORT_RADIUS

HIT_RADIUS = PORT_RADIUS + 4.0


class PortItem(QGraphicsItem):
    """One input slot or output tensor of a node; the target of wire drags.

    Attributes:
        kind: "in" or "out".
        port: input port name ("" for outputs).
        slot: slot of a variadic input port (0 otherwise).
        index: output index (outputs) or position among the node's input slots.
        connected: whether a wire ends here.
    """

    def __init__(self, node_item, kind: str, port: str = "", slot: int = 0, index: int = 0) -> None:
        super().__init__(node_item)
        self.node_item = node_item
        self.kind = kind
        self.port = port
        self.slot = slot
        self.index = index
        self.connected = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(1)

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    @property
    def key(self) -> tuple:
        return (self.kind, self.port, self.slot, self.index)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(-HIT_RADIUS, -HIT_RADIUS, 2 * HIT_RADIUS, 2 * HIT_RADIUS)

    def paint(self, painter, option, widget=None) -> None:  # never called (ItemHasNoContents)
        pass

    def anchor(self) -> QPointF:
        """Where wires attach, in scene coordinates."""
        return self.scenePos()

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.node_item.set_hover_port(self.key)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.node_item.set_hover_port(None)
        super().hoverLeaveEvent(event)
