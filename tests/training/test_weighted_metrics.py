"""Weighted metrics (compile's weighted_metrics): weighed by the sample weights as Keras weighs
them, next to the plain metrics that are not; generated scripts report the same numbers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from script_checks import ruff_problems

from app.compiler import generate_code
from app.data import load_dataset
from app.model import ModelGraph
from app.project import Project
from app.project.commands import set_output_training
from app.project.settings import DataSettings, SettingsError, TrainingSettings
from app.project.training_config import TrainingError
from app.training.headless import RunHooks, train_project

SETTINGS = {
    "epochs": 3,
    "batch_size": 16,
    "learning_rate": 0.05,
    "shuffle": False,
    "losses": {"y": "mse"},
    "metrics": {"y": ["mean_absolute_error"]},
    "weighted_metrics": {"y": ["mean_absolute_error", "mean_squared_error"]},
}


def _graph() -> ModelGraph:
    """x -> Dense(1), its kernel all ones: the same start in LayerLoom and in plain Keras."""
    g = ModelGraph("reg")
    x = g.add_node("keras.Input", "x", params={"shape": [3]})
    d = g.add_node("keras.layers.Dense", "y", params={"units": 1, "kernel_initializer": "ones"})
    g.connect(x, d)
    g.set_outputs([d])
    return g


def _project(folder: Path, **training) -> Project:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(80, 3)).astype("float32")
    y = (x @ np.array([0.5, -1.0, 2.0], "float32"))[:, None]
    y[::4] += 3.0  # the samples that weigh little are off the rule
    w = np.where(np.arange(80) % 4 == 0, 0.1, 2.0)
    np.savez(folder / "d.npz", x=x, y=y, w=w)
    data = {
        "source": "numpy",
        "options": {"path": "d.npz", "weights": "w"},
        "validation": "split",
        "validation_split": 0.25,
        "seed": 2,
    }
    return Project(
        graph=_graph(),
        data=DataSettings.from_dict(data),
        training=TrainingSettings.from_dict({**SETTINGS, **training}),
        base_dir=folder,
    )


def _plain_keras_history(project: Project) -> dict[str, float]:
    """The same model, data, weights and settings through keras' own compile and fit."""
    import keras

    ds = load_dataset(project.data_config())
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(3,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="ones", name="y")(inputs))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.05),
        loss="mse",
        metrics=["mean_absolute_error"],
        weighted_metrics=["mean_absolute_error", "mean_squared_error"],
    )
    history = model.fit(
        ds.x["x"],
        ds.y["y"],
        sample_weight=ds.sample_weight,
        validation_data=(ds.x_val["x"], ds.y_val["y"], ds.sample_weight_val),
        batch_size=16,
        epochs=3,
        shuffle=False,
        verbose=0,
    )
    return {k: v[-1] for k, v in history.history.items()}


def test_weighted_metrics_train_as_keras_weighs_them(tmp_path: Path) -> None:
    project = _project(tmp_path)
    record = train_project(project, out_dir=tmp_path / "runs", hooks=RunHooks())
    assert record.status == "completed", record.message
    got = {k: v for k, v in record.final_metrics.items() if k != "learning_rate"}
    want = _plain_keras_history(project)
    assert set(got) == set(want)  # mean_absolute_error and weighted_mean_absolute_error, ...
    assert "weighted_mean_absolute_error" in got and "val_mean_squared_error" in got
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-5), (key, got, want)
    # The weights make the weighted metric differ from the plain one of the same metric.
    assert got["mean_absolute_error"] != pytest.approx(
        got["weighted_mean_absolute_error"], rel=1e-2
    )


def test_generated_script_reports_the_weighted_metrics_of_layerloom(tmp_path: Path) -> None:
    project = _project(tmp_path)
    source = generate_code(project.graph, project)
    assert ruff_problems(source) == ""
    assert 'weighted_metrics=["mean_absolute_error", "mean_squared_error"]' in source, source
    (tmp_path / "train_model.py").write_text(source)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-I", "train_model.py"], cwd=tmp_path, capture_output=True, text=True,
        timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    printed = {m[1]: float(m[2]) for m in re.finditer(r"^(\w+): ([-\d.e]+)$", done.stdout, re.M)}
    record = train_project(project, out_dir=tmp_path / "runs")
    got = {k: v for k, v in record.final_metrics.items() if k != "learning_rate"}
    assert set(printed) == set(got)
    for key, value in got.items():  # the script prints 4 decimals
        assert printed[key] == pytest.approx(value, rel=1e-3, abs=1e-4), (key, printed, got)


def test_weighted_metrics_are_checked_and_set_per_output(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert "weighted_metrics" not in TrainingSettings().to_dict()  # older files stay as they were
    assert TrainingSettings.from_dict({}).weighted_metrics == {}
    with pytest.raises(SettingsError, match="weighted metric of output 'y'"):
        TrainingSettings.from_dict({"weighted_metrics": {"y": [3]}})
    inverse = set_output_training(project, "y", weighted_metrics=["mean_squared_error"]).apply(
        project
    )
    assert project.training.weighted_metrics == {"y": ["mean_squared_error"]}
    assert project.training.metrics == SETTINGS["metrics"]
    inverse.apply(project)
    assert project.training.weighted_metrics == SETTINGS["weighted_metrics"]
    # (one entry of a single-output model is that output's, whatever its key)
    project.training.weighted_metrics = {"y": ["mean_squared_error"], "z": ["mean_squared_error"]}
    with pytest.raises(TrainingError, match="weighted metrics for 'z'"):
        train_project(project, out_dir=tmp_path / "runs")
    project.training.weighted_metrics = {"y": ["no_such_metric"]}
    with pytest.raises(TrainingError, match="no_such_metric"):
        train_project(project, out_dir=tmp_path / "runs")
