"""TrainingWorker: runs app.training.Trainer on a QThread; only plain dicts cross to the GUI.

The worker never touches widgets. The Trainer's callbacks (called on the training thread) emit
queued signals; the GUI thread appends the values to numpy buffers and redraws on a timer.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.errors import LayerLoomError


class TrainingWorker(QObject):
    """Builds the model, loads and checks the data, then trains — all on its own thread.

    Per-batch dicts (epoch, batch, step, logs, lr, samples_per_s, eta_s) and per-epoch dicts
    wait in `take_batches()` / `take_epochs()`, which the GUI drains on its redraw timer: a
    fast model's batches and epochs never wake the GUI thread (each wake-up is a GIL hand-over
    that the training thread pays for). The `epoch` signal is still emitted for other listeners.

    Signals (delivered queued on the GUI thread):
        epoch(dict): per-epoch logs.
        event(dict): started / paused / resumed / warning / nan / preparing / checked.
        done(dict): {"status", "message", "record", "error_kind"} once, at the very end.
    """

    epoch = Signal(object)
    event = Signal(object)
    done = Signal(object)

    def __init__(
        self,
        graph: Any,
        data: dict,
        training: dict,
        runs_dir: str | Path,
        epochs: int | None = None,
    ) -> None:
        """`graph` must be a private copy (ModelGraph.copy()): the worker thread reads it."""
        super().__init__()
        self.graph = graph
        self.data = dict(data)
        self.training = dict(training)
        self.runs_dir = Path(runs_dir)
        self.epochs = epochs
        self.trainer: Any = None
        self.model: Any = None  # the trained model, kept until the panel takes it
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._paused = False
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
        self._stop.set()
        with self._lock:
            if self.trainer is not None:
                self.trainer.stop()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self.trainer is not None:
                self.trainer.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self.trainer is not None:
                self.trainer.resume()

    # -- the run (worker thread) ---------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        """Build, load, check, train; always ends with exactly one `done` signal."""
        try:
            result = self._run()
        except LayerLoomError as exc:
            result = {
                "status": "failed",
                "message": exc.message or str(exc),
                "error_kind": type(exc).__name__,
                "record": self._record(),
            }
        except Exception as exc:  # never let an exception kill the thread silently
            result = {
                "status": "failed",
                "message": f"Training failed: {exc}",
                "error_kind": type(exc).__name__,
                "record": self._record(),
            }
        with self._lock:
            if self.trainer is not None:
                model = self.trainer.model
                self.model = model if hasattr(model, "fit") else None  # not the factory
                self.trainer.model = None
                self.trainer.dataset = None
            self.trainer = None
        self.graph = None  # the run's graph copy is no longer needed
        self.done.emit(result)

    def _record(self) -> dict | None:
        rec = getattr(self.trainer, "record", None)
        return rec.to_dict() if rec is not None else None

    def _run(self) -> dict:
        from app.compiler import build_model
        from app.data import DataConfig, check_compatibility, load_dataset
        from app.data.dataset import DataError
        from app.model import graph_to_dict
        from app.training.compile import compile_model
        from app.training.config import TrainingConfig
        from app.training.trainer import Trainer

        self.event.emit({"kind": "preparing", "message": "Building the model…"})
        graph = self.graph
        data_cfg = DataConfig.from_dict(self.data)
        config = TrainingConfig.from_dict(self.training)
        probe = build_model(graph)
        if self._stop.is_set():
            return {
                "status": "stopped",
                "message": "Stopped before training started.",
                "record": None,
            }
        self.event.emit({"kind": "preparing", "message": "Loading the data…"})
        dataset = load_dataset(data_cfg, probe)
        # Compile a probe so the checks see the losses training would use (sparse vs one-hot).
        losses = compile_model(probe, config, dataset, data_cfg.output_map)
        problems = config.problems() + check_compatibility(
            probe, dataset, data_cfg.input_map, data_cfg.output_map, losses=losses
        )
        del probe
        if problems:
            raise DataError("The data does not fit the model: " + " ".join(problems))
        self.event.emit(
            {
                "kind": "checked",
                "samples": dataset.num_samples,
                "val_samples": dataset.num_val_samples,
                "title": dataset.title,
            }
        )
        if self._stop.is_set():
            return {
                "status": "stopped",
                "message": "Stopped before training started.",
                "record": None,
            }
        trainer = Trainer(
            lambda: build_model(graph),
            dataset,
            config,
            self.runs_dir,
            on_batch=self._on_batch,
            on_epoch=self._on_epoch,
            on_event=self.event.emit,
            data_config=data_cfg.to_dict(),
            graph=graph_to_dict(graph),
            epochs=self.epochs,
        )
        with self._lock:
            self.trainer = trainer
            if self._stop.is_set():
                trainer.stop()
            elif self._paused:
                trainer.pause()
        rec = trainer.run()
        return {
            "status": rec.status,
            "message": rec.message,
            "record": rec.to_dict(),
            "error_kind": "nan" if trainer._nan_at is not None else "",
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
