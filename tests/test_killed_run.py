"""A `layerloom train` killed with SIGKILL mid-run: its run reads as interrupted (project, Runs
tab), and evaluate / export --run say they use its best model, or refuse if it saved none."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the Runs tab test

import app  # noqa: E402
from app.cli import main  # noqa: E402
from app.project import load_project  # noqa: E402
from app.project.examples import example_path  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory) -> Path:
    """A project whose only run was SIGKILLed after its second epoch ended."""
    path = tmp_path_factory.mktemp("killed") / "digits.llproj"
    shutil.copy(example_path("digits_mlp"), path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "train", str(path), "--epochs", "200", "--no-save"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=str(path.parent),
        env={**os.environ, "PYTHONPATH": str(Path(app.__file__).parent.parent)},
    )
    seen = ""
    while "Epoch 2/200:" not in seen:  # the second epoch has ended (and is in history.csv)
        ch = proc.stderr.read(1)
        assert ch, seen
        seen += ch
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    (folder,) = (path.parent / "digits_runs").iterdir()
    left = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert left["status"] == "running" and left["owner"]["pid"] == proc.pid  # as it was left
    return path


def test_a_killed_run_reads_as_interrupted_with_the_epochs_it_finished(killed_run):
    (rec,) = load_project(killed_run).run_records()
    assert rec.status == "interrupted", rec
    assert rec.epochs_done >= 2 and "val_loss" in rec.final_metrics
    assert rec.best_model == "best.keras" and rec.duration_s > 0
    assert "ended before it finished" in rec.message
    # The best of the epochs it finished, as a stopped or completed run records them.
    assert {"val_loss", "val_accuracy", "best_epoch"} <= set(rec.best_metrics), rec.best_metrics
    assert rec.best_metrics["val_accuracy"] > 0.5 and rec.best_metrics["best_epoch"] >= 1


def test_the_runs_tab_shows_a_killed_run_as_interrupted(qtbot, killed_run):
    from app.ui.training.runs import RunsTable

    table = RunsTable()
    qtbot.addWidget(table)
    table.refresh(records=load_project(killed_run).run_records())
    status = table.table.topLevelItem(0)
    assert status.text(1) == "interrupted" and "ended before it finished" in status.toolTip(1)
    assert "val_accuracy" in status.text(4) and "(best " in status.text(3)
    assert table.model_file(table.runs[0].path).name == "best.keras"  # Open model offers it


def test_evaluate_and_export_say_they_use_an_interrupted_runs_best_model(
    killed_run, tmp_path, capsys
):
    assert main(["evaluate", str(killed_run), "--run", "latest"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Note: run ") and "was interrupted after" in out
    assert "using the best model it saved, best.keras" in out
    target = tmp_path / "model.keras"
    assert main(["export", str(killed_run), "--run", "latest", "-o", str(target)]) == 0
    assert "was interrupted after" in capsys.readouterr().out and target.is_file()


def test_evaluate_refuses_an_interrupted_run_without_a_saved_model(killed_run, tmp_path, capsys):
    copy = tmp_path / "digits.llproj"
    shutil.copy(killed_run, copy)
    shutil.copytree(killed_run.parent / "digits_runs", tmp_path / "digits_runs")
    (folder,) = (tmp_path / "digits_runs").iterdir()
    (folder / "best.keras").unlink()
    assert main(["evaluate", str(copy)]) != 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "was interrupted after" in text and "saved no model" in text, text
