"""Small views shared by the data and evaluation panels: image grids, bar charts, tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

GOOD = QColor("#2e9d57")
BAD = QColor("#d2423b")
WARN = "#c0392b"  # text of a notice that something is wrong
OK = "#2e7d4f"  # text of a notice that all is well


def array_to_qimage(arr: np.ndarray) -> QImage:
    """A QImage of one sample: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); values scaled to 0..255."""
    a = np.asarray(arr, dtype=np.float32)
    if a.ndim == 1:  # a vector: show it as a square-ish strip
        side = int(np.ceil(np.sqrt(a.size)))
        a = np.pad(a, (0, side * side - a.size)).reshape(side, side)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 3 and a.shape[-1] not in (3, 4):
        a = a[..., 0]  # many channels: show the first
    a = np.nan_to_num(a)
    lo, hi = float(a.min()), float(a.max())
    if not (lo >= 0.0 and hi <= 1.0):
        if lo >= 0 and hi <= 255 and hi > 1:
            lo, hi = 0.0, 255.0
        elif hi - lo < 1e-12:
            hi = lo + 1.0
        a = (a - lo) / (hi - lo)
    u8 = np.ascontiguousarray(np.clip(a * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if u8.ndim == 2:
        h, w = u8.shape
        img = QImage(u8.data, w, h, w, QImage.Format.Format_Grayscale8)
    elif u8.shape[-1] == 3:
        h, w, _ = u8.shape
        img = QImage(u8.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    else:
        h, w, _ = u8.shape
        img = QImage(u8.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
    return img.copy()  # own the pixels: the numpy buffer goes away


class ImageGrid(QWidget):
    """Tiles of one or more images (input / reconstruction pairs) with a caption under each tile."""

    def __init__(self, parent: QWidget | None = None, tile: int = 64) -> None:
        super().__init__(parent)
        self.tile = tile
        self._items: list[tuple[list[QImage], str, QColor | None]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    @property
    def count(self) -> int:
        return len(self._items)

    def captions(self) -> list[str]:
        return [c for _, c, _ in self._items]

    def set_items(self, items: list[tuple[list[QImage], str, QColor | None]]) -> None:
        """items: (images side by side, caption, caption colour or None)."""
        self._items = list(items)
        self.updateGeometry()
        self.setMinimumHeight(self.heightForWidth(max(self.width(), 200)))
        self.update()

    def _cell(self) -> QSize:
        n = max((len(imgs) for imgs, _, _ in self._items), default=1)
        return QSize(n * self.tile + (n - 1) * 2 + 12, self.tile + 30)

    def _columns(self, width: int) -> int:
        return max(1, width // self._cell().width())

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        rows = -(-len(self._items) // self._columns(width)) if self._items else 1
        return rows * self._cell().height() + 8

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(6 * self._cell().width(), self.heightForWidth(6 * self._cell().width()))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.setMinimumHeight(self.heightForWidth(event.size().width()))
        super().resizeEvent(event)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        pal = self.palette()
        if not self._items:
            p.setPen(pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Nothing to show yet")
            p.end()
            return
        cell = self._cell()
        cols = self._columns(self.width())
        for i, (imgs, caption, colour) in enumerate(self._items):
            x0 = (i % cols) * cell.width() + 6
            y0 = (i // cols) * cell.height() + 4
            for j, img in enumerate(imgs):
                target = QRect(x0 + j * (self.tile + 2), y0, self.tile, self.tile)
                p.drawImage(target, img)
                p.setPen(pal.color(QPalette.ColorRole.Mid))
                p.drawRect(target.adjusted(0, 0, -1, -1))
            p.setPen(colour if colour is not None else pal.color(QPalette.ColorRole.WindowText))
            text_rect = QRect(x0 - 4, y0 + self.tile + 2, cell.width() - 4, 24)
            metrics = p.fontMetrics()
            shown = metrics.elidedText(caption, Qt.TextElideMode.ElideRight, text_rect.width())
            p.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, shown)
        p.end()


class BarChart(pg.PlotWidget):
    """A small bar chart with category names on the x axis (class balance)."""

    def __init__(self, parent: QWidget | None = None, colour: str = "#4a86e8") -> None:
        super().__init__(parent)
        self.setBackground(None)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().showGrid(y=True, alpha=0.2)
        self.colour = colour
        self.bars: pg.BarGraphItem | None = None
        self.values: list[float] = []
        self.setMinimumHeight(120)

    def set_data(
        self, labels: list[str], values: list[float], title: str = "", max_ticks: int = 12
    ) -> None:
        self.clear()
        self.values = list(values)
        self.bars = pg.BarGraphItem(
            x=np.arange(len(values)),
            height=values,
            width=0.7,
            brush=self.colour,
            pen=pg.mkPen(None),
        )
        self.addItem(self.bars)
        step = max(1, -(-len(labels) // max_ticks))
        ticks = [(i, _short(lab)) for i, lab in enumerate(labels) if i % step == 0]
        self.getAxis("bottom").setTicks([ticks, []])
        self.setTitle(title, size="9pt")
        self.setXRange(-0.6, max(len(values), 1) - 0.4, padding=0)
        self.setYRange(0, max(values, default=1) * 1.1 or 1, padding=0)


def _short(text: str, n: int = 10) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class DataTable(QTableWidget):
    """A read-only table of columns and rows (tabular previews, metric lists)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setHighlightSections(False)

    def set_rows(
        self,
        columns: list[str],
        rows: list[list[Any]],
        colours: list[QColor | None] | None = None,
        stretch_last: bool = True,
        fill: bool = False,
    ) -> None:
        self.clear()
        self.setColumnCount(len(columns))
        self.setRowCount(len(rows))
        self.setHorizontalHeaderLabels([str(c) for c in columns])
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(_fmt(value))
                if isinstance(value, int | float) and not isinstance(value, bool):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if colours and colours[r] is not None:
                    item.setForeground(colours[r])
                self.setItem(r, c, item)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.resizeColumnsToContents()
        for c in range(self.columnCount()):
            self.setColumnWidth(c, min(self.columnWidth(c) + 8, 220))
        header.setStretchLastSection(stretch_last and not fill)
        self._fill = fill
        if fill:  # few columns: share the width instead of scrolling sideways
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self._spread()

    def _spread(self) -> None:
        n = self.columnCount()
        if not n:
            return
        width = self.viewport().width()
        first = min(max(self.columnWidth(0), width // n), width // 2)
        rest = max(width - first, 0) // max(n - 1, 1)
        self.setColumnWidth(0, first if n > 1 else width)
        for c in range(1, n):
            self.setColumnWidth(c, rest if c < n - 1 else width - first - rest * (n - 2))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if getattr(self, "_fill", False):
            self._spread()

    def fit_height(self, max_rows: int = 8) -> None:
        """Make the table exactly as tall as its rows (up to max_rows) so short lists leave no gap."""
        rows = min(self.rowCount(), max_rows)
        header = self.horizontalHeader()
        height = header.sizeHint().height() + rows * self.verticalHeader().defaultSectionSize()
        wide = header.length() > self.viewport().width() and not getattr(self, "_fill", False)
        if wide and self.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff:
            height += self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(height + 2 * self.frameWidth() + 2)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    return "" if value is None else str(value)


def notice(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A wrapped, selectable label for messages inside panels."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
