"""Problems panel: every shape/graph problem of the current report; clicking one selects its layer."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from app.model import ModelGraph
from app.ui.icons import severity_icon

NODE_ROLE = Qt.ItemDataRole.UserRole + 1


def find_node(graph: ModelGraph, node_id: str | None):
    """The node with `node_id` anywhere in the graph (also inside blocks), and its top-level id."""
    if not node_id:
        return None, None
    for path, g in graph.walk():
        if node_id in g:
            return g.node(node_id), (path[0] if path else node_id)
    return None, None


class ProblemsPanel(QTableWidget):
    """Table of severity, layer and message; `node_activated(top_level_node_id)` on click."""

    node_activated = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["", "Layer", "Message"])
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(0, 28)
        self.setColumnWidth(1, 180)
        self.verticalHeader().setDefaultSectionSize(24)
        self.cellClicked.connect(self._on_clicked)
        self.cellActivated.connect(self._on_clicked)
        self._messages: list[str] = []

    def messages(self) -> list[str]:
        """The messages shown, in order (for tests and the status bar)."""
        return list(self._messages)

    def error_count(self) -> int:
        return sum(
            1
            for r in range(self.rowCount())
            if self.item(r, 0).data(Qt.ItemDataRole.UserRole) == "error"
        )

    def show_notice(self, text: str) -> None:
        """Replace the table by one informational row (e.g. while Keras loads)."""
        self.setRowCount(0)
        self._messages = []
        self._add_row("info", "", text, None)

    def set_report(self, report, graph: ModelGraph) -> None:
        """Show the problems of `report` (errors first), naming layers by their current names."""
        self.setRowCount(0)
        self._messages = []
        problems = sorted(report.problems, key=lambda p: p.severity != "error")
        for prob in problems:
            node_id = prob.node_id
            if node_id is None and getattr(prob, "edge", None) is not None:
                node_id = prob.edge.dst
            node, top = find_node(graph, node_id)
            layer = node.name if node is not None else ""
            self._add_row(prob.severity, layer, prob.message, node.id if node is not None else top)
            self._messages.append(prob.message)
        if not problems:
            self._add_row("ok", "", "No problems: Keras accepts every layer and connection.", None)

    def _add_row(self, severity: str, layer: str, message: str, node_id: str | None) -> None:
        row = self.rowCount()
        self.insertRow(row)
        icon_item = QTableWidgetItem()
        if severity in ("error", "warning", "ok"):
            icon_item.setIcon(severity_icon(severity))
        icon_item.setData(Qt.ItemDataRole.UserRole, severity)
        icon_item.setToolTip(severity.capitalize())
        layer_item = QTableWidgetItem(layer)
        msg_item = QTableWidgetItem(message)
        msg_item.setToolTip(message)
        for col, item in enumerate((icon_item, layer_item, msg_item)):
            item.setData(NODE_ROLE, node_id)
            self.setItem(row, col, item)

    def _on_clicked(self, row: int, _col: int) -> None:
        item = self.item(row, 1)
        node_id = item.data(NODE_ROLE) if item is not None else None
        if node_id:
            self.node_activated.emit(node_id)
