"""The Trainer: checks, then runs model.fit with a forwarding callback and records a run folder.

Plain Python and thread-agnostic: app.training.headless.train_project drives it for both the
CLI (main thread) and the GUI (a QThread whose worker turns the plain dicts into signals).
"""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path
from typing import Any

import keras

from app.compiler.metric_goals import best_index
from app.compiler.training_rules import step_sample_weights_problem
from app.data.compat import check_compatibility, fit_arrays
from app.data.dataset import DataError, Dataset
from app.errors import LayerLoomError
from app.project.run_owner import current_owner
from app.project.runs import HISTORY_FILE, RunRecord, is_rate_column
from app.project.training_config import NO_LOSS, TrainingConfig, TrainingError
from app.training.callbacks import BestCheckpoint, check_code_callbacks, make_callbacks
from app.training.class_weights import class_sample_weights
from app.training.compile import adds_own_losses, compile_model
from app.training.control import Listener, RunControl, RunStopped
from app.training.devices import Placement, placement_for
from app.training.forwarding import ForwardingCallback
from app.training.runs import (
    FINAL_MODEL,
    RUN_FILE,
    SETTINGS_FILE,
    HistoryFile,
    new_run_dir,
    now_iso,
    save_model_atomic,
    write_json_atomic,
)
from app.training.step_model import compile_step, make_step, step_arrays
from app.training.tf_leaks import custom_gradient_names, forget_custom_gradients
from app.training.weights_history import make_weights_history


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
        code: the project's code entries (custom losses, metrics) the settings may name.
        group: (group id, fold, folds) when this run is one fold of a k-fold cross-validation.
        blocks: block node id -> block name, for a training step whose "models" name blocks.

    With a training step (config.step) the built graph model is wrapped into the step model,
    which fit runs; run files keep the graph's plain model (`graph_model`), which shares the
    trained weights.
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
        control: RunControl | None = None,
        code: list | None = None,
        group: tuple[str, int, int] | None = None,
        blocks: dict[str, str] | None = None,
    ):
        self.model = model
        self.group = group
        self.graph_model: Any = None  # with a training step: the graph's plain model
        self.step: Any = None  # the StepModel, with a training step
        self.blocks = blocks or {}
        self.code = list(code or [])
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
        self.control = control or RunControl()
        self.history: list[dict[str, float]] = []
        self.record: RunRecord | None = None
        self.run_dir: Path = self.runs_dir
        self.nan_at: tuple[int, int] | None = (
            None  # (epoch, batch) where the loss stopped being finite
        )

    # -- control (safe from any thread) ----------------------------------------------------------
    def stop(self) -> None:
        """Stop after the current batch; the model keeps the weights it has."""
        self.control.stop()

    def pause(self) -> None:
        """Hold training before the next batch."""
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    @property
    def paused(self) -> bool:
        return self.control.paused

    def _emit_event(self, kind: str, **data: Any) -> None:
        if self.on_event is not None:
            self.on_event({"kind": kind, **data})

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> RunRecord:
        """Check, then train; returns the RunRecord (completed / stopped / failed on NaN loss).

        The model is built, compiled and checked against the data before the run folder is
        made: a DataError or TrainingError from those checks (and RunStopped, when stopped
        before training began) leaves no folder behind. An error during fit raises
        TrainingError with a plain message; the run folder then records status "failed".
        """
        self.history, self.nan_at = [], None
        self._gradients_before = custom_gradient_names()
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(self.config.dtype_policy)  # thread-local: set here
        try:
            self.placement = self._placement()
            self._emit_event("devices", message=self.placement.describe())
            with self.placement.scope():  # build, compile, fit and save on those devices
                return self._run()
        finally:
            keras.config.set_dtype_policy(previous)
            self._release()

    def _placement(self) -> Placement:
        placement = placement_for(self.config.devices)
        if placement.strategy is not None and isinstance(self.model, keras.Model):
            # A strategy must create the model's variables; this one was built before the run.
            return Placement(
                placement.setting,
                placement.devices[:1],
                note="the model was built before the run, so it trains on one device",
            )
        return placement

    def _run(self) -> RunRecord:
        try:
            fit_kwargs = self._prepare()
        except LayerLoomError:
            raise
        except Exception as exc:  # a layer that cannot be built, a bad class weight ...
            raise TrainingError(_plain(exc)) from exc
        if self.control.stopped:
            raise RunStopped("Stopped before training started.")
        rec = self._open_run_folder()
        t0 = time.perf_counter()
        try:
            callbacks, notes = make_callbacks(
                self.config, self.run_dir, fit_kwargs["validation_data"] is not None, self.code
            )
            self._callbacks = callbacks
            self._forward = forward = ForwardingCallback(self)
            for c in callbacks:
                if isinstance(c, BestCheckpoint):
                    c.saved_model = self.graph_model  # None: the model fit trains
                    c.cut_short = lambda: forward.cut
            for note in notes:
                self._emit_event("warning", message=note)
            self.weights_history = make_weights_history(self.run_dir)
            self.model.fit(
                **fit_kwargs,
                batch_size=self.config.batch_size,
                epochs=self.epochs,
                shuffle=self.config.shuffle,
                # Last: the record follows every epoch once the checkpoint has judged it.
                callbacks=[self._forward, *callbacks, self.weights_history, _EpochRecord(self)],
                verbose=0,
            )
        except LayerLoomError as exc:
            self._finish(rec, "failed", t0, str(exc))
            raise
        except KeyboardInterrupt:  # Ctrl+C: the record tells what was done (epochs, time)
            self._finish(rec, "stopped", t0, "Interrupted from the keyboard.")
            raise
        except Exception as exc:  # an error inside a layer, the optimizer, a callback ...
            msg = _plain(exc)
            self._finish(rec, "failed", t0, msg)
            raise TrainingError(msg) from exc
        if self.nan_at is not None:
            e, b = self.nan_at
            msg = (
                f"The loss became NaN or infinite in epoch {e + 1}, batch {b + 1}; training "
                f"stopped. Try a smaller learning rate, normalised inputs or a different loss."
            )
            self._emit_event("nan", message=msg, epoch=e, batch=b)
            return self._finish(rec, "failed", t0, msg)
        status = "stopped" if self.control.stopped else "completed"
        try:
            save_model_atomic(self.saved_model, self.run_dir / FINAL_MODEL)
            rec.final_model = FINAL_MODEL
        except Exception as exc:  # e.g. a layer that cannot be serialised
            self._emit_event(
                "warning", message=f"The final model could not be saved: {_plain(exc)}"
            )
        return self._finish(rec, status, t0, "")

    def _prepare(self) -> dict[str, Any]:
        """Seed, build, compile and check; the keyword arguments for fit (x, y, validation,
        weights). Everything that can refuse the data happens here, before any folder exists."""
        if self.config.seed is not None:
            keras.utils.set_random_seed(self.config.seed)
        if not isinstance(self.model, keras.Model):
            if not callable(self.model):
                raise TrainingError("There is no model to train.")
            self.model = self.model()
        if self.config.step:
            x, y, val = self._prepare_step()
        else:
            losses = compile_and_check(
                self.model, self.config, self.dataset, self.input_map, self.output_map, self.code
            )
            skip = {n for n, v in losses.items() if v in NO_LOSS}
            x, y, val = fit_arrays(self.model, self.dataset, self.input_map, self.output_map, skip)
        check_code_callbacks(self.config, self.code)  # untrusted or broken: before any run folder
        class_weight, sample_weight = self._class_weights(y)
        if self.dataset.sample_weight is not None:
            if class_weight is not None or sample_weight is not None:
                raise TrainingError(
                    "The data has sample weights and the training settings set class weights; "
                    "Keras takes one or the other. Clear the class weights, or fold them into "
                    "the sample weights."
                )
            if self.step is not None and not self.step.functional:
                problem = step_sample_weights_problem(self.step.name, y is not None)
                if problem:
                    raise TrainingError(problem)
            sample_weight = self.dataset.sample_weight
            if val is not None and self.dataset.sample_weight_val is not None:
                val = (val[0], val[1] if len(val) > 1 else None, self.dataset.sample_weight_val)
        self._emit_event(
            "checked",
            samples=self.dataset.num_samples,
            val_samples=self.dataset.num_val_samples,
            title=self.dataset.title,
        )
        return {
            "x": x,
            "y": y,
            "validation_data": val,
            "class_weight": class_weight,
            "sample_weight": sample_weight,
        }

    def _prepare_step(self) -> tuple[Any, Any, Any]:
        """Make and compile the training step around the built graph model; (x, y, validation).

        A step of the graph's own inputs and outputs is checked against the data as any model
        (outputs without a loss need no targets); a step of sub-models takes the data's arrays
        as they are, without targets when the data has none."""
        settings = self.config.problems()
        if settings:
            raise TrainingError(" ".join(settings))
        made = make_step(self.model, self.config, self.code, self.blocks)
        self.graph_model, self.model, self.step = made.graph_model, made.model, made
        losses = compile_step(made, self.config, self.code, self.dataset, self.output_map)
        if made.functional:
            if not losses and not self.dataset.y:  # its own compile, data without targets
                losses = {n: "none" for n in self.model.output_names}
            problems = check_compatibility(
                self.model, self.dataset, self.input_map, self.output_map, losses=losses
            )
            if problems:
                raise DataError("The data does not fit the model: " + " ".join(problems))
            if not made.own_compile:  # the plain model evaluates (and saves) as compiled too
                compile_model(
                    self.graph_model, self.config, self.dataset, self.output_map, self.code
                )
            skip = {n for n, v in losses.items() if v in NO_LOSS}
            return fit_arrays(self.model, self.dataset, self.input_map, self.output_map, skip)
        x, y = step_arrays(self.dataset)
        val = None
        if self.dataset.x_val is not None:
            if not made.own_test_step:
                raise TrainingError(
                    f"Training step '{made.name}' has no test_step, so it cannot be validated; "
                    f"give it a test_step or hold out no validation data."
                )
            xv, yv = step_arrays(self.dataset, "val")
            val = (xv,) if yv is None else (xv, yv)
        if self.dataset.num_samples == 0:
            raise DataError("The dataset has no training samples.")
        return x, y, val

    @property
    def saved_model(self) -> Any:
        """The model run files keep: the graph's plain model (with a step), else the model."""
        return self.graph_model if self.graph_model is not None else self.model

    def _open_run_folder(self) -> RunRecord:
        """Make <runs_dir>/<timestamp>_<id>/ with the settings snapshot and a "running" record."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        run_id, self.run_dir = new_run_dir(self.runs_dir)
        self.history_file = HistoryFile(self.run_dir / HISTORY_FILE)
        # The owner lets a reader tell this run from one whose process was killed mid-run.
        self.record = rec = RunRecord(
            id=run_id,
            path=str(self.run_dir),
            started=now_iso(),
            summary=self._summary(),
            owner=current_owner(),
        )
        if self.group is not None:
            rec.group, rec.fold, rec.folds = self.group
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
        return rec

    def _class_weights(self, y: Any) -> tuple[dict[int, float] | None, Any]:
        """(class_weight, sample_weight) for fit: Keras' own class_weight for a single output,
        per-output sample weights built from the class weights otherwise."""
        if self.step is not None and not self.step.functional:
            if self.config.class_weight:
                raise TrainingError(
                    f"Class weights weigh the targets of outputs; training step "
                    f"'{self.step.name}' trains sub-models on the data as it is. Remove them."
                )
            return None, None
        outputs = list(self.model.output_names)
        by_output = self.config.class_weights_by_output(outputs)
        if not by_output:
            return None, None
        if len(outputs) == 1 and not isinstance(y, dict | list | tuple):
            return by_output[outputs[0]], None
        return None, class_sample_weights(y, outputs, by_output)

    def _note_epochs(self, rec: RunRecord) -> None:
        """Put the finished epochs in the record: their count, the last and the best metrics
        (app.compiler.metric_goals decides), the best model saved so far and its epoch."""
        rec.epochs_done = len(self.history)
        if self.history:
            rec.final_metrics = {k: v for k, v in self.history[-1].items() if k != "epoch"}
            rec.best_metrics = best_metrics(self.history)
        best = next(
            (c for c in getattr(self, "_callbacks", []) if isinstance(c, BestCheckpoint)), None
        )
        if best is not None and best.best_epoch is not None:
            rec.best_model = Path(best.filepath).name
            rec.best_metrics["best_epoch"] = float(best.best_epoch + 1)

    def _epoch_recorded(self) -> None:
        """After each epoch: run.json says what the run has done so far, still "running", so
        a run whose process is killed reads (app.project.runs.settled) with its best metrics."""
        if self.record is None:
            return
        self._note_epochs(self.record)
        try:
            write_json_atomic(self.run_dir / RUN_FILE, self.record.to_dict())
        except OSError as exc:
            self._emit_event("warning", message=f"The run record could not be written: {exc}")

    def _finish(self, rec: RunRecord, status: str, t0: float, message: str) -> RunRecord:
        rec.status, rec.message = status, message
        rec.duration_s = round(time.perf_counter() - t0, 3)
        self._note_epochs(rec)
        if self.history:
            try:  # durable now that the run is over
                self.history_file.finish(self.history)
            except OSError as exc:
                self._emit_event("warning", message=f"The history file could not be written: {exc}")
        write_json_atomic(self.run_dir / RUN_FILE, rec.to_dict())
        self._emit_event("finished", status=status, message=message, record=rec.to_dict())
        return rec

    def _summary(self) -> str:
        c = self.config
        lr = f"lr {c.learning_rate:g}" + (
            f" ({c.lr_schedule['class_name']})" if c.lr_schedule else ""
        )
        fold = f"fold {self.group[1] + 1}/{self.group[2]}, " if self.group else ""
        return (
            f"{fold}{c.optimizer} {lr}, batch {c.batch_size}, {self.epochs} epochs, "
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


class _EpochRecord(keras.callbacks.Callback):
    """Writes the run's record after every epoch (Trainer._epoch_recorded)."""

    def __init__(self, trainer: Trainer):
        super().__init__()
        self.trainer = trainer

    def on_epoch_end(self, epoch, logs=None):
        self.trainer._epoch_recorded()


def compile_and_check(
    model: Any,
    config: TrainingConfig,
    dataset: Dataset,
    input_map: dict | None = None,
    output_map: dict | None = None,
    code: list | None = None,
) -> dict[str, str]:
    """Compile `model` from the settings and check the data fits it; the loss per output.

    The one place both the CLI and the GUI check a run before it starts (through Trainer.run).
    TrainingError for bad settings, DataError (every problem in one message) for data that
    does not fit the model.
    """
    settings = config.problems()
    if settings:
        raise TrainingError(" ".join(settings))
    losses = compile_model(model, config, dataset, output_map, code)
    problems = check_compatibility(model, dataset, input_map, output_map, losses=losses)
    if problems:
        raise DataError("The data does not fit the model: " + " ".join(problems))
    if all(v in NO_LOSS for v in losses.values()):
        x, _, _ = fit_arrays(model, dataset, input_map, output_map, set(losses))
        if not adds_own_losses(model, first_samples(x, 2)):
            raise TrainingError(
                "No output has a loss and the model adds none of its own (no layer calls "
                "add_loss, no weight has a regularizer); choose a loss for at least one output."
            )
    return losses


def first_samples(x: Any, n: int) -> Any:
    """The first n samples of fit's x (an array, or a dict / list of them)."""
    if isinstance(x, dict):
        return {k: v[:n] for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [v[:n] for v in x]
    return x[:n]


def best_metrics(history: list[dict[str, float]]) -> dict[str, float]:
    """Best value of each logged metric over epochs (app.compiler.metric_goals decides); the
    learning rates (app.project.runs.is_rate_column) are no metrics."""
    out: dict[str, float] = {}
    keys = {k for row in history for k in row if k != "epoch" and not is_rate_column(k)}
    for k in sorted(keys):
        vals = [row[k] for row in history if k in row]
        i = best_index(vals, k)
        if i is not None:
            out[k] = vals[i]
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
