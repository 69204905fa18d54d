"""What the training panel says about the run: the progress bar, the stats line and the banner."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

BANNER_STYLE = {
    "error": "background:#fde8e8;color:#8a1c1c;border:1px solid #f3b4b4;",
    "warning": "background:#fff6dd;color:#7a5300;border:1px solid #f0d68a;",
    "info": "background:#e8f1fd;color:#1c3f8a;border:1px solid #b4cdf3;",
}


def eta_text(seconds: float) -> str:
    """Time left as people read it: "—", "<1 s", "42 s", "3.5 min", "1.2 h"."""
    if not math.isfinite(seconds):
        return "—"
    if seconds < 1:
        return "<1 s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class RunBanner(QLabel):
    """A selectable message above the settings: an error, a warning or information."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)

    def show_message(self, text: str, kind: str = "info") -> None:
        self.setText(text)
        self.setStyleSheet(f"QLabel{{{BANNER_STYLE[kind]}border-radius:4px;padding:6px;}}")
        self.setVisible(bool(text))


class RunProgress:
    """The progress bar and stats line of a run, and the newest batch they show.

    Both widgets belong to the panel's top row; `last_batch` is the newest batch taken from the
    worker, `epochs` and `steps` the length of the running training.
    """

    def __init__(self, parent: QWidget) -> None:
        self.bar = QProgressBar(parent)
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat("")
        self.bar.setMinimumWidth(180)
        self.stats = QLabel("Ready", parent)
        # Its text changes several times a second: a fixed size in both directions keeps each
        # change from re-laying out (and repainting) the panel.
        self.stats.setFixedSize(330, self.stats.sizeHint().height())
        self.epochs = 0
        self.steps = 0  # batches per epoch of the running training
        self.last_batch: dict | None = None
        self.shown_batch: dict | None = None

    def clear(self) -> None:
        """Empty bar, "Ready": what a project nobody has trained yet shows."""
        self.last_batch = self.shown_batch = None
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat("")
        self.set_stats("Ready")

    def preparing(self, epochs: int) -> None:
        """A run of `epochs` epochs is about to start."""
        self.epochs = epochs
        self.last_batch = None
        # Not an indeterminate bar: its animation repaints the panel 30 times a second, and
        # the GUI thread would compete for the GIL with the model being built.
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.show_message("Preparing…")

    def show_message(self, text: str) -> None:
        """The same words in the bar and the stats line (while the run prepares)."""
        self.bar.setFormat(text)
        self.set_stats(text)

    def started(self, epochs: int, steps: int) -> None:
        """Training begins: `epochs` epochs of `steps` batches (0 when unknown)."""
        self.epochs = epochs
        self.steps = steps
        self.bar.setRange(0, max(1, epochs * max(steps, 1)))
        self.bar.setValue(0)
        self.bar.setFormat(self.epoch_text(0))

    def show_newest(self, paused: bool) -> None:
        """Bar and stats line from the newest batch (on the redraw timer).

        The bar's own text changes once per epoch and its value only when the last batch moved:
        every change of a QProgressBar repaints it at once, on the GUI thread."""
        d = self.last_batch
        if d is None or d is self.shown_batch:
            return
        self.shown_batch = d
        steps = d.get("steps_per_epoch") or 0
        text = self.epoch_text(d["epoch"])
        if self.bar.format() != text:
            self.bar.setFormat(text)
        self.bar.setValue(d["epoch"] * steps + d["batch"] + 1)
        if paused:
            return
        eta = d.get("eta_s", math.nan)
        logs = d.get("logs", {})
        # A training step's own losses (the GAN's d_loss, g_loss) when it logs no "loss".
        keys = ["loss"] if "loss" in logs else [k for k in logs if k.endswith("loss")][:2]
        losses = " · ".join(f"{k} {logs[k]:.4f}" for k in keys) or "loss nan"
        self.set_stats(
            f"batch {d['batch'] + 1}/{steps} · {d.get('samples_per_s', 0):,.0f} "
            f"samples/s · ETA {eta_text(eta)} · {losses}"
        )

    def show_paused(self, epoch: int, batch: int) -> None:
        """Bar and stats where training holds: in `epoch` (0-based), before its `batch`.

        A pause between epochs holds before the next epoch's first batch, while the newest
        batch shown is the previous epoch's last: the bar moves on to the held epoch too. The
        caller drains the batches finished before the pause first, so a later redraw tick
        cannot put the bar back on an older batch."""
        self.shown_batch = self.last_batch
        self.bar.setFormat(self.epoch_text(epoch))
        self.bar.setValue(epoch * self.steps + batch)
        of_steps = f"/{self.steps}" if self.steps else ""
        self.set_stats(
            f"Paused in epoch {epoch + 1}/{self.epochs}, before batch {batch + 1}{of_steps}"
        )

    def show_result(self, status: str, record: dict) -> None:
        """How the run ended ("completed", "stopped" or failed) and, when done, its best."""
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if status == "completed" else 0)
        if status == "completed":
            self.bar.setFormat("Done")
            best = best_text(record)
            self.set_stats(
                f"Completed in {record.get('duration_s', 0):.1f} s"
                + (f" · best {best}" if best else "")
            )
        elif status == "stopped":
            self.bar.setFormat("Stopped")
            if not record:
                self.set_stats("Stopped")
                return
            n = int(record.get("epochs_done", 0))
            best = best_text(record)
            self.set_stats(
                f"Stopped after {n} epoch{'' if n == 1 else 's'}"
                + (f" · best {best}" if best else "")
                + " — the model trained so far is kept"
            )
        else:
            self.bar.setFormat("Failed")
            self.set_stats("Failed")

    def epoch_text(self, epoch: int) -> str:
        """ "Epoch 7/20" for the 0-based `epoch` being trained: the one numbering the bar, the
        stats line and the pause message share."""
        return f"Epoch {epoch + 1}/{self.epochs}"

    def set_stats(self, text: str) -> None:
        """The stats line, elided to its fixed width (the whole text in the tooltip)."""
        metrics = self.stats.fontMetrics()
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, self.stats.width())
        self.stats.setText(shown)
        self.stats.setToolTip(text if shown != text else "")


def best_text(record: dict) -> str:
    """ "val_accuracy 0.9721": the run's best validation accuracy, else its best validation
    loss, else its best loss ("" when it finished no epoch)."""
    best = {k: v for k, v in record.get("best_metrics", {}).items() if k != "best_epoch"}
    key = next((k for k in best if k.startswith("val_") and "acc" in k), None)
    if key is None:
        key = next((k for k in ("val_loss", "loss") if k in best), None)
    return f"{key} {best[key]:.4f}" if key is not None else ""
