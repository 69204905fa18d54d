"""Project code callbacks (keras.callbacks.Callback subclasses) through the CLI and scripts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from code_projects import marker_line, regression_graph

from app.cli import main
from app.project import Project, load_project, save_project
from app.project.project_code import CodeEntry, new_entry
from app.project.settings import SettingsError

LOSS_HISTORY = """
class LossHistory(keras.callbacks.Callback):
    def __init__(self, filename="losses.json"):
        super().__init__()
        self.filename = filename

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_epoch_end(self, epoch, logs=None):
        import json

        self.losses.append(float(logs["loss"]))
        with open(self.filename, "w") as f:
            json.dump(self.losses, f)
"""


def callback_project(tmp_path, losses_file, marker=None) -> Project:
    """Input(4) -> Dense(1) that cannot learn (learning rate 0), with two project callbacks."""
    g = regression_graph()
    mark = marker_line(marker)
    project = Project(name="reg", graph=g)
    project.code = [
        new_entry("callback", "EarlyStoppingAtMinLoss"),
        CodeEntry("callback", "LossHistory", LOSS_HISTORY + mark),
    ]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 32}, "validation": "none"}
    )
    project.training = project.training.from_dict(
        {
            "epochs": 6,
            "batch_size": 32,
            "shuffle": False,
            "learning_rate": 0.0,
            "losses": {"y": "mse"},
            "callbacks": [
                {"class_name": "EarlyStoppingAtMinLoss", "params": {"patience": 0}, "code": True},
                {
                    "class_name": "LossHistory",
                    "params": {"filename": str(losses_file)},
                    "code": True,
                },
            ],
        }  # fmt: skip
    )
    path = tmp_path / "reg.llproj"
    save_project(project, path)
    return load_project(path)


def test_a_code_callback_stops_training_and_another_records_the_losses(tmp_path, capsys):
    losses_file, marker = tmp_path / "losses.json", tmp_path / "ran.txt"
    project = callback_project(tmp_path, losses_file, marker)
    path = str(project.path)
    assert main(["train", path]) != 0
    assert "EarlyStoppingAtMinLoss' is code from this project" in capsys.readouterr().err
    assert not marker.exists() and not losses_file.exists()
    assert not list(tmp_path.rglob("run.json"))  # refused before a run folder is made

    assert main(["train", path, "--trust-code"]) == 0, capsys.readouterr()
    assert marker.exists()
    # The loss cannot fall with a zero learning rate: stopped after the 2nd of 6 epochs.
    assert len(json.loads(losses_file.read_text())) == 2
    (run,) = tmp_path.rglob("run.json")
    record = json.loads(run.read_text())
    assert record["status"] == "completed" and record["epochs_done"] == 2, record


def test_code_callbacks_round_trip_and_are_refused_by_other_names(tmp_path):
    project = callback_project(tmp_path, tmp_path / "l.json")
    doc = json.loads(project.path.read_text())
    assert doc["training"]["callbacks"][0]["code"] is True
    assert (
        "code"
        not in project.training.from_dict(
            {"callbacks": [{"class_name": "EarlyStopping"}]}
        ).to_dict()["callbacks"][0]
    )
    assert project.training.callbacks[1].params == {"filename": str(tmp_path / "l.json")}
    with pytest.raises(SettingsError, match="Unknown callback 'not a name'"):
        project.training.from_dict({"callbacks": [{"class_name": "not a name", "code": True}]})


def test_generated_script_makes_the_code_callbacks(tmp_path, capsys):
    from tests.script_checks import ruff_problems

    losses_file = tmp_path / "script_losses.json"
    project = callback_project(tmp_path, losses_file)
    script = tmp_path / "s.py"
    assert main(["codegen", str(project.path), "-o", str(script)]) == 0, capsys.readouterr()
    source = script.read_text()
    assert "class EarlyStoppingAtMinLoss(keras.callbacks.Callback):" in source
    assert "EarlyStoppingAtMinLoss(patience=0)" in source, source
    assert ruff_problems(source) == ""
    done = subprocess.run(
        [sys.executable, str(script), "--epochs", "6"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(json.loads(losses_file.read_text())) == 2
