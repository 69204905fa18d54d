"""Exports produce files that load back."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest

from app.training.export import (
    EXPORT_FORMATS,
    ExportError,
    export_keras,
    export_saved_model,
    export_tflite,
    export_weights,
    format_for,
)


@pytest.fixture(scope="module")
def model(mlp):
    return mlp(hidden=8)


def test_export_keras_and_weights(model, tmp_path, mlp):
    path = export_keras(model, tmp_path / "m.keras")
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).random((3, 64)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
    export_keras(model, path)  # replacing an existing file works
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temp files left
    wpath = export_weights(model, tmp_path / "m.weights.h5")
    fresh = mlp(hidden=8)
    fresh.load_weights(wpath)
    np.testing.assert_allclose(fresh.get_weights()[0], model.get_weights()[0])
    with pytest.raises(ExportError, match="must end with .keras"):
        export_keras(model, tmp_path / "m.h5")
    with pytest.raises(ExportError, match="must end with .weights.h5"):
        export_weights(model, tmp_path / "m.h5")


def test_export_saved_model(model, tmp_path):
    import tensorflow as tf

    out = export_saved_model(model, tmp_path / "served")
    reloaded = tf.saved_model.load(str(out))
    x = np.zeros((2, 64), "float32")
    np.testing.assert_allclose(reloaded.serve(x).numpy(), model.predict(x, verbose=0), rtol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == ["served"]


def test_export_tflite(model, tmp_path):
    t0 = time.perf_counter()
    path = export_tflite(model, tmp_path / "m.tflite")
    assert path.stat().st_size > 1000
    assert time.perf_counter() - t0 < 60


def test_a_text_model_exports_to_keras_and_saved_model_and_tflite_says_why_not(tmp_path):
    import tensorflow as tf

    inp = keras.Input((), dtype="string", name="text")
    vec = keras.layers.TextVectorization(vocabulary=["refund", "crash"], output_mode="multi_hot")
    model = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(vec(inp)))
    texts = tf.constant(["a refund please", "it crashes", "crash and refund"])
    want = model.predict(texts, verbose=0)
    loaded = keras.saving.load_model(export_keras(model, tmp_path / "m.keras"))
    np.testing.assert_allclose(loaded.predict(texts, verbose=0), want, rtol=1e-6)
    served = tf.saved_model.load(str(export_saved_model(model, tmp_path / "served")))
    np.testing.assert_allclose(served.serve(texts).numpy(), want, rtol=1e-6)
    with pytest.raises(ExportError, match=r"takes text.*Flex delegate.*not written") as info:
        export_tflite(model, tmp_path / "m.tflite")
    assert "Traceback" not in str(info.value) and "String" in str(info.value)  # names the ops
    assert not (tmp_path / "m.tflite").exists()


class Unsaveable(keras.layers.Layer):
    """A layer that cannot describe itself, so saving a model that holds it fails midway."""

    def call(self, x):
        return x

    def get_config(self):
        raise RuntimeError("this layer has no config")


def test_a_failed_keras_export_leaves_the_previous_file_whole(model, tmp_path):
    inputs = keras.Input((4,))
    broken = keras.Model(inputs, keras.layers.Dense(2)(Unsaveable()(inputs)))
    target = tmp_path / "m.keras"
    export_keras(model, target)
    before = target.read_bytes()
    with pytest.raises(ExportError, match="could not be saved .*this layer has no config"):
        export_keras(broken, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # the temp file is gone


def test_an_export_keeps_the_mode_of_the_file_it_replaces(model, tmp_path):
    target = tmp_path / "m.keras"
    target.write_bytes(b"an older export")
    target.chmod(0o640)
    export_keras(model, target)
    assert target.stat().st_mode & 0o777 == 0o640
    assert keras.saving.load_model(target).count_params() == model.count_params()


def test_each_format_is_told_by_the_name_it_gives_its_output(tmp_path):
    assert list(EXPORT_FORMATS) == ["keras", "weights", "saved_model", "tflite", "onnx"]
    for key, fmt in EXPORT_FORMATS.items():
        assert fmt.key == key
        named = fmt.named(tmp_path / "model")
        assert format_for(named) is fmt, key
        assert fmt.named(named) == named  # a name that fits is kept
        assert fmt.folder == (named == tmp_path / "model")
    assert format_for(tmp_path / "m.h5") is None
    assert format_for(tmp_path / "M.WEIGHTS.H5") is EXPORT_FORMATS["weights"]
    (tmp_path / "served.v2").mkdir()
    assert format_for(tmp_path / "served.v2") is EXPORT_FORMATS["saved_model"]
