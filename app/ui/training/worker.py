"""TrainingWorker: runs app.training.headless.train_project on a QThread; only plain dicts cross
to the GUI.

The worker never touches widgets. train_project's hooks (called on the training thread) queue
batch and epoch dicts for the GUI's redraw timer and emit events as queued signals.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.errors import LayerLoomError
from app.keras_internals import before_keras_use

if TYPE_CHECKING:
    from app.project import Project


class TrainingWorker(QObject):
    """Trains a project snapshot through train_project (the CLI's path) on its own thread.

    Per-batch dicts (epoch, batch, step, logs, lr, samples_per_s, eta_s) and per-epoch dicts
    wait in `take_batches()` / `take_epochs()`, which the GUI drains on its redraw timer: a
    fast model's batches and epochs never wake the GUI thread (each wake-up is a GIL hand-over
    that the training thread pays for). The `epoch` signal is still emitted for other listeners.

    Signals (delivered queued on the GUI thread):
        epoch(dict): per-epoch logs.
        event(dict): preparing / checked / started / paused / resumed / warning / nan / finished.
        done(dict): {"status", "message", "record", "records", "error_kind"} once, at the very
            end; "record" is the last run's, "records" every run's (the folds of a k-fold run).
    """

    epoch = Signal(object)
    event = Signal(object)
    done = Signal(object)

    def __init__(self, project: Project, runs_dir: str | Path, epochs: int | None = None) -> None:
        """`project` must be a private copy (headless.training_snapshot): the thread reads it."""
        from app.training.headless import RunHooks

        super().__init__()
        self.project: Project | None = project
        self.runs_dir = Path(runs_dir)
        self.epochs = epochs
        self.hooks = RunHooks(
            on_batch=self._on_batch, on_epoch=self._on_epoch, on_event=self._on_event
        )
        self.model: Any = None  # the trained model, kept until the panel takes it
        self.history: list[dict] = []
        self._lock = threading.Lock()
        self._pending: list[dict] = []
        self._pending_epochs: list[dict] = []

    # -- batches (training thread -> GUI thread) ------------------------------------------------
    def _on_batch(self, d: dict) -> None:
        # No signal per batch: the GUI drains these on its redraw timer, so a fast model's
        # hundreds of batches a second never wake the GUI thread (which would compete for the GIL).
        with self._lock:
            self._pending.append(d)

    def _on_epoch(self, d: dict) -> None:
        with self._lock:
            self._pending_epochs.append(d)
        self.epoch.emit(d)

    def _on_event(self, d: dict) -> None:
        if d.get("kind") == "fold":  # in both queues, where the next fold's values begin
            with self._lock:
                self._pending.append(d)
                self._pending_epochs.append(d)
        self.event.emit(d)

    def take_progress(self) -> tuple[list[dict], list[dict]]:
        """(batch dicts, epoch dicts) that arrived since the last call, taken together (GUI
        thread); a k-fold run's {"kind": "fold"} dict stands in both where a fold begins."""
        with self._lock:
            out = self._pending, self._pending_epochs
            self._pending, self._pending_epochs = [], []
        return out

    def take_epochs(self) -> list[dict]:
        """The epoch dicts that arrived since the last call (GUI thread)."""
        with self._lock:
            out, self._pending_epochs = self._pending_epochs, []
        return out

    def take_batches(self) -> list[dict]:
        """The batch dicts that arrived since the last call (GUI thread)."""
        with self._lock:
            out, self._pending = self._pending, []
        return out

    # -- control (GUI thread) ----------------------------------------------------------------
    def stop(self) -> None:
        """Stop within one batch (or before training starts)."""
        self.hooks.control.stop()

    def pause(self) -> None:
        self.hooks.control.pause()

    def resume(self) -> None:
        self.hooks.control.resume()

    # -- the run (worker thread) ---------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        """Build, load, check, train; always ends with exactly one `done` signal."""
        before_keras_use()  # one import of TensorFlow at a time, whichever thread comes first
        from app.training.control import RunStopped
        from app.training.headless import train_project

        hooks = self.hooks
        try:
            rec = train_project(self.project, self.epochs, self.runs_dir, hooks=hooks)
            result = {
                "status": rec.status,
                "message": rec.message,
                "record": rec.to_dict(),
                "error_kind": "nan" if hooks.nan_at is not None else "",
            }
        except RunStopped as exc:
            result = {"status": "stopped", "message": exc.message, "record": None}
        except LayerLoomError as exc:
            result = self._failed(exc.message or str(exc), exc)
        except Exception as exc:  # never let an exception kill the thread silently
            result = self._failed(f"Training failed: {exc}", exc)
        result["records"] = [r.to_dict() for r in hooks.records]
        self.model, hooks.model = hooks.model, None
        self.history = hooks.history
        self.project = None  # the run's copy is no longer needed
        self.done.emit(result)

    def _failed(self, message: str, exc: BaseException) -> dict:
        rec = self.hooks.record
        return {
            "status": "failed",
            "message": message,
            "error_kind": type(exc).__name__,
            "record": rec.to_dict() if rec is not None else None,
        }


class TrainingThread(QThread):
    """The QThread a TrainingWorker lives on; quits when the worker is done."""

    def __init__(self, worker: TrainingWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LayerLoomTraining")
        self.worker = worker
        worker.moveToThread(self)
        self.started.connect(worker.run)
        worker.done.connect(lambda _r: self.quit())
