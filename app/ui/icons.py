"""Icons drawn with QPainter at runtime: one per palette category, severities and the app icon.

Each icon is drawn on a 24x24 design grid and rendered at several pixel sizes so it stays crisp
on high-DPI screens; no image files are needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from app.ui.canvas.style import CATEGORY_COLORS, ERROR_COLOR, OK_WIRE_COLOR, WARNING_COLOR

# One colour per category, shared with the node headers on the canvas.
_SIZES = (16, 20, 24, 32, 40, 48, 64)


def category_color(category: str) -> QColor:
    """The accent colour of a palette category."""
    return QColor(CATEGORY_COLORS.get(category, CATEGORY_COLORS["Other"]))


def _render(draw: Callable[[QPainter, QColor], None], color: QColor) -> QIcon:
    icon = QIcon()
    for size in _SIZES:
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(size / 24.0, size / 24.0)
        draw(p, color)
        p.end()
        icon.addPixmap(pm)
    return icon


def _pen(color: QColor, width: float = 1.8) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _tile(p: QPainter, color: QColor) -> None:
    """The rounded tile every category icon sits on."""
    fill = QColor(color)
    fill.setAlpha(46)
    p.setPen(_pen(color, 1.2))
    p.setBrush(fill)
    p.drawRoundedRect(QRectF(1.5, 1.5, 21, 21), 5, 5)


def _draw_input(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 2.0))
    p.drawLine(QPointF(5, 12), QPointF(15, 12))
    p.drawPolyline(QPolygonF([QPointF(11, 8), QPointF(15, 12), QPointF(11, 16)]))
    p.drawLine(QPointF(18.5, 6.5), QPointF(18.5, 17.5))


def _draw_core(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    left = [QPointF(7, 7.5), QPointF(7, 12), QPointF(7, 16.5)]
    right = [QPointF(17, 9.5), QPointF(17, 14.5)]
    p.setPen(_pen(c, 0.9))
    for a in left:
        for b in right:
            p.drawLine(a, b)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    for pt in left + right:
        p.drawEllipse(pt, 1.9, 1.9)


def _draw_conv(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 0.9))
    for i in range(4):
        p.drawLine(QPointF(5 + i * 4.66, 5), QPointF(5 + i * 4.66, 19))
        p.drawLine(QPointF(5, 5 + i * 4.66), QPointF(19, 5 + i * 4.66))
    fill = QColor(c)
    fill.setAlpha(170)
    p.setBrush(fill)
    p.setPen(_pen(c, 1.6))
    p.drawRect(QRectF(5, 5, 9.33, 9.33))


def _draw_pool(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.1))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(4.5, 6.5, 8, 8))
    p.drawLine(QPointF(8.5, 6.5), QPointF(8.5, 14.5))
    p.drawLine(QPointF(4.5, 10.5), QPointF(12.5, 10.5))
    p.setPen(_pen(c, 1.6))
    p.drawLine(QPointF(13.5, 12), QPointF(15.5, 12))
    p.setBrush(c)
    p.drawRect(QRectF(16.5, 9.5, 3.5, 3.5))


def _draw_recurrent(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 2.0))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(6, 6, 12, 12), 60 * 16, 300 * 16)
    tip = QPointF(12 + 6 * math.cos(math.radians(60)), 12 - 6 * math.sin(math.radians(60)))
    p.setBrush(c)
    p.drawPolygon(
        QPolygonF([tip + QPointF(-3.2, -1.5), tip + QPointF(1.2, -3.2), tip + QPointF(0.8, 1.4)])
    )


def _draw_attention(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    path = QPainterPath(QPointF(4, 12))
    path.quadTo(QPointF(12, 3.5), QPointF(20, 12))
    path.quadTo(QPointF(12, 20.5), QPointF(4, 12))
    p.setPen(_pen(c, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
    p.setBrush(c)
    p.drawEllipse(QPointF(12, 12), 2.8, 2.8)


def _draw_norm(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    path = QPainterPath(QPointF(4, 17.5))
    for i in range(1, 33):
        x = 4 + i * 0.5
        y = 17.5 - 11 * math.exp(-((x - 12) ** 2) / 10)
        path.lineTo(QPointF(x, y))
    p.setPen(_pen(c, 1.8))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
    p.setPen(_pen(c, 1.0))
    p.drawLine(QPointF(4, 18.5), QPointF(20, 18.5))


def _draw_regularization(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    for i, (x, y) in enumerate((x, y) for y in (7, 12, 17) for x in (7, 12, 17)):
        p.setPen(_pen(c, 1.2))
        p.setBrush(c if i % 3 != 1 and i != 5 else Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(x, y), 1.9, 1.9)


def _draw_merge(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.9))
    p.setBrush(Qt.BrushStyle.NoBrush)
    a = QPainterPath(QPointF(4.5, 7))
    a.cubicTo(QPointF(10, 7), QPointF(9, 12), QPointF(13, 12))
    b = QPainterPath(QPointF(4.5, 17))
    b.cubicTo(QPointF(10, 17), QPointF(9, 12), QPointF(13, 12))
    p.drawPath(a)
    p.drawPath(b)
    p.drawLine(QPointF(13, 12), QPointF(19.5, 12))
    p.setBrush(c)
    p.drawEllipse(QPointF(13, 12), 1.8, 1.8)


def _draw_reshape(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(4.5, 5, 6, 14))
    p.drawRect(QRectF(13, 9, 6.5, 6))
    p.drawLine(QPointF(10.5, 12), QPointF(13, 12))


def _draw_activation(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.0))
    p.drawLine(QPointF(4, 12), QPointF(20, 12))
    path = QPainterPath(QPointF(4, 18))
    for i in range(1, 33):
        x = 4 + i * 0.5
        path.lineTo(QPointF(x, 18 - 12 / (1 + math.exp(-(x - 12) * 0.9))))
    p.setPen(_pen(c, 2.0))
    p.drawPath(path)


def _draw_preprocessing(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.6))
    fill = QColor(c)
    fill.setAlpha(120)
    p.setBrush(fill)
    p.drawPolygon(
        QPolygonF(
            [
                QPointF(5, 6),
                QPointF(19, 6),
                QPointF(13.5, 12.5),
                QPointF(13.5, 18),
                QPointF(10.5, 19.5),
                QPointF(10.5, 12.5),
            ]
        )
    )


def _draw_blocks(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(5, 5, 14, 14), 2.5, 2.5)
    fill = QColor(c)
    fill.setAlpha(150)
    p.setBrush(fill)
    p.drawRect(QRectF(8, 8.5, 3.5, 3.5))
    p.drawRect(QRectF(12.5, 12, 3.5, 3.5))
    p.drawLine(QPointF(11.5, 10.25), QPointF(14.25, 12))


def _draw_custom(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.4))
    fill = QColor(c)
    fill.setAlpha(110)
    p.setBrush(fill)
    pts = []
    for i in range(16):
        r = 7 if i % 2 == 0 else 5
        a = math.radians(i * 22.5)
        pts.append(QPointF(12 + r * math.cos(a), 12 + r * math.sin(a)))
    p.drawPolygon(QPolygonF(pts))
    p.setBrush(QBrush(QColor(255, 255, 255, 200)))
    p.drawEllipse(QPointF(12, 12), 2.2, 2.2)


def _draw_other(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    for x in (7, 12, 17):
        p.drawEllipse(QPointF(x, 12), 1.9, 1.9)


_DRAWERS = {
    "Input": _draw_input,
    "Core": _draw_core,
    "Convolution": _draw_conv,
    "Pooling": _draw_pool,
    "Recurrent": _draw_recurrent,
    "Attention": _draw_attention,
    "Normalization": _draw_norm,
    "Regularization": _draw_regularization,
    "Merging": _draw_merge,
    "Reshaping": _draw_reshape,
    "Activation": _draw_activation,
    "Preprocessing": _draw_preprocessing,
    "Blocks": _draw_blocks,
    "Custom": _draw_custom,
    "Other": _draw_other,
}


@cache
def category_icon(category: str) -> QIcon:
    """The icon of a palette category (cached; needs a QGuiApplication)."""
    return _render(_DRAWERS.get(category, _draw_other), category_color(category))


def _draw_error(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    p.drawEllipse(QRectF(2, 2, 20, 20))
    p.setPen(_pen(QColor("white"), 2.4))
    p.drawLine(QPointF(8.5, 8.5), QPointF(15.5, 15.5))
    p.drawLine(QPointF(15.5, 8.5), QPointF(8.5, 15.5))


def _draw_warning(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.5))
    p.setBrush(c)
    p.drawPolygon(QPolygonF([QPointF(12, 2.5), QPointF(22, 20.5), QPointF(2, 20.5)]))
    p.setPen(_pen(QColor("#1d1f23"), 2.3))
    p.drawLine(QPointF(12, 8.5), QPointF(12, 13.5))
    p.drawPoint(QPointF(12, 17.3))


def _draw_ok(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    p.drawEllipse(QRectF(2, 2, 20, 20))
    p.setPen(_pen(QColor("white"), 2.4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPolyline(QPolygonF([QPointF(7, 12.5), QPointF(10.5, 16), QPointF(17, 8.5)]))


def _draw_app(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#1f2a44"))
    p.drawRoundedRect(QRectF(0.5, 0.5, 23, 23), 5.5, 5.5)
    nodes = [
        QPointF(5.5, 7),
        QPointF(5.5, 17),
        QPointF(12, 12),
        QPointF(18.5, 7),
        QPointF(18.5, 17),
    ]
    p.setPen(_pen(QColor("#8fb5ff"), 1.4))
    for a, b in ((0, 2), (1, 2), (2, 3), (2, 4), (0, 3), (1, 4)):
        p.drawLine(nodes[a], nodes[b])
    p.setPen(Qt.PenStyle.NoPen)
    for i, pt in enumerate(nodes):
        p.setBrush(QColor("#ffb347") if i == 2 else QColor("#e8efff"))
        p.drawEllipse(pt, 2.6 if i == 2 else 2.1, 2.6 if i == 2 else 2.1)


@cache
def severity_icon(severity: str) -> QIcon:
    """Icon for a problem severity: "error", "warning" or "ok"."""
    if severity == "error":
        return _render(_draw_error, QColor(ERROR_COLOR))
    if severity == "warning":
        return _render(_draw_warning, QColor(WARNING_COLOR))
    return _render(_draw_ok, QColor(OK_WIRE_COLOR))


@cache
def app_icon() -> QIcon:
    """The LayerLoom window icon."""
    return _render(_draw_app, QColor("#3d7be0"))


def _draw_undo(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 2.0))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(6, 10))
    path.lineTo(QPointF(14, 10))
    path.cubicTo(QPointF(21, 10), QPointF(21, 19), QPointF(14, 19))
    path.lineTo(QPointF(9, 19))
    p.drawPath(path)
    p.drawPolyline(QPolygonF([QPointF(10, 5.5), QPointF(5.5, 10), QPointF(10, 14.5)]))


def _draw_redo(p: QPainter, c: QColor) -> None:
    p.translate(24, 0)
    p.scale(-1, 1)
    _draw_undo(p, c)


@cache
def _action_icon(name: str, color: str) -> QIcon:
    return _render({"undo": _draw_undo, "redo": _draw_redo}[name], QColor(color))


def action_icon(name: str, color: QColor) -> QIcon:
    """A toolbar icon ("undo" or "redo") drawn in `color` (the theme's text colour)."""
    return _action_icon(name, color.name())
