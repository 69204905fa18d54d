"""Per-epoch weight histograms: written at every epoch's end of a real run, read back, bins
widened as values leave the first range."""

from __future__ import annotations

import keras
import numpy as np

from app.project import Project
from app.project.examples import example_path
from app.project.fileio import load_project
from app.training.headless import RunHooks, train_project
from app.training.weights_history import (
    WEIGHTS_HISTORY_FILE,
    layer_weights,
    make_weights_history,
    read_weights_history,
)


def test_a_run_writes_one_histogram_row_per_epoch(tmp_path):
    project: Project = load_project(example_path("digits_cnn"))
    project.training = project.training.from_dict({**project.training.to_dict(), "epochs": 3})
    rec = train_project(project, out_dir=tmp_path / "runs", hooks=RunHooks())
    assert rec.status == "completed"
    hist = read_weights_history(rec.path)
    conv = layer_weights(hist, "conv_1")
    assert set(conv) == {"conv_1/kernel", "conv_1/bias"}
    kernel = conv["conv_1/kernel"]
    assert list(kernel.epochs) == [0, 1, 2]
    assert kernel.counts.shape == (3, len(kernel.edges) - 1)
    assert (kernel.counts.sum(axis=1) == 3 * 3 * 1 * 16).all()
    assert not np.array_equal(kernel.counts[0], kernel.counts[2])  # training moved them


def test_bins_widen_and_keep_earlier_counts(tmp_path):
    x = keras.Input((2,))
    model = keras.Model(x, keras.layers.Dense(1, name="d")(x))
    cb = make_weights_history(tmp_path)
    cb.set_model(model)
    model.get_layer("d").set_weights([np.array([[0.0], [1.0]]), np.array([0.5])])
    cb.on_epoch_end(0)
    model.get_layer("d").set_weights([np.array([[5.0], [-4.0]]), np.array([0.5])])
    cb.on_epoch_end(1)
    k = read_weights_history(tmp_path / WEIGHTS_HISTORY_FILE)["d/kernel"]
    assert k.counts.shape[0] == 2 and (k.counts.sum(axis=1) == 2).all()
    assert k.edges[0] <= -4.0 and k.edges[-1] > 5.0
    widths = np.diff(k.edges)
    np.testing.assert_allclose(widths, widths[0])
    centres = (k.edges[:-1] + k.edges[1:]) / 2
    first = centres[k.counts[0] > 0]
    assert first.min() < 0.2 and first.max() > 0.8


def test_no_file_reads_as_empty(tmp_path):
    assert read_weights_history(tmp_path) == {}


def test_layers_of_the_same_name_in_two_blocks_keep_their_own_histograms(tmp_path):
    def block(name: str, value: float) -> keras.Model:
        x = keras.Input((2,), name=f"{name}_in")
        dense = keras.layers.Dense(1, name="dense")  # the same name in both blocks
        model = keras.Model(x, dense(x), name=name)
        dense.set_weights([np.full((2, 1), value), np.zeros(1)])
        return model

    a = keras.Input((2,), name="a")
    first, second = block("first", 1.0), block("second", -3.0)
    top = keras.layers.Dense(1, name="top")
    model = keras.Model(a, keras.layers.Add(name="add")([first(a), second(a), top(a)]))
    cb = make_weights_history(tmp_path)
    cb.set_model(model)
    cb.on_epoch_end(0)
    hist = read_weights_history(tmp_path / WEIGHTS_HISTORY_FILE)
    assert {"first/dense/kernel", "second/dense/kernel", "top/kernel"} <= set(hist)
    for name, value in (("first", 1.0), ("second", -3.0)):
        h = hist[f"{name}/dense/kernel"]
        centres = (h.edges[:-1] + h.edges[1:]) / 2
        np.testing.assert_allclose(centres[h.counts[0] > 0], value, atol=np.diff(h.edges)[0])
    assert set(layer_weights(hist, "first")) == {"first/dense/kernel", "first/dense/bias"}
