"""The Inside panel's Grad-CAM page on the digits CNN: a conv node selected, Grad-CAM chosen, a
heatmap over the digit is drawn and saved as PNG; saliency and a chosen class follow; the
digits MLP (no image input) is told why neither applies."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from app.data import DataConfig, load_dataset
from app.project.examples import example_path
from app.project.fileio import load_project
from app.training.gradcam import GRADCAM, SALIENCY
from app.ui.inside.gradcam_view import PNG_CAPTION, PNG_MARGIN, PNG_TITLE

TIMEOUT_MS = 120_000


def open_panel(qtbot, example):
    from app.ui.document import Document
    from app.ui.inside.panel import InsidePanel

    project = load_project(example_path(example))
    dataset = load_dataset(DataConfig.from_dict(project.data_config().to_dict()))
    p = InsidePanel()
    qtbot.addWidget(p)
    p.resize(1100, 420)
    p.show()
    p.set_document(Document(project))
    p.set_dataset(dataset)
    p.tabs.setCurrentWidget(p.gradcam)
    return project, p


@pytest.fixture
def cnn(qtbot, no_dangling_qthreads):
    project, p = open_panel(qtbot, "digits_cnn")
    yield project, p
    p.shutdown()


def node_id(project, name):
    return next(n.id for n in project.graph.nodes() if n.name == name)


def test_gradcam_of_a_conv_node_is_drawn_and_saved(qtbot, cnn, tmp_path):
    project, panel = cnn
    view = panel.gradcam
    panel.index.setValue(3)
    assert view.method.currentData() == GRADCAM
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT_MS) as blocker:
        panel.set_selection([node_id(project, "conv_1")])
    assert blocker.args == [GRADCAM]
    e = view.explanation
    assert e.layer == "conv_1" and e.heatmap.shape == (8, 8) and e.cam.shape == (6, 6)
    assert 0.0 <= e.heatmap.min() and e.heatmap.max() == pytest.approx(1.0)
    assert view.heat_item.image.shape == view.map_item.image.shape == (8, 8, 3)
    assert "Grad-CAM of conv_1" in view.info.text() and "sample 3" in view.info.text()
    assert_picture(panel.export_png(tmp_path / "conv_1.png"), e)
    assert len(np.unique(e.heatmap)) > 8  # the picture's heatmap has places to compare
    # The class choice lists the digits; the one chosen is explained.
    assert view.class_choice.count() == 11
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT_MS):
        view.class_choice.setCurrentIndex(view.class_choice.findData(7))
    assert view.explanation.class_index == 7 and "class 7" in view.info.text()
    # Saliency of the same sample: the input's own size, no layer.
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT_MS) as blocker:
        view.method.setCurrentIndex(view.method.findData(SALIENCY))
    assert blocker.args == [SALIENCY] and view.explanation.layer is None
    # Hidden: nothing is computed; shown again: computed for the new selection.
    panel.tabs.setCurrentWidget(panel.output_plot)
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS):
        panel.set_selection([node_id(project, "conv_2")])
    assert "Computing" not in view.info.text() and view.explanation.layer is None
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT_MS):
        panel.tabs.setCurrentWidget(view)
    assert view.explanation.layer is None and view.explanation.method == SALIENCY
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT_MS):
        panel.set_selection([node_id(project, "conv_1")])
    # Back to Grad-CAM: from the cache, drawn at once.
    view.method.setCurrentIndex(view.method.findData(GRADCAM))
    assert view.explanation.method == GRADCAM and view.explanation.class_index == 7
    # A node without feature maps: Grad-CAM of the last conv layer, said so.
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT_MS):
        panel.set_selection([node_id(project, "flatten")])
    assert view.explanation.layer == "conv_2"
    assert "last convolutional layer" in view.info.text()
    assert "maps are 1×1" in view.info.text()  # conv_2 of an 8×8 digit: (1, 1, 32)

    out = panel.export_png(tmp_path / "gradcam.png")
    assert_picture(out, view.explanation)


def rgb_of(image: QImage, x0: int, y0: int, size: int) -> np.ndarray:
    return np.array(
        [
            [QColor(image.pixel(x0 + x, y0 + y)).getRgb()[:3] for x in range(size)]
            for y in range(size)
        ]
    )


def assert_picture(path, e):
    """The PNG of an 8×8 digit: three 256×256 panels (each pixel 32×32) side by side with
    titles above and a caption below; its pixels are the input in grey, the heatmap in jet
    colours and half of each over the other, computed here."""
    image = QImage(str(path))
    m = PNG_MARGIN
    assert e.heatmap.shape == (8, 8)
    assert (image.width(), image.height()) == (
        3 * 256 + 4 * m,
        256 + PNG_TITLE + PNG_CAPTION + 2 * m,
    )
    grey = e.image[..., 0].astype(np.float64)
    grey = (grey - grey.min()) / (grey.max() - grey.min())
    v = np.clip(e.heatmap.astype(np.float64), 0, 1)
    colours = np.stack([np.clip(1.5 - np.abs(4 * v - c), 0, 1) for c in (3, 2, 1)], axis=-1)
    want = {
        0: np.repeat(grey[..., None], 3, axis=-1),
        1: colours,
        2: 0.5 * grey[..., None] + 0.5 * colours,
    }
    big = np.ones((32, 32), int)
    for k, rgb in want.items():
        x0 = m + k * (256 + m)
        got = rgb_of(image, x0, m + PNG_TITLE, 256)
        expected = np.stack([np.kron(np.round(rgb[..., c] * 255), big) for c in range(3)], axis=-1)
        np.testing.assert_allclose(got, expected, atol=1)
    # Margins are white; the caption row holds text (dark pixels).
    assert QColor(image.pixel(m // 2, m + PNG_TITLE + 100)).getRgb()[:3] == (255, 255, 255)
    caption = rgb_of(image, m, m + PNG_TITLE + 256, PNG_CAPTION)
    assert (caption.sum(axis=-1) < 300).any()


def test_model_without_an_image_input_says_why(qtbot, no_dangling_qthreads):
    project, panel = open_panel(qtbot, "digits_mlp")
    try:
        first = next(n for n in project.graph.nodes() if n.spec_id != "keras.Input")
        panel.set_selection([first.id])
        qtbot.waitUntil(lambda: "image input" in panel.gradcam.info.text(), timeout=TIMEOUT_MS)
        assert panel.gradcam.explanation is None and panel.gradcam.heat_item.image is None
    finally:
        panel.shutdown()
