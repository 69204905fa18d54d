"""Keras callbacks from CallbackConfig entries; checkpoints save atomically into the run folder."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from app.project.training_config import (
    MONITORED,
    TrainingConfig,
    TrainingError,
    learning_rate_steps,
)
from app.training.runs import BEST_MODEL, TENSORBOARD_DIR, save_model_atomic


def step_table(table: dict[Any, Any]):
    """A LearningRateScheduler function from {first epoch: lr}: epochs before the first entry keep
    the current rate."""
    steps = learning_rate_steps(table)

    def schedule(epoch: int, lr: float) -> float:
        rate = lr
        for start, value in steps:
            if epoch >= start:
                rate = value
        return rate

    return schedule


def tensorboard_available() -> bool:
    """True if the tensorboard package (needed to write summaries) is installed."""
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def _in_run(run_dir: Path, value: Any, default: str) -> str:
    p = Path(value or default)
    return str(p if p.is_absolute() else run_dir / p)


def make_callbacks(
    config: TrainingConfig, run_dir: str | Path, has_validation: bool = True
) -> tuple[list[Any], list[str]]:
    """(keras callbacks, notes) for the enabled callbacks of the config.

    Relative file names land in run_dir. Without validation data, monitors named val_* fall back
    to the training metric (noted).
    """
    import keras

    run_dir = Path(run_dir)
    out, notes = [], []
    for cfg in config.callbacks:
        if not cfg.enabled:
            continue
        params = dict(cfg.params)
        name = cfg.class_name
        if name in MONITORED:
            monitor = params.get("monitor", "val_loss")
            if not has_validation and str(monitor).startswith("val_"):
                notes.append(
                    f"{name}: no validation data, so it watches '{monitor[4:]}' "
                    f"instead of '{monitor}'."
                )
                monitor = monitor[4:]
            params["monitor"] = monitor
        try:
            if name == "ModelCheckpoint":
                out.append(
                    BestCheckpoint(
                        _in_run(run_dir, params.pop("filename", None), BEST_MODEL),
                        monitor=params.pop("monitor"),
                        mode=params.pop("mode", "auto"),
                    )
                )
                if params:
                    notes.append(
                        f"ModelCheckpoint ignores {', '.join(params)}: it always keeps "
                        f"the best model."
                    )
            elif name == "LearningRateScheduler":
                table = params.pop("table", params.pop("schedule", None))
                if not isinstance(table, dict):
                    raise TrainingError("LearningRateScheduler needs a table {epoch: rate}.")
                out.append(keras.callbacks.LearningRateScheduler(step_table(table), **params))
            elif name == "CSVLogger":
                out.append(
                    keras.callbacks.CSVLogger(
                        _in_run(run_dir, params.pop("filename", None), "training_log.csv"), **params
                    )
                )
            elif name == "TensorBoard":
                if not tensorboard_available():
                    notes.append(
                        "TensorBoard logs are skipped: the tensorboard package is not "
                        "installed (pip install tensorboard)."
                    )
                    continue
                out.append(
                    keras.callbacks.TensorBoard(
                        log_dir=_in_run(run_dir, params.pop("log_dir", None), TENSORBOARD_DIR),
                        **params,
                    )
                )
            else:
                out.append(getattr(keras.callbacks, name)(**params))
        except TypeError as exc:
            raise TrainingError(
                f"Callback {name} does not accept these settings ({', '.join(cfg.params)}): {exc}"
            ) from exc
        except ValueError as exc:
            raise TrainingError(f"Callback {name}: {exc}") from exc
    return out, notes


def _keras_callback_base():
    import keras

    return keras.callbacks.Callback


class BestCheckpoint(_keras_callback_base()):  # type: ignore[misc]
    """Saves the model whenever the monitored value improves — atomically (temp file, replace)."""

    def __init__(self, filepath: str, monitor: str = "val_loss", mode: str = "auto"):
        super().__init__()
        self.filepath = filepath
        self.monitor = monitor
        if mode == "auto":
            mode = (
                "max"
                if any(k in monitor for k in ("acc", "auc", "precision", "recall", "f1"))
                else "min"
            )
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', not {mode!r}")
        self.mode = mode
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.missing = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            self.missing = True
            return
        value = float(value)
        if not math.isfinite(value):
            return
        better = self.best is None or (
            value < self.best if self.mode == "min" else value > self.best
        )
        if better:
            self.best, self.best_epoch = value, epoch
            save_model_atomic(self.model, self.filepath)
