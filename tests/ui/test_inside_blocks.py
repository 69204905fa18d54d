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
    assert panel.weight_choice.currentText() == sub.kernel.path
    builds = panel.cache.builds
    window.scene.select_node(window.scene.graph.node_by_name("global_max_pooling2d").id)
    assert "encoder/global_max_pooling2d: output 16" in panel.info.text()
    assert panel.cache.builds == builds == 1
    assert isinstance(panel.cache.probes[panel._source_key()], ActivationProbe)
    window.leave_block()
    assert not errors
