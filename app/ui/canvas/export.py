"""Export the whole graph as a PNG or SVG picture (vector shapes, atomic writes)."""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem

from app.errors import LayerLoomError
from app.project.atomic import atomic_path
from app.ui.canvas.edge_item import EdgeItem, ShareLinkItem
from app.ui.canvas.node_item import NodeItem

MARGIN = 40.0
MAX_SIDE = 16_000


def graph_rect(scene) -> QRectF:
    """Bounding rectangle of every node, wire and link, plus a margin."""
    rect = QRectF()
    for item in scene.items():
        if isinstance(item, NodeItem | EdgeItem | ShareLinkItem) and item.isVisible():
            rect = rect.united(item.sceneBoundingRect())
    if rect.isEmpty():
        rect = QRectF(0, 0, 200, 100)
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


@contextmanager
def _plain_render(scene):
    """Draw vectors, not cached pixmaps, and without the selection highlight."""
    selected = scene.selectedItems()
    scene.set_view_scale(1.0)  # wire labels shown, whatever the view's zoom
    cached = [i for i in scene.items() if i.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    modes = [i.cacheMode() for i in cached]
    scene.blockSignals(True)
    try:
        for item in selected:
            item.setSelected(False)
        for item in cached:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        yield
    finally:
        for item, mode in zip(cached, modes):
            item.setCacheMode(mode)
        for item in selected:
            item.setSelected(True)
        scene.blockSignals(False)
        views = scene.views()  # back to the detail the view's zoom asks for
        scene.set_view_scale(views[0].transform().m11() if views else 1.0)


def _check_folder(path: str | os.PathLike) -> Path:
    target = Path(path)
    if not target.parent.is_dir():
        raise LayerLoomError(
            f"Cannot export to {target}: the folder does not exist.", path=str(target)
        )
    return target


def _render(scene, painter: QPainter, target: QRectF, source: QRectF) -> None:
    painter.setRenderHints(
        QPainter.RenderHint.Antialiasing
        | QPainter.RenderHint.TextAntialiasing
        | QPainter.RenderHint.SmoothPixmapTransform
    )
    painter.fillRect(target, scene.theme.background)
    scene.render(painter, target, source)


def export_png(scene, path: str | os.PathLike, scale: float = 2.0) -> Path:
    """Write the whole graph as a PNG at `scale` pixels per scene unit."""
    source = graph_rect(scene)
    if not math.isfinite(scale) or scale <= 0:
        scale = 1.0
    scale = min(scale, MAX_SIDE / max(source.width(), source.height()))
    size = QSize(
        max(1, math.ceil(source.width() * scale)), max(1, math.ceil(source.height() * scale))
    )
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(scene.theme.background)
    target = _check_folder(path)
    with _plain_render(scene):
        painter = QPainter(image)
        try:
            _render(scene, painter, QRectF(0, 0, size.width(), size.height()), source)
        finally:
            painter.end()
    with atomic_path(target, ".png") as tmp:
        if not image.save(str(tmp), "PNG"):
            raise LayerLoomError(f"Could not write the picture {target}.", path=str(target))
    return target


def export_svg(scene, path: str | os.PathLike) -> Path:
    """Write the whole graph as an SVG drawing (shapes and text stay vectors)."""
    source = graph_rect(scene)
    w, h = math.ceil(source.width()), math.ceil(source.height())
    target = _check_folder(path)
    with atomic_path(target, ".svg") as tmp:
        gen = QSvgGenerator()
        gen.setFileName(str(tmp))
        gen.setSize(QSize(w, h))
        gen.setViewBox(QRectF(0, 0, w, h))
        gen.setTitle(getattr(scene.graph, "name", "model"))
        gen.setDescription("Model graph exported by LayerLoom")
        with _plain_render(scene):
            painter = QPainter()
            if not painter.begin(gen):
                raise LayerLoomError(f"Could not write the drawing {target}.", path=str(target))
            try:
                _render(scene, painter, QRectF(0, 0, w, h), source)
            finally:
                painter.end()
    return target
