"""Imported adapted preprocessing layers keep their state: each predicts exactly what
keras.saving.load_model predicts, also after a project save/reopen and in a generated script.

Each test adapts a plain Keras layer, saves the model as .keras and compares the reference
(Keras' own loader) with LayerLoom's import + build_model on raw numbers or raw strings.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.compiler import build_model, generate_code, load_keras_file
from app.nodes import REGISTRY
from app.nodes.learned_state import has_state
from app.project import Project, load_project, save_project

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

TEXTS = np.array(
    ["the cat sat on the mat", "a dog ran fast", "the dog sat", "cats and dogs and cats", "ok"]
)


def _predictions(model, x) -> list[np.ndarray]:
    out = model.predict(x, verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, list) else [out])]


def assert_same_everywhere(tmp_path, model, x, layer_name: str) -> None:
    """Import == keras.saving.load_model, after a project save/reopen and in generated code."""
    path = tmp_path / "adapted.keras"
    model.save(path)
    reference = _predictions(keras.saving.load_model(path), x)

    graph = load_keras_file(path)
    node = graph.node_by_name(layer_name)
    assert has_state(REGISTRY[node.spec_id], node.params), node.params
    assert node.weights is None  # the state is in the params, not in weights that get lost
    for ours, ref in zip(_predictions(build_model(graph), x), reference, strict=True):
        np.testing.assert_array_equal(ours, ref)

    saved = tmp_path / "adapted.llproj"
    save_project(Project(name="adapted", graph=graph), saved)
    reopened = load_project(saved).graph
    for ours, ref in zip(_predictions(build_model(reopened), x), reference, strict=True):
        np.testing.assert_array_equal(ours, ref)

    # A script builds fresh weights (Dense starts anew), so it is compared at the layer itself.
    namespace: dict = {"__name__": "generated_model"}
    exec(compile(generate_code(reopened), "<generated>", "exec"), namespace)  # noqa: S102
    np.testing.assert_array_equal(
        _layer_output(namespace["model"], layer_name, x),
        _layer_output(keras.saving.load_model(path), layer_name, x),
    )


def _layer_output(model, name: str, x) -> np.ndarray:
    return _predictions(keras.Model(model.inputs, model.get_layer(name).output), x)[0]


def test_adapted_normalization_keeps_mean_and_variance(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (64, 4)).astype("float32")
    norm = keras.layers.Normalization(name="norm")
    norm.adapt(x)
    inp = keras.Input((4,), name="x")
    model = keras.Model(inp, keras.layers.Dense(2, name="head")(norm(inp)))
    assert_same_everywhere(tmp_path, model, x, "norm")


def test_adapted_normalization_over_two_axes(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(-1.0, 5.0, (32, 3, 2)).astype("float32")
    norm = keras.layers.Normalization(axis=(1, 2), name="norm")
    norm.adapt(x)
    inp = keras.Input((3, 2), name="x")
    assert_same_everywhere(tmp_path, keras.Model(inp, norm(inp)), x, "norm")


def test_adapted_discretization_keeps_bin_boundaries(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(0.0, 1.0, (200, 3)).astype("float32")
    bins = keras.layers.Discretization(num_bins=5, name="bins")
    bins.adapt(x)
    inp = keras.Input((3,), name="x")
    assert_same_everywhere(tmp_path, keras.Model(inp, bins(inp)), x, "bins")


def test_adapted_text_vectorization_keeps_vocabulary(tmp_path):
    vectorize = keras.layers.TextVectorization(
        max_tokens=20, output_sequence_length=6, name="vectorize"
    )
    vectorize.adapt(TEXTS)
    inp = keras.Input((1,), dtype="string", name="text")
    model = keras.Model(inp, vectorize(inp))
    raw = tf.constant([["the cat ran"], ["unknown words here"], ["dogs and the mat"]])
    assert_same_everywhere(tmp_path, model, raw, "vectorize")


def test_adapted_text_vectorization_tf_idf_keeps_idf_weights(tmp_path):
    vectorize = keras.layers.TextVectorization(max_tokens=12, output_mode="tf_idf", name="tfidf")
    vectorize.adapt(TEXTS)
    inp = keras.Input((1,), dtype="string", name="text")
    model = keras.Model(inp, vectorize(inp))
    raw = tf.constant([["the cat cat ran"], ["zebra"], ["dogs and the mat"]])
    assert_same_everywhere(tmp_path, model, raw, "tfidf")


def test_adapted_string_lookup_keeps_vocabulary(tmp_path):
    lookup = keras.layers.StringLookup(name="lookup")
    lookup.adapt(np.array(["red", "blue", "blue", "green", "blue", "red"]))
    inp = keras.Input((1,), dtype="string", name="colour")
    model = keras.Model(inp, lookup(inp))
    assert_same_everywhere(tmp_path, model, tf.constant([["red"], ["green"], ["pink"]]), "lookup")


def test_adapted_integer_lookup_keeps_vocabulary(tmp_path):
    lookup = keras.layers.IntegerLookup(output_mode="one_hot", name="lookup")
    lookup.adapt(np.array([7, 3, 3, 42, 7, 3]))
    inp = keras.Input((1,), dtype="int64", name="code")
    model = keras.Model(inp, lookup(inp))
    raw = np.array([[3], [42], [5], [7]], dtype="int64")
    assert_same_everywhere(tmp_path, model, raw, "lookup")


def test_never_adapted_normalization_has_no_state(tmp_path):
    """A Normalization saved before adapt() imports without state (it will be adapted)."""
    inp = keras.Input((3,), name="x")
    model = keras.Model(inp, keras.layers.Normalization(name="norm")(inp))
    path = tmp_path / "plain.keras"
    model.save(path)
    node = load_keras_file(path).node_by_name("norm")
    assert not has_state(REGISTRY[node.spec_id], node.params)
    assert node.weights is None
