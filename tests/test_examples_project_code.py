"""The examples with project code (custom metric, loss, callback, LR schedule), end to end as a
user runs them: train --trust-code, evaluate and export the latest run, write the script and
run it for an epoch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.cli import main
from app.compiler.custom_code import forget_trust
from app.project import load_project
from app.project.examples import example_path, list_examples
from app.project.project_code import CODE_KINDS
from tests.script_checks import ruff_problems

CODE_EXAMPLES = ["custom_training_code", "digits_true_positives"]


@pytest.fixture(autouse=True)
def _fresh_trust():
    forget_trust()
    yield
    forget_trust()


def test_the_examples_hold_every_kind_of_training_code_and_are_listed():
    kinds = {e.kind for name in CODE_EXAMPLES for e in load_project(example_path(name)).code}
    assert {"loss", "metric", "callback", "schedule"} <= kinds <= set(CODE_KINDS)
    titles = {name: title for name, title, _ in list_examples()}
    assert "RMSE" in titles["custom_training_code"]
    assert "CategoricalTruePositives" in titles["digits_true_positives"]


@pytest.mark.parametrize("name", CODE_EXAMPLES)
def test_example_trains_evaluates_exports_and_its_script_runs(name, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # where example runs go
    path = str(example_path(name))
    assert main(["train", path]) == 2  # untrusted: refused in words
    assert "--trust-code" in capsys.readouterr().err
    args = ["--trust-code"]
    assert main(["train", path, "--epochs", "2", "--max-samples", "96", *args]) == 0, (
        capsys.readouterr()
    )
    out = capsys.readouterr()
    assert "LossHistory:" in out.out + out.err  # the project callback ran
    forget_trust()
    assert main(["evaluate", path, "--run", "latest", *args]) == 0, capsys.readouterr()
    said = capsys.readouterr().out
    assert ("rmse" if name == "custom_training_code" else "categorical_true_positives") in said
    model = tmp_path / "m.keras"
    assert main(["export", path, "--run", "latest", "-o", str(model), *args]) == 0
    assert model.is_file()
    script = tmp_path / "s.py"
    assert main(["codegen", path, "-o", str(script), *args]) == 0, capsys.readouterr()
    assert ruff_problems(script.read_text()) == ""
    done = subprocess.run(
        [sys.executable, str(script), "--epochs", "1"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "LossHistory:" in done.stdout
