"""A quiet hint over an empty canvas saying how to start (drag from the palette, or press Tab)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel

HINT = (
    "<p style='font-size:14pt; margin-bottom:8px'>This model is empty</p>"
    "<p>Drag a layer from the <b>Layers</b> panel, double-click one,<br>"
    "or press <b>Tab</b> on the canvas to search.</p>"
    "<p>Start with an <b>Input</b>, then drag from an output port to an input port.</p>"
)


class EmptyCanvasHint(QLabel):
    """Centred over `view`'s viewport, shown only while the displayed graph has no nodes.

    A child of the view beside its viewport, not of the viewport: a scroll area scrolls its
    viewport's children with the contents, so every pan or `centerOn` would carry the hint off.
    """

    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__(view)
        self._viewport = view.viewport()
        self.setObjectName("emptyHint")
        self.setText(HINT)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._graph = None
        self._viewport.installEventFilter(self)
        self.hide()

    def follow(self, graph) -> None:
        """Watch `graph` (the model or an opened block)."""
        if self._graph is not None:
            self._graph.events.disconnect(self._refresh)
        self._graph = graph
        graph.events.connect(self._refresh)
        self._refresh()

    def _refresh(self, *_args) -> None:
        self.setVisible(self._graph is not None and len(self._graph) == 0)
        self._place()

    def _place(self) -> None:
        area = self._viewport.geometry()  # in the view's coordinates, like the hint's own
        width = min(520, max(200, area.width() - 40))
        self.resize(width, self.heightForWidth(width))
        self.move(
            area.x() + (area.width() - width) // 2, area.y() + (area.height() - self.height()) // 2
        )

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move):
            self._place()
        return False
