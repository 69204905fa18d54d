"""ONNX export: onnxruntime runs the written file and gives Keras' outputs within 1e-4."""

from __future__ import annotations

import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from app.project.examples import example_path
from app.training.export import EXPORT_FORMATS, ExportError, export_onnx, format_for

ort = pytest.importorskip("onnxruntime")
TOL = 1e-4


def _run_onnx(path, xs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, xs))), names


def _same_outputs(model, xs, tmp_path):
    path = export_onnx(model, tmp_path / "m.onnx")
    want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    want = want if isinstance(want, list) else [want]
    got, names = _run_onnx(path, xs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, atol=TOL, rtol=0)
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temp file left
    return names


def test_a_dense_mlp_never_called_converts_with_its_input_names(tmp_path):
    x = keras.Input((6,), name="features")
    h = keras.layers.Dense(8, activation="relu")(x)
    model = keras.Model(x, keras.layers.Dense(3, activation="softmax")(h))
    xs = [np.random.default_rng(0).normal(size=(5, 6)).astype("float32")]
    assert _same_outputs(model, xs, tmp_path) == ["features"]


def test_conv2d_with_batch_norm_in_inference_mode(tmp_path):
    x = keras.Input((8, 8, 3), name="image")
    h = keras.layers.Conv2D(4, 3, padding="same")(x)
    bn = keras.layers.BatchNormalization()
    h = keras.layers.MaxPooling2D()(keras.layers.ReLU()(bn(h)))
    model = keras.Model(x, keras.layers.Dense(2)(keras.layers.Flatten()(h)))
    rng = np.random.default_rng(1)
    # Moving statistics that are not 0/1, so that a BatchNorm in training mode would differ.
    bn.moving_mean.assign(rng.normal(size=4).astype("float32"))
    bn.moving_variance.assign(rng.uniform(0.5, 2, size=4).astype("float32"))
    _same_outputs(model, [rng.random((3, 8, 8, 3), dtype="float32")], tmp_path)


def test_an_lstm_over_sequences(tmp_path):
    x = keras.Input((7, 3), name="steps")
    h = keras.layers.LSTM(5, return_sequences=True)(x)
    model = keras.Model(x, keras.layers.LSTM(4)(h))
    _same_outputs(
        model, [np.random.default_rng(2).normal(size=(2, 7, 3)).astype("float32")], tmp_path
    )


def test_two_inputs_and_two_outputs_keep_their_order(tmp_path):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = keras.layers.Concatenate()([a, keras.layers.Dense(4)(b)])
    model = keras.Model([a, b], [keras.layers.Dense(2, name="first")(h), keras.layers.Dense(1)(h)])
    rng = np.random.default_rng(3)
    xs = [rng.random((4, 3), dtype="float32"), rng.random((4, 2), dtype="float32")]
    assert _same_outputs(model, xs, tmp_path) == ["a", "b"]


def test_a_layer_onnx_cannot_express_is_named_and_nothing_is_written(tmp_path):
    x = keras.Input((4,), name="x")
    bins = keras.layers.Discretization(bin_boundaries=[0.0, 1.0], name="bins")(x)
    model = keras.Model(x, keras.layers.Dense(1)(keras.layers.CategoryEncoding(3)(bins)))
    target = tmp_path / "m.onnx"
    target.write_bytes(b"an older export")
    with pytest.raises(ExportError, match=r"no operator for the TensorFlow op Bucketize") as info:
        export_onnx(model, target)
    assert "layer bins," in str(info.value) and "Traceback" not in str(info.value)
    assert target.read_bytes() == b"an older export"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_a_text_model_is_refused_in_words(tmp_path):
    inp = keras.Input((), dtype="string", name="text")
    vec = keras.layers.TextVectorization(vocabulary=["refund", "crash"], output_mode="multi_hot")
    model = keras.Model(inp, keras.layers.Dense(2)(vec(inp)))
    with pytest.raises(ExportError, match=r"takes text \(text\).*not written"):
        export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_the_format_is_in_the_table_and_told_by_its_name(tmp_path):
    fmt = EXPORT_FORMATS["onnx"]
    assert format_for(tmp_path / "M.ONNX") is fmt and fmt.missing() is None
    with pytest.raises(ExportError, match="must end with .onnx"):
        export_onnx(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), tmp_path / "m")


def test_without_the_extra_the_format_says_how_to_install_it(tmp_path):
    """A Python where tf2onnx cannot be imported (as when the extra is not installed)."""
    project = tmp_path / "digits.llproj"
    shutil.copy(example_path("digits_mlp"), project)
    code = (
        "import sys; sys.modules['tf2onnx'] = None\n"
        "from app.training.export import EXPORT_FORMATS\n"
        "print(EXPORT_FORMATS['onnx'].missing())\n"
        "from app.cli import main\n"
        f"sys.exit(main(['export', {str(project)!r}, '-o', {str(tmp_path / 'm.onnx')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert (
        "ONNX export needs tf2onnx, not installed here: pip install 'layerloom[onnx]'"
        in done.stdout
    )
    assert "error: ONNX export needs tf2onnx" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "m.onnx").exists()
