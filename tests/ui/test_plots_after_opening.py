"""The live plots after another project is opened: no range of the last project's run stays."""

from __future__ import annotations

import math

import pytest

from app.project.examples import example_path
from app.ui.training.plot_card import BATCH_KEY, LR_KEY


@pytest.fixture
def panel(qtbot, isolated_settings):
    from app.ui.document import Document
    from app.ui.training.panel import TrainingPanel

    p = TrainingPanel()
    qtbot.addWidget(p)
    p.set_document(Document.open_project(example_path("digits_mlp"), origin="example"))
    p.resize(1300, 760)
    p.show()
    qtbot.waitExposed(p)
    return p


def run_rows(plots, epochs: int, steps: int, scale: float, lr: float) -> None:
    """A run's dicts as the worker hands them over: Keras' running-mean batch losses about
    `scale` (from 2 x scale down towards scale), then each epoch's logs."""
    plots.reset(plots.outputs)
    plots.set_epochs(epochs)
    for epoch in range(epochs):
        mean = 0.0
        for batch in range(steps):
            loss = scale * (1 + math.exp(-(epoch * steps + batch) / 20))
            mean = (mean * batch + loss) / (batch + 1)
            plots.add_batch(
                {
                    "epoch": epoch,
                    "batch": batch,
                    "steps_per_epoch": steps,
                    "logs": {"loss": mean},
                    "lr": lr,
                }
            )
        plots.add_epoch({"epoch": epoch, "logs": {"loss": mean, "learning_rate": lr}})
        plots.redraw()
    plots.finish()


def pan_by_hand(card, lo: float, hi: float) -> None:
    vb = card.getPlotItem().getViewBox()
    vb.setYRange(lo, hi, padding=0)
    vb.sigRangeChangedManually.emit(vb.state["mouseEnabled"])  # what a pan or zoom emits


def view(card) -> tuple[tuple[float, float], tuple[float, float]]:
    (x0, x1), (y0, y1) = card.getPlotItem().getViewBox().viewRange()
    return (x0, x1), (y0, y1)


def in_view(card, curve: str) -> bool:
    xs, ys = card.curves[curve].getOriginalDataset()
    (x0, x1), (y0, y1) = view(card)
    assert len(xs)
    return x0 <= xs.min() and xs.max() <= x1 and y0 <= ys.min() and ys.max() <= y1


def open_other(panel, name: str = "digits_cnn") -> None:
    from app.ui.document import Document

    panel.set_document(Document.open_project(example_path(name), origin="example"))


def test_the_next_projects_run_is_drawn_in_its_own_ranges(panel):
    plots = panel.plots
    run_rows(plots, epochs=20, steps=10, scale=2.0, lr=1e-3)
    for key in (BATCH_KEY, LR_KEY, "loss"):  # the user looked closer at the first project's run
        pan_by_hand(plots.cards[key], 1.0, 3.0)
    open_other(panel)
    run_rows(plots, epochs=3, steps=10, scale=500.0, lr=0.1)
    batch, lr = plots.cards[BATCH_KEY], plots.cards[LR_KEY]
    assert in_view(batch, "batch loss") and in_view(batch, "smoothed")
    (x0, x1), (y0, y1) = view(batch)
    assert x1 < 4 and y1 < 1.5 * 1000  # this run's epochs and losses fill the plot
    assert in_view(lr, "learning rate")
    assert view(lr)[1][1] == pytest.approx(0.1 * 1.15)
    assert in_view(plots.cards["loss"], "training")


def test_runs_plotted_after_opening_another_project_are_in_view(panel, qtbot):
    plots = panel.plots
    run_rows(plots, epochs=20, steps=10, scale=2.0, lr=1e-3)
    open_other(panel, "kfold_diabetes")
    rows = [
        {"epoch": float(e + 1), "loss": 5000.0 - 10 * e, "learning_rate": 0.05} for e in range(50)
    ]
    plots.overlay_run("earlier", rows)
    qtbot.wait(50)  # pyqtgraph fits an auto range in the next event-loop turn
    lr = plots.cards[LR_KEY]
    assert in_view(lr, "run earlier")  # all 50 epochs, not the first project's 20
    assert in_view(plots.cards["loss"], "run earlier (train)")
