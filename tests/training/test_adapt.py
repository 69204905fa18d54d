"""Preprocessing nodes without state learn it from the training split before a run trains
(never from validation rows), and the run says what each learned."""

from __future__ import annotations

import io
from pathlib import Path

import keras
import numpy as np
import pytest

from app.data.dataset import Dataset
from app.model import ModelGraph
from app.project import DataSettings, Project, TrainingSettings
from app.training.adapt import AdaptError, adapt_graph, nodes_to_adapt
from app.training.headless import RunHooks, train_cli, train_project

NORM = "keras.layers.Normalization"


def _unscaled_arrays(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """An .npz whose training inputs are far from mean 0 / variance 1 and whose validation
    inputs are farther still: any validation row in the statistics moves them visibly."""
    rng = np.random.default_rng(7)
    x = rng.normal([100.0, -20.0, 3.0], [15.0, 4.0, 0.5], (120, 3)).astype("float32")
    y = (x[:, 0] > 100).astype("int64")
    x_val = rng.normal(5000.0, 1.0, (30, 3)).astype("float32")
    y_val = np.zeros(30, dtype="int64")
    path = tmp_path / "unscaled.npz"
    np.savez(path, x=x, y=y, x_val=x_val, y_val=y_val)
    return path, x


def _norm_project(tmp_path: Path, path: Path, hidden_norm: bool = False) -> Project:
    g = ModelGraph("scaled")
    x = g.add_node("keras.Input", "x", {"shape": [3]})
    src = x
    if hidden_norm:  # a Normalization that sees a Dense layer's output, not the raw input
        src = g.add_node("keras.layers.Dense", "mix", {"units": 2})
        g.connect(x, src)
    norm = g.add_node(NORM, "norm", {})
    head = g.add_node("keras.layers.Dense", "head", {"units": 2, "activation": "softmax"})
    g.connect(src, norm)
    g.connect(norm, head)
    g.set_outputs([head])
    data = DataSettings(
        "numpy",
        options={"path": str(path), "x": ["x"], "y": ["y"], "x_val": ["x_val"], "y_val": ["y_val"]},
        validation="source",
    )
    training = TrainingSettings(epochs=1, batch_size=32, seed=3)
    return Project(graph=g, data=data, training=training, path=tmp_path / "scaled.llproj")


def test_run_adapts_normalization_to_the_training_split_only(tmp_path):
    path, x_train = _unscaled_arrays(tmp_path)
    project = _norm_project(tmp_path, path)
    events: list[dict] = []
    hooks = RunHooks(on_event=events.append)
    rec = train_project(project, hooks=hooks)
    assert rec.status == "completed"
    layer = hooks.model.get_layer("norm")
    # Computed here with numpy from the training array alone; a single validation row
    # (around 5000) would move the first mean by more than 30.
    np.testing.assert_allclose(np.ravel(layer.mean), x_train.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(np.ravel(layer.variance), x_train.var(axis=0), rtol=1e-4)
    said = [e["message"] for e in events if e["kind"] == "adapted"]
    assert said == ["Adapted Normalization 'norm': mean/variance over 3 features from 120 samples"]
    # The project keeps its graph: the next run learns afresh from its data.
    assert "mean" not in project.graph.node_by_name("norm").params
    # The saved final model carries the state too.
    final = keras.saving.load_model(Path(rec.path) / rec.final_model)
    np.testing.assert_allclose(
        np.ravel(final.get_layer("norm").mean), x_train.mean(axis=0), rtol=1e-5
    )


def test_normalization_after_a_layer_adapts_on_what_that_layer_computes(tmp_path):
    path, _ = _unscaled_arrays(tmp_path)
    project = _norm_project(tmp_path, path, hidden_norm=True)
    hooks = RunHooks()
    train_project(project, epochs=1, hooks=hooks)
    # What the trained model's Dense layer made of the training inputs, before fit changed it
    # cannot be seen any more; adapt on a fresh copy instead and check against numpy.
    graph = project.graph.copy()
    mix = graph.node_by_name("mix")
    kernel = np.arange(6, dtype="float32").reshape(3, 2) / 10
    mix.weights = [kernel, np.array([1.0, -1.0], dtype="float32")]
    data = np.load(path)
    ds = Dataset(x={"x": data["x"]}, x_val={"x": data["x_val"]})
    adapted, done = adapt_graph(graph, ds)
    expected = data["x"] @ kernel + np.array([1.0, -1.0], dtype="float32")
    params = adapted.node_by_name("norm").params
    np.testing.assert_allclose(params["mean"], expected.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(params["variance"], expected.var(axis=0), rtol=1e-4)
    assert [a.name for a in done] == ["norm"]
    assert nodes_to_adapt(adapted) == []


def test_cli_prints_what_was_adapted(tmp_path):
    path, _ = _unscaled_arrays(tmp_path)
    out = io.StringIO()
    code = train_cli(_norm_project(tmp_path, path), epochs=1, stream=out)
    assert code == 0, out.getvalue()
    assert "Adapted Normalization 'norm': mean/variance over 3 features from 120" in out.getvalue()


def test_text_vectorization_learns_its_vocabulary_from_training_strings():
    g = ModelGraph("text")
    x = g.add_node("keras.Input", "text", {"shape": [1], "dtype": "string"})
    tv = g.add_node(
        "keras.layers.TextVectorization", "vectorize", {"max_tokens": 10, "output_mode": "int"}
    )
    g.connect(x, tv)
    g.set_outputs([tv])
    train = np.array([["red red blue"], ["blue green"], ["red"]], dtype=object)
    val = np.array([["never seen words"]], dtype=object)
    adapted, done = adapt_graph(g, Dataset(x={"text": train}, x_val={"text": val}))
    vocabulary = adapted.node_by_name("vectorize").params["vocabulary"]
    assert vocabulary == ["red", "blue", "green"]  # by count, then by token; no validation word
    assert done[0].message.endswith("a vocabulary of 3 tokens from 3 samples")


def test_a_node_without_an_input_cannot_adapt():
    g = ModelGraph("loose")
    g.add_node("keras.Input", "x", {"shape": [2]})
    norm = g.add_node(NORM, "norm", {})
    with pytest.raises(AdaptError, match="Normalization 'norm'.*connect one input"):
        adapt_graph(g, Dataset(x={"x": np.zeros((4, 2), "float32")}), only=[norm])


def test_generated_script_adapts_on_the_training_split_as_the_app_does(tmp_path):
    from app.compiler import generate_code
    from app.data import load_dataset
    from app.project.settings import settings_from_project

    path, _ = _unscaled_arrays(tmp_path)
    project = _norm_project(tmp_path, path, hidden_norm=True)
    mix = project.graph.node_by_name("mix")  # fixed weights: both sides see the same values
    mix.weights = [np.full((3, 2), 0.25, "float32"), np.array([1.0, -1.0], "float32")]
    source = generate_code(project.graph, project)
    assert 'model.get_layer("norm").adapt(' in source
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - the code under test
    model = namespace["model"]
    model.get_layer("mix").set_weights(mix.weights)
    namespace["train"](model)

    data_dict, _ = settings_from_project(project)
    ours, _ = adapt_graph(project.graph, load_dataset(data_dict))
    params = ours.node_by_name("norm").params
    np.testing.assert_array_equal(np.ravel(model.get_layer("norm").mean), params["mean"])
    np.testing.assert_array_equal(np.ravel(model.get_layer("norm").variance), params["variance"])


def test_validate_says_a_stateless_node_will_be_adapted_and_errs_without_data(tmp_path, capsys):
    from app.cli import main
    from app.project import save_project

    path, _ = _unscaled_arrays(tmp_path)
    project = _norm_project(tmp_path, path)
    saved = save_project(project, tmp_path / "scaled.llproj")
    assert main(["validate", str(saved)]) == 0
    out = capsys.readouterr().out
    assert (
        "info: Normalization 'norm' has no mean/variance yet; training adapts it to the "
        "training split of the data first [norm]" in out
    )
    project.data = DataSettings("")
    save_project(project, saved)
    assert main(["validate", str(saved)]) == 1
    assert "error: Normalization 'norm' has no mean/variance yet and the project has no data" in (
        capsys.readouterr().out
    )
