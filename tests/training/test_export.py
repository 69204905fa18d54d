"""Exports produce files that load back."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest

from app.training.export import (
    ExportError,
    export_keras,
    export_saved_model,
    export_tflite,
    export_weights,
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
