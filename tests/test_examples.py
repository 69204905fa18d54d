"""Bundled examples: up to date with their builder, valid, buildable, importable, codegen-able."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from app.model import graph_to_dict
from app.project import load_project
from app.project.examples import DEFAULT_EXAMPLE, example_path, examples_dir, list_examples

NAMES = [
    "digits_mlp",
    "digits_cnn",
    "ticket_classifier",
    "ticket_classifier_difficulty",
    "issue_classifier",
    "text_folder_classifier",
    "shared_embedding",
    "conv_autoencoder",
    "ensemble",
    "vae",
    "kfold_diabetes",
    "custom_training_code",
    "digits_true_positives",
    "custom_train_step",
    "gan",
    "vae_step",
]


def _builder():
    path = examples_dir() / "build_examples.py"
    spec = importlib.util.spec_from_file_location("build_examples", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_positions(d: dict) -> dict:
    d = dict(d)
    nodes = []
    for n in d["nodes"]:
        n = {k: v for k, v in n.items() if k != "position"}
        if "subgraph" in n:
            n["subgraph"] = _without_positions(n["subgraph"])
        nodes.append(n)
    d["nodes"] = nodes
    return d


def test_gallery_lists_every_example_default_first():
    listed = list_examples()
    assert [name for name, _, _ in listed] == NAMES
    assert listed[0][0] == DEFAULT_EXAMPLE == "digits_mlp"
    assert all(path.is_file() and title for _, title, path in listed)
    with pytest.raises(KeyError):
        example_path("no_such_example")


@pytest.mark.parametrize("name", NAMES)
def test_committed_file_matches_builder(name):
    built = _builder().build(name)
    saved = load_project(example_path(name))
    assert saved.warnings == []
    assert _without_positions(graph_to_dict(saved.graph)) == _without_positions(
        graph_to_dict(built.graph)
    ), f"{name}.llproj is stale: run python resources/examples/build_examples.py"
    assert saved.training == built.training and saved.data == built.data
    # Laid out: no two nodes of one graph level on the same spot.
    for _, g in saved.graph.walk():
        spots = [n.position for n in g.nodes()]
        assert len(set(spots)) == len(spots)


def _signature(model) -> list[tuple]:
    import keras

    sig = []
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    # A TextVectorization's own StringLookup is part of it (its config, its state), named by
    # Keras' counter: compared through the TextVectorization.
    inner = {id(getattr(x, "_lookup_layer", None)) for x in layers}
    for layer in layers:
        if isinstance(layer, keras.layers.InputLayer) or id(layer) in inner:
            continue
        cfg = {k: v for k, v in layer.get_config().items() if k not in ("name", "layers")}
        sig.append((type(layer).__name__, layer.name, repr(sorted(cfg.items()))))
    return sorted(sig)


@pytest.mark.parametrize("name", NAMES)
def test_example_validates_builds_imports_and_generates_code(name):
    from app.compiler import build_model, generate_code, import_model, infer_shapes

    project = load_project(example_path(name))
    graph = project.graph
    report = infer_shapes(graph)
    assert report.ok, [p.message for p in report.problems]
    model = build_model(graph)
    assert [t.name for t in model.inputs] == [graph.node(i).name for i in graph.inputs]
    assert model.output_names == [graph.node(o.node).name for o in graph.outputs]
    assert model.count_params() == report.total_params

    again = build_model(import_model(model))
    assert again.count_params() == model.count_params()
    assert _signature(again) == _signature(model)
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    code = generate_code(graph, project=project)
    namespace: dict = {"__name__": f"example_{name}"}  # not __main__: build only, no training
    exec(compile(code, f"{name}.py", "exec"), namespace)
    generated = namespace["model"]
    assert generated.count_params() == model.count_params()
    assert _signature(generated) == _signature(model)


def test_shared_embedding_builds_one_layer_called_twice():
    from app.compiler import build_model

    model = build_model(load_project(example_path("shared_embedding")).graph)
    embeddings = [layer for layer in model.layers if type(layer).__name__ == "Embedding"]
    assert len(embeddings) == 1
    assert len(embeddings[0]._inbound_nodes) == 2


def test_nested_models_are_called_like_layers():
    import keras

    from app.compiler import build_model

    auto = build_model(load_project(example_path("conv_autoencoder")).graph)
    nested = [layer.name for layer in auto.layers if isinstance(layer, keras.Model)]
    assert nested == ["encoder", "decoder"]
    assert tuple(auto.output.shape) == (None, 28, 28, 1)
    ens = build_model(load_project(example_path("ensemble")).graph)
    assert sum(isinstance(layer, keras.Model) for layer in ens.layers) == 3
    assert tuple(ens.output.shape) == (None, 1)


def test_vae_adds_its_kl_loss():
    from app.compiler import build_model

    model = build_model(load_project(example_path("vae")).graph)
    x = np.random.default_rng(0).random((2, 784)).astype("float32")
    y = model(x)
    assert tuple(y.shape) == (2, 784)
    assert len(model.losses) == 1 and float(model.losses[0]) >= 0.0


def test_builder_writes_loadable_files(tmp_path, monkeypatch):
    module = _builder()
    monkeypatch.setattr(module, "HERE", tmp_path / "resources" / "examples")
    module.HERE.mkdir(parents=True)
    assert module.main(["digits_mlp"]) == 0
    loaded = load_project(module.HERE / "digits_mlp.llproj")
    committed = load_project(example_path("digits_mlp")).graph
    assert graph_to_dict(loaded.graph) == graph_to_dict(committed), (
        "digits_mlp.llproj differs from a fresh build (layout changed?): "
        "run python resources/examples/build_examples.py"
    )


def test_examples_dir_is_inside_the_repository():
    assert examples_dir() == Path(__file__).resolve().parents[1] / "resources" / "examples"


def test_default_example_trains_out_of_the_box(tmp_path):
    from app.training import train_project

    project = load_project(example_path(DEFAULT_EXAMPLE))
    record = train_project(project, epochs=1, out_dir=tmp_path)
    assert record.status == "completed"
