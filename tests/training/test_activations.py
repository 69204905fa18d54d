"""The one all-outputs model: each node's output equals a sub-model's prediction; probes and
results are cached per (model source, sample); nested models give the outer call's output."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from app.compiler.build import build_model
from app.data import DataConfig, load_dataset
from app.project.examples import example_path
from app.project.fileio import load_project
from app.training.activations import (
    ActivationCache,
    ActivationProbe,
    feature_map_grid,
    grid_columns,
    sample_inputs,
    top_classes,
    view_kind,
)


def tiny_cnn() -> keras.Model:
    x = keras.Input((8, 8, 1), name="img")
    c = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(x)
    p = keras.layers.MaxPooling2D(name="pool")(c)
    f = keras.layers.Flatten(name="flat")(p)
    return keras.Model(x, keras.layers.Dense(3, activation="softmax", name="out")(f))


def test_every_output_equals_a_sub_model_prediction():
    model = tiny_cnn()
    probe = ActivationProbe(model)
    assert probe.names == ["img", "conv", "pool", "flat", "out"]
    x = np.random.default_rng(0).normal(size=(1, 8, 8, 1)).astype("float32")
    got = probe.outputs(x)
    for name in ["conv", "pool", "flat", "out"]:
        sub = keras.Model(model.input, model.get_layer(name).output)
        np.testing.assert_allclose(got[name], sub.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["img"], x)


def test_nested_model_gives_its_outer_output_and_its_name():
    project = load_project(example_path("conv_autoencoder"))
    model = build_model(project.graph)
    probe = ActivationProbe(model)
    x = np.random.default_rng(1).random((1, 28, 28, 1)).astype("float32")
    got = probe.outputs(x)
    assert got["encoder"].shape == (1, 16)
    enc = model.get_layer("encoder")
    np.testing.assert_allclose(got["encoder"], enc.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["decoder"], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_shared_layer_is_skipped_with_a_reason():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = keras.layers.Dense(2, name="shared")
    out = keras.layers.Add(name="add")([shared(a), shared(b)])
    probe = ActivationProbe(keras.Model([a, b], out))
    assert "shared" in probe.skipped and "shared" not in probe.names
    got = probe.outputs([np.ones((1, 3), "float32"), np.zeros((1, 3), "float32")])
    assert got["add"].shape == (1, 2)


def test_cache_builds_one_probe_per_source_and_runs_a_sample_once():
    model = tiny_cnn()
    cache = ActivationCache()
    x = np.ones((1, 8, 8, 1), "float32")
    first = cache.outputs("untrained", model, ("val", 0), x)
    again = cache.outputs("untrained", model, ("val", 0), x)
    assert again is first and cache.builds == 1
    cache.outputs("untrained", model, ("val", 1), x * 2)
    assert cache.builds == 1 and len(cache.results) == 2
    cache.outputs("run-1", tiny_cnn(), ("val", 0), x)
    assert cache.builds == 2
    cache.forget("untrained")
    assert cache.cached("untrained", ("val", 0)) is None
    assert cache.cached("run-1", ("val", 0)) is not None


def test_sample_inputs_pick_one_digit():
    ds = load_dataset(DataConfig(source="sklearn.digits", seed=0))
    project = load_project(example_path("digits_cnn"))
    model = build_model(project.graph)
    x, count = sample_inputs(model, ds, "val", 3)
    val = next(iter(ds.x_val.values()))
    assert count == len(val)
    arr = x if isinstance(x, np.ndarray) else next(iter(x.values()))
    assert arr.shape[0] == 1
    np.testing.assert_allclose(np.ravel(arr), np.ravel(val[3]))
    with pytest.raises(Exception, match="does not exist"):
        sample_inputs(model, ds, "val", count)


def test_view_kinds_and_grids():
    assert view_kind((1, 6, 6, 16)) == "maps"
    assert view_kind((1, 20, 8)) == "sequence"
    assert view_kind((1, 10)) == "vector"
    assert view_kind((1, 1)) == "scalar"
    maps = np.random.default_rng(2).random((6, 6, 16))
    grid = feature_map_grid(maps)
    assert grid.shape == (4 * 7 - 1, 4 * 7 - 1)
    np.testing.assert_allclose(np.nanmax(grid[:6, :6]), 1.0)
    assert np.isnan(grid[6, 0])
    assert top_classes(np.array([0.1, 0.7, 0.2]), ["a", "b", "c"], 2) == [("b", 0.7), ("c", 0.2)]


def test_grid_columns_fit_the_view_aspect():
    assert grid_columns(16, 6, 6, 1.0) == 4  # square view: 4 x 4
    wide = grid_columns(16, 6, 6, 1200 / 350)
    assert wide == 8  # 8 x 2: maps 21.8 px each; 4 x 4 would give 13 px
    assert grid_columns(16, 6, 6, 0.25) <= 2  # a tall view: one or two columns
    assert grid_columns(1, 6, 6, 3.0) == 1
    grid = feature_map_grid(np.random.default_rng(3).random((6, 6, 16)), cols=wide)
    assert grid.shape == (2 * 7 - 1, 8 * 7 - 1)


def test_inner_layers_of_blocks_give_the_outputs_inside_the_nested_model():
    project = load_project(example_path("conv_autoencoder"))
    model = build_model(project.graph)
    probe = ActivationProbe(model)
    enc = model.get_layer("encoder")
    inner = [la.name for la in enc.layers]
    assert [f"encoder/{n}" for n in inner] == [n for n in probe.names if n.startswith("encoder/")]
    x = np.random.default_rng(4).random((1, 28, 28, 1)).astype("float32")
    got = probe.outputs(x)
    for la in enc.layers[1:]:
        sub = keras.Model(enc.input, la.output)
        np.testing.assert_allclose(
            got[f"encoder/{la.name}"], sub.predict(x, verbose=0), rtol=1e-5, atol=1e-6
        )
    assert probe.probe.count_params() == model.count_params()  # the same layers, no copies


def test_blocks_in_blocks_and_a_block_used_twice():
    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(3, name="deep")(x)
    inner = keras.Model(x, h, name="inner")
    y = keras.Input((4,), name="y")
    middle = keras.Model(y, keras.layers.ReLU(name="relu")(inner(y)), name="middle")
    twice_in = keras.Input((4,), name="t")
    twice = keras.Model(twice_in, keras.layers.Dense(4, name="lin")(twice_in), name="twice")
    a = keras.Input((4,), name="a")
    out = keras.layers.Add(name="add")(
        [middle(a), keras.layers.Dense(3, name="d")(twice(twice(a)))]
    )
    probe = ActivationProbe(keras.Model(a, out))
    assert "middle/inner/deep" in probe.names and "middle/relu" in probe.names
    assert "twice" in probe.skipped and not any(n.startswith("twice/") for n in probe.names)
    v = np.random.default_rng(5).normal(size=(1, 4)).astype("float32")
    got = probe.outputs(v)
    np.testing.assert_allclose(got["middle/inner/deep"], inner.predict(v, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(got["middle"], middle.predict(v, verbose=0), rtol=1e-5)
