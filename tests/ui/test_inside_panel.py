"""Inside panel on the digits CNN: the first Conv2D's feature maps for a chosen digit from the
untrained model and from a run's model, other nodes from the same cached all-outputs model,
weight histograms per epoch of the run, PNG export."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from app.data import DataConfig, load_dataset
from app.project.examples import example_path
from app.project.fileio import load_project

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The digits CNN project with one 2-epoch run recorded, and its data."""
    from app.training.headless import RunHooks, train_project

    project = load_project(example_path("digits_cnn"))
    project.training = project.training.from_dict({**project.training.to_dict(), "epochs": 2})
    rec = train_project(project, out_dir=tmp_path_factory.mktemp("runs"), hooks=RunHooks())
    assert rec.status == "completed"
    project.runs.append(rec.to_dict())
    return project, rec, load_dataset(DataConfig.from_dict(project.data_config().to_dict()))


@pytest.fixture
def panel(qtbot, no_dangling_qthreads, trained):
    from app.ui.document import Document
    from app.ui.inside.panel import InsidePanel

    project, _rec, dataset = trained
    p = InsidePanel()
    qtbot.addWidget(p)
    p.resize(1200, 400)
    p.show()
    p.set_document(Document(project))
    p.index.setValue(5)  # chosen before the data arrives: kept
    p.set_dataset(dataset)
    assert p.index.value() == 5
    yield p
    p.shutdown()


def node_id(project, name):
    return next(n.id for n in project.graph.nodes() if n.name == name)


def select(qtbot, panel, project, name):
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS) as blocker:
        panel.set_selection([node_id(project, name)])
    assert blocker.args == [name]


def test_conv_maps_then_other_nodes_from_the_cached_model(qtbot, panel, trained, tmp_path):
    project = trained[0]
    panel.index.setValue(5)
    select(qtbot, panel, project, "conv_1")
    assert "6×6×16" in panel.info.text() and "maps" in panel.info.text()
    title = panel.output_plot.getPlotItem().titleLabel.text
    assert "16 of 16 feature maps" in title
    assert panel.cache.builds == 1
    # Another node: shown at once (synchronously) from the cache, no new model.
    panel.set_selection([node_id(project, "flatten")])
    assert "flatten: output 32" in panel.info.text()
    panel.set_selection([node_id(project, "digit")])
    assert "Predicted:" in panel.output_plot.getPlotItem().titleLabel.text
    assert panel.cache.builds == 1
    # Untrained model: the node's weights are its current values, one histogram.
    assert panel.weight_choice.currentText() == "digit/kernel"
    assert "current values of the untrained model" in panel.weights_info.text()
    out = panel.export_png(tmp_path / "digit.png")
    assert not QImage(str(out)).isNull()


def grid_cover(panel) -> float:
    """The share of the plot's view box that the feature-map grid covers (in view units, which
    map linearly to the screen)."""
    (x0, x1), (y0, y1) = panel.output_plot.getPlotItem().getViewBox().viewRange()
    rows, cols = panel._maps_item.image.shape[:2]
    w = max(0.0, min(x1, cols) - max(x0, 0.0))
    h = max(0.0, min(y1, rows) - max(y0, 0.0))
    return w * h / ((x1 - x0) * (y1 - y0))


def test_feature_map_grid_fills_its_view_and_is_tiled_again_on_resize(qtbot, panel, trained):
    project = trained[0]
    select(qtbot, panel, project, "conv_1")  # 16 maps of 6x6 in a wide view (1200x400)
    qtbot.waitUntil(lambda: panel._maps_cols == 8)  # 8 x 2 fits a wide view; 4 x 4 would not
    assert grid_cover(panel) > 0.6
    panel.resize(
        600, 1400
    )  # a tall view (the panel's narrowest is ~760 px): fewer columns, more rows
    qtbot.waitUntil(lambda: panel._maps_cols is not None and panel._maps_cols <= 3)
    assert grid_cover(panel) > 0.6
    panel.resize(1200, 400)


def test_run_model_and_its_weight_history(qtbot, panel, trained):
    project, rec = trained[0], trained[1]
    labels = [panel.source.itemText(i) for i in range(panel.source.count())]
    assert labels[0] == "Untrained model" and f"Run {rec.id} (final)" in labels
    select(qtbot, panel, project, "conv_1")
    untrained = panel.cache.cached(panel._source_key(), ("val", panel.index.value()))[
        "conv_1"
    ].copy()
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS):
        panel.source.setCurrentIndex(labels.index(f"Run {rec.id} (final)"))
    assert panel.cache.builds == 2
    trained_out = panel.cache.cached(panel._source_key(), ("val", panel.index.value()))["conv_1"]
    assert trained_out.shape == untrained.shape and not (trained_out == untrained).all()
    assert panel.weight_choice.currentText() == "conv_1/kernel"
    edges, counts, epochs = panel._weights["conv_1/kernel"]
    assert list(epochs) == [0, 1] and counts.shape[0] == 2
    assert "per epoch of the run" in panel.weights_info.text()


def test_a_sample_from_an_image_file_then_back_to_the_data(qtbot, panel, trained, tmp_path):
    import numpy as np
    import tensorflow as tf

    from app.training.activations import ActivationProbe
    from app.training.file_sample import file_sample, sample_inputs_from

    project, _rec, dataset = trained
    pixels = np.zeros((24, 24, 3), np.uint8)
    pixels[4:20, 10:14] = 255  # a "1", in colour: converted to the digits' one grey channel
    tf.io.write_file(str(tmp_path / "one.png"), tf.io.encode_png(pixels))
    select(qtbot, panel, project, "conv_1")
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS):
        panel.use_file(tmp_path / "one.png")
    assert "conv_1: output 6×6×16 for one.png (maps)" in panel.info.text()
    model = panel.models[panel._source_key()]
    one = file_sample(tmp_path / "one.png", dataset, project.data_config())
    expected = ActivationProbe(model).outputs(sample_inputs_from(model, one))["conv_1"]
    got = panel.cache.cached(panel._source_key(), panel._sample_key())["conv_1"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert panel.gradcam.target.dataset is panel.file_data[panel._sample_key()]
    # A file that does not fit is told in words; a sample number returns to the data.
    (tmp_path / "note.txt").write_text("not a digit")
    panel.use_file(tmp_path / "note.txt")
    qtbot.waitUntil(lambda: "has no text input" in panel.info.text(), timeout=TIMEOUT_MS)
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS):
        panel.index.setValue(7)
    assert panel.from_file is None and "for sample 7" in panel.info.text()


def test_nothing_is_computed_before_keras_is_loaded(qtbot, panel, trained):
    from app.ui.keras_loader import KerasLoader

    project = trained[0]
    loader = KerasLoader()  # not started: Keras is not ready for the window yet
    panel.set_keras(loader)
    panel.set_selection([node_id(project, "conv_1")])
    assert "Waiting for Keras" in panel.info.text() and panel.cache.builds == 0
    assert not panel.runner.busy
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS) as shown:
        loader.start()  # already imported in this process: ready at once
    assert shown.args == ["conv_1"] and panel.cache.builds == 1


def test_a_node_not_in_the_model_is_said(qtbot, panel, trained):
    panel.set_selection(["no-such-node"])
    assert "not part of the model" in panel.info.text() and panel.node_name is None


def test_a_hidden_panel_computes_when_it_is_shown(qtbot, panel, trained):
    project = trained[0]
    panel.hide()
    panel.set_selection([node_id(project, "conv_1")])  # the tab is not shown: no work
    assert "Computing" not in panel.info.text()  # no worker was started
    assert panel.node_name == "conv_1" and panel.cache.builds == 0
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS) as blocker:
        panel.show()
    assert blocker.args == ["conv_1"] and panel.cache.builds == 1
