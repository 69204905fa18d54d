"""The learning-rate plot of a run whose training step has its own optimizers (the GAN's two):
one curve per optimizer, named after the step's compile argument, fed by a real tiny run."""

from __future__ import annotations

from pathlib import Path

import pytest
from code_projects import two_optimizer_project
from PySide6.QtCore import Qt

from app.ui.training.plot_card import LR_KEY
from app.ui.training.plots import LR_TITLE, UNKNOWN_LR_TITLE, TrainingPlots

pytest.importorskip("keras")


@pytest.fixture
def plots(qtbot):
    w = TrainingPlots()
    qtbot.addWidget(w)
    w.resize(1000, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def run_dicts(tmp_path, given: bool) -> tuple[list[dict], list[dict]]:
    from app.compiler.custom_code import trust_project_code
    from app.training.headless import RunHooks, train_project

    project = two_optimizer_project(given)
    trust_project_code(project.code)
    batches, epochs = [], []
    hooks = RunHooks(on_batch=batches.append, on_epoch=epochs.append)
    record = train_project(project, out_dir=tmp_path / "runs", hooks=hooks)
    assert record.status == "completed", record.message
    return batches, epochs


def play(plots, batches: list[dict], epochs: list[dict]) -> None:
    """What the panel does with a run's dicts: reset, then batches and epochs, then finish."""
    plots.reset([])
    plots.set_epochs(len(epochs))
    for d in batches:
        plots.add_batch(d)
        if d["batch"] + 1 == d["steps_per_epoch"]:
            plots.add_epoch(epochs[d["epoch"]])
            plots.redraw()
    plots.finish()


def test_each_optimizer_of_the_step_has_its_learning_rate_curve(plots, tmp_path):
    batches, epochs = run_dicts(tmp_path, given=True)
    play(plots, batches, epochs)
    card = plots.cards[LR_KEY]
    assert card.title == LR_TITLE
    assert set(card.curves) == {"a_optimizer", "b_optimizer"}  # no empty "learning rate"
    xs, ys = card.curves["a_optimizer"].getOriginalDataset()
    assert len(xs) >= 2 and ys.tolist() == pytest.approx([0.1] * len(ys))
    xs, ys = card.curves["b_optimizer"].getOriginalDataset()
    read = [d["lrs"]["b_optimizer"] for d in batches]
    assert ys[0] == pytest.approx(read[0]) and ys[-1] == pytest.approx(read[-1])
    assert all(a >= b for a, b in zip(ys, ys[1:])) and ys[0] > 100 * ys[-1]  # it halves
    lo, hi = card.getPlotItem().getViewBox().viewRange()[1]
    assert lo == pytest.approx(0) and hi == pytest.approx(0.1 * 1.15)  # both rates in view
    # A plain run next: its one rate, and no curve left of the step's optimizers.
    plots.reset([])
    plots.add_batch({"epoch": 0, "batch": 0, "steps_per_epoch": 1, "logs": {"loss": 1.0},
                     "lr": 1e-3})  # fmt: skip
    plots.redraw()
    assert set(card.curves) == {"learning rate"}
    assert card.curves["learning rate"].getOriginalDataset()[1].tolist() == [1e-3]


def test_a_step_that_makes_its_own_optimizers_says_their_rate_is_not_known(plots, tmp_path):
    batches, epochs = run_dicts(tmp_path, given=False)
    play(plots, batches, epochs)
    card = plots.cards[LR_KEY]
    assert card.title == UNKNOWN_LR_TITLE and not card.curves
    plots.reset([])
    assert card.title == LR_TITLE and set(card.curves) == {"learning rate"}


def test_a_finished_step_run_shown_from_the_runs_table_has_each_optimizers_rate(
    qtbot, isolated_settings, tmp_path
):
    """The run's history keeps the rates: its row in the Runs table, overlaid in the plots,
    draws one learning-rate curve per optimizer; the table lists them as no metric."""
    from app.project.runs import read_history
    from app.ui.training.panel import TrainingPanel

    run_dicts(tmp_path, given=True)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(1300, 760)
    panel.show()
    qtbot.waitExposed(panel)
    panel.runs.refresh(tmp_path / "runs")
    table = panel.runs.table
    assert table.topLevelItemCount() == 1
    row = table.topLevelItem(0)
    assert "a_loss" in row.text(4) and "learning_rate" not in row.text(4)
    assert "learning_rate" not in row.toolTip(4)
    table.setCurrentItem(row)
    qtbot.mouseClick(panel.runs.overlay_btn, Qt.MouseButton.LeftButton)
    assert panel.tabs.currentWidget() is panel.plots
    (path,) = row.data(0, Qt.ItemDataRole.UserRole)
    name = Path(path).name.split("_")[-1]
    card = panel.plots.cards[LR_KEY]
    assert set(card.curves) >= {f"run {name} (a_optimizer)", f"run {name} (b_optimizer)"}
    assert f"run {name}" not in card.curves  # no rate of the model's unused optimizer
    rows = read_history(path)
    for opt in ("a_optimizer", "b_optimizer"):
        xs, ys = card.curves[f"run {name} ({opt})"].getOriginalDataset()
        assert xs.tolist() == [1.0, 2.0, 3.0]
        assert ys.tolist() == pytest.approx([r[f"learning_rate/{opt}"] for r in rows])
    assert ys[0] > ys[-1]  # b_optimizer's rate halves with each step
    titles = [c.title for c in panel.plots.cards.values()]
    assert not [t for t in titles if "optimizer" in t]  # no metric card of a rate
