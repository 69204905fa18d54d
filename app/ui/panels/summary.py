"""Summary panel: a model.summary()-like table built from the ShapeReport (no Keras call)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from app.model import ModelGraph
from app.nodes import REGISTRY

if TYPE_CHECKING:
    from app.compiler.report import ShapeReport

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = ["Layer", "Type", "Output shape", "Params", "Trainable"]


def format_shape(shape) -> str:
    """(None, 28, 28) -> "(None, 28, 28)"; a 1-tuple keeps its comma like Keras prints it."""
    if shape is None:
        return "?"
    dims = ["None" if d is None else str(d) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def format_count(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


class SummaryPanel(QTableWidget):
    """Layer, type, output shape(s), parameter counts, trainable count, and a totals row."""

    node_activated = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setHorizontalHeaderLabels(HEADERS)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 180), (1, 160), (3, 100), (4, 100)):
            self.setColumnWidth(col, width)
        self.cellDoubleClicked.connect(self._on_double_clicked)
        self.totals: tuple[int, int] = (0, 0)

    def set_report(self, report: ShapeReport, graph: ModelGraph) -> None:
        """Fill the table in topological order from `report`."""
        self.setRowCount(0)
        order = graph.topological_order() if graph.is_acyclic() else graph.node_ids()
        for node_id in order:
            node = graph.node(node_id)
            spec = REGISTRY.get(node.spec_id)
            res = report.nodes.get(node_id)
            type_name = spec.class_name if spec is not None else node.spec_id
            if spec is not None and spec.kind == "block":
                type_name = "Model (block)"
            if node.shared_with is not None:
                type_name += f" (shares {graph.owner(node_id).name})"
            if res is None:
                shape, params, trainable = "?", None, None
            elif res.error:
                shape, params, trainable = "error", None, None
            else:
                shape = ", ".join(format_shape(s) for s in res.output_shapes) or "—"
                params, trainable = res.params, res.trainable_params
                if node.shared_with is not None:
                    params, trainable = 0, 0  # weights are counted once, on the owner
            self._add_row(
                [node.name, type_name, shape, format_count(params), format_count(trainable)],
                node_id,
            )
        total, trainable = report.total_params, report.trainable_params
        self.totals = (total, trainable)
        row = self._add_row(
            [
                "Total",
                "",
                f"non-trainable: {total - trainable:,}",
                format_count(total),
                format_count(trainable),
            ],
            None,
        )
        font = QFont(self.font())
        font.setBold(True)
        for col in range(self.columnCount()):
            self.item(row, col).setFont(font)

    def clear_report(self) -> None:
        self.setRowCount(0)

    def _add_row(self, values: list[str], node_id: str | None) -> int:
        row = self.rowCount()
        self.insertRow(row)
        for col, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setData(NODE_ROLE, node_id)
            if col >= 3:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(row, col, item)
        return row

    def _on_double_clicked(self, row: int, _col: int) -> None:
        node_id = self.item(row, 0).data(NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)
