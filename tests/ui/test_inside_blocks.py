"""Inside panel and blocks: in the real window, a node selected inside an opened block (the
convolutional autoencoder's encoder) shows that inner layer's output for a sample, from the
one all-outputs model, and its own weights."""

from __future__ import annotations

import keras
import numpy as np
from _fixtures import make_window

from app.training.activations import ActivationProbe, sample_inputs

TIMEOUT_MS = 120_000


def test_a_node_inside_an_opened_block_shows_its_output(
    qtbot, tmp_path, isolated_settings, no_dangling_qthreads
):
    errors: list = []
    window = make_window(qtbot, tmp_path / "recovery", errors)
    window.start_background_work()
    window.open_example("conv_autoencoder")
    panel = window.panels.show("Inside")
    graph = window.document.graph
    window.navigator.open(graph.node_by_name("encoder").id)
    inner = window.scene.graph.node_by_name("conv2d_1")
    assert inner.id not in graph  # a node of the block's graph, not of the model's top level
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS) as shown:
        window.scene.select_node(inner.id)
    assert shown.args == ["encoder/conv2d_1"]
    assert "encoder/conv2d_1: output 24×24×32" in panel.info.text()
    assert panel._maps is not None and panel._maps.shape == (24, 24, 32)
    # The very output of that layer inside the nested model, for the same sample.
    model = panel.models[panel._source_key()]
    x, _ = sample_inputs(model, panel.dataset, panel.split.currentData(), panel.index.value())
    enc = model.get_layer("encoder")
    sub = enc.get_layer("conv2d_1")
    expected = keras.Model(enc.input, sub.output).predict(x, verbose=0)
    got = panel.cache.cached(panel._source_key(), panel._sample_key())["encoder/conv2d_1"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # Its own weights, and another inner node from the same probe at once.
    assert panel.weight_choice.currentText() == "encoder/conv2d_1/kernel"
    builds = panel.cache.builds
    window.scene.select_node(window.scene.graph.node_by_name("global_max_pooling2d").id)
    assert "encoder/global_max_pooling2d: output 16" in panel.info.text()
    assert panel.cache.builds == builds == 1
    assert isinstance(panel.cache.probes[panel._source_key()], ActivationProbe)
    window.leave_block()
    assert not errors


def test_probe_names_of_nodes_at_every_level():
    from app.compiler.build import build_model
    from app.project.examples import example_path
    from app.project.fileio import load_project
    from app.ui.inside.panel import probe_name

    graph = load_project(example_path("conv_autoencoder")).graph
    encoder = graph.node_by_name("encoder")
    inner = encoder.subgraph.node_by_name("max_pooling2d")
    assert probe_name(graph, encoder.id) == "encoder"
    assert probe_name(graph, inner.id) == "encoder/max_pooling2d"
    assert probe_name(graph, "no-such-node") is None
    model = build_model(graph)
    assert "encoder/max_pooling2d" in ActivationProbe(model).names


def test_inner_node_of_a_run_shows_its_weights_per_epoch(qtbot, tmp_path, no_dangling_qthreads):
    from app.compiler.build import build_model
    from app.data import DataConfig, load_dataset
    from app.project.examples import example_path
    from app.project.fileio import load_project
    from app.training.headless import RunHooks, train_project
    from app.ui.document import Document
    from app.ui.inside.panel import InsidePanel

    project = load_project(example_path("ensemble"))
    project.training = project.training.from_dict({**project.training.to_dict(), "epochs": 2})
    rec = train_project(project, out_dir=tmp_path / "runs", hooks=RunHooks())
    assert rec.status == "completed"
    project.runs.append(rec.to_dict())
    panel = InsidePanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 400)
    panel.show()
    panel.set_document(Document(project))
    config = DataConfig.from_dict(project.data_config().to_dict())
    panel.set_dataset(load_dataset(config, build_model(project.graph)))  # synthetic data
    labels = [panel.source.itemText(i) for i in range(panel.source.count())]
    panel.source.setCurrentIndex(labels.index(f"Run {rec.id} (final)"))
    block = project.graph.node_by_name("model_1")
    inner = block.subgraph.node_by_name("dense")
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS) as shown:
        panel.set_selection([inner.id])
    assert shown.args == ["model_1/dense"]
    assert panel.weight_choice.currentText() == "model_1/dense/kernel"
    _edges, counts, epochs = panel._weights["model_1/dense/kernel"]
    assert list(epochs) == [0, 1] and counts.shape[0] == 2
    assert "per epoch of the run" in panel.weights_info.text()
    # The same-named layer of another block has its own histograms.
    other = project.graph.node_by_name("model_2").subgraph.node_by_name("dense")
    panel.set_selection([other.id])  # from the same probe, at once
    assert panel.weight_choice.currentText() == "model_2/dense/kernel"
    assert not np.array_equal(panel._weights["model_2/dense/kernel"][1], counts)
    panel.shutdown()


def test_untrained_text_model_adapts_its_preprocessing_then_shows_a_csv_row(
    qtbot, tmp_path, no_dangling_qthreads
):
    """The ticket classifier's TextVectorization layers learn their vocabulary from the training
    split, as a run's do, so the untrained model runs on a sample and on a row of a CSV file."""
    import csv

    from app.data import load_dataset
    from app.project.examples import example_path
    from app.project.fileio import load_project
    from app.ui.document import Document
    from app.ui.inside.panel import InsidePanel

    project = load_project(example_path("ticket_classifier"))
    config = project.data_config()
    panel = InsidePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_document(Document(project, path=example_path("ticket_classifier")))
    panel.set_dataset(load_dataset(config))
    vectorizer = next(n for n in project.graph.nodes() if n.spec_id.endswith("TextVectorization"))
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS):
        panel.set_selection([vectorizer.id])
    assert f"{vectorizer.name}: output" in panel.info.text()
    assert not project.graph.node(vectorizer.id).params.get("vocabulary")  # project unchanged
    with open(config.options["path"], newline="") as fh:
        rows = list(csv.reader(fh))
    with open(tmp_path / "ticket.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([rows[0], rows[5]])
    with qtbot.waitSignal(panel.shown, timeout=TIMEOUT_MS):
        panel.use_file(tmp_path / "ticket.csv")
    assert "for row 1 of ticket.csv" in panel.info.text()
    got = panel.cache.cached(panel._source_key(), panel._sample_key())[vectorizer.name]
    assert got.shape[0] == 1 and np.count_nonzero(got) > 0  # known words became ids
    panel.shutdown()
