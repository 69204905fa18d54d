"""File > Export > Keras model writes through the core .keras exporter: atomic, fsynced, and the
replaced file keeps its mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app.compiler import build_model, custom_code
from app.model import ModelGraph
from app.project.examples import DEFAULT_EXAMPLE
from app.training.export import ExportError
from app.ui.file_ops import export_keras_model

UNSAVEABLE = '''\
class Unsaveable(keras.layers.Layer):
    """Passes its input through; cannot describe itself, so saving it fails midway."""

    def call(self, inputs):
        return inputs

    def get_config(self):
        raise RuntimeError("this layer has no config")
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_keras_export_from_the_file_menu_is_fsynced_and_keeps_the_mode(
    window, errors, tmp_path, monkeypatch
):
    import keras

    window.open_example(DEFAULT_EXAMPLE)
    target = tmp_path / "model.keras"
    target.write_bytes(b"an older export")
    target.chmod(0o640)
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # the real fsync, noting what it flushed
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert window.export_keras(target), errors
    assert target.stat().st_mode & 0o777 == 0o640
    # The new file was flushed before it replaced the old one, then the folder (the rename).
    assert any(Path(p).name.startswith(".model.keras.") for p in synced), synced
    assert str(tmp_path) in synced
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    built = build_model(window.document.graph)
    assert keras.saving.load_model(target).count_params() == built.count_params()


def test_a_keras_export_that_fails_leaves_the_previous_file_whole(qapp, tmp_path):
    g = ModelGraph("unsaveable")
    x = g.add_node("keras.Input", "x", {"shape": [4]})
    c = g.add_node(
        "layerloom.CustomLayer",
        "through",
        {"code": UNSAVEABLE, "class_name": "Unsaveable", "config": {}},
    )
    d = g.add_node("keras.layers.Dense", "out", {"units": 2})
    g.connect(x, c)
    g.connect(c, d)
    g.set_outputs([d])
    custom_code.trust(UNSAVEABLE)
    target = tmp_path / "model.keras"
    target.write_bytes(b"an older export")
    try:
        with pytest.raises(ExportError, match="this layer has no config"):
            export_keras_model(g, target)
    finally:
        custom_code.forget_trust()
    assert target.read_bytes() == b"an older export"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_model_whose_lookup_has_no_vocabulary_yet_is_not_exported(window, errors, tmp_path):
    """The ticket classifier's TextVectorization layers learn their vocabularies when it
    trains: a fresh build is refused in words (Keras could not load the file), nothing is
    written, and the layer is shown; once a vocabulary is there, the file loads in Keras."""
    import keras
    import tensorflow as tf

    window.open_example("ticket_classifier")
    target = tmp_path / "fresh.keras"
    assert not window.export_keras(target)
    (title, message), *_ = errors
    assert "title_vectorizer" in message and "no vocabulary yet" in message, message
    assert "Trained model" in message and not target.exists()
    with pytest.raises(ExportError, match="no vocabulary yet"):
        export_keras_model(window.document.graph, target)
    assert not target.exists()

    g = ModelGraph("lookup")
    x = g.add_node("keras.Input", "word", {"shape": [], "dtype": "string"})
    lookup = g.add_node("keras.layers.StringLookup", "ids", {})
    g.connect(x, lookup)
    g.set_outputs([lookup])
    with pytest.raises(ExportError, match="'ids' \\(StringLookup\\) has no vocabulary yet"):
        export_keras_model(g, target)
    g.node(lookup).params["vocabulary"] = ["red", "green"]
    export_keras_model(g, target)
    ids = keras.saving.load_model(target).predict(tf.constant(["green", "red", "blue"]), verbose=0)
    assert ids.tolist() == [2, 1, 0]
