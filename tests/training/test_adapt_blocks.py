"""Preprocessing layers inside blocks (nested models) learn their state as top-level ones do:
on the training split only, each on what the model computes up to it; generated scripts adapt
them the same way."""

from __future__ import annotations

import csv
from pathlib import Path

import keras
import numpy as np

from app.data import load_dataset
from app.data.dataset import Dataset
from app.model import ModelGraph
from app.project import DataSettings, Project, TrainingSettings
from app.project.settings import settings_from_project
from app.training.adapt import adapt_graph, adapt_problems, adapt_project_node, nodes_to_adapt
from app.training.headless import RunHooks, train_project

NORM = "keras.layers.Normalization"
DENSE = "keras.layers.Dense"


def _unscaled(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """Training inputs far from mean 0 / variance 1, validation inputs farther still: a single
    validation row in the statistics would move them visibly."""
    rng = np.random.default_rng(11)
    x = rng.normal([100.0, -20.0, 3.0], [15.0, 4.0, 0.5], (96, 3)).astype("float32")
    y = (x[:, 0] > 100).astype("int64")
    x_val = rng.normal(5000.0, 1.0, (24, 3)).astype("float32")
    path = tmp_path / "unscaled.npz"
    np.savez(path, x=x, y=y, x_val=x_val, y_val=np.zeros(24, dtype="int64"))
    return path, x


def _blocked_graph(mix: bool, twice: bool = False) -> ModelGraph:
    """x -> [mix] -> block(norm -> d) -> head; `twice`: the block sits inside another block."""
    g = ModelGraph("blocked")
    x = g.add_node("keras.Input", "x", {"shape": [3]})
    src = x
    if mix:
        src = g.add_node(DENSE, "mix", {"units": 2})
        g.connect(x, src)
    norm = g.add_node(NORM, "norm", {})
    d = g.add_node(DENSE, "d", {"units": 4, "activation": "relu"})
    after = g.add_node(DENSE, "after", {"units": 4})
    head = g.add_node(DENSE, "head", {"units": 2, "activation": "softmax"})
    g.connect(src, norm)
    g.connect(norm, d)
    g.connect(d, after)
    g.connect(after, head)
    g.set_outputs([head])
    inner = g.group([norm, d], "inner")
    if twice:
        g.group([inner, after], "outer")
    return g


def _project(tmp_path: Path, graph: ModelGraph, path: Path) -> Project:
    data = DataSettings(
        "numpy",
        options={"path": str(path), "x": ["x"], "y": ["y"], "x_val": ["x_val"], "y_val": ["y_val"]},
        validation="source",
    )
    training = TrainingSettings(epochs=1, batch_size=32, seed=3)
    return Project(graph=graph, data=data, training=training, path=tmp_path / "blocked.llproj")


def _inner(graph: ModelGraph, *names: str):
    for name in names[:-1]:
        graph = graph.node_by_name(name).subgraph
    return graph.node_by_name(names[-1])


def _keras_normalization(data: np.ndarray) -> keras.layers.Normalization:
    layer = keras.layers.Normalization()
    layer.adapt(data)
    return layer


def test_a_run_adapts_a_normalization_inside_a_block_to_the_training_split(tmp_path):
    path, x_train = _unscaled(tmp_path)
    project = _project(tmp_path, _blocked_graph(mix=False), path)
    assert [n.name for n in nodes_to_adapt(project.graph)] == ["norm"]
    events: list[dict] = []
    hooks = RunHooks(on_event=events.append)
    rec = train_project(project, hooks=hooks)
    assert rec.status == "completed"
    reference = _keras_normalization(x_train)
    final = keras.saving.load_model(Path(rec.path) / rec.final_model)
    for model in (hooks.model, final):
        norm = model.get_layer("inner").get_layer("norm")
        np.testing.assert_allclose(np.ravel(norm.mean), np.ravel(reference.mean), rtol=1e-6)
        np.testing.assert_allclose(np.ravel(norm.variance), np.ravel(reference.variance), rtol=1e-5)
    said = [e["message"] for e in events if e["kind"] == "adapted"]
    assert said == [
        "Adapted Normalization 'norm' in block 'inner': mean/variance over 3 features "
        "from 96 samples"
    ]
    assert "mean" not in _inner(project.graph, "inner", "norm").params  # learned afresh per run


def test_a_block_two_levels_down_adapts_on_what_the_layers_before_it_compute():
    graph = _blocked_graph(mix=True, twice=True)
    kernel = np.array([[0.5, -1.0], [0.25, 2.0], [1.0, 0.0]], dtype="float32")
    bias = np.array([3.0, -1.0], dtype="float32")
    graph.node_by_name("mix").weights = [kernel, bias]
    rng = np.random.default_rng(5)
    x = rng.normal(10.0, 3.0, (64, 3)).astype("float32")
    x_val = np.full((8, 3), 9000.0, dtype="float32")
    adapted, done = adapt_graph(graph, Dataset(x={"x": x}, x_val={"x": x_val}))
    reference = _keras_normalization(x @ kernel + bias)
    params = _inner(adapted, "outer", "inner", "norm").params
    np.testing.assert_allclose(np.ravel(params["mean"]), np.ravel(reference.mean), rtol=1e-5)
    np.testing.assert_allclose(
        np.ravel(params["variance"]), np.ravel(reference.variance), rtol=1e-4
    )
    assert [a.message.split(":")[0] for a in done] == [
        "Adapted Normalization 'norm' in block 'outer/inner'"
    ]
    assert nodes_to_adapt(adapted) == []
    assert "mean" not in _inner(graph, "outer", "inner", "norm").params  # a copy was adapted


def test_adapt_now_learns_the_state_of_a_node_inside_a_block(tmp_path):
    path, x_train = _unscaled(tmp_path)
    project = _project(tmp_path, _blocked_graph(mix=False, twice=True), path)
    node = _inner(project.graph, "outer", "inner", "norm")
    learned = adapt_project_node(project, node.id)
    reference = _keras_normalization(x_train)
    np.testing.assert_allclose(
        np.ravel(learned.params["mean"]), np.ravel(reference.mean), rtol=1e-6
    )
    assert learned.node_id == node.id


def test_validate_says_a_node_inside_a_block_will_be_adapted():
    graph = _blocked_graph(mix=False)
    problems = adapt_problems(graph, has_data=True)
    assert [(p.severity, p.message) for p in problems] == [
        (
            "info",
            "Normalization 'norm' in block 'inner' has no mean/variance yet; training adapts "
            "it to the training split of the data first",
        )
    ]
    assert [p.severity for p in adapt_problems(graph, has_data=False)] == ["error"]


def _text_project(tmp_path: Path) -> Project:
    rows = [
        ("the invoice was charged twice", "billing"),
        ("refund my invoice please", "billing"),
        ("the parcel never arrived", "shipping"),
        ("tracking shows no parcel update", "shipping"),
        ("invoice lacks the vat number", "billing"),
        ("parcel arrived damaged", "shipping"),
    ] * 4
    path = tmp_path / "texts.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    g = ModelGraph("texts")
    text = g.add_node("keras.Input", "text", {"shape": [], "dtype": "string"})
    tv = g.add_node(
        "keras.layers.TextVectorization",
        "vectorize",
        {"max_tokens": 30, "output_mode": "multi_hot", "pad_to_max_tokens": True},
    )
    d = g.add_node(DENSE, "d", {"units": 4, "activation": "relu"})
    head = g.add_node(DENSE, "head", {"units": 2, "activation": "softmax"})
    g.connect(text, tv)
    g.connect(tv, d)
    g.connect(d, head)
    g.set_outputs([head])
    g.group([tv, d], "reader")
    data = DataSettings(
        "csv",
        options={"path": str(path), "features": ["text"], "target": "label", "layout": "columns"},
        validation="split",
        validation_split=0.25,
    )
    training = TrainingSettings(epochs=1, batch_size=8, seed=1)
    return Project(graph=g, data=data, training=training, path=tmp_path / "texts.llproj")


def test_a_text_vectorization_inside_a_block_learns_the_training_vocabulary(tmp_path):
    project = _text_project(tmp_path)
    hooks = RunHooks()
    rec = train_project(project, hooks=hooks)
    assert rec.status == "completed"
    data_dict, _ = settings_from_project(project)
    from app.compiler import build_model

    training = load_dataset(data_dict, build_model(project.graph))
    texts = np.asarray(training.x["text"], dtype=object).reshape(-1)
    assert 0 < len(texts) < 24  # the validation rows are left out
    reference = keras.layers.TextVectorization(
        max_tokens=30, output_mode="multi_hot", pad_to_max_tokens=True
    )
    reference.adapt(list(texts))
    vectorize = hooks.model.get_layer("reader").get_layer("vectorize")
    assert vectorize.get_vocabulary() == reference.get_vocabulary()


def _run_script(project: Project) -> keras.Model:
    """The project's generated script, run with 0 epochs: the model as its adapt left it (the
    weights a node holds are set first, as the script's weights file would)."""
    from app.compiler import generate_code

    source = generate_code(project.graph, project)
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - the code under test
    model = namespace["model"]
    for node in project.graph.nodes():
        if node.weights is not None:
            model.get_layer(node.name).set_weights(node.weights)
    namespace["train"](model, 0)
    return model


def _same_weights(source: keras.Model, target: keras.Model) -> None:
    """Copies every trainable layer's weights by name, blocks included."""
    for layer in source.layers:
        if isinstance(layer, keras.Model):
            _same_weights(layer, target.get_layer(layer.name))
        elif layer.trainable_weights:
            target.get_layer(layer.name).set_weights(layer.get_weights())


def test_the_generated_script_adapts_blocks_as_the_app_does_and_predicts_the_same(tmp_path):
    from app.compiler import build_model, generate_code

    path, _ = _unscaled(tmp_path)
    project = _project(tmp_path, _blocked_graph(mix=True, twice=True), path)
    project.graph.node_by_name("mix").weights = [
        np.array([[0.5, -1.0], [0.25, 2.0], [1.0, 0.0]], "float32"),
        np.array([3.0, -1.0], "float32"),
    ]
    assert '.get_layer("inner").get_layer("norm").adapt(' in generate_code(project.graph, project)
    script = _run_script(project)
    data_dict, _ = settings_from_project(project)
    dataset = load_dataset(data_dict, build_model(project.graph))
    adapted, _ = adapt_graph(project.graph, dataset)
    ours = build_model(adapted)
    _same_weights(script, ours)
    norm = script.get_layer("outer").get_layer("inner").get_layer("norm")
    params = _inner(adapted, "outer", "inner", "norm").params
    np.testing.assert_allclose(np.ravel(norm.mean), np.ravel(params["mean"]), rtol=1e-6)
    x = np.load(path)["x_val"][:8] / 50.0
    np.testing.assert_allclose(
        script.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_the_generated_script_adapts_a_text_block_and_predicts_the_same_on_raw_strings(tmp_path):
    import tensorflow as tf

    from app.compiler import build_model

    project = _text_project(tmp_path)
    script = _run_script(project)
    data_dict, _ = settings_from_project(project)
    dataset = load_dataset(data_dict, build_model(project.graph))
    adapted, _ = adapt_graph(project.graph, dataset)
    ours = build_model(adapted)
    _same_weights(script, ours)
    vocabulary = _inner(adapted, "reader", "vectorize").params["vocabulary"]
    inner = script.get_layer("reader").get_layer("vectorize")
    assert inner.get_vocabulary(include_special_tokens=False) == vocabulary
    texts = tf.constant(["the invoice never arrived", "parcel refund", "unknown words"])
    np.testing.assert_allclose(
        script.predict(texts, verbose=0), ours.predict(texts, verbose=0), rtol=1e-6
    )
