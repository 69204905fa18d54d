"""train_project, the one training path of the CLI and the GUI: checks before any run folder,
hooks for progress, stop and pause, and what a run leaves its caller."""

from __future__ import annotations

import threading
from pathlib import Path

import keras
import pytest

from app.data.dataset import DataError
from app.model import ModelGraph
from app.project import DataSettings, Project, TrainingSettings
from app.training.control import RunStopped
from app.training.headless import RunHooks, train_project, training_snapshot


def _iris_project(tmp_path: Path, units: int = 3) -> Project:
    g = ModelGraph("iris")
    x = g.add_node("keras.Input", "features", {"shape": [4]})
    h = g.add_node("keras.layers.Dense", "hidden", {"units": 8, "activation": "relu"})
    o = g.add_node("keras.layers.Dense", "species", {"units": units, "activation": "softmax"})
    g.connect(x, h)
    g.connect(h, o)
    g.set_outputs([o])
    return Project(
        graph=g,
        data=DataSettings("sklearn.iris", normalization="standard"),
        training=TrainingSettings(learning_rate=0.01, epochs=2, batch_size=16),
        path=tmp_path / "iris.llproj",
    )


def test_data_that_does_not_fit_leaves_no_run_folder(tmp_path):
    project = _iris_project(tmp_path, units=2)  # 3 classes, 2 units
    hooks = RunHooks()
    with pytest.raises(DataError, match="does not fit the model.*3 classes"):
        train_project(project, hooks=hooks)
    assert hooks.record is None
    assert not (tmp_path / "iris_runs").exists()


def test_hooks_receive_progress_and_the_trained_model(tmp_path):
    project = _iris_project(tmp_path)
    batches, epochs, kinds = [], [], []
    hooks = RunHooks(
        on_batch=batches.append,
        on_epoch=epochs.append,
        on_event=lambda d: kinds.append(d["kind"]),
    )
    rec = train_project(project, hooks=hooks)
    assert rec.status == "completed" and hooks.record is rec
    assert kinds[:4] == ["preparing", "preparing", "devices", "checked"] and kinds[-1] == "finished"
    assert "started" in kinds
    assert len(epochs) == 2 and len(batches) == 2 * 8  # 120 training samples / 16
    assert [row["epoch"] for row in hooks.history] == [1, 2]
    assert isinstance(hooks.model, keras.Model)
    assert hooks.history[-1]["loss"] == pytest.approx(rec.final_metrics["loss"])


def test_stop_before_training_starts_makes_no_run_folder(tmp_path):
    hooks = RunHooks()
    hooks.control.stop()
    with pytest.raises(RunStopped):
        train_project(_iris_project(tmp_path), hooks=hooks)
    assert not (tmp_path / "iris_runs").exists()


def test_pause_holds_training_and_stop_ends_it_from_another_thread(tmp_path):
    project = _iris_project(tmp_path)
    project.training = TrainingSettings(learning_rate=0.01, epochs=50, batch_size=4)
    paused = threading.Event()

    def on_event(d):
        if d["kind"] == "paused":
            paused.set()

    hooks = RunHooks(on_event=on_event)
    hooks.control.pause()  # held before the first batch
    result = {}
    thread = threading.Thread(
        target=lambda: result.setdefault("rec", train_project(project, hooks=hooks))
    )
    thread.start()
    assert paused.wait(60)
    assert thread.is_alive()  # still held
    hooks.control.stop()
    thread.join(60)
    rec = result["rec"]
    assert rec.status == "stopped" and rec.epochs_done <= 1


def test_training_snapshot_is_independent_of_later_edits(tmp_path):
    project = _iris_project(tmp_path)
    snap = training_snapshot(project)
    project.graph.remove_node(project.graph.outputs[0].node)
    project.training.epochs = 9
    assert len(snap.graph.outputs) == 1 and snap.training.epochs == 2
    assert snap.path == project.path
