"""GUI-thread cost of the live training plots, without training: what each redraw costs.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_live_plots.py [--epoch-ms 150] [--tick-ms 250]

A shown TrainingPlots widget (the one the training panel uses) is fed synthetic batch and epoch
dicts at the pace of the digits MLP (45 batches in an epoch of about 150 ms, redraws every
250 ms) and every redraw tick is timed with the GUI thread's CPU clock: redraw + the paint events it causes. On 2 cores this
is the figure that decides training throughput, because PySide6 holds the GIL while Qt paints,
and the training thread needs the GIL between its TensorFlow calls. Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402

import app.ui  # noqa: E402,F401  (Qt work-arounds first)


def batch_dict(epoch: int, batch: int, steps: int, mean: float) -> dict:
    return {
        "epoch": epoch,
        "batch": batch,
        "step": epoch * steps + batch + 1,
        "steps_per_epoch": steps,
        "logs": {"loss": mean, "accuracy": 1 - mean / 3},
        "lr": 1e-3,
        "samples_per_s": 9000.0,
        "eta_s": 1.0,
    }


def epoch_dict(epoch: int, epochs: int, loss: float) -> dict:
    return {
        "epoch": epoch,
        "epochs": epochs,
        "lr": 1e-3,
        "duration_s": 0.1,
        "logs": {
            "loss": loss,
            "accuracy": 1 - loss / 3,
            "val_loss": loss * 1.1,
            "val_accuracy": 1 - loss / 2.8,
            "learning_rate": 1e-3,
        },
    }


def run(plots, qapp, epochs: int, steps: int, per_tick: int) -> list[float]:
    """Feed one run; the GUI thread's CPU ms of every redraw tick (redraw + paint)."""
    plots.reset([])
    plots.set_epochs(epochs)
    qapp.processEvents()
    ticks: list[float] = []
    fed = 0
    for epoch in range(epochs):
        running = 0.0
        for batch in range(steps):
            loss = 2.3 * math.exp(-(epoch * steps + batch) / (steps * epochs / 4)) + 0.05
            loss *= 1 + 0.3 * math.sin(batch * 12.9898)  # batch-to-batch noise
            running = (running * batch + loss) / (batch + 1)
            plots.add_batch(batch_dict(epoch, batch, steps, running))
            if batch == steps - 1:
                plots.add_epoch(epoch_dict(epoch, epochs, running))
            fed += 1
            if fed % per_tick == 0:
                start = time.thread_time()
                plots.redraw()
                qapp.processEvents()  # the paint events the redraw posted
                ticks.append((time.thread_time() - start) * 1000)
    plots.finish()
    qapp.processEvents()
    return ticks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--steps", type=int, default=45, help="batches per epoch (digits MLP: 45)")
    ap.add_argument("--epoch-ms", type=float, default=150.0, help="duration of one epoch")
    ap.add_argument("--tick-ms", type=float, default=250.0, help="time between redraws")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    qapp = QApplication.instance() or QApplication([])
    from app.ui.training.plots import TrainingPlots

    plots = TrainingPlots()
    plots.resize(1400, 700)
    plots.show()
    qapp.processEvents()
    per_tick = max(1, round(args.steps * args.tick_ms / args.epoch_ms))
    run(plots, qapp, 4, args.steps, per_tick)  # warm-up: spare cards, first paints
    all_ticks: list[float] = []
    for r in range(args.rounds):
        ticks = run(plots, qapp, args.epochs, args.steps, per_tick)
        all_ticks += ticks[2:]  # the first epoch creates the epoch plots
        print(
            f"round {r + 1}: {len(ticks)} redraws, median {statistics.median(ticks):.1f} ms, "
            f"max {max(ticks):.1f} ms of GUI-thread CPU per redraw"
        )
    mean = statistics.fmean(all_ticks)
    print(
        f"GUI-thread CPU per redraw: mean {mean:.1f} ms, median "
        f"{statistics.median(all_ticks):.1f} ms, 90th percentile "
        f"{statistics.quantiles(all_ticks, n=10)[-1]:.1f} ms, max {max(all_ticks):.1f} ms"
    )
    print(
        f"share of the GUI thread at one redraw every {args.tick_ms:.0f} ms: "
        f"{mean / args.tick_ms * 100:.1f}%"
    )
    plots.close()


if __name__ == "__main__":
    main()
