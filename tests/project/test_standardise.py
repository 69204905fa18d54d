"""Standardising inside the model: statistics of the training split as Keras' adapt() learns them,
a Normalization node after each numeric Input and the data's standardisation off, as one undo
step; a model trained that way and exported as .keras takes raw input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.data import DataConfig, load_dataset
from app.data.feature_stats import feature_statistics, training_statistics
from app.model import ModelGraph, graph_to_dict
from app.project import Project, load_project, save_project
from app.project.standardise import NORMALIZATION, StandardiseError, standardise_in_model

WINE = {"source": "sklearn.wine", "validation": "split", "validation_split": 0.25, "seed": 3}


def wine_project(normalization: str = "standard") -> Project:
    g = ModelGraph()
    x = g.add_node("keras.Input", name="x", params={"shape": [13]})
    h = g.add_node("keras.layers.Dense", name="hidden", params={"units": 8, "activation": "relu"})
    skip = g.add_node("keras.layers.Concatenate", name="skip")
    out = g.add_node("keras.layers.Dense", name="out", params={"units": 3, "activation": "softmax"})
    g.connect(x, h)
    g.connect(h, skip)
    g.connect(x, skip)  # a second consumer of the Input: it must see standardised values too
    g.connect(skip, out)
    g.set_outputs([out])
    for node_id, position in zip((x, h, skip, out), ((0, 0), (0, 120), (260, 20), (0, 240))):
        g.update_node(node_id, position=position)  # 'skip' sits where a new node would go first
    p = Project(name="wine", graph=g)
    p.data = p.data.from_dict({**WINE, "normalization": normalization})
    p.training = p.training.from_dict(
        {"losses": {"out": "sparse_categorical_crossentropy"}, "epochs": 1, "batch_size": 16}
    )
    return p


def snapshot(p: Project) -> str:
    return json.dumps({"data": p.data.to_dict(), "graph": graph_to_dict(p.graph)}, sort_keys=True)


def adapted(array: np.ndarray, axis):
    import keras

    layer = keras.layers.Normalization(axis=axis)
    layer.adapt(array)
    return np.ravel(layer.mean.numpy()), np.ravel(layer.variance.numpy())


@pytest.mark.parametrize("shape", [(200, 13), (40, 5, 6, 3), (90,)])
def test_statistics_equal_keras_adapt(shape):
    rng = np.random.default_rng(1)
    array = (rng.normal(50, 30, size=shape) * rng.uniform(0.01, 20, size=shape[-1:])).astype(
        "float32"
    )
    st = feature_statistics(array, "x")
    mean, variance = adapted(array, st.axis)
    np.testing.assert_allclose(np.ravel(st.mean), mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.ravel(st.variance), variance, rtol=1e-6, atol=1e-6)
    assert st.size == (1 if len(shape) == 1 else shape[-1])
    json.dumps(st.params())  # plain data: it goes into the project file


def test_a_constant_feature_is_divided_by_one_as_the_data_side_did():
    import keras

    train = np.array([[0.0, 1.0], [0.0, 3.0], [0.0, 5.0]], dtype="float32")  # a blank pixel
    st = feature_statistics(train, "x")
    assert st.variance[0] == 1.0 and st.variance[1] == pytest.approx(8 / 3)
    new = np.array([[2.0, 3.0]], dtype="float32")  # the pixel is lit in new data
    out = keras.layers.Normalization(**st.params())(new)
    np.testing.assert_allclose(np.asarray(out), [[2.0, 0.0]], atol=1e-6)


def test_statistics_come_from_the_training_split_only():
    cfg = DataConfig.from_dict({**WINE, "normalization": "standard"})
    stats = training_statistics(cfg, ["x"])
    raw = load_dataset(DataConfig.from_dict({**WINE, "normalization": "none"}))
    train, val = raw.x["x"], raw.x_val["x"]
    assert len(val) > 0
    mean, variance = adapted(train, -1)
    np.testing.assert_allclose(stats["x"].mean, mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(stats["x"].variance, variance, rtol=1e-6, atol=1e-6)
    everything = np.concatenate([train, val])
    assert not np.allclose(stats["x"].mean, everything.mean(axis=0), rtol=1e-4)


def test_one_undo_step_inserts_rewires_and_turns_data_standardisation_off():
    p = wine_project("standard")
    before = snapshot(p)
    stats = training_statistics(p.data_config(), ["x"])
    command, words = standardise_in_model(p, stats)
    inverse = command.apply(p)
    g = p.graph
    (norm,) = [n for n in g.nodes() if n.spec_id == NORMALIZATION]
    x_id = g.inputs[0]
    assert g.successors(x_id) == [norm.id]
    assert {g.node(d).name for d in g.successors(norm.id)} == {"hidden", "skip"}
    assert norm.params["mean"] == stats["x"].mean and norm.params["axis"] == -1
    nx, ny = norm.position
    for other in g.nodes():  # beside its Input, on no other node
        ox, oy = other.position
        assert other is norm or abs(ox - nx) >= 260 or abs(oy - ny) >= 140
    assert norm.position == (520.0, 0.0)
    assert p.data.normalization == "none"
    assert any("no longer normalised" in w for w in words)
    inverse.apply(p)
    assert snapshot(p) == before


def test_an_existing_normalization_is_reused():
    p = wine_project("none")
    g = p.graph
    x_id = g.inputs[0]
    edge = next(e for e in g.out_edges(x_id) if g.node(e.dst).name == "hidden")
    g.disconnect(edge)
    norm = g.add_node(NORMALIZATION, name="norm")
    g.connect(x_id, norm)
    g.connect(norm, edge.dst)
    stats = training_statistics(p.data_config(), ["x"])
    command, _ = standardise_in_model(p, stats)
    command.apply(p)
    assert [n.name for n in p.graph.nodes() if n.spec_id == NORMALIZATION] == ["norm"]
    assert p.graph.node(norm).params["variance"] == stats["x"].variance
    assert p.graph.successors(x_id) == [norm]  # 'skip' is now fed by the Normalization too


def test_an_input_of_another_width_is_refused_in_words():
    p = wine_project("standard")
    x_id = p.graph.inputs[0]
    p.graph.set_params(x_id, shape=[12])
    stats = training_statistics(p.data_config(), ["x"])
    with pytest.raises(StandardiseError, match="fit the model to the data first"):
        standardise_in_model(p, stats)


def _train_one_epoch(project: Project, initial: list[np.ndarray]):
    import keras

    from app.compiler import build_model

    keras.utils.set_random_seed(0)
    model = build_model(project.graph)
    trainable = [w for w in model.weights if w.trainable]
    for var, value in zip(trainable, initial):
        var.assign(value)
    ds = load_dataset(project.data_config())
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    model.fit(ds.x["x"], ds.y["y"], epochs=1, batch_size=16, shuffle=False, verbose=0)
    return model


def test_exported_model_takes_raw_input_and_predicts_what_training_used(tmp_path):
    import keras

    from app.compiler import build_model, generate_code
    from app.training.export import export_keras

    old = wine_project("standard")
    new = wine_project("standard")
    command, _ = standardise_in_model(new, training_statistics(new.data_config(), ["x"]))
    command.apply(new)
    start = [w.numpy() for w in build_model(old.graph).weights if w.trainable]
    old_model = _train_one_epoch(old, start)
    new_model = _train_one_epoch(new, start)

    raw = load_dataset({**WINE, "normalization": "none"})
    standardised = load_dataset({**WINE, "normalization": "standard"})
    np.testing.assert_allclose(
        new_model.predict(raw.x_val["x"], verbose=0),
        old_model.predict(standardised.x_val["x"], verbose=0),
        atol=1e-5,
    )
    written = export_keras(new_model, tmp_path / "wine.keras")
    exported = keras.saving.load_model(written)
    np.testing.assert_allclose(
        exported.predict(raw.x_val["x"], verbose=0),
        new_model.predict(raw.x_val["x"], verbose=0),
        atol=1e-6,
    )
    # The statistics are ordinary params: saved with the project and written into scripts.
    path = save_project(new, tmp_path / "wine.llproj")
    again = load_project(path)
    (norm,) = [n for n in again.graph.nodes() if n.spec_id == NORMALIZATION]
    assert (
        norm.params["mean"]
        == next(n for n in new.graph.nodes() if n.spec_id == NORMALIZATION).params["mean"]
    )
    assert again.data.normalization == "none"
    script = generate_code(again.graph, again)
    assert "Normalization(" in script and f"{norm.params['mean'][0]!r}" in script
