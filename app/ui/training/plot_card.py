"""One live plot (PlotCard): named curves, hover crosshair with values, PNG / SVG / CSV export.

Also the numpy Buffer the plots are fed from and the theme colours they follow.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

BATCH_KEY, LR_KEY = "batch_loss", "learning_rate"


class Buffer:
    """x / y values in numpy arrays that double when full (amortised O(1) appends)."""

    def __init__(self, capacity: int = 512) -> None:
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.concatenate([self.x, np.empty(len(self.x))])
            self.y = np.concatenate([self.y, np.empty(len(self.y))])
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]


def theme_colors() -> tuple[QColor, QColor, QColor]:
    """(background, text, grid) colours of the current application palette."""
    pal = QApplication.palette()
    bg, fg = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
    grid = QColor(fg)
    grid.setAlpha(40)
    return bg, fg, grid


class EpochAxis(pg.AxisItem):
    """An x axis whose ticks are whole epochs (no 1.5, 2.5 ...)."""

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph override)
        levels = super().tickSpacing(minVal, maxVal, size)
        return [(max(1.0, spacing), offset) for spacing, offset in levels]


class PlotCard(pg.PlotWidget):
    """One plot: named curves, a hover crosshair with values, export actions in its menu."""

    def __init__(self, key: str, title: str, x_label: str = "epoch",
                 parent: QWidget | None = None, legend_bottom: bool = False) -> None:
        super().__init__(parent, axisItems={"bottom": EpochAxis("bottom")})
        self.key, self.title = key, title
        self.setMinimumHeight(190)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.paint_s = 0.0  # time spent painting (the redraw rate adapts to it)
        pi = self.getPlotItem()
        pi.setTitle(title, size="10pt")
        pi.setLabel("bottom", x_label)
        pi.showGrid(x=True, y=True, alpha=0.25)
        for name in ("left", "bottom"):  # major grid lines only: calmer, and cheaper to paint
            pi.getAxis(name).setStyle(maxTickLevel=0)
        pi.setMenuEnabled(True)
        self.legend = pi.addLegend(offset=(-8, -8 if legend_bottom else 8), labelTextSize="8pt")
        self.vline = pg.InfiniteLine(angle=90, movable=False)
        self.vline.setVisible(False)
        self.label = pg.TextItem(anchor=(0, 0))
        self.label.setVisible(False)
        pi.addItem(self.vline, ignoreBounds=True)
        pi.addItem(self.label, ignoreBounds=True)
        self.scene().sigMouseMoved.connect(self._hover)
        menu = pi.getViewBox().menu
        menu.addSeparator()
        for fmt in ("PNG", "SVG", "CSV"):
            act = QAction(f"Export plot as {fmt}…", menu)
            act.triggered.connect(lambda _c=False, f=fmt: self.export_dialog(f))
            menu.addAction(act)
        self.apply_theme()

    def retarget(self, key: str, title: str, legend_bottom: bool = False) -> None:
        """Give a spare (never used) card its plot: key, title and legend corner."""
        self.key, self.title = key, title
        self.getPlotItem().setTitle(title, size="10pt")
        self.legend.setOffset((-8, -8 if legend_bottom else 8))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        start = time.perf_counter()
        super().paintEvent(event)
        self.paint_s += time.perf_counter() - start

    # -- curves -------------------------------------------------------------------------------
    def curve(self, name: str, color: str, width: float = 1.6,
              style: Qt.PenStyle = Qt.PenStyle.SolidLine, symbol: str | None = None
              ) -> pg.PlotDataItem:
        """The curve called `name`, created on first use (then only setData)."""
        item = self.curves.get(name)
        if item is None:
            pen = pg.mkPen(color, width=width, style=style)
            item = self.plot([], [], pen=pen, name=name, connect="finite", symbol=symbol,
                             symbolSize=5, symbolBrush=color, symbolPen=None)
            if self.key == BATCH_KEY:  # thousands of points: only draw what is visible
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
            self.curves[name] = item
        return item

    def remove_curve(self, name: str) -> None:
        item = self.curves.pop(name, None)
        if item is not None:
            self.getPlotItem().removeItem(item)
            self.legend.removeItem(item)

    def set_log_y(self, log: bool) -> None:
        self.getPlotItem().setLogMode(y=log)

    # -- look -----------------------------------------------------------------------------------
    def apply_theme(self) -> None:
        bg, fg, _grid = theme_colors()
        self.setBackground(bg)
        pi = self.getPlotItem()
        for name in ("left", "bottom"):
            axis = pi.getAxis(name)
            axis.setPen(pg.mkPen(fg))
            axis.setTextPen(pg.mkPen(fg))
        pi.titleLabel.setText(self.title, color=fg.name(), size="10pt")
        self.vline.setPen(pg.mkPen(fg, width=1, style=Qt.PenStyle.DotLine))
        self.label.setColor(fg)
        if self.legend is not None:  # no fill: curves under the legend stay visible
            self.legend.setLabelTextColor(fg)

    # -- hover ------------------------------------------------------------------------------------
    def _hover(self, pos) -> None:
        vb = self.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(pos) or not self.curves:
            self.vline.setVisible(False)
            self.label.setVisible(False)
            return
        x = vb.mapSceneToView(pos).x()
        lines = []
        for name, item in self.curves.items():
            xs, ys = item.getOriginalDataset()
            if xs is None or len(xs) == 0:
                continue
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            lines.append(f"{name}: {ys[i]:.4g}")
        if not lines:
            return
        self.vline.setPos(x)
        self.vline.setVisible(True)
        self.label.setText(f"x = {x:.3g}\n" + "\n".join(lines))
        (x0, x1), (y0, y1) = vb.viewRange()
        self.label.setPos(x0 + 0.02 * (x1 - x0), y1)
        self.label.setVisible(True)

    # -- export ----------------------------------------------------------------------------------
    def export_dialog(self, fmt: str) -> None:
        suffix = fmt.lower()
        name = self.key.replace("/", "_") or "plot"
        path, _ = QFileDialog.getSaveFileName(self, f"Export plot as {fmt}", f"{name}.{suffix}",
                                              f"{fmt} files (*.{suffix})")
        if path:
            self.export(path)

    def export(self, path: str | Path) -> Path:
        """Write the plot to PNG, SVG or CSV (chosen by the suffix)."""
        from pyqtgraph import exporters

        path = Path(path)
        suffix = path.suffix.lower()
        hidden = [i for i in (self.vline, self.label) if i.isVisible()]
        for item in hidden:
            item.setVisible(False)
        try:
            if suffix == ".png":
                ex = exporters.ImageExporter(self.getPlotItem())
                ex.parameters()["width"] = max(800, int(self.width() * 2))
                ex.export(str(path))
            elif suffix == ".svg":
                try:
                    exporters.SVGExporter(self.getPlotItem()).export(str(path))
                except (ValueError, IndexError):  # pyqtgraph cannot parse newer Qt path data
                    self._export_svg_qt(path)
            elif suffix == ".csv":
                self.export_csv(path)
            else:
                raise ValueError(f"Plots export as .png, .svg or .csv, not {suffix or 'no suffix'}.")
        finally:
            for item in hidden:
                item.setVisible(True)
        return path

    def _export_svg_qt(self, path: Path) -> None:
        """Vector SVG of the plot through Qt's own SVG generator."""
        from PySide6.QtCore import QRect, QRectF, QSize
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgGenerator

        rect = self.getPlotItem().sceneBoundingRect()
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(QSize(int(rect.width()), int(rect.height())))
        gen.setViewBox(QRect(0, 0, int(rect.width()), int(rect.height())))
        gen.setTitle(self.title)
        painter = QPainter(gen)
        try:
            painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), self.backgroundBrush())
            self.scene().render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        finally:
            painter.end()

    def export_csv(self, path: str | Path) -> None:
        """The curve data, one row per point: series, x, y."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["series", "x", "y"])
            for name, item in self.curves.items():
                xs, ys = item.getOriginalDataset()
                for a, b in zip(xs if xs is not None else [], ys if ys is not None else []):
                    w.writerow([name, repr(float(a)), repr(float(b))])
