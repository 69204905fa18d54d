"""One live plot (PlotCard): named curves, hover crosshair with values, PNG / SVG / CSV export.

Also the numpy Buffer the plots are fed from and the theme colours they follow.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QGraphicsItem, QWidget

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

    def __init__(
        self,
        key: str,
        title: str,
        x_label: str = "epoch",
        parent: QWidget | None = None,
        legend_bottom: bool = False,
    ) -> None:
        super().__init__(parent, axisItems={"bottom": EpochAxis("bottom")})
        self.key, self.title = key, title
        self.setMinimumHeight(190)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.y_changes = 0  # times follow_y moved the y range
        pi = self.getPlotItem()
        pi.setTitle(title, size="10pt")
        pi.setLabel("bottom", x_label)
        pi.showGrid(x=True, y=True, alpha=0.25)
        for name in ("left", "bottom"):  # major grid lines only: calmer, and cheaper to paint
            axis = pi.getAxis(name)
            axis.setStyle(maxTickLevel=0)
            # An axis paints its ticks, labels and grid lines across the whole plot; cached as a
            # pixmap it is only redrawn when the range changes, not on every new curve point.
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        pi.setMenuEnabled(True)
        self.legend = pi.addLegend(offset=(-8, -8 if legend_bottom else 8), labelTextSize="8pt")
        self.vline = pg.InfiniteLine(angle=90, movable=False)
        self.vline.setVisible(False)
        self.label = pg.TextItem(anchor=(0, 0))
        self.label.setVisible(False)
        pi.addItem(self.vline, ignoreBounds=True)
        pi.addItem(self.label, ignoreBounds=True)
        # The best epoch of a finished run (a star; not a curve, so not in the legend).
        self.best_marker = pg.PlotDataItem(
            [], [], pen=None, symbol="star", symbolSize=14, symbolBrush="#e11d48", symbolPen=None
        )
        self.best_marker.setVisible(False)
        pi.addItem(self.best_marker, ignoreBounds=True)
        self.scene().sigMouseMoved.connect(self._hover)
        # The y range follows the data with hysteresis (follow_y), not pyqtgraph's auto-range,
        # which moves the axes — and repaints them — on every new point. Pan or zoom by hand and
        # the plot stays where you put it; the "A" button hands it back to follow_y.
        self._follow = True
        self._log_y = False
        pi.getViewBox().sigRangeChangedManually.connect(self._stop_following)
        menu = pi.getViewBox().menu
        menu.addSeparator()
        for fmt in ("PNG", "SVG", "CSV"):
            act = QAction(f"Export plot as {fmt}…", menu)
            act.triggered.connect(lambda _c=False, f=fmt: self.export_dialog(f))
            menu.addAction(act)
        self.apply_theme()

    def recycle(self) -> None:
        """Forget the curves and the view state, to be a spare again (cheaper than a new card)."""
        for name in list(self.curves):
            self.remove_curve(name)
        self.restart()

    def restart(self, names: tuple[str, ...] = ()) -> None:
        """Empty the curves called `names` (they keep their pens and legend entries) and forget
        the view state: the card starts over for a new run of the same plot."""
        for name in names:
            if name in self.curves:
                self.curves[name].setData([], [])
        self.vline.setVisible(False)
        self.label.setVisible(False)
        self.best_marker.setVisible(False)
        self.y_changes = 0
        self._follow = True
        self.getPlotItem().getViewBox().enableAutoRange()

    def retarget(self, key: str, title: str, legend_bottom: bool = False) -> None:
        """Give a spare card (new or recycled) its plot: key, title and legend corner."""
        self.key, self.title = key, title
        self.getPlotItem().setTitle(title, size="10pt")
        self.legend.setOffset((-8, -8 if legend_bottom else 8))

    # -- curves -------------------------------------------------------------------------------
    def curve(
        self,
        name: str,
        color: str,
        width: float = 1.6,
        style: Qt.PenStyle = Qt.PenStyle.SolidLine,
        symbol: str | None = None,
    ) -> pg.PlotDataItem:
        """The curve called `name`, created on first use (then only setData)."""
        item = self.curves.get(name)
        if item is None:
            pen = pg.mkPen(color, width=width, style=style)
            item = self.plot(
                [],
                [],
                pen=pen,
                name=name,
                connect="finite",
                symbol=symbol,
                symbolSize=5,
                symbolBrush=color,
                symbolPen=None,
            )
            if self.key == BATCH_KEY:  # thousands of points: only draw what is visible
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
            self.curves[name] = item
        return item

    def mark_best(self, epoch: int, value: float) -> None:
        """Star the best epoch of the run (x = epoch, y = its value)."""
        self.best_marker.setData([epoch], [value])
        self.best_marker.setToolTip(f"best epoch: {epoch}")
        self.best_marker.setVisible(True)

    def remove_curve(self, name: str) -> None:
        item = self.curves.pop(name, None)
        if item is not None:
            self.getPlotItem().removeItem(item)
            self.legend.removeItem(item)

    def set_log_y(self, log: bool) -> None:
        self._log_y = log
        self.getPlotItem().setLogMode(y=log)
        self.follow_y(force=True)

    def _y_bounds(self) -> tuple[float, float] | None:
        """Smallest and largest finite y of the visible curves, in view units (log10 in log
        mode). Read from the curves' own data: cheaper than ViewBox.childrenBounds."""
        lo, hi = math.inf, -math.inf
        for item in self.curves.values():
            if not item.isVisible():
                continue
            ys = item.getOriginalDataset()[1]
            if ys is None or len(ys) == 0:
                continue
            if self._log_y:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ys = np.log10(ys)
            ys = ys[np.isfinite(ys)]
            if len(ys):
                lo, hi = min(lo, float(ys.min())), max(hi, float(ys.max()))
        return (lo, hi) if lo <= hi else None

    def _stop_following(self, *_args) -> None:
        self._follow = False

    def follow_y(self, force: bool = False) -> bool:
        """Fit the y range to the data, moving it only when the data leaves it or fills less
        than half of it (and then with headroom), so axes are redrawn a few times per run
        rather than on every point. Returns True when the range moved."""
        vb = self.getPlotItem().getViewBox()
        if vb.autoRangeEnabled()[1]:  # new card, or the user pressed "A": follow from now on
            vb.disableAutoRange(axis=vb.YAxis)
            self._follow = force = True
        if not self._follow:
            return False
        bounds = self._y_bounds()
        if bounds is None:
            return False
        lo, hi = bounds
        span = hi - lo if hi > lo else max(abs(hi), 1e-12)
        (cur_lo, cur_hi) = vb.viewRange()[1]
        if not force and cur_lo <= lo and hi <= cur_hi and span >= 0.5 * (cur_hi - cur_lo):
            return False
        head = 0.15 * span  # room to grow before the next move
        new_lo = lo - (head if lo < cur_lo else 0.05 * span)
        new_hi = hi + (head if hi > cur_hi else 0.05 * span)
        vb.setYRange(new_lo, new_hi, padding=0)
        self.y_changes += 1
        return True

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
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export plot as {fmt}", f"{name}.{suffix}", f"{fmt} files (*.{suffix})"
        )
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
                raise ValueError(
                    f"Plots export as .png, .svg or .csv, not {suffix or 'no suffix'}."
                )
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
