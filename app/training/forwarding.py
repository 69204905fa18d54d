"""ForwardingCallback: hands fit's progress to plain-dict listeners and obeys a RunControl.

fit() resets model.stop_training when it starts, so Stop cannot be a flag set before fit: it is
the RunControl's threading.Event, which this callback checks around every batch.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import keras

from app.compiler.metric_goals import rises
from app.project.runs import LR_COLUMN, step_rate_column

if TYPE_CHECKING:
    from app.training.trainer import Trainer


class ForwardingCallback(keras.callbacks.Callback):
    """Forwards per-batch / per-epoch logs as plain dicts; honours stop, pause and NaN losses.

    Stop is checked before and after every batch; pause blocks before the next batch until
    resumed or stopped. An epoch that Stop cuts short (some of its training batches, or its
    validation, not run) is no epoch: Keras still ends it with `on_epoch_end`, with the means
    of the batches it ran, but it is not added to the history, the plots or the record, and
    the best-model checkpoint does not judge it (`cut`).
    """

    def __init__(self, trainer: Trainer):
        super().__init__()
        self.t = trainer
        self.control = trainer.control
        # Bound once: these run around every batch, where an attribute chain costs.
        self._stopped = trainer.control._stop.is_set
        self._running = trainer.control._resume.is_set
        self.epoch = 0
        self.cut = False  # Stop cut the current epoch short
        self.steps = 0
        self.global_step = 0
        self.batch_size = trainer.config.batch_size
        self.epoch_start = 0.0
        self.lr = float("nan")
        self.lrs: dict[str, float] | None = None  # a step's own optimizers' rates, by name
        self.lr_every = 1
        self.rate = 0.0

    # -- helpers -----------------------------------------------------------------------------
    def _own_optimizers(self) -> bool:
        """True for a training step with its own compile: it keeps its own optimizers (the
        GAN's two), so the model's optimizer says nothing of the rate they train with."""
        step = getattr(self.t, "step", None)
        return step is not None and step.own_compile

    def _read_lr(self) -> float:
        if self._own_optimizers():
            return float("nan")
        return _rate(self.model.optimizer)

    def _read_lrs(self) -> dict[str, float] | None:
        """The rate of each optimizer a step with its own compile was given, named after its
        compile argument ({} if it was given none); None for a model Keras compiles."""
        if not self._own_optimizers():
            return None
        return {name: _rate(opt) for name, opt in self.t.step.optimizers.items()}

    def _reads_often(self) -> bool:
        """True when a rate moves within an epoch (a schedule), so batches re-read it."""
        if self.t.config.lr_schedule and not self._own_optimizers():
            return True
        opts = self.t.step.optimizers.values() if self._own_optimizers() else ()
        return any(_scheduled(opt) for opt in opts)

    def _check_stop(self) -> None:
        if self._stopped():
            self.model.stop_training = True

    # -- keras hooks -------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self.steps = int(self.params.get("steps") or 0)
        self.lr_every = 10 if self._reads_often() else 0  # schedules move every step
        self.t._emit_event(
            "started",
            epochs=self.t.epochs,
            steps_per_epoch=self.steps,
            samples=self.t.dataset.num_samples,
        )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.cut = False
        self.epoch_start = time.perf_counter()
        self.lr = self._read_lr()
        self.lrs = self._read_lrs()
        self._check_stop()

    def on_train_batch_begin(self, batch, logs=None):
        if not self._running():
            self.t._emit_event("paused", epoch=self.epoch, batch=batch)
            self.control.wait_while_paused()
            if not self._stopped():
                self.t._emit_event("resumed", epoch=self.epoch, batch=batch)
            self.epoch_start = time.perf_counter() - (batch / self.rate if self.rate else 0.0)
        self._check_stop()

    def on_train_batch_end(self, batch, logs=None):
        if self._stopped():
            self.model.stop_training = True
            if not self.steps or batch + 1 < self.steps:  # fit leaves the epoch here
                self.cut = True
        self.global_step += 1
        losses = [v for k, v in (logs or {}).items() if k == "loss" or k.endswith("_loss")]
        if any(not math.isfinite(v) for v in losses if _is_number(v)):
            self.t.nan_at = (self.epoch, batch)
            self.model.stop_training = True
        if self.t.on_batch is None:
            return
        if self.lr_every and batch % self.lr_every == 0:
            self.lr = self._read_lr()
            self.lrs = self._read_lrs()
        done = batch + 1
        elapsed = time.perf_counter() - self.epoch_start
        self.rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.steps - done) + self.steps * (self.t.epochs - 1 - self.epoch)
        d = {
            "epoch": self.epoch,
            "batch": batch,
            "step": self.global_step,
            "steps_per_epoch": self.steps,
            "logs": dict(logs or {}),
            "lr": self.lr,
            "samples_per_s": self.rate * self.batch_size,
            "eta_s": left / self.rate if self.rate else float("nan"),
        }
        if self.lrs is not None:
            d["lrs"] = dict(self.lrs)
        self.t.on_batch(d)

    def on_test_batch_end(self, batch, logs=None):
        if self._stopped():
            self.model.stop_evaluating = True
            self.cut = True  # the validation metrics would be those of a few batches

    def on_epoch_end(self, epoch, logs=None):
        if self.cut:
            return
        logs = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        if epoch == 0:  # ask Keras each key's direction here, so the GUI thread's plots need not
            for key in logs:
                rises(key)
        lr = self._read_lr()
        lrs = self._read_lrs()
        if lrs is None:
            logs.setdefault(LR_COLUMN, lr)
        row = {"epoch": epoch + 1, **logs}
        # A step's own optimizers: each one's rate in the history too (not in `logs`: the
        # epoch dict carries them as `lrs`), so a finished run shows them as the live plot did.
        row.update({step_rate_column(n): v for n, v in (lrs or {}).items() if math.isfinite(v)})
        self.t.history.append(row)
        try:  # the history file grows as training goes, so a crash keeps finished epochs
            self.t.history_file.add(self.t.history)
        except OSError as exc:
            self.t._emit_event("warning", message=f"The history file could not be written: {exc}")
        elapsed = time.perf_counter() - self.epoch_start
        if self.t.on_epoch is not None:
            d = {
                "epoch": epoch,
                "epochs": self.t.epochs,
                "logs": logs,
                "lr": lr,
                "duration_s": elapsed,
                "samples_per_s": self.t.dataset.num_samples / elapsed if elapsed else 0.0,
            }
            if lrs is not None:
                d["lrs"] = lrs
            self.t.on_epoch(d)
        self._check_stop()


def _rate(optimizer: Any) -> float:
    """An optimizer's current learning rate (a schedule's at its step); NaN if unreadable."""
    try:
        lr = optimizer.learning_rate
        return float(lr.numpy() if hasattr(lr, "numpy") else lr)
    except Exception:  # an optimizer without a readable rate: keep the plots going
        return float("nan")


def _scheduled(optimizer: Any) -> bool:
    """True if the optimizer's rate is a LearningRateSchedule (it moves every step)."""
    try:
        return isinstance(optimizer.get_config().get("learning_rate"), dict)
    except Exception:  # a custom optimizer whose config cannot be read: read it often
        return True


def _is_number(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False
