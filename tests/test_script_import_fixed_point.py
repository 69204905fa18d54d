"""A fixed point: importing the script LayerLoom writes for a project gives the project back
(graph, training settings and code; the same up to node ids and layout), and the data the
script trains on becomes the imported project's data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.compiler import generate_code
from app.compiler.build import build_model
from app.compiler.script_import import import_script
from app.data.prepare import load_dataset
from app.model import graph_to_dict
from app.nodes import REGISTRY
from app.project import load_project

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def effective(spec_id: str, params: dict) -> dict:
    """The params a layer is built with: spec defaults filled in; data_format None is Keras'
    image data format, a pooling's strides None are its pool size."""
    spec = REGISTRY.get(spec_id)
    out = {**(spec.defaults() if spec is not None else {}), **params}
    if "data_format" in out and out["data_format"] is None:
        out["data_format"] = "channels_last"
    if "pool_size" in out and out.get("strides") is None:  # Keras: strides default to pool_size
        out["strides"] = out["pool_size"]
    return {k: v for k, v in out.items() if v is not None and v is not False}


def comparable(graph) -> dict:
    """The graph as plain data with node ids replaced by node names and positions dropped.

    A node that shares another's layer has no name of its own in Keras: it is named after the
    layer it shares and the first node that reads it."""
    d = graph_to_dict(graph)
    names: dict[str, str] = {}

    def collect(g: dict, prefix: str) -> None:
        by_id = {n["id"]: n for n in g["nodes"]}
        for n in g["nodes"]:
            name = n["name"]
            if n.get("shared_with"):
                readers = sorted(by_id[e["dst"]]["name"] for e in g["edges"] if e["src"] == n["id"])
                name = f"{by_id[n['shared_with']]['name']}@{readers[0] if readers else ''}"
            names[n["id"]] = prefix + name
            if n.get("subgraph"):
                collect(n["subgraph"], prefix + n["name"] + "/")

    collect(d, "")

    def norm(g: dict) -> dict:
        nodes = {}
        for n in g["nodes"]:
            item = {k: v for k, v in n.items() if k not in ("id", "position", "weights", "name")}
            item["params"] = effective(n["spec"], n.get("params") or {})
            if item.get("shared_with"):
                item["shared_with"] = names[item["shared_with"]]
                item["params"] = {}
            if item.get("subgraph"):
                item["subgraph"] = norm(item["subgraph"])
            nodes[names[n["id"]]] = item
        edges = sorted(
            (names[e["src"]], e["src_index"], names[e["dst"]], names.get(e["port"], e["port"]),
             e["slot"])
            for e in g["edges"]
        )  # fmt: skip
        return {
            "name": g.get("name"),
            "nodes": nodes,
            "edges": edges,
            "inputs": [names[i] for i in g["inputs"]],
            "outputs": [(names[o[0]], o[1]) for o in g["outputs"]],
        }

    return norm(d)


def settings(project) -> dict:
    """The training settings, a training step's blocks named by name instead of node id."""
    from app.model.grouping import block_names

    d = project.training.to_dict()
    if d.get("step"):
        names = block_names(project.graph)
        d["step"]["models"] = {k: names.get(v, v) for k, v in d["step"]["models"].items()}
    return d


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.llproj")), ids=lambda p: p.stem)
def test_importing_the_generated_script_gives_the_project_back(path, tmp_path):
    project = load_project(path)
    script = tmp_path / f"{path.stem}.py"
    script.write_text(generate_code(project.graph, project=project))
    result = import_script(script, tmp_path / "data.npz")
    got = result.project
    assert result.problems == []
    assert result.notes == []
    assert comparable(got.graph) == comparable(project.graph)
    assert settings(got) == settings(project)
    assert [e.to_dict() for e in got.code] == [e.to_dict() for e in project.code]
    if project.data.validation == "kfold":  # k-fold: each fold cut from the whole data set
        kept = ("validation", "folds", "seed", "normalization")
        assert {k: getattr(got.data, k) for k in kept} == {
            k: getattr(project.data, k) for k in kept
        }
    assert_same_data(project, got)


def assert_same_data(project, got) -> None:
    """The data: the very arrays LayerLoom prepares for the project (and their sample
    weights), now read from the .npz; with k-fold, of every fold."""
    model = build_model(project.graph)
    folds = project.data.folds if project.data.validation == "kfold" else 1
    for fold in range(folds):
        want = load_dataset(project.data_config(), model, fold=fold)
        have = load_dataset(got.data_config(), model, fold=fold)
        assert_same_arrays(want, have, renormalised=folds > 1 and got.data.normalization != "none")


def assert_same_arrays(want, have, renormalised: bool) -> None:
    """The same arrays; `renormalised`: the .npz holds a script's inputs normalised with the
    first fold's statistics, which the project normalises again per fold (the same values up
    to float32 rounding)."""
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if renormalised else {}
    for split in ("sample_weight", "sample_weight_val"):
        a, b = getattr(want, split), getattr(have, split)
        assert (a is None) == (b is None), split
        if a is not None:
            np.testing.assert_allclose(np.asarray(a, "float64"), np.asarray(b, "float64"))
    for split in ("x", "y", "x_val", "y_val"):
        a, b = getattr(want, split) or {}, getattr(have, split) or {}
        assert len(a) == len(b), split
        # Arrays named alike pair by name; a CSV column feeding an input of another name
        # ("body" -> text_body) pairs with the array named after that input, in input order.
        pairs = [(a[k], b[k]) for k in a] if set(a) == set(b) else zip(a.values(), b.values())
        for va, vb in pairs:
            va, vb = np.asarray(va), np.asarray(vb)
            if va.dtype.kind in "OUS":  # text: the same strings
                assert [str(v) for v in va.ravel()] == [str(v) for v in vb.ravel()], split
            else:
                np.testing.assert_allclose(va.astype("float64"), vb.astype("float64"), **tolerance)


def weighted_project(tmp_path, validation: str, normalization: str = "none"):
    """A regression project reading an .npz with per-sample weights (zero on half the samples),
    validated on a split or on the file's own (weighted) validation arrays."""
    from code_projects import regression_graph

    from app.project import Project

    rng = np.random.default_rng(4)
    x, x_val = (
        rng.normal(size=(40, 4)).astype("float32"),
        rng.normal(size=(12, 4)).astype("float32"),
    )
    w, w_val = np.tile([0.0, 1.0, 2.5, 1.0], 10), np.tile([1.0, 0.0, 3.0], 4)
    np.savez(
        tmp_path / "weighted.npz", x=x, y=x[:, :1] * 2, x_val=x_val, y_val=x_val[:, :1] * 2,
        w=w.astype("float32"), w_val=w_val.astype("float32"),
    )  # fmt: skip
    options = {"path": str(tmp_path / "weighted.npz"), "x": ["x"], "y": ["y"], "weights": "w"}
    if validation == "source":
        options.update({"x_val": ["x_val"], "y_val": ["y_val"], "weights_val": "w_val"})
    project = Project(name="weighted", graph=regression_graph())
    project.data = project.data.from_dict(
        {
            "source": "numpy",
            "options": options,
            "validation": validation,
            "seed": 3,
            "folds": 4,
            "normalization": normalization,
        }
    )
    project.training = project.training.from_dict(
        {
            "epochs": 2,
            "batch_size": 8,
            "losses": {"y": "mse"},
            "metrics": {"y": ["mae"]},
            "weighted_metrics": {"y": ["mae", "mse"]},
            "seed": 1,
        }
    )
    return project


@pytest.mark.parametrize(
    ("validation", "normalization"),
    [("split", "none"), ("source", "none"), ("kfold", "none"), ("kfold", "minmax")],
)
def test_a_weighted_project_imports_back_with_its_sample_weights(
    validation, normalization, tmp_path
):
    project = weighted_project(tmp_path, validation, normalization)
    script = tmp_path / "weighted.py"
    script.write_text(generate_code(project.graph, project=project))
    result = import_script(script, tmp_path / "data.npz")
    assert result.problems == [] and result.notes == []
    got = result.project
    assert got.data.options["weights"]
    assert ("weights_val" in got.data.options) == (validation != "kfold")  # k-fold: one array
    if validation == "kfold":
        want = ("kfold", 4, 3, normalization)
        assert (got.data.validation, got.data.folds, got.data.seed, got.data.normalization) == want
    else:  # the validation samples as the script was given them
        assert got.data.validation == "source"
    assert settings(got) == settings(project)
    assert_same_data(project, got)
