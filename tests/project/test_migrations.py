"""Older project formats load through step-by-step migrations."""

from __future__ import annotations

import json

import pytest

from app.model import graph_to_dict
from app.project import FORMAT_VERSION, MIGRATIONS, load_project, save_project
from app.project.migrations import detect_version, migrate

V0 = {
    "name": "old ticket model",
    "nodes": [
        {"id": "in1", "type": "Input", "name": "title", "params": {"shape": [8]}, "x": 0, "y": 0},
        {"id": "in2", "type": "InputLayer", "name": "tags", "params": {"shape": [4]}, "x": 0, "y": 120},
        {"id": "cat", "type": "Concatenate", "name": "concat", "params": {}, "x": 240, "y": 60},
        {"id": "out", "type": "Dense", "name": "priority", "params": {"units": 1, "activation": "sigmoid"},
         "x": 480, "y": 60, "trainable": False},
        {"id": "blk", "type": "Block", "name": "head", "x": 720, "y": 60, "subgraph": {
            "name": "head",
            "nodes": [
                {"id": "hi", "type": "Input", "name": "head_in", "params": {"shape": None}, "x": 0, "y": 0},
                {"id": "ho", "type": "keras.layers.Dense", "name": "head_out", "params": {"units": 2}, "x": 1, "y": 2},
            ],
            "edges": [{"from": "hi", "to": "ho"}],
            "outputs": ["ho"],
        }},
    ],
    "edges": [
        {"from": "in1", "to": "cat", "port": "inputs", "slot": 0},
        {"from": "in2", "to": "cat", "port": "inputs", "slot": 1},
        {"from": "cat", "to": "out"},
        {"from": "out", "to": "blk", "port": "hi"},
    ],
    "outputs": ["out", "blk"],
    "training": {"optimizer": "sgd", "lr": 0.05, "loss": "mse", "epochs": 4},
}  # fmt: skip


def test_v0_detected_and_migrated_step_by_step():
    assert detect_version(V0) == 0
    assert 0 in MIGRATIONS and 1 in MIGRATIONS and FORMAT_VERSION == 2
    doc = migrate(json.loads(json.dumps(V0)), 0)
    assert doc["format_version"] == FORMAT_VERSION and doc["app"] == "layerloom"
    node = doc["graph"]["nodes"][3]
    assert node["spec"] == "keras.layers.Dense" and node["position"] == [480, 60]
    assert "type" not in node


def test_v0_file_loads_and_resaves_as_current(tmp_path):
    path = tmp_path / "old.llproj"
    path.write_text(json.dumps(V0))
    project = load_project(path)
    g = project.graph
    assert project.name == "old ticket model"
    assert [g.node(i).name for i in g.inputs] == ["title", "tags"]
    assert g.node("in1").spec_id == "keras.Input"
    assert g.node("out").trainable is False and g.node("out").position == (480.0, 60.0)
    assert [g.node(e.src).name for e in g.in_edges("cat")] == ["title", "tags"]
    assert [(o.node, o.index) for o in g.outputs] == [("out", 0), ("blk", 0)]
    sub = g.node("blk").subgraph
    assert sub.node("ho").params == {"units": 2} and sub.outputs[0].node == "ho"
    assert [e.port for e in g.in_edges("blk")] == ["hi"]
    t = project.training
    assert (t.optimizer, t.learning_rate, t.epochs) == ("sgd", 0.05, 4)
    assert t.losses == {"priority": "mse", "head": "mse"}
    save_project(project, path)
    again = load_project(path)
    assert json.loads(path.read_text())["format_version"] == FORMAT_VERSION
    assert graph_to_dict(again.graph) == graph_to_dict(g)


def test_v0_with_unknown_class_opens_without_it(tmp_path):
    doc = json.loads(json.dumps(V0))
    doc["nodes"][2]["type"] = "FancyMerge"
    path = tmp_path / "old.llproj"
    path.write_text(json.dumps(doc))
    project = load_project(path)  # the unknown layer is left out, the rest opens
    g = project.graph
    assert g.node_by_name("concat") is None and len(g) == len(doc["nodes"]) - 1
    notes = [n for _, level in g.walk() for ns in level.damage.values() for n in ns]
    assert any("FancyMerge" in n and "'concat'" in n for n in notes), notes
    assert "damaged" in project.warnings[0]


V1_LOSS = {
    "app": "layerloom",
    "format_version": 1,
    "name": "v1 losses",
    "graph": {"name": "m", "nodes": [], "edges": [], "outputs": []},
    "data": {},
    "training": {"loss": {"digit": "mse", "aux": "none"}, "epochs": 2},
}


def test_v1_losses_load_through_the_migration_only(tmp_path):
    old = tmp_path / "v1.llproj"
    old.write_text(json.dumps(V1_LOSS))
    assert load_project(old).training.losses == {"digit": "mse", "aux": "none"}
    # The rename is a step of the file format: a current file's "loss" is an unknown key, kept.
    current = tmp_path / "v2.llproj"
    current.write_text(json.dumps({**V1_LOSS, "format_version": FORMAT_VERSION}))
    training = load_project(current).training
    assert training.losses == {} and training.extra == {"loss": {"digit": "mse", "aux": "none"}}


def test_v1_losses_of_the_wrong_type_are_named(tmp_path):
    from app.errors import ProjectFileError

    path = tmp_path / "v1.llproj"
    path.write_text(json.dumps({**V1_LOSS, "training": {"loss": ["mse"]}}))
    with pytest.raises(ProjectFileError, match="losses must be a mapping"):
        load_project(path)
