"""Evaluation panel (metrics, confusion matrix, per-class table, predictions, reconstructions) and
model export from the File > Export menu — on tiny models trained here with Keras."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMainWindow, QMenu

from app.data import DataConfig, load_dataset
from app.training.export import EXPORT_FORMATS

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig(source="sklearn.digits_images", max_samples=400))


@pytest.fixture(scope="module")
def classifier(digits):
    import keras

    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 1), name="x")
    h = keras.layers.Flatten()(inp)
    out = keras.layers.Dense(10, activation="softmax", name="y")(h)
    model = keras.Model(inp, out)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(digits.x["x"], digits.y["y"], epochs=2, batch_size=64, verbose=0)
    return model


@pytest.fixture
def panel(qtbot, no_dangling_qthreads):
    from app.ui.evaluation import EvaluationPanel

    p = EvaluationPanel()
    qtbot.addWidget(p)
    p.resize(1300, 420)
    p.show()
    yield p
    p.shutdown()


def run(qtbot, panel, model, dataset) -> dict:
    panel.set_model(model, dataset, "tiny")
    assert panel.evaluate()
    qtbot.waitUntil(lambda: panel.result is not None and not panel.runner.busy, timeout=TIMEOUT_MS)
    return panel.result


def test_classifier_confusion_matrix_and_per_class(qtbot, panel, classifier, digits, tmp_path):
    res = run(qtbot, panel, classifier, digits)
    n_val = digits.num_val_samples
    assert res["split"] == "val" and set(res["metrics"]) >= {"loss", "accuracy"}
    cm = panel.confusion.matrix
    assert cm.shape == (10, 10) and int(cm.sum()) == n_val
    assert len(panel.confusion.cell_texts()) == 100
    assert sum(int(t) for t in panel.confusion.cell_texts()) == n_val
    assert panel.confusion.isVisible() and not panel.cm_placeholder.isVisible()
    assert panel.per_class.rowCount() == 10
    support = sum(int(panel.per_class.item(r, 4).text()) for r in range(10))
    assert support == n_val
    acc = res["report"]["accuracy"]
    assert abs(acc - res["metrics"]["accuracy"]) < 1e-6
    assert panel.metrics.rowCount() == len(res["metrics"])  # accuracy is not listed twice
    # predictions: images with predicted (true) labels
    assert panel.pred_stack.currentIndex() == 0 and panel.pred_grid.count == 16
    truths = [r["true"] for r in res["preview"]]
    assert truths == [str(int(v)) for v in digits.y_val["y"][:16]]
    # export the confusion matrix
    assert panel.export_confusion(tmp_path / "cm.csv")
    rows = list(csv.reader((tmp_path / "cm.csv").open()))
    assert rows[0][1:] == [str(i) for i in range(10)]
    assert sum(int(v) for r in rows[1:] for v in r[1:]) == n_val
    assert panel.export_confusion(tmp_path / "cm.png")
    img = QImage(str(tmp_path / "cm.png"))
    assert not img.isNull() and img.width() > 100


def test_tabular_prediction_rows(qtbot, panel):
    import keras

    iris = load_dataset(DataConfig(source="sklearn.iris"))
    inp = keras.Input((4,), name="x")
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(inp))
    res = run(qtbot, panel, model, iris)
    assert res["metrics"] == {} and "not been trained" in panel.message.text()
    assert panel.pred_stack.currentIndex() == 1
    assert panel.pred_table.rowCount() == 16
    headers = [
        panel.pred_table.horizontalHeaderItem(c).text()
        for c in range(panel.pred_table.columnCount())
    ]
    assert headers[:4] == ["#", "True", "Predicted", "Confidence"] and "x[3]" in headers
    assert panel.pred_table.item(0, 1).text() in iris.class_names["y"]
    assert panel.confusion.matrix.shape == (3, 3)


def test_text_predictions_show_the_raw_text(qtbot, panel, tmp_path):
    import keras

    from app.data.compat import fit_arrays

    rows = [("refund for my invoice please", "0.2", "billing"),
            ("the app crashes on start", "0.9", "technical")] * 20  # fmt: skip
    lines = ["body,priority,team"] + [",".join(r) for r in rows]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = {"path": str(tmp_path / "t.csv"), "target": "priority, team", "layout": "columns"}
    data = load_dataset(DataConfig("csv", cfg, validation_split=0.25))
    keras.utils.set_random_seed(0)
    inp = keras.Input((), dtype="string", name="body")
    vec = keras.layers.TextVectorization(
        vocabulary=["refund", "invoice", "app", "crashes"], output_mode="multi_hot"
    )(inp)
    outs = [keras.layers.Dense(1, activation="sigmoid", name="priority")(vec),
            keras.layers.Dense(2, activation="softmax", name="team")(vec)]  # fmt: skip
    model = keras.Model(inp, outs)
    model.compile("adam", ["mse", "sparse_categorical_crossentropy"])
    x, y, _ = fit_arrays(model, data)
    model.fit(x, y, epochs=30, verbose=0)
    res = run(qtbot, panel, model, data)
    # The confusion matrix is of the classifier output, not the first (regression) output.
    assert res["report"]["output"] == "team"
    assert res["report"]["classes"] == ["billing", "technical"]
    headers = [
        panel.pred_table.horizontalHeaderItem(c).text()
        for c in range(panel.pred_table.columnCount())
    ]
    assert headers == ["#", "True team", "Predicted team", "Confidence", "body"]
    shown = [panel.pred_table.item(r, 4).text() for r in range(panel.pred_table.rowCount())]
    assert shown == data.x_val["body"].tolist()  # 10 validation texts, all shown
    for r, text in enumerate(shown):  # the classes follow the words, and the panel names them
        want = "billing" if "refund" in text else "technical"
        assert panel.pred_table.item(r, 1).text() == want
        assert panel.pred_table.item(r, 2).text() == want


def test_autoencoder_reconstructions(qtbot, panel):
    import keras

    ds = load_dataset(DataConfig(source="sklearn.digits_images", target="inputs", max_samples=200))
    inp = keras.Input((8, 8, 1))
    h = keras.layers.Dense(4, activation="relu")(keras.layers.Flatten()(inp))
    out = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64, activation="sigmoid")(h))
    model = keras.Model(inp, out)
    model.compile("adam", "mse")
    model.fit(ds.x["x"], ds.y["x"], epochs=1, verbose=0)
    res = run(qtbot, panel, model, ds)
    assert set(res["metrics"]) == {"loss"}
    inputs, outputs = res["reconstructions"]
    assert inputs.shape == outputs.shape == (8, 8, 8, 1)
    assert panel.recon_grid.count == 8 and panel.samples.currentIndex() == 1
    assert all("mse" in c for c in panel.recon_grid.captions())
    assert not panel.confusion.isVisible() and panel.cm_placeholder.isVisible()


def test_evaluation_error_is_a_message(qtbot, panel, classifier):
    iris = load_dataset(DataConfig(source="sklearn.iris"))
    panel.set_model(classifier, iris, "wrong data")
    panel.evaluate()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=TIMEOUT_MS)
    assert panel.result is None and panel.message.text().startswith("⚠ Evaluation failed")


# ----- export ---------------------------------------------------------------------------------
@pytest.fixture
def host(qtbot):
    from app.project.examples import example_path
    from app.ui.document import Document

    win = QMainWindow()
    win.document = Document.open_project(example_path("digits_mlp"), origin="example")
    win.errors = []
    win.show_error = lambda title, message: win.errors.append(message)
    qtbot.addWidget(win)
    return win


def export_via_menu(qtbot, exporter, key, path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    exporter.actions[key].trigger()
    qtbot.waitUntil(lambda: not exporter.busy, timeout=TIMEOUT_MS)


def test_export_trained_model_from_menu(
    qtbot, host, classifier, digits, tmp_path, monkeypatch, no_dangling_qthreads
):
    import keras

    from app.ui.export_model import ModelExporter

    exporter = ModelExporter(host, lambda: classifier)
    menu = QMenu("Export", host)
    exporter.install(menu)
    # One entry per format of the core table, in its order.
    assert list(exporter.actions) == list(EXPORT_FORMATS)
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Trained model (.keras)…",
        "Keras weights (.weights.h5)…",
        "TensorFlow SavedModel (folder)…",
        "TensorFlow Lite (.tflite)…",
        "ONNX (.onnx)…",
    ]
    x = digits.x_val["x"][:4]
    expected = classifier.predict(x, verbose=0)

    export_via_menu(qtbot, exporter, "keras", tmp_path / "trained", monkeypatch)
    assert (tmp_path / "trained.keras").is_file() and host.errors == []
    loaded = keras.saving.load_model(tmp_path / "trained.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)

    export_via_menu(qtbot, exporter, "weights", tmp_path / "w.weights.h5", monkeypatch)
    fresh = keras.models.clone_model(classifier)
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)

    export_via_menu(qtbot, exporter, "tflite", tmp_path / "m.tflite", monkeypatch)
    assert host.errors == []
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=str(tmp_path / "m.tflite"))
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    interp.set_tensor(inp["index"], x[:1].astype(np.float32))
    interp.invoke()
    np.testing.assert_allclose(interp.get_tensor(out["index"]), expected[:1], rtol=1e-4, atol=1e-5)
    assert "Exported the trained model" in host.statusBar().currentMessage()

    export_via_menu(qtbot, exporter, "onnx", tmp_path / "m", monkeypatch)
    assert host.errors == []
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    exporter.shutdown()


def test_onnx_export_is_greyed_with_how_to_install_it_when_its_packages_are_missing(
    qtbot, host, classifier, tmp_path, monkeypatch, no_dangling_qthreads
):
    import sys

    from app.ui.export_model import ModelExporter

    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # as if the onnx extra were not installed
    exporter = ModelExporter(host, lambda: classifier)
    menu = QMenu("Export", host)
    exporter.install(menu)
    action = exporter.actions["onnx"]
    assert not action.isEnabled() and menu.toolTipsVisible()
    assert action.toolTip() == "ONNX export needs tf2onnx, not installed here: " + (
        "pip install 'layerloom[onnx]'"
    )
    assert exporter.actions["tflite"].isEnabled()
    assert not exporter.export("onnx", tmp_path / "m.onnx")  # a call from code is refused too
    assert host.errors and "pip install 'layerloom[onnx]'" in host.errors[-1]
    assert not (tmp_path / "m.onnx").exists()
    exporter.shutdown()


def test_export_builds_model_when_untrained_and_reports_errors(
    qtbot, host, tmp_path, monkeypatch, no_dangling_qthreads
):
    import keras

    from app.ui.export_model import ModelExporter

    exporter = ModelExporter(host)
    messages = []
    exporter.exported.connect(lambda key, msg: messages.append(msg))
    exporter.install(QMenu(host))
    export_via_menu(qtbot, exporter, "keras", tmp_path / "built.keras", monkeypatch)
    assert "untrained model built from the graph" in messages[0]
    model = keras.saving.load_model(tmp_path / "built.keras")
    assert model.input_shape == (None, 64) and model.output_shape == (None, 10)
    export_via_menu(qtbot, exporter, "saved_model", tmp_path / "served", monkeypatch)
    assert (tmp_path / "served" / "saved_model.pb").is_file() and host.errors == []
    export_via_menu(qtbot, exporter, "weights", tmp_path / "missing" / "w.weights.h5", monkeypatch)
    assert len(host.errors) == 1 and "could not be saved" in host.errors[0]
    exporter.shutdown()
