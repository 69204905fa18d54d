"""Learning-rate schedules from project code (a function (epoch, lr), a LearningRateSchedule
subclass): the logged learning rate follows them in runs and in generated scripts."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from code_projects import marker_line, regression_graph

from app.cli import main
from app.compiler.custom_code import forget_trust
from app.project import Project, load_project, save_project
from app.project.project_code import CodeEntry
from app.project.settings import SettingsError

HALVING = """
def halving(epoch, lr):
    return 0.1 if epoch == 0 else lr * 0.5
"""

INVERSE_STEP = """
class InverseStep(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, rate=0.01):
        self.rate = rate

    def __call__(self, step):
        return self.rate / (1.0 + ops.cast(step, "float32"))

    def get_config(self):
        return {"rate": self.rate}
"""


def schedule_project(tmp_path, schedule, marker=None) -> Project:
    """Input(4) -> Dense(1), one batch per epoch, 4 epochs, with a project code LR schedule."""
    g = regression_graph()
    mark = marker_line(marker)
    project = Project(name="reg", graph=g)
    project.code = [
        CodeEntry("schedule", "halving", HALVING + mark),
        CodeEntry("schedule", "InverseStep", INVERSE_STEP),
    ]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 32}, "validation": "none"}
    )
    project.training = project.training.from_dict(
        {"epochs": 4, "batch_size": 32, "learning_rate": 0.001, "losses": {"y": "mse"},
         "lr_schedule": schedule}
    )  # fmt: skip
    path = tmp_path / "reg.llproj"
    save_project(project, path)
    return load_project(path)


def _logged_rates(tmp_path) -> list[float]:
    (history,) = tmp_path.rglob("history.csv")
    with history.open(newline="") as f:
        return [float(row["learning_rate"]) for row in csv.DictReader(f)]


def test_a_schedule_function_sets_the_logged_learning_rate(tmp_path, capsys):
    marker = tmp_path / "ran.txt"
    project = schedule_project(tmp_path, {"class_name": "halving", "code": True}, marker)
    assert main(["train", str(project.path)]) != 0
    assert "halving' is code from this project" in capsys.readouterr().err
    assert not marker.exists() and not list(tmp_path.rglob("run.json"))
    assert main(["train", str(project.path), "--trust-code"]) == 0, capsys.readouterr()
    assert _logged_rates(tmp_path) == pytest.approx([0.1, 0.05, 0.025, 0.0125])


def test_a_schedule_class_is_the_optimizers_learning_rate(tmp_path, capsys):
    sched = {"class_name": "InverseStep", "params": {"rate": 0.04}, "code": True}
    project = schedule_project(tmp_path, sched)
    assert main(["train", str(project.path), "--trust-code"]) == 0, capsys.readouterr()
    # After epoch e (from 0) the optimizer has taken (e + 1) * steps steps.
    rates = _logged_rates(tmp_path)
    steps = round(0.04 / rates[0] - 1)
    assert steps >= 1
    assert rates == pytest.approx([0.04 / (1 + steps * e) for e in (1, 2, 3, 4)], rel=1e-5)
    forget_trust()  # the run's model names the schedule: loading it needs the code trusted
    evaluate = ["evaluate", str(project.path), "--run", "latest", "--split", "train"]
    assert main(evaluate) == 2
    assert "--trust-code on the command line" in capsys.readouterr().err
    assert main([*evaluate, "--trust-code"]) == 0, capsys.readouterr()


def test_schedule_settings_round_trip_and_bad_names_are_refused(tmp_path):
    project = schedule_project(tmp_path, {"class_name": "halving", "code": True})
    doc = json.loads(project.path.read_text())
    assert doc["training"]["lr_schedule"] == {"class_name": "halving", "params": {}, "code": True}
    with pytest.raises(SettingsError, match="schedule of the project code"):
        project.training.from_dict({"lr_schedule": {"class_name": "halving"}})


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ({"class_name": "halving", "code": True}, "LearningRateScheduler(halving)"),
        ({"class_name": "InverseStep", "params": {"rate": 0.04}, "code": True},
         "learning_rate=InverseStep(rate=0.04)"),
    ],
)  # fmt: skip
def test_generated_script_uses_the_code_schedule(tmp_path, capsys, schedule, expected):
    from tests.script_checks import ruff_problems

    project = schedule_project(tmp_path, schedule)
    script = tmp_path / "s.py"
    assert main(["codegen", str(project.path), "-o", str(script)]) == 0, capsys.readouterr()
    source = script.read_text()
    assert expected in source, source
    assert ruff_problems(source) == ""
    done = subprocess.run(
        [sys.executable, str(script), "--epochs", "2"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
