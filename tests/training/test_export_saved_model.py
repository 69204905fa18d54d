"""A SavedModel export never loses the previous export: not when it fails, not when a crash
falls between the two renames that swap the folders."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest

from app.project.atomic import temp_name
from app.training.export import ExportError, export_saved_model


def _served(folder, x):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(folder))  # held: its variables die with it
    return loaded.serve(x).numpy()


@pytest.fixture(scope="module")
def two_models(mlp):
    return mlp(hidden=4), mlp(hidden=6)


def test_a_crash_between_the_renames_is_repaired_by_the_next_export(two_models, tmp_path):
    first, second = two_models
    target = tmp_path / "served"
    x = np.ones((2, 64), "float32")
    export_saved_model(first, target)
    # What a crash between the two renames leaves: the previous export renamed aside, the new
    # one complete beside it, no folder at the target.
    os.replace(target, temp_name(target, ".old"))
    os.replace(export_saved_model(second, tmp_path / "other"), temp_name(target))
    assert not target.exists()

    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ExportError, match="export failed"):
        export_saved_model(unbuilt, target)
    # The failed export put the previous one back, and cleared the crashed one's temps.
    np.testing.assert_allclose(_served(target, x), first.predict(x, verbose=0), rtol=1e-5)
    assert os.listdir(tmp_path) == ["served"]

    export_saved_model(second, target)
    np.testing.assert_allclose(_served(target, x), second.predict(x, verbose=0), rtol=1e-5)
    assert os.listdir(tmp_path) == ["served"]


def test_a_long_export_name_within_the_limit(two_models, tmp_path):
    name = "s" * 250
    out = export_saved_model(two_models[0], tmp_path / name)
    export_saved_model(two_models[0], out)  # replacing it needs a temp name that fits
    assert os.listdir(tmp_path) == [name]
