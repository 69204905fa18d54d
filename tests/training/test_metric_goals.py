"""One rule for whether a logged value should rise or fall: the best-model checkpoint, the run
summary and the Keras callbacks that monitor follow it (the plots too: tests/ui/test_training_ui.py)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from app.compiler.metric_goals import best_index, monitor_mode, rises
from app.data import load_dataset
from app.data.compat import fit_arrays
from app.model import ModelGraph
from app.project import CallbackConfig, DataSettings, Project, TrainingSettings
from app.project.runs import read_history
from app.training.headless import RunHooks, train_project


@pytest.mark.parametrize(
    "key, up",
    [
        ("loss", False),
        ("val_head_loss", False),
        ("val_r2_score", True),
        ("head_r2_score", True),
        ("val_accuracy", True),
        ("mean_absolute_error", False),
        ("val_auc", True),
        ("my_custom_error", False),  # Keras does not know it: its name says
    ],
)
def test_direction_of_logged_values(key, up):
    assert rises(key) is up
    assert monitor_mode(key) == ("max" if up else "min")
    assert monitor_mode(key, "min") == "min"  # an explicit mode is kept


def test_best_index_skips_non_finite_values_and_keeps_the_first_of_a_tie():
    assert best_index([0.1, float("nan"), 0.5, 0.5], "val_r2_score") == 2
    assert best_index([0.3, float("inf"), 0.1, 0.1], "val_loss") == 2
    assert best_index([float("nan")], "loss") is None


def regression_project(tmp_path: Path) -> Project:
    """Diabetes progression from 10 features; best.keras kept on val_r2_score."""
    g = ModelGraph("diabetes")
    x = g.add_node("keras.Input", "features", {"shape": [10]})
    o = g.add_node("keras.layers.Dense", "progression", {"units": 1})
    g.connect(x, o)
    g.set_outputs([o])
    return Project(
        graph=g,
        data=DataSettings("sklearn.diabetes", normalization="standard"),
        training=TrainingSettings(
            learning_rate=0.05,
            epochs=6,
            batch_size=32,
            seed=3,
            losses={"progression": "mean_squared_error"},
            metrics={"progression": ["r2_score"]},
            callbacks=[CallbackConfig("ModelCheckpoint", {"monitor": "val_r2_score"})],
        ),
        path=tmp_path / "diabetes.llproj",
    )


def test_best_model_of_a_regression_run_is_the_epoch_with_the_highest_r2(tmp_path):
    project = regression_project(tmp_path)
    hooks = RunHooks()
    rec = train_project(project, hooks=hooks)
    r2 = [row["val_r2_score"] for row in read_history(rec.path)]
    assert len(r2) == 6 and max(r2) > min(r2)
    best = int(np.argmax(r2)) + 1
    # The run summary names that epoch and value ...
    assert rec.best_metrics["best_epoch"] == best
    assert rec.best_metrics["val_r2_score"] == pytest.approx(max(r2))
    # ... and best.keras is that epoch's model: its r2 on the validation data is the highest.
    model = keras.saving.load_model(Path(rec.path) / rec.best_model)
    dataset = load_dataset(project.data_config(), model)
    _x, _y, (x_val, y_val) = fit_arrays(model, dataset)
    metric = keras.metrics.R2Score()
    metric.update_state(np.reshape(y_val, (-1, 1)), model.predict(x_val, verbose=0))
    assert float(metric.result()) == pytest.approx(max(r2), abs=1e-4)
