"""Canvas look: sizes, category colours, and the pens/brushes/fonts built once from the QPalette."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QGuiApplication, QPalette, QPen

from app.ui.canvas.lod import OverviewFonts

NODE_WIDTH = 200.0
NODE_HEIGHT = 96.0
HEADER_HEIGHT = 26.0
PORT_RADIUS = 5.5
PORT_SPACING = 18.0
CORNER_RADIUS = 7.0
GRID_STEP = 24.0
MIN_ZOOM = 0.1
MAX_ZOOM = 4.0

# Header colours per palette category: saturated enough for white text on both themes.
CATEGORY_COLORS = {
    "Input": "#2e9d57",
    "Core": "#3272c9",
    "Convolution": "#d9782b",
    "Pooling": "#1f9a93",
    "Recurrent": "#7d4cc2",
    "Attention": "#cc4b8c",
    "Normalization": "#b8972a",
    "Regularization": "#737b85",
    "Merging": "#1f9bbf",
    "Reshaping": "#8a5a3c",
    "Activation": "#c8453f",
    "Ops": "#2f8f6f",
    "Preprocessing": "#7d8a2e",
    "Blocks": "#4b52b8",
    "Custom": "#b23fb5",
    "Other": "#5f6670",
}

ERROR_COLOR = QColor("#e5484d")
WARNING_COLOR = QColor("#f0a020")
OK_WIRE_COLOR = QColor("#30a46c")


def category_color(category: str) -> QColor:
    """The header colour of a palette category."""
    return QColor(CATEGORY_COLORS.get(category, CATEGORY_COLORS["Other"]))


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """Linear blend of two colours (t=0 -> a, t=1 -> b)."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        1.0,
    )


def _cosmetic(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


class CanvasStyle:
    """Every pen, brush, font and colour the canvas paints with; rebuilt when the palette changes.

    Items read these attributes in paint() so nothing is allocated per frame.
    """

    def __init__(self, palette: QPalette | None = None) -> None:
        self.rebuild(palette)

    def rebuild(self, palette: QPalette | None = None) -> None:
        pal = palette or QGuiApplication.palette()
        window = pal.color(QPalette.ColorRole.Window)
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        self.dark = window.lightness() < 128
        self.background = _mix(base, window, 0.5)
        dot = QColor(text)
        dot.setAlphaF(0.16 if self.dark else 0.22)
        self.grid_pen = _cosmetic(dot, 1.6)
        self.node_fill = QBrush(_mix(base, text, 0.07 if self.dark else 0.0))
        self.node_fill_dim = QBrush(_mix(base, text, 0.03))
        self.node_border = _cosmetic(_mix(self.background, text, 0.28), 1.0)
        self.text = QColor(text)
        muted = _mix(base, text, 0.62)
        self.muted = muted
        self.highlight = pal.color(QPalette.ColorRole.Highlight)
        self.selected_pen = _cosmetic(self.highlight, 2.4)
        self.header_text = QColor("#ffffff")
        wire = _mix(self.background, text, 0.58)
        self.wire_pen = _cosmetic(wire, 1.0)  # width 1 takes Qt's fast cosmetic stroker
        self.wire_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.wire_selected_pen = _cosmetic(self.highlight, 2.2)
        self.wire_error_pen = _cosmetic(ERROR_COLOR, 1.8)
        self.wire_live_pen = _cosmetic(self.highlight, 2.0, Qt.PenStyle.DashLine)
        self.wire_bad_pen = _cosmetic(ERROR_COLOR, 2.0, Qt.PenStyle.DashLine)
        self.share_pen = _cosmetic(
            _mix(self.background, CATEGORY_COLORS_Q["Custom"], 0.8), 1.4, Qt.PenStyle.DashLine
        )
        self.label_fill = QBrush(_mix(base, text, 0.04))
        self.label_border = _cosmetic(_mix(base, text, 0.22), 1.0)
        self.port_fill = QBrush(_mix(base, text, 0.12))
        self.port_connected = QBrush(wire)
        self.port_pen = _cosmetic(_mix(self.background, text, 0.55), 1.2)
        self.port_hover = QBrush(self.highlight)
        self.marker_pen = QPen(self.header_text, 1.4)
        self.marker_pen.setCapStyle(Qt.PenCapStyle.RoundCap)

        family = QGuiApplication.font().family()
        self.title_font = QFont(family)
        self.title_font.setPointSizeF(9.5)
        self.title_font.setBold(True)
        self.body_font = QFont(family)
        self.body_font.setPointSizeF(8.5)
        self.small_font = QFont(family)
        self.small_font.setPointSizeF(7.5)
        self.mono_font = QFont("monospace")
        self.mono_font.setStyleHint(QFont.StyleHint.Monospace)
        self.mono_font.setPointSizeF(8.0)
        self.title_metrics = QFontMetricsF(self.title_font)
        self.body_metrics = QFontMetricsF(self.body_font)
        self.small_metrics = QFontMetricsF(self.small_font)
        self.mono_metrics = QFontMetricsF(self.mono_font)
        self.overview_fonts = OverviewFonts()

    def header_brush(self, category: str, frozen: bool = False) -> QBrush:
        """Header fill for a category (dimmer when the layer is frozen)."""
        color = category_color(category)
        if frozen:  # greyed but as dark as before, so white text stays readable on both themes
            color = _mix(color, QColor("#7a7f88"), 0.6)
        return QBrush(color)


CATEGORY_COLORS_Q = {k: QColor(v) for k, v in CATEGORY_COLORS.items()}
