"""The Trainer: runs model.fit with a forwarding callback, records the run folder.

Plain Python and thread-agnostic: the UI runs `Trainer.run()` in a QThread and turns the plain
dict callbacks into queued signals; the CLI runs it on the main thread.
"""

from __future__ import annotations

import gc
import json
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from app.data.compat import check_compatibility, fit_arrays
from app.data.dataset import DataError, Dataset
from app.errors import LayerLoomError
from app.project.runs import RunRecord
from app.project.training_config import NO_LOSS, TrainingConfig, TrainingError
from app.training.callbacks import BestCheckpoint, make_callbacks
from app.training.class_weights import class_sample_weights
from app.training.compile import compile_model
from app.training.runs import (
    FINAL_MODEL,
    HISTORY_FILE,
    RUN_FILE,
    SETTINGS_FILE,
    HistoryFile,
    new_run_dir,
    now_iso,
    save_model_atomic,
    write_json_atomic,
)
from app.training.tf_leaks import custom_gradient_names, forget_custom_gradients

Listener = Callable[[dict[str, Any]], None] | None


class ForwardingCallback(keras.callbacks.Callback):
    """Forwards per-batch / per-epoch logs as plain dicts; honours stop, pause and NaN losses.

    Stop is checked before and after every batch (fit resets model.stop_training, so the flag
    lives in a threading.Event); pause blocks before the next batch until resumed or stopped.
    """

    def __init__(self, trainer: Trainer):
        super().__init__()
        self.t = trainer
        self.epoch = 0
        self.steps = 0
        self.global_step = 0
        self.batch_size = trainer.config.batch_size
        self.epoch_start = 0.0
        self.lr = float("nan")
        self.lr_every = 1
        self.rate = 0.0

    # -- helpers -----------------------------------------------------------------------------
    def _read_lr(self) -> float:
        try:
            lr = self.model.optimizer.learning_rate
            return float(lr.numpy() if hasattr(lr, "numpy") else lr)
        except Exception:  # an optimizer without a readable rate: keep the plots going
            return float("nan")

    def _check_stop(self) -> None:
        if self.t._stop.is_set():
            self.model.stop_training = True

    # -- keras hooks -------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self.steps = int(self.params.get("steps") or 0)
        self.lr_every = 10 if self.t.config.lr_schedule else 0  # schedules move every step
        self.t._emit_event(
            "started",
            epochs=self.t.epochs,
            steps_per_epoch=self.steps,
            samples=self.t.dataset.num_samples,
        )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_start = time.perf_counter()
        self.lr = self._read_lr()
        self._check_stop()

    def on_train_batch_begin(self, batch, logs=None):
        if not self.t._resume.is_set():
            self.t._emit_event("paused", epoch=self.epoch, batch=batch)
            while not self.t._resume.wait(0.1):
                if self.t._stop.is_set():
                    break
            if not self.t._stop.is_set():
                self.t._emit_event("resumed", epoch=self.epoch, batch=batch)
            self.epoch_start = time.perf_counter() - (batch / self.rate if self.rate else 0.0)
        self._check_stop()

    def on_train_batch_end(self, batch, logs=None):
        self._check_stop()
        self.global_step += 1
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.t._nan_at = (self.epoch, batch)
            self.model.stop_training = True
        if self.t.on_batch is None:
            return
        if self.lr_every and batch % self.lr_every == 0:
            self.lr = self._read_lr()
        done = batch + 1
        elapsed = time.perf_counter() - self.epoch_start
        self.rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.steps - done) + self.steps * (self.t.epochs - 1 - self.epoch)
        self.t.on_batch(
            {
                "epoch": self.epoch,
                "batch": batch,
                "step": self.global_step,
                "steps_per_epoch": self.steps,
                "logs": dict(logs or {}),
                "lr": self.lr,
                "samples_per_s": self.rate * self.batch_size,
                "eta_s": left / self.rate if self.rate else float("nan"),
            }
        )

    def on_test_batch_end(self, batch, logs=None):
        if self.t._stop.is_set():
            self.model.stop_evaluating = True

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        lr = self._read_lr()
        logs.setdefault("learning_rate", lr)
        row = {"epoch": epoch + 1, **logs}
        self.t.history.append(row)
        try:  # the history file grows as training goes, so a crash keeps finished epochs
            self.t.history_file.add(self.t.history)
        except OSError as exc:
            self.t._emit_event("warning", message=f"The history file could not be written: {exc}")
        elapsed = time.perf_counter() - self.epoch_start
        if self.t.on_epoch is not None:
            self.t.on_epoch(
                {
                    "epoch": epoch,
                    "epochs": self.t.epochs,
                    "logs": logs,
                    "lr": lr,
                    "duration_s": elapsed,
                    "samples_per_s": self.t.dataset.num_samples / elapsed if elapsed else 0.0,
                }
            )
        self._check_stop()


def _is_number(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


class Trainer:
    """Trains a built keras.Model on a Dataset with a TrainingConfig, recording a run folder.

    Args:
        model: a keras.Model (compiled by run()), or a callable returning one: it is then built
            inside run(), on the training thread, after the seed and dtype policy are set — so
            initial weights follow the seed and mixed precision applies to the layers.
        dataset: from app.data.load_dataset.
        config: TrainingConfig or its dict.
        runs_dir: the folder that receives <timestamp>_<id>/ for this run.
        on_batch / on_epoch / on_event: called with plain dicts (on the training thread).
        data_config / graph: stored in the settings snapshot (plain dicts).
        input_map / output_map: model name -> dataset array name.
    """

    def __init__(
        self,
        model: Any,
        dataset: Dataset,
        config: TrainingConfig | dict,
        runs_dir: str | Path,
        on_batch: Listener = None,
        on_epoch: Listener = None,
        on_event: Listener = None,
        data_config: dict | None = None,
        graph: dict | None = None,
        input_map: dict | None = None,
        output_map: dict | None = None,
        epochs: int | None = None,
    ):
        self.model = model
        self.dataset = dataset
        self.config = (
            config if isinstance(config, TrainingConfig) else TrainingConfig.from_dict(config)
        )
        self.epochs = int(epochs or self.config.epochs)
        self.runs_dir = Path(runs_dir)
        self.on_batch, self.on_epoch, self.on_event = on_batch, on_epoch, on_event
        self.data_config = data_config or {}
        self.graph = graph
        self.input_map = input_map or self.data_config.get("input_map") or {}
        self.output_map = output_map or self.data_config.get("output_map") or {}
        self.history: list[dict[str, float]] = []
        self.record: RunRecord | None = None
        self.run_dir: Path = self.runs_dir
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._nan_at: tuple[int, int] | None = None

    # -- control (safe from any thread) ----------------------------------------------------------
    def stop(self) -> None:
        """Stop after the current batch; the model keeps the weights it has."""
        self._stop.set()
        self._resume.set()

    def pause(self) -> None:
        """Hold training before the next batch."""
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def _emit_event(self, kind: str, **data: Any) -> None:
        if self.on_event is not None:
            self.on_event({"kind": kind, **data})

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> RunRecord:
        """Train; returns the RunRecord (status completed / stopped / failed on NaN loss).

        Raises TrainingError (or DataError) with a plain message when training cannot start or
        fit raises; the run folder then records status "failed".
        """
        self.history, self._nan_at = [], None
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        run_id, self.run_dir = new_run_dir(self.runs_dir)
        self.history_file = HistoryFile(self.run_dir / HISTORY_FILE)
        self.record = rec = RunRecord(
            id=run_id, path=str(self.run_dir), started=now_iso(), summary=self._summary()
        )
        write_json_atomic(
            self.run_dir / SETTINGS_FILE,
            {
                "training": self.config.to_dict(),
                "data": self.data_config,
                "graph": self.graph,
                "epochs": self.epochs,
            },
        )
        write_json_atomic(self.run_dir / RUN_FILE, rec.to_dict())
        t0 = time.perf_counter()
        try:
            self._fit()
        except LayerLoomError as exc:
            self._finish(rec, "failed", t0, str(exc))
            raise
        except Exception as exc:  # an error inside a layer, the optimizer, a callback ...
            msg = _plain(exc)
            self._finish(rec, "failed", t0, msg)
            raise TrainingError(msg) from exc
        finally:
            self._release()
        if self._nan_at is not None:
            e, b = self._nan_at
            msg = (
                f"The loss became NaN or infinite in epoch {e + 1}, batch {b + 1}; training "
                f"stopped. Try a smaller learning rate, normalised inputs or a different loss."
            )
            self._emit_event("nan", message=msg, epoch=e, batch=b)
            return self._finish(rec, "failed", t0, msg)
        status = "stopped" if self._stop.is_set() else "completed"
        try:
            save_model_atomic(self.model, self.run_dir / FINAL_MODEL)
            rec.final_model = FINAL_MODEL
        except Exception as exc:  # e.g. a layer that cannot be serialised
            self._emit_event(
                "warning", message=f"The final model could not be saved: {_plain(exc)}"
            )
        return self._finish(rec, status, t0, "")

    def _fit(self) -> None:
        self._gradients_before = custom_gradient_names()
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(self.config.dtype_policy)  # thread-local: set here
        try:
            if self.config.seed is not None:
                keras.utils.set_random_seed(self.config.seed)
            if not isinstance(self.model, keras.Model):
                if not callable(self.model):
                    raise TrainingError("There is no model to train.")
                self.model = self.model()
            self._fit_model()
        finally:
            keras.config.set_dtype_policy(previous)

    def _fit_model(self) -> None:
        losses = compile_model(self.model, self.config, self.dataset, self.output_map)
        problems = self.config.problems() + check_compatibility(
            self.model, self.dataset, self.input_map, self.output_map, losses=losses
        )
        if problems:
            raise DataError(" ".join(problems))
        skip = {n for n, v in losses.items() if v in NO_LOSS}
        x, y, val = fit_arrays(self.model, self.dataset, self.input_map, self.output_map, skip)
        callbacks, notes = make_callbacks(self.config, self.run_dir, val is not None)
        for note in notes:
            self._emit_event("warning", message=note)
        self._forward = ForwardingCallback(self)
        class_weight, sample_weight = self._class_weights(y)
        self.model.fit(
            x,
            y,
            batch_size=self.config.batch_size,
            epochs=self.epochs,
            validation_data=val,
            shuffle=self.config.shuffle,
            class_weight=class_weight,
            sample_weight=sample_weight,
            callbacks=[self._forward, *callbacks],
            verbose=0,
        )
        self._callbacks = callbacks

    def _class_weights(self, y: Any) -> tuple[dict[int, float] | None, Any]:
        """(class_weight, sample_weight) for fit: Keras' own class_weight for a single output,
        per-output sample weights built from the class weights otherwise."""
        outputs = list(self.model.output_names)
        by_output = self.config.class_weights_by_output(outputs)
        if not by_output:
            return None, None
        if len(outputs) == 1 and not isinstance(y, dict | list | tuple):
            return by_output[outputs[0]], None
        return None, class_sample_weights(y, outputs, by_output)

    def _finish(self, rec: RunRecord, status: str, t0: float, message: str) -> RunRecord:
        rec.status, rec.message = status, message
        rec.duration_s = round(time.perf_counter() - t0, 3)
        rec.epochs_done = len(self.history)
        if self.history:
            rec.final_metrics = {k: v for k, v in self.history[-1].items() if k != "epoch"}
            rec.best_metrics = best_metrics(self.history)
            try:  # durable now that the run is over
                self.history_file.finish(self.history)
            except OSError as exc:
                self._emit_event("warning", message=f"The history file could not be written: {exc}")
        best = next(
            (c for c in getattr(self, "_callbacks", []) if isinstance(c, BestCheckpoint)), None
        )
        if best is not None and best.best_epoch is not None:
            rec.best_model = Path(best.filepath).name
            rec.best_metrics["best_epoch"] = float(best.best_epoch + 1)
        write_json_atomic(self.run_dir / RUN_FILE, rec.to_dict())
        self._emit_event("finished", status=status, message=message, record=rec.to_dict())
        return rec

    def _summary(self) -> str:
        c = self.config
        lr = f"lr {c.learning_rate:g}" + (
            f" ({c.lr_schedule['class_name']})" if c.lr_schedule else ""
        )
        return (
            f"{c.optimizer} {lr}, batch {c.batch_size}, {self.epochs} epochs, "
            f"{self.dataset.num_samples} samples"
        )

    def _release(self) -> None:
        """Drop the traced train/test/predict functions so their graphs can be freed.

        keras.backend.clear_session() is not called here: it resets Keras' global name state for
        every thread and the TF default graph, which would disturb a model being built elsewhere
        (the editor's shape inference). Callers that own the process (CLI, benchmarks) may call
        release_memory(clear_session=True) between runs.
        """
        for attr in ("train_function", "test_function", "predict_function"):
            if hasattr(self.model, attr):
                setattr(self.model, attr, None)
        self._forward = None
        forget_custom_gradients(getattr(self, "_gradients_before", frozenset()))
        # No gc.collect() here: a full collection holds the GIL for tens of milliseconds and
        # would freeze the window at the end of every run. The GUI collects once the run is
        # over; headless callers use release_memory() between runs.


def best_metrics(history: list[dict[str, float]]) -> dict[str, float]:
    """Best value of each logged metric over epochs (min for losses/errors, max otherwise)."""
    out: dict[str, float] = {}
    keys = {k for row in history for k in row if k not in ("epoch", "learning_rate")}
    for k in sorted(keys):
        vals = [row[k] for row in history if k in row and math.isfinite(row[k])]
        if vals:
            lower = any(w in k for w in ("loss", "error", "crossentropy", "hinge", "divergence"))
            out[k] = min(vals) if lower else max(vals)
    return out


def release_memory(clear_session: bool = False) -> None:
    """gc.collect, and keras.backend.clear_session when no other thread is building models."""
    if clear_session:
        keras.backend.clear_session(free_memory=True)
    else:
        gc.collect()


def _plain(exc: BaseException) -> str:
    """One readable sentence from a Keras / TF exception (no traceback)."""
    text = str(exc).strip().replace("\\'", "'")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:  # TF errors bury the useful line under "Graph execution error" and a trace
        if "Node:" in ln or ln.startswith(("File ", "Traceback", "Detected at node")):
            continue
        if ln and not ln.startswith("Graph execution error"):
            first = ln
            break
    else:
        first = lines[0] if lines else type(exc).__name__
    return f"Training failed: {first[:400]}"


def snapshot(path: str | Path) -> dict[str, Any]:
    """The settings snapshot of a run folder (to re-run it)."""
    return json.loads((Path(path) / SETTINGS_FILE).read_text(encoding="utf-8"))
