"""Settings commands: every edit of data / training settings undoes exactly and is announced."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.model import commands as graph_commands
from app.model import graph_to_dict
from app.project import Project
from app.project import commands as cmds
from app.project.events import DATA_CHANGED, RUNS_CHANGED, TRAINING_CHANGED
from app.project.settings import SettingsError
from tests.project.conftest import make_graph

LOSSES = ["mse", "mae", "sparse_categorical_crossentropy", "binary_crossentropy", "auto"]
METRICS = [[], ["accuracy"], ["mae", "mse"]]
SOURCES = ["sklearn.digits", "sklearn.iris", "synthetic", "csv"]


def snapshot(project: Project) -> str:
    """Everything an edit may change, as text: data, training and the graph."""
    d = {
        "data": project.data.to_dict(),
        "training": project.training.to_dict(),
        "graph": graph_to_dict(project.graph),
    }
    return json.dumps(d, sort_keys=True)


def make_project() -> Project:
    p = Project(name="p", graph=make_graph())
    p.training = p.training.from_dict({"epochs": 3, "future_key": {"kept": True}})
    return p


def make_command(p: Project, kind: int, x: int, y: int) -> cmds.ProjectCommand:
    out = p.graph.node(p.graph.outputs[0].node).name
    if kind == 0:
        return cmds.set_training(p, epochs=1 + x % 50, merge_key="epochs")
    if kind == 1:
        return cmds.set_training(p, batch_size=1 + y, optimizer=["Adam", "SGD"][x % 2])
    if kind == 2:
        return cmds.set_output_training(
            p,
            out,
            loss=LOSSES[x % len(LOSSES)],
            metrics=METRICS[y % len(METRICS)],
            loss_weight=(y % 5) / 2,
        )
    if kind == 3:
        return cmds.set_output_training(p, out, class_weight={} if x % 3 == 0 else {"0": 1 + y})
    if kind == 4:
        return cmds.set_data(p, source=SOURCES[x % len(SOURCES)], seed=y)
    if kind == 5:
        return cmds.set_data(p, validation="split", validation_split=(x % 9) / 10)
    if kind == 6:
        return cmds.set_losses(p, {out: LOSSES[y % 4]})
    hidden = p.graph.node_by_name("hidden")
    move = graph_commands.update_node(p.graph, hidden.id, params={"units": 1 + x % 7})
    return cmds.fit_model_to_data(p, move, {out: LOSSES[y % 4]} if y % 2 else {})


edit = st.tuples(st.integers(0, 7), st.integers(0, 1000), st.integers(0, 1000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=20))
def test_random_settings_edits_undo_and_redo_exactly(edits):
    p = make_project()
    states, done, inverses = [snapshot(p)], [], []
    for kind, x, y in edits:
        cmd = make_command(p, kind, x, y)
        assert snapshot(p) == states[-1]  # building a command changes nothing
        inverses.append(cmd.apply(p))
        done.append(cmd)
        states.append(snapshot(p))
    end = states[-1]
    while inverses:
        inverses.pop().apply(p)
        states.pop()
        assert snapshot(p) == states[-1]
    for cmd in done:  # redo: the same commands again arrive where the edits ended
        cmd.apply(p)
    assert snapshot(p) == end
    assert p.training.extra == {"future_key": {"kept": True}}  # unknown keys survive


def test_events_name_what_changed():
    p = make_project()
    heard = []
    p.events.connect(lambda e: heard.append(e.kind))
    undo = cmds.set_training(p, epochs=9).apply(p)
    assert heard == [TRAINING_CHANGED] and p.training.epochs == 9
    undo.apply(p)
    assert heard == [TRAINING_CHANGED] * 2 and p.training.epochs == 3
    cmds.set_data(p, source="sklearn.iris").apply(p)
    assert heard[-1] == DATA_CHANGED
    p.add_run({"id": "r1", "path": "/tmp/r1"})
    assert heard[-1] == RUNS_CHANGED
    assert p.remove_run("r1") and heard[-1] == RUNS_CHANGED
    assert not p.remove_run("r1") and len(heard) == 5  # nothing removed, nothing announced


def test_fit_model_to_data_is_one_step_for_graph_and_losses():
    p = make_project()
    before = snapshot(p)
    out = p.graph.node(p.graph.outputs[0].node).name
    hidden = p.graph.node_by_name("hidden")
    fit = cmds.fit_model_to_data(
        p, graph_commands.update_node(p.graph, hidden.id, params={"units": 5}), {out: "mse"}
    )
    assert fit.description == "Fit model to data"
    undo = fit.apply(p)
    assert p.graph.node(hidden.id).params["units"] == 5 and p.training.losses == {out: "mse"}
    undo.apply(p)
    assert snapshot(p) == before


def test_bad_values_are_refused_when_the_command_is_built():
    p = make_project()
    before = snapshot(p)
    with pytest.raises(SettingsError, match="epochs"):
        cmds.set_training(p, epochs=0)
    with pytest.raises(SettingsError):
        cmds.set_data(p, validation_split="half")
    assert snapshot(p) == before


def test_a_failing_part_of_a_compound_leaves_the_project_as_it_was():
    p = make_project()
    before = snapshot(p)

    class Broken(cmds.ProjectCommand):
        def apply(self, project):
            raise RuntimeError("cannot")

    with pytest.raises(RuntimeError):
        cmds.ProjectCompound([cmds.set_training(p, epochs=7), Broken()]).apply(p)
    assert snapshot(p) == before
