"""The Inside panel's Grad-CAM page on the digits CNN: a conv node selected, Grad-CAM chosen, a
heatmap over the digit is drawn and saved as PNG; saliency and a chosen class follow; the
digits MLP (no image input) is told why neither applies."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from app.data import DataConfig, load_dataset
from app.project.examples import example_path
from app.project.fileio import load_project
from app.training.gradcam import GRADCAM, SALIENCY

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
    image = QImage(str(out))
    assert not image.isNull() and image.width() > 100 and image.height() > 100
    pixels = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(pixels) > 20  # a picture, not a blank page


def test_model_without_an_image_input_says_why(qtbot, no_dangling_qthreads):
    project, panel = open_panel(qtbot, "digits_mlp")
    try:
        first = next(n for n in project.graph.nodes() if n.spec_id != "keras.Input")
        panel.set_selection([first.id])
        qtbot.waitUntil(lambda: "image input" in panel.gradcam.info.text(), timeout=TIMEOUT_MS)
        assert panel.gradcam.explanation is None and panel.gradcam.heat_item.image is None
    finally:
        panel.shutdown()
