"""What loaded data looks like: shapes and dtypes, notes, class balance and a preview."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from app.data import Dataset
from app.ui.data.views import BarChart, DataTable, ImageGrid, array_to_qimage, notice


class DatasetView(QSplitter):
    """Three columns: shapes table + notes, class-balance chart, preview (image grid or table)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        info = QWidget(self)
        ibox = QVBoxLayout(info)
        ibox.setContentsMargins(0, 0, 0, 0)
        self.shapes = DataTable(info)
        self.shapes.verticalHeader().setVisible(False)
        ibox.addWidget(self.shapes)
        self.notes = notice("", info)
        ibox.addWidget(self.notes)
        ibox.addStretch(1)
        self.balance = BarChart(self)
        self.preview_stack = QStackedWidget(self)
        grid_scroll = QScrollArea(self.preview_stack)
        grid_scroll.setWidgetResizable(True)
        grid_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.image_grid = ImageGrid(grid_scroll, tile=56)
        grid_scroll.setWidget(self.image_grid)
        self.preview_table = DataTable(self.preview_stack)
        self.preview_stack.addWidget(grid_scroll)
        self.preview_stack.addWidget(self.preview_table)
        for w in (info, self.balance, self.preview_stack):
            self.addWidget(w)
        self.setSizes([400, 260, 480])
        self.setStretchFactor(2, 1)

    def show_dataset(self, ds: Dataset, pv: dict) -> None:
        """Fill every view from a dataset and its app.data.preview()."""
        s = ds.summary()
        rows = []
        for split, xs, ys, w in (
            ("train", ds.x, ds.y, ds.sample_weight),
            ("validation", ds.x_val or {}, ds.y_val or {}, ds.sample_weight_val),
        ):
            weights = {} if w is None else {"(per sample)": w}
            for role, arrays in (("input", xs), ("target", ys), ("sample weights", weights)):
                for name, arr in arrays.items():
                    rows.append([split, role, name, str(tuple(arr.shape)), str(arr.dtype)])
        self.shapes.set_rows(["Split", "Role", "Array", "Shape", "Type"], rows)
        self.shapes.fit_height(8)
        self.notes.setText("\n".join(s["notes"]))
        self._show_balance(ds, s)
        self._show_preview(ds, pv)

    def clear(self) -> None:
        """Empty every view."""
        self.shapes.set_rows([], [])
        self.notes.setText("")
        self.balance.clear()
        self.image_grid.set_items([])
        self.preview_table.set_rows([], [])

    def _show_balance(self, ds: Dataset, s: dict) -> None:
        if s["class_balance"]:
            _name, counts = next(iter(s["class_balance"].items()))
            self.balance.set_data(list(counts), list(counts.values()), "Class balance (training)")
            return
        if ds.y:
            y = np.asarray(next(iter(ds.y.values())), dtype=np.float64).reshape(-1)[:200_000]
            hist, edges = np.histogram(y[np.isfinite(y)], bins=12)
            labels = [f"{(edges[i] + edges[i + 1]) / 2:.2g}" for i in range(len(hist))]
            self.balance.set_data(labels, hist.tolist(), "Target values (training)", max_ticks=5)
        else:
            self.balance.clear()

    def _show_preview(self, ds: Dataset, pv: dict) -> None:
        if pv["kind"] == "images":
            arr = ds.x[pv["array"]]
            labels = pv["labels"] if ds.task != "reconstruction" else []
            labels = labels or [""] * len(pv["indices"])
            items = [
                ([array_to_qimage(arr[i])], lab or f"#{i}", None)
                for i, lab in zip(pv["indices"], labels)
            ]
            self.image_grid.set_items(items)
            self.preview_stack.setCurrentIndex(0)
        else:
            self.preview_table.set_rows(pv["columns"], pv["rows"])
            self.preview_stack.setCurrentIndex(1)
