"""The learning rates of a training step's own optimizers (the GAN's two), as a run reports
them: each read from the very optimizer the step trains with, named after its compile argument."""

from __future__ import annotations

import dataclasses
import io
import math

import pytest
from code_projects import two_optimizer_project

from app.cli_training import _print_group_summary, _print_run
from app.compiler.custom_code import trust_project_code
from app.project.runs import read_history
from app.training.headless import RunHooks, train_project


def _run(tmp_path, given: bool):
    project = two_optimizer_project(given)
    trust_project_code(project.code)
    batches, epochs = [], []
    hooks = RunHooks(on_batch=batches.append, on_epoch=epochs.append)
    record = train_project(project, out_dir=tmp_path / "runs", hooks=hooks)
    assert record.status == "completed", record.message
    return batches, epochs, hooks


def test_each_optimizer_of_a_step_reports_its_own_rate(tmp_path):
    batches, epochs, hooks = _run(tmp_path, given=True)
    assert len(batches) == 12  # 3 epochs of 4 batches
    for d in batches:
        assert set(d["lrs"]) == {"a_optimizer", "b_optimizer"}
        assert d["lrs"]["a_optimizer"] == pytest.approx(0.1)
        assert math.isnan(d["lr"])  # the model's own optimizer trains nothing here
    # b_optimizer's rate halves with each of its steps: read at the end of each epoch's first
    # batch (a schedule is read every 10 batches), after 4 * epoch + 1 steps.
    firsts = [d["lrs"]["b_optimizer"] for d in batches if d["batch"] == 0]
    assert firsts == pytest.approx([0.01 * 0.5 ** (4 * e + 1) for e in range(3)], rel=1e-5)
    # Each epoch ends with the rate after its 4 steps.
    ends = [d["lrs"]["b_optimizer"] for d in epochs]
    assert ends == pytest.approx([0.01 * 0.5 ** (4 * (e + 1)) for e in range(3)], rel=1e-5)
    # The history keeps each optimizer's rate at each epoch's end, under its own column (and
    # no "learning_rate" of the model's optimizer, which trains nothing), also in history.csv.
    assert {k for row in hooks.history for k in row} == {
        "epoch", "a_loss", "b_loss", "learning_rate/a_optimizer", "learning_rate/b_optimizer"
    }  # fmt: skip
    for rows in (hooks.history, read_history(hooks.record.path)):
        assert [r["learning_rate/a_optimizer"] for r in rows] == pytest.approx([0.1] * 3)
        assert [r["learning_rate/b_optimizer"] for r in rows] == pytest.approx(ends, rel=1e-5)
    # They are rates, not metrics: no best value of them, and the CLI prints none.
    assert set(hooks.record.best_metrics) == {"a_loss", "b_loss"}
    out = io.StringIO()
    _print_run(hooks.record, out)
    _print_group_summary([_as_fold(hooks.record)], out)
    assert "learning_rate" not in out.getvalue() and "final a_loss" in out.getvalue()


def _as_fold(record):
    """The record as the one completed fold of a k-fold group (what the CLI sums up)."""
    return dataclasses.replace(record, group="g", fold=0, folds=1)


def test_a_step_that_makes_its_own_optimizers_reports_no_rate(tmp_path):
    batches, epochs, hooks = _run(tmp_path, given=False)
    assert batches and all(d["lrs"] == {} for d in batches + epochs)
    assert {k for row in hooks.history for k in row} == {"epoch", "a_loss", "b_loss"}
