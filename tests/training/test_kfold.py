"""k-fold cross-validation through train_project: one run folder per fold, one group."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.data.folds import fold_indices
from app.model import ModelGraph
from app.project import DataSettings, Project, TrainingSettings
from app.project.run_groups import group_runs, mean_history, spread
from app.project.runs import RunRecord, read_history, read_run_file
from app.training.control import RunStopped
from app.training.headless import RunHooks, train_project


def _iris_kfold(tmp_path: Path, folds: int = 3, epochs: int = 2) -> Project:
    g = ModelGraph("iris")
    x = g.add_node("keras.Input", "features", {"shape": [4]})
    o = g.add_node("keras.layers.Dense", "species", {"units": 3, "activation": "softmax"})
    g.connect(x, o)
    g.set_outputs([o])
    return Project(
        graph=g,
        data=DataSettings("sklearn.iris", validation="kfold", folds=folds, seed=5),
        training=TrainingSettings(learning_rate=0.05, epochs=epochs, batch_size=32, seed=1),
        path=tmp_path / "iris.llproj",
    )


def test_each_fold_is_a_run_of_one_group_validating_on_its_part(tmp_path):
    events = []
    hooks = RunHooks(on_event=events.append)
    last = train_project(_iris_kfold(tmp_path), hooks=hooks)
    recs = hooks.records
    assert [r.fold for r in recs] == [0, 1, 2] and last is recs[-1]
    assert len({r.group for r in recs}) == 1 and recs[0].group
    assert {r.folds for r in recs} == {3} and all(r.status == "completed" for r in recs)
    assert len({r.path for r in recs}) == 3
    on_disk = [read_run_file(r.path) for r in recs]
    assert [(r.group, r.fold, r.folds) for r in on_disk] == [
        (r.group, r.fold, r.folds) for r in recs
    ]
    assert "fold 2/3" in recs[1].summary
    # Each fold validates on its own part of the 150 samples: 50 each, trained on the rest.
    fold_events = [e for e in events if e["kind"] == "fold"]
    assert [(e["fold"], e["folds"]) for e in fold_events] == [(0, 3), (1, 3), (2, 3)]
    checked = [e for e in events if e["kind"] == "checked"]
    assert [(e["samples"], e["val_samples"]) for e in checked] == [(100, 50)] * 3
    sizes = [len(v) for _, v in fold_indices(150, 3, seed=5)]
    assert sizes == [50, 50, 50]
    settings = json.loads((Path(recs[0].path) / "settings.json").read_text())
    assert settings["data"]["validation"] == "kfold" and settings["data"]["folds"] == 3


def test_group_mean_and_std_are_those_of_the_folds_histories(tmp_path):
    hooks = RunHooks()
    train_project(_iris_kfold(tmp_path, folds=2, epochs=3), hooks=hooks)
    (group,) = group_runs(hooks.records)
    assert group.folds == 2 and group.done == 2 and group.status == "completed"
    finals = [read_history(r.path)[-1] for r in hooks.records]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        values = np.array([row[key] for row in finals])
        mean, std = group.final_spread()[key]
        assert mean == pytest.approx(values.mean()) and std == pytest.approx(values.std())
    best_val = [min(row["val_loss"] for row in read_history(r.path)) for r in hooks.records]
    assert group.best_spread()["val_loss"][0] == pytest.approx(np.mean(best_val))


def test_folds_override_the_data_settings_validation(tmp_path):
    project = _iris_kfold(tmp_path)
    project.data.validation = "split"
    hooks = RunHooks()
    train_project(project, epochs=1, hooks=hooks, folds=2)
    assert [r.fold for r in hooks.records] == [0, 1] and hooks.records[0].folds == 2
    with pytest.raises(Exception, match="at least 2 folds"):
        train_project(project, epochs=1, folds=1)


def test_stop_ends_the_group_and_keeps_the_finished_folds(tmp_path):
    hooks = RunHooks()

    def on_event(d):
        if d["kind"] == "finished":
            hooks.control.stop()  # as the Stop button during fold 1's last moments

    hooks.on_event = on_event
    last = train_project(_iris_kfold(tmp_path, folds=4), hooks=hooks)
    assert [r.fold for r in hooks.records] == [0] and last.status == "completed"
    (group,) = group_runs(hooks.records)
    assert (group.done, group.folds, group.status) == (1, 4, "stopped")
    assert len(list((tmp_path / "iris_runs").iterdir())) == 1


def test_stop_before_the_first_fold_makes_no_run_folder(tmp_path):
    hooks = RunHooks()
    hooks.control.stop()
    with pytest.raises(RunStopped):
        train_project(_iris_kfold(tmp_path), hooks=hooks)
    assert hooks.records == [] and not (tmp_path / "iris_runs").exists()


def test_run_records_keep_their_group_and_drop_broken_ones():
    base = {"id": "a", "path": "/x", "started": "2024-01-01T00:00:00+00:00"}
    rec = RunRecord.from_dict({**base, "group": "g1", "fold": 2, "folds": 5})
    assert (rec.group, rec.fold, rec.folds) == ("g1", 2, 5)
    assert RunRecord.from_dict(rec.to_dict()) == rec
    for bad in ({"group": 3, "fold": 0, "folds": 2}, {"group": "g", "fold": True, "folds": 2},
                {"group": "g", "fold": 1}):  # fmt: skip
        r = RunRecord.from_dict({**base, **bad})
        assert (r.group, r.fold, r.folds) == (None, None, None)
    assert RunRecord.from_dict(base).group is None  # records of older versions


def test_grouping_keeps_order_and_the_spread_is_numpys():
    def rec(i, group=None, fold=None, **metrics):
        return RunRecord(f"r{i}", f"/r{i}", f"2024-01-0{i}", status="completed", group=group,
                         fold=fold, folds=3 if group else None, final_metrics=metrics)  # fmt: skip

    items = group_runs([rec(9), rec(8, "g", 1, loss=2.0), rec(7), rec(6, "g", 0, loss=5.0)])
    assert [type(i).__name__ for i in items] == ["RunRecord", "RunGroup", "RunRecord"]
    group = items[1]
    assert [r.fold for r in group.runs] == [0, 1] and (group.done, group.folds) == (2, 3)
    assert group.status == "stopped"  # 2 of 3 folds, none running
    assert group.final_spread()["loss"] == pytest.approx((3.5, np.std([2.0, 5.0])))
    assert spread([{"a": 1.0}, {"a": 2.0, "b": 4.0}]) == {"a": (1.5, 0.5), "b": (4.0, 0.0)}


def test_the_mean_curve_averages_each_epoch_over_the_folds_that_reached_it():
    a = [{"epoch": 1.0, "loss": 4.0}, {"epoch": 2.0, "loss": 2.0}]
    b = [{"epoch": 1.0, "loss": 2.0, "acc": 0.5}]
    assert mean_history([a, b]) == [
        {"epoch": 1.0, "loss": 3.0, "acc": 0.5},
        {"epoch": 2.0, "loss": 2.0},
    ]
