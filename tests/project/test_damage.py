"""A project file damaged inside one node or connection opens; the damage shows on that node."""

from __future__ import annotations

import json
import sys

import pytest

from app.compiler import infer_shapes
from app.project import Project, load_project, save_project
from tests.project import damage_examples


@pytest.fixture
def good(tmp_path, graph):
    path = tmp_path / "good.llproj"
    save_project(Project(name="Good", graph=graph), path)
    return path


def _open(tmp_path, good, mutate, text=None):
    """The project after `mutate` changed the JSON of `good`: (project, node ids by name)."""
    doc = json.loads(good.read_text())
    ids = {n["name"]: n["id"] for n in doc["graph"]["nodes"]}
    mutate(doc)
    path = tmp_path / "damaged.llproj"
    path.write_text(text or json.dumps(doc), encoding="utf-8")
    return load_project(path), ids


def _node(doc, name):
    return next(n for n in doc["graph"]["nodes"] if n["name"] == name)


def _warnings_on(report, node_id):
    return [p.message for p in report.problems_for(node_id) if p.severity == "warning"]


@pytest.mark.parametrize(
    "value, words",
    [("ten", "must be a whole number, got 'ten'"), (1.5, "whole number"), (0, "must be >= 1")],
)
def test_a_bad_param_gets_its_default_and_a_problem_on_its_node(tmp_path, good, value, words):
    project, ids = _open(tmp_path, good, lambda d: _node(d, "hidden")["params"].update(units=value))
    hidden = project.graph.node(ids["hidden"])
    assert hidden.params == {"activation": "relu"}  # units left to its default, 32
    assert len(project.graph) == 3 and len(project.graph.edges()) == 2
    [note] = project.graph.damage[ids["hidden"]]
    assert words in note and "default value (32)" in note and "'hidden'" in note
    assert "damaged in 1 place" in project.warnings[0]
    report = infer_shapes(project.graph)
    assert _warnings_on(report, ids["hidden"]) == [note]
    assert report.ok and report.nodes[ids["hidden"]].output_shapes == [(None, 32)]


def test_an_infinite_param_is_damage_not_a_crash(tmp_path, good):
    text = good.read_text().replace('"units": 3', '"units": Infinity')
    project, ids = _open(tmp_path, good, lambda d: None, text=text)
    assert "units" not in project.graph.node(ids["hidden"]).params
    assert project.graph.damage[ids["hidden"]]


def test_bad_position_trainable_and_params_mapping(tmp_path, good):
    def damage(d):
        _node(d, "x")["position"] = "here"
        _node(d, "hidden")["trainable"] = "yes"
        _node(d, "hidden")["params"] = [1, 2]

    project, ids = _open(tmp_path, good, damage)
    assert project.graph.node(ids["x"]).position == (0.0, 0.0)
    assert "invalid position" in project.graph.damage[ids["x"]][0]
    hidden = project.graph.node(ids["hidden"])
    assert hidden.trainable is True and hidden.params == {}
    notes = " ".join(project.graph.damage[ids["hidden"]])
    assert "trainable must be true or false" in notes and "not a mapping" in notes


def test_an_unknown_layer_type_is_left_out_and_told_on_its_neighbours(tmp_path, good):
    spec = "evil_module_xyz.Thing"
    project, ids = _open(tmp_path, good, lambda d: _node(d, "hidden").update(spec=spec))
    assert "evil_module_xyz" not in sys.modules  # a type name is never imported
    g = project.graph
    assert ids["hidden"] not in g and {n.name for n in g.nodes()} == {"x", "head"}
    assert g.edges() == [] and [o.node for o in g.outputs] == [ids["head"]]
    for neighbour in ("x", "head"):
        [note] = g.damage[ids[neighbour]]
        assert "could not be restored" in note and f"'hidden' has an unknown type '{spec}'" in note
    report = infer_shapes(g)
    assert any("has no input connected" in p.message for p in report.problems_for(ids["head"]))
    assert g.damage[ids["x"]][0] in _warnings_on(report, ids["x"])


def test_a_layer_without_id_is_left_out_with_a_note_on_the_model(tmp_path, good):
    project, ids = _open(tmp_path, good, lambda d: _node(d, "hidden").pop("id"))
    g = project.graph
    assert "Layer 'hidden' lacks its 'id'; it was left out." in g.damage[None]
    assert "not in the graph" in g.damage[ids["head"]][0]
    report = infer_shapes(g)
    top = [p for p in report.problems if p.node_id is None and p.severity == "warning"]
    assert "Layer 'hidden' lacks its 'id'; it was left out." in [p.message for p in top]


@pytest.mark.parametrize(
    "edge, words",
    [
        (7, "A connection in the file is not an object"),
        ({"src": "x", "dst": "nope", "port": "inputs"}, "A connection links a layer"),
        ({"src": ["junk"], "dst": {"a": 1}, "port": "inputs"}, "invalid layer or port"),
    ],
)
def test_a_connection_naming_nothing_is_noted_on_the_model(tmp_path, good, edge, words):
    project, _ = _open(tmp_path, good, lambda d: d["graph"]["edges"].append(edge))
    assert len(project.graph.edges()) == 2
    assert words in project.graph.damage[None][0]


def test_bad_connections_are_left_out_and_noted_on_their_target(tmp_path, good):
    def damage(d):
        x, hidden, head = (_node(d, n)["id"] for n in ("x", "hidden", "head"))
        d["graph"]["edges"] += [
            {"src": x, "dst": hidden, "port": "inputs", "slot": 0},  # a second one onto one input
            {"src": x, "dst": hidden, "port": "kernel"},  # no such port
            {"src": head, "dst": hidden, "port": "inputs"},  # closes a cycle
            {"src": "gone", "dst": head, "port": "inputs"},  # a missing source
        ]

    project, ids = _open(tmp_path, good, damage)
    g = project.graph
    assert len(g.edges()) == 2
    hidden = " ".join(g.damage[ids["hidden"]])
    assert "already connected" in hidden and "no input port 'kernel'" in hidden
    assert "would make a cycle" in hidden
    assert "not in the graph" in g.damage[ids["head"]][0]


def test_outputs_naming_missing_nodes_are_left_out(tmp_path, good):
    project, ids = _open(tmp_path, good, lambda d: d["graph"]["outputs"].append(["nope", 0]))
    assert [o.node for o in project.graph.outputs] == [ids["head"]]
    assert "names a node that is not in the graph" in project.graph.damage[None][0]


def test_damage_inside_a_block_shows_on_the_inner_node(tmp_path, good):
    def damage(d):
        _node(d, "head")["subgraph"]["nodes"][1]["params"]["units"] = "two"

    project, ids = _open(tmp_path, good, damage)
    sub = project.graph.node(ids["head"]).subgraph
    inner = sub.node_by_name("head_out").id
    assert "units" in sub.damage[inner][0]
    report = infer_shapes(project.graph)
    [problem] = [p for p in report.problems_for(inner) if p.severity == "warning"]
    assert problem.path == (ids["head"],)


def test_a_damaged_project_saved_again_is_a_valid_project(tmp_path, good):
    def damage(d):
        _node(d, "hidden")["params"]["units"] = "ten"
        _node(d, "x")["position"] = None
        d["graph"]["edges"].append({"src": "gone", "dst": "x", "port": "inputs"})

    project, ids = _open(tmp_path, good, damage)
    save_project(project, tmp_path / "repaired.llproj")
    again = load_project(tmp_path / "repaired.llproj")
    assert again.warnings == [] and all(not g.damage for _, g in again.graph.walk())
    assert [n.name for n in again.graph.nodes()] == ["x", "hidden", "head"]
    assert infer_shapes(again.graph).ok


def test_a_note_goes_when_the_user_changes_the_node(tmp_path, good):
    project, ids = _open(tmp_path, good, lambda d: _node(d, "hidden")["params"].update(units="x"))
    g = project.graph
    g.update_node(ids["hidden"], position=(5.0, 5.0))
    assert ids["hidden"] in g.damage and ids["hidden"] in g.copy().damage  # moving is no fix
    g.set_params(ids["hidden"], units=8)
    assert ids["hidden"] not in g.damage
    assert not _warnings_on(infer_shapes(g), ids["hidden"])


def test_a_graph_that_is_not_a_mapping_is_still_refused(tmp_path, good):
    from app.errors import ProjectFileError

    with pytest.raises(ProjectFileError, match="graph must be an object"):
        _open(tmp_path, good, lambda d: d.update(graph=[1]))


def test_randomly_damaged_examples_open_or_are_refused_in_plain_words():
    """A sample of the figures of damage_examples.py: no crash, every opened file resaves."""
    figures = damage_examples.run(count=200, seed=3)
    assert figures.crashes == [] and figures.resave_failed == 0
    graph = figures.by_place["graph"]
    assert graph["refused"] <= 0.05 * sum(graph.values()), graph
