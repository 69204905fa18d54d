"""The live training plots on their own (no training): buffers, y-range following, redraw rate."""

from __future__ import annotations

import math

import pytest

from app.ui.training.plot_card import BATCH_KEY, LR_KEY
from app.ui.training.plots import GUI_BUDGET, SLOWEST_REDRAW_MS, TrainingPlots, split_key


@pytest.fixture
def plots(qtbot):
    w = TrainingPlots()
    qtbot.addWidget(w)
    w.resize(1000, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def feed(plots, epochs: int, steps: int, redraw_every: int = 10) -> None:
    """Running-mean batch logs as Keras reports them, a loss falling from about 2.3."""
    plots.reset([])
    plots.set_epochs(epochs)
    n = 0
    for epoch in range(epochs):
        mean = 0.0
        for batch in range(steps):
            loss = 2.3 * math.exp(-(epoch * steps + batch) / 60) + 0.05
            mean = (mean * batch + loss) / (batch + 1)
            plots.add_batch(
                {
                    "epoch": epoch,
                    "batch": batch,
                    "steps_per_epoch": steps,
                    "logs": {"loss": mean},
                    "lr": 1e-3,
                }
            )
            n += 1
            if n % redraw_every == 0:
                plots.redraw()
        plots.add_epoch(
            {"epoch": epoch, "logs": {"loss": mean, "val_loss": mean * 1.2, "learning_rate": 1e-3}}
        )
        plots.redraw()


def test_batch_losses_are_recovered_from_keras_running_means(plots):
    feed(plots, epochs=2, steps=5)
    xs, ys = plots.batches["loss"].data()
    assert len(xs) == 10
    expected = [2.3 * math.exp(-i / 60) + 0.05 for i in range(10)]
    assert ys.tolist() == pytest.approx(expected, rel=1e-9)
    assert xs[4] == pytest.approx(1.0) and xs[9] == pytest.approx(2.0)  # x counts epochs


def test_y_range_follows_the_data_but_moves_seldom(plots):
    feed(plots, epochs=10, steps=45)
    card = plots.cards[BATCH_KEY]
    lo, hi = card.getPlotItem().getViewBox().viewRange()[1]
    ys = plots.batches["loss"].data()[1]
    assert lo <= ys.min() and ys.max() <= hi  # every point is in view
    assert hi - lo < 2 * (ys.max() - ys.min())  # and the view is not much larger than the data
    redraws = plots.redraws
    assert redraws >= 45
    assert 1 <= card.y_changes <= redraws // 4, card.y_changes  # axes move on few redraws
    assert plots.cards["loss"].y_changes <= 6  # ten epochs
    assert not card.getPlotItem().getViewBox().autoRangeEnabled()[1]


def test_a_hand_set_range_stays_until_auto_range_is_asked_for(plots):
    feed(plots, epochs=2, steps=20)
    card = plots.cards[BATCH_KEY]
    vb = card.getPlotItem().getViewBox()
    vb.setYRange(10, 20, padding=0)
    vb.sigRangeChangedManually.emit(vb.state["mouseEnabled"])  # what a pan or zoom emits
    mean = plots._prev_mean  # a batch with the same loss as the running mean
    plots.add_batch({"epoch": 1, "batch": 20, "steps_per_epoch": 20, "logs": {"loss": mean}})
    plots.redraw()
    assert vb.viewRange()[1] == pytest.approx([10, 20])
    vb.enableAutoRange(axis=vb.YAxis)  # the "A" button
    plots.add_batch({"epoch": 1, "batch": 21, "steps_per_epoch": 20, "logs": {"loss": mean}})
    plots.redraw()
    lo, hi = vb.viewRange()[1]
    assert hi < 10 and not vb.autoRangeEnabled()[1]  # followed again, by follow_y


def test_log_scale_refits_the_range(plots):
    feed(plots, epochs=3, steps=20)
    plots.log_y.setChecked(True)
    lo, hi = plots.cards[BATCH_KEY].getPlotItem().getViewBox().viewRange()[1]
    ys = plots.batches["loss"].data()[1]
    assert lo <= math.log10(ys.min()) and math.log10(ys.max()) <= hi
    assert hi < 1.0  # log10 units, not the linear range


def test_epoch_plots_group_by_output():
    outputs = ["digit", "parity"]
    assert split_key("val_digit_accuracy", outputs) == ("digit", "accuracy", True)
    assert split_key("parity_loss", outputs) == ("parity", "loss", False)
    assert split_key("loss", outputs) == ("", "loss", False)
    assert split_key("val_accuracy", ["out"]) == ("", "accuracy", True)


def test_redraws_slow_down_when_the_gui_thread_is_over_its_budget(plots):
    feed(plots, epochs=1, steps=10)
    base = plots.timer.interval()
    clock = {"cpu": 100.0}
    plots._gui_cpu_s = lambda: clock["cpu"]  # the GUI thread's CPU clock, in seconds
    plots.start()

    def tick(cost_s: float, new_batch: bool = True) -> int:
        """One timer tick after the GUI thread spent cost_s since the last one."""
        clock["cpu"] += cost_s
        if new_batch:
            plots.add_batch({"epoch": 0, "batch": 10, "steps_per_epoch": 10, "logs": {"loss": 1.0}})
        plots._on_timer()
        return plots.timer.interval()

    assert tick(0.5) == base  # the first tick of a run has nothing to go by
    assert tick(10 * GUI_BUDGET * base / 1000) == min(SLOWEST_REDRAW_MS, 10 * base)
    slow = plots.timer.interval()
    assert tick(5.0, new_batch=False) == slow  # drew nothing: no new evidence
    assert tick(0.0) == slow  # the tick before drew nothing, so this one says nothing either
    for _ in range(12):
        interval = tick(0.0)  # cheap redraws: back up to the fastest rate
    assert interval == base
    plots.finish()
    plots.start()  # the next run starts at the measured rate, not from scratch
    assert tick(1.0) == base


def test_learning_rate_plot_starts_at_zero(plots):
    feed(plots, epochs=2, steps=10)
    lo, hi = plots.cards[LR_KEY].getPlotItem().getViewBox().viewRange()[1]
    assert lo == pytest.approx(0) and hi == pytest.approx(1e-3 * 1.15)


def test_a_new_run_reuses_the_epoch_plots_of_the_last_one(plots):
    feed(plots, epochs=3, steps=5)
    first = {plots.cards["loss"]}
    curve = plots.cards["loss"].curves["training"]
    plots.overlay_run("earlier", [{"epoch": 1, "loss": 9.0}])
    feed(plots, epochs=2, steps=5)  # same outputs: reset() keeps the epoch plots, emptied
    card = plots.cards["loss"]
    assert card in first  # no widget was built for it
    assert card.curves["training"] is curve  # nor a curve or legend entry
    xs, ys = card.curves["training"].getOriginalDataset()
    assert list(xs) == [1, 2]  # only this run's epochs
    assert "run earlier (train)" in card.curves  # overlays are drawn again on the reused card
    assert card.isVisible()


def test_while_training_the_epoch_plots_update_in_a_later_event_loop_turn(plots, qtbot):
    plots.reset([])
    plots.set_epochs(3)
    plots.start()  # the redraw timer runs: a run is live
    plots.add_batch({"epoch": 0, "batch": 0, "steps_per_epoch": 1, "logs": {"loss": 1.0}})
    plots.add_epoch({"epoch": 0, "logs": {"loss": 1.0, "val_loss": 1.1}})
    with qtbot.waitSignal(plots.redrawn, timeout=2000):
        plots.redraw()
        assert plots.batches["loss"].n == 1 and "loss" not in plots.cards  # batch plot first
    assert plots.cards["loss"].curves["training"].getOriginalDataset()[1].tolist() == [1.0]
    plots.finish()
    assert not plots.timer.isActive()


def test_a_kept_plot_that_the_new_run_does_not_log_goes_after_its_first_epoch(plots):
    feed(plots, epochs=2, steps=5)
    plots.add_epoch({"epoch": 2, "logs": {"accuracy": 0.5}})
    plots.redraw()
    accuracy = plots.cards["accuracy"]
    plots.reset([])  # the next run, same outputs
    assert plots.cards["accuracy"] is accuracy  # shown, empty, while the run starts
    ys = accuracy.curves["training"].getOriginalDataset()[1]
    assert ys is None or len(ys) == 0
    plots.add_epoch({"epoch": 0, "logs": {"loss": 1.0, "val_loss": 1.2}})
    plots.redraw()
    assert "accuracy" not in plots.cards and accuracy.isHidden()  # back among the spares
    assert plots.cards["loss"].curves["validation"].getOriginalDataset()[1].tolist() == [1.2]


def test_new_outputs_start_with_no_epoch_plots(plots):
    feed(plots, epochs=2, steps=5)
    plots.reset(["digit", "parity"])
    assert set(plots.cards) == {BATCH_KEY, LR_KEY}
    plots.reset(["digit", "parity"])
    plots.add_epoch({"epoch": 0, "logs": {"digit_loss": 1.0, "parity_loss": 0.5}})
    plots.redraw()
    plots.reset(["digit", "parity"])
    plots.finish()  # a run that failed before its first epoch: no empty plots left behind
    assert set(plots.cards) == {BATCH_KEY, LR_KEY}


def test_the_batch_card_names_the_loss_it_plots_when_a_step_logs_no_loss(plots):
    """A GAN's step logs d_loss and g_loss: the batch card plots d_loss and says so; the
    next run, which logs "loss", gets its usual title back."""
    card = plots.cards[BATCH_KEY]
    assert card.title == "Loss per batch"
    plots.reset([])
    for batch, (d, g) in enumerate([(0.7, 0.6), (0.5, 0.9)]):
        logs = {"d_loss": d, "g_loss": g}
        plots.add_batch({"epoch": 0, "batch": batch, "steps_per_epoch": 2, "logs": logs})
    plots.redraw()
    assert card.title == "D loss per batch"
    assert card.getPlotItem().titleLabel.text == "D loss per batch"
    assert plots.batches["loss"].data()[1].tolist() == pytest.approx([0.7, 0.3])
    feed(plots, epochs=1, steps=3)
    assert plots.cards[BATCH_KEY].title == "Loss per batch"
