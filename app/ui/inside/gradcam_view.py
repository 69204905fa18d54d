"""The Inside panel's Grad-CAM / saliency page: where an image classifier looks for one sample.

The panel hands over what it shows (`set_target`: the model source and its loaded model, the
data, the sample, the selected node); this page computes on a worker thread with
`app.training.gradcam.Explainer` (one per model source) and draws the input beside the heatmap
over it. It computes only while it is shown. Grad-CAM explains the selected node when it has
feature maps, else the last convolutional layer; saliency needs no layer. Where neither applies
(no image input, not a classifier, no convolutional layer) it says why in words.

`export_png` writes the shown explanation as a picture at the input's own resolution, not a
capture of the page: the input, the heatmap and the heatmap over the input side by side, each
enlarged by an integer factor (nearest neighbour) to at least `PNG_MIN_SIDE` pixels, titled,
with the page's caption line below.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.data.dataset import Dataset
from app.project.atomic import atomic_path
from app.training.activations import sample_inputs
from app.training.gradcam import (
    GRADCAM,
    METHODS,
    Explainer,
    Explanation,
    jet,
    overlay,
    picture_panels,
    picture_scale,
)
from app.ui.data.views import notice
from app.ui.data.worker import TaskRunner

# The PNG picture: panels at least PNG_MIN_SIDE pixels, PNG_MARGIN around and between them, a
# title row above them and a caption row below them.
PNG_MIN_SIDE = 256
PNG_MARGIN = 12
PNG_TITLE = 24
PNG_CAPTION = 28
PNG_TITLES = ("Input", "Heatmap (blue low, red high)", "Over the input")


def png_size(height: int, width: int) -> tuple[int, int]:
    """(width, height) of the PNG picture of an explanation of a height × width input."""
    s = picture_scale(height, width, PNG_MIN_SIDE)
    return (
        3 * width * s + 4 * PNG_MARGIN,
        height * s + PNG_TITLE + PNG_CAPTION + 2 * PNG_MARGIN,
    )


def panel_origin(k: int, height: int, width: int) -> tuple[int, int]:
    """(x, y) of the top-left pixel of panel k (0 input, 1 heatmap, 2 over the input)."""
    s = picture_scale(height, width, PNG_MIN_SIDE)
    return PNG_MARGIN + k * (width * s + PNG_MARGIN), PNG_MARGIN + PNG_TITLE


@dataclass(frozen=True)
class Target:
    """What the Inside panel shows: a model source (its key), its model, the data, a sample."""

    key: Hashable
    model: Any
    dataset: Dataset
    split: str
    index: int
    node: str | None


class GradcamView(QWidget):
    """`set_target(target)`; `drawn(method)` once a heatmap is on screen."""

    drawn = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target: Target | None = None
        self.explainers: dict[Hashable, Explainer] = {}  # model source -> its explainer
        self.results: dict[tuple, Explanation] = {}
        self.explanation: Explanation | None = None
        self.runner = TaskRunner(self)
        self._classes_for: tuple | None = None
        self._build()

    def _build(self) -> None:
        head = QHBoxLayout()
        self.method = QComboBox(self)
        for key, label in METHODS.items():
            self.method.addItem(label, key)
        self.method.setToolTip(
            "Grad-CAM: which places of a convolutional layer's feature maps raise the class "
            "score. Saliency: how strongly each input pixel changes it."
        )
        self.method.currentIndexChanged.connect(lambda _i: self.compute())
        self.class_choice = QComboBox(self)
        self.class_choice.setMinimumContentsLength(10)
        self.class_choice.addItem("Predicted class", None)
        self.class_choice.currentIndexChanged.connect(lambda _i: self.compute())
        for w in (QLabel("Show", self), self.method, QLabel("for", self), self.class_choice):
            head.addWidget(w)
        self.info = notice("Select a node to see where the classifier looks.", self)
        head.addWidget(self.info, 1)
        self.plots = pg.GraphicsLayoutWidget(self)
        self.input_box = self._image_box("Input")
        self.map_box = self._image_box("Heatmap (blue low, red high)")
        self.heat_box = self._image_box("Over the input")
        self.input_item = pg.ImageItem(axisOrder="row-major")
        self.map_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item = pg.ImageItem(axisOrder="row-major")
        self.input_box.addItem(self.input_item)
        self.map_box.addItem(self.map_item)
        self.heat_box.addItem(self.heat_item)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(head)
        box.addWidget(self.plots, 1)

    def _image_box(self, title: str) -> pg.PlotItem:
        plot = self.plots.addPlot(title=title)
        plot.setAspectLocked(True)
        plot.invertY(True)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(False, False)
        return plot

    # ----- inputs ------------------------------------------------------------------------------
    def set_target(self, target: Target | None) -> None:
        """What to explain; computed now if the page is shown, else when it is."""
        self.target = target
        if self.isVisible():
            self.compute()

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one model source's explainer and heatmaps (all if None): its model changed."""
        if key is None:
            self.explainers.clear()
            self.results.clear()
            return
        self.explainers.pop(key, None)
        for k in [k for k in self.results if k[0] == key]:
            del self.results[k]

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.compute()

    # ----- computing ---------------------------------------------------------------------------
    def _explainer(self, t: Target) -> Explainer:
        """The model source's explainer (made on the worker thread, kept on the GUI thread)."""
        found = self.explainers.get(t.key)
        return found if found is not None else Explainer(t.model, task=t.dataset.task)

    def compute(self) -> bool:
        """Show the heatmap for the target (from the cache, or start the worker)."""
        t = self.target
        if t is None or t.model is None:
            return False
        method = self.method.currentData()
        class_index = self.class_choice.currentData()
        key = (t.key, t.split, t.index, t.node, method, class_index)
        found = self.results.get(key)
        if found is not None:
            self._draw(found)
            return True
        self._say(f"Computing the {METHODS[method]} of sample {t.index}…")

        def task() -> dict:
            explainer = self._explainer(t)
            x, _ = sample_inputs(t.model, t.dataset, t.split, t.index)
            return {
                "key": key,
                "explainer": explainer,
                "explanation": explainer.explain(method, x, t.node, class_index),
            }

        self.runner.run("explain", task, self._on_done, self._on_error)
        return True

    def _on_done(self, result: dict) -> None:
        self.results[result["key"]] = result["explanation"]
        self.explainers[result["key"][0]] = result["explainer"]
        self._fill_classes(result["key"][0], result["explainer"])
        self._draw(result["explanation"])

    def _on_error(self, message: str) -> None:
        self.explanation = None
        for item in (self.input_item, self.map_item, self.heat_item):
            item.clear()
        self.info.setStyleSheet("color: #c0392b;")
        self.info.setText(message)

    def _say(self, text: str) -> None:
        self.info.setStyleSheet("")
        self.info.setText(text)

    def _class_names(self, explainer: Explainer) -> list[str]:
        ds = self.target.dataset if self.target else None
        names = None
        if ds is not None:
            names = ds.class_names.get(explainer.output_name) or (
                next(iter(ds.class_names.values())) if len(ds.class_names) == 1 else None
            )
        if names is not None and len(names) == explainer.classes:
            return [str(n) for n in names]
        return [str(i) for i in range(explainer.classes)]

    def _fill_classes(self, key: Hashable, explainer: Explainer) -> None:
        """The class choice: 'Predicted class', then the model's classes (kept by index)."""
        names = tuple(self._class_names(explainer))
        if self._classes_for == (key, names):
            return
        self._classes_for = (key, names)
        current = self.class_choice.currentData()
        blocked = self.class_choice.blockSignals(True)
        self.class_choice.clear()
        self.class_choice.addItem("Predicted class", None)
        for i, name in enumerate(names):
            self.class_choice.addItem(f"{i}: {name}" if name != str(i) else name, i)
        at = self.class_choice.findData(current) if current is not None else 0
        self.class_choice.setCurrentIndex(max(at, 0))
        self.class_choice.blockSignals(blocked)

    # ----- drawing -----------------------------------------------------------------------------
    def _draw(self, e: Explanation) -> None:
        self.explanation = e
        image = overlay(e.image, np.zeros(e.heatmap.shape, np.float32), alpha=0.0)
        self.input_item.setImage(image, levels=(0.0, 1.0))
        self.map_item.setImage(jet(e.heatmap), levels=(0.0, 1.0))
        self.heat_item.setImage(overlay(e.image, e.heatmap), levels=(0.0, 1.0))
        for box in (self.input_box, self.map_box, self.heat_box):
            box.autoRange(padding=0.02)
        t = self.target
        explainer = self.explainers.get(t.key) if t else None
        names = self._class_names(explainer) if explainer is not None else []
        label = names[e.class_index] if e.class_index < len(names) else str(e.class_index)
        what = f"Grad-CAM of {e.layer}" if e.method == GRADCAM else "Saliency"
        text = (
            f"{what} for class {label} (output {e.probability:.2f}), sample {t.index if t else ''}"
        )
        self._say(text + (f" — {e.note}" if e.note else ""))
        self.drawn.emit(e.method)

    # ----- export ------------------------------------------------------------------------------
    def picture(self) -> QImage:
        """The shown explanation as a picture (see the module's doc); a null image if none."""
        e = self.explanation
        if e is None:
            return QImage()
        h, w = e.heatmap.shape
        width, height = png_size(h, w)
        picture = QImage(width, height, QImage.Format.Format_RGB32)
        picture.fill(QColor("white"))
        painter = QPainter(picture)
        try:
            metrics = QFontMetrics(painter.font())
            painter.setPen(QColor("black"))
            panels = picture_panels(e, picture_scale(h, w, PNG_MIN_SIDE))
            for k, (title, rgb) in enumerate(zip(PNG_TITLES, panels)):
                x, y = panel_origin(k, h, w)
                rgb = np.ascontiguousarray(rgb)
                image = QImage(
                    rgb.data, rgb.shape[1], rgb.shape[0], 3 * rgb.shape[1],
                    QImage.Format.Format_RGB888,
                ).copy()  # fmt: skip
                painter.drawImage(x, y, image)
                box = QRect(x, PNG_MARGIN, rgb.shape[1], PNG_TITLE)
                painter.drawText(
                    box,
                    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                    metrics.elidedText(title, Qt.TextElideMode.ElideRight, box.width()),
                )
            top = panel_origin(0, h, w)[1] + panels[0].shape[0]
            box = QRect(PNG_MARGIN, top, width - 2 * PNG_MARGIN, PNG_CAPTION)
            painter.drawText(
                box,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(self.info.text(), Qt.TextElideMode.ElideRight, box.width()),
            )
        finally:
            painter.end()
        return picture

    def export_png(self, path: str | Path) -> Path:
        """Write the shown explanation's picture to `path` (atomically)."""
        path = Path(path)
        picture = self.picture()
        if picture.isNull():
            raise OSError("There is no heatmap to save.")
        with atomic_path(path, ".png") as tmp:
            if not picture.save(str(tmp), "PNG"):
                raise OSError(f"Could not write {path}.")
        return path

    def shutdown(self) -> None:
        self.runner.shutdown()
