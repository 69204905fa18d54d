"""Confusion-matrix heat-map: counts per (true, predicted) class, coloured by row share."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

from app.project.atomic import atomic_write_bytes

MAX_CELL_TEXT = 30  # above this many classes the cell counts would not be readable


def _cmap() -> pg.ColorMap:
    return pg.ColorMap([0.0, 0.5, 1.0], [(246, 249, 253), (107, 160, 214), (16, 60, 130)])


class ConfusionMatrixView(pg.PlotWidget):
    """Heat-map with class names on the axes (x: predicted, y: true) and the count in each cell."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(None)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.setAspectLocked(False)
        self.plot = self.getPlotItem()
        self.plot.invertY(True)
        self.plot.setLabel("bottom", "Predicted")
        self.plot.setLabel("left", "True")
        self.image = pg.ImageItem()
        self.image.setColorMap(_cmap())
        self.addItem(self.image)
        self.texts: list[pg.TextItem] = []
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.classes: list[str] = []
        self.setMinimumSize(260, 220)

    def set_matrix(self, matrix, classes: list[str]) -> None:
        """Show counts[true, predicted] for `classes`."""
        cm = np.asarray(matrix, dtype=np.int64)
        self.matrix, self.classes = cm, list(classes)
        for t in self.texts:
            self.removeItem(t)
        self.texts = []
        n = len(cm)
        if n == 0:
            self.image.clear()
            return
        rows = cm.sum(axis=1, keepdims=True)
        share = np.divide(cm, np.maximum(rows, 1), dtype=np.float64)
        self.image.setImage(share.T, levels=(0.0, 1.0))  # ImageItem indexes [x, y]
        self.image.setRect(0, 0, n, n)
        if n <= MAX_CELL_TEXT:
            font = QFont()
            font.setPointSizeF(9 if n <= 12 else 7)
            for t in range(n):
                for p in range(n):
                    dark = share[t, p] > 0.55
                    item = pg.TextItem(
                        str(int(cm[t, p])),
                        anchor=(0.5, 0.5),
                        color=QColor("white" if dark else "#1d1f23"),
                    )
                    item.setFont(font)
                    item.setPos(p + 0.5, t + 0.5)
                    self.addItem(item)
                    self.texts.append(item)
        step = max(1, n // 20)
        ticks = [(i + 0.5, _short(c)) for i, c in enumerate(self.classes) if i % step == 0]
        self.plot.getAxis("bottom").setTicks([ticks, []])
        self.plot.getAxis("left").setTicks([ticks, []])
        self.plot.setXRange(0, n, padding=0.02)
        self.plot.setYRange(0, n, padding=0.02)

    def cell_texts(self) -> list[str]:
        return [t.toPlainText() for t in self.texts]

    def to_csv(self) -> str:
        """The matrix as CSV: a header of predicted classes, one row per true class."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["true \\ predicted", *self.classes])
        for name, row in zip(self.classes, self.matrix.tolist()):
            w.writerow([name, *row])
        return buf.getvalue()

    def save_csv(self, path: str | Path) -> Path:
        """Write the CSV atomically."""
        path = Path(path)
        atomic_write_bytes(path, self.to_csv().encode("utf-8"))
        return path

    def save_png(self, path: str | Path) -> Path:
        """Write a picture of the heat-map as shown."""
        path = Path(path)
        pix = self.grab()
        if pix.isNull() or not pix.save(str(path), "PNG"):
            raise OSError(f"The picture could not be written to {path}.")
        return path


def _short(text: str, n: int = 12) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
