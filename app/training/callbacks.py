"""Keras callbacks from CallbackConfig entries, as the table app.project.callback_specs describes
them (or the project's code callbacks); checkpoints save atomically into the run folder."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from app.compiler.custom_code import code_object
from app.compiler.metric_goals import monitor_mode
from app.errors import CompileError
from app.project.callback_specs import CALLBACK_SPECS, CallbackSpec, run_file_path
from app.project.project_code import CodeEntry, find_entry
from app.project.training_config import TrainingConfig, TrainingError, learning_rate_steps
from app.training.compile import code_schedule
from app.training.runs import save_model_atomic


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
    return package_available("tensorboard")


def package_available(name: str) -> bool:
    """True if the package can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _in_run(run_dir: Path, value: Any, default: str, notes: list[str]) -> str:
    relative, moved = run_file_path(value, default)
    if moved:
        notes.append(moved)
    return str(run_dir / relative)


def make_callbacks(
    config: TrainingConfig,
    run_dir: str | Path,
    has_validation: bool = True,
    code: list[CodeEntry] | None = None,
) -> tuple[list[Any], list[str]]:
    """(keras callbacks, notes) for the enabled callbacks of the config, as CALLBACK_SPECS says;
    a project code callback is made from its (trusted) class in `code`, and a project code
    schedule function is applied by a LearningRateScheduler.

    Relative file names land in run_dir. Without validation data, monitors named val_* fall back
    to the training metric (noted).
    """
    run_dir = Path(run_dir)
    out, notes = [], []
    if config.lr_schedule and config.lr_schedule.get("code"):
        schedule = code_schedule(config, code)
        if not isinstance(schedule, _keras_schedule_base()):  # a function (epoch, lr)
            import keras

            out.append(keras.callbacks.LearningRateScheduler(schedule))
    for cfg in config.callbacks:
        if not cfg.enabled:
            continue
        if cfg.code:
            out.append(project_callback(cfg.class_name, cfg.params, code or []))
            continue
        spec = CALLBACK_SPECS[cfg.class_name]
        if spec.needs_package and not package_available(spec.needs_package):
            notes.append(
                f"{spec.name} is skipped: the {spec.needs_package} package is not installed "
                f"(pip install {spec.needs_package})."
            )
            continue
        try:
            out.append(_make(spec, dict(cfg.params), run_dir, has_validation, notes))
        except TypeError as exc:
            raise TrainingError(
                f"Callback {spec.name} does not accept these settings "
                f"({', '.join(cfg.params)}): {exc}"
            ) from exc
        except ValueError as exc:
            raise TrainingError(f"Callback {spec.name}: {exc}") from exc
    return out, notes


def check_code_callbacks(config: TrainingConfig, code: list[CodeEntry] | None) -> None:
    """TrainingError if an enabled code callback is missing, untrusted or does not define it."""
    for cfg in config.callbacks:
        if cfg.enabled and cfg.code:
            _code_class(cfg.class_name, code or [])


def _code_class(name: str, code: list[CodeEntry]) -> Any:
    entry = find_entry(code, name, "callback")
    if entry is None:
        raise TrainingError(f"Callback '{name}' is not in the project code (any more).")
    try:
        return code_object(entry)
    except CompileError as exc:
        raise TrainingError(exc.message) from None


def project_callback(name: str, params: dict[str, Any], code: list[CodeEntry]) -> Any:
    """An instance of the project's code callback `name` with `params` as keyword arguments."""
    cls = _code_class(name, code)
    try:
        return cls(**params)
    except Exception as exc:  # noqa: BLE001 - user code fails in any way
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        options = f" with {', '.join(params)}" if params else ""
        raise TrainingError(f"Callback {name}(){options} failed: {first}") from None


def _make(
    spec: CallbackSpec, params: dict[str, Any], run_dir: Path, has_validation: bool, notes: list
) -> Any:
    import keras

    if spec.monitors:
        monitor = params.get("monitor", "val_loss")
        if not has_validation and str(monitor).startswith("val_"):
            notes.append(
                f"{spec.name}: no validation data, so it watches '{monitor[4:]}' "
                f"instead of '{monitor}'."
            )
            monitor = monitor[4:]
        params["monitor"] = monitor
        # Keras' own "auto" cannot tell e.g. val_head_loss; the one rule can (metric_goals).
        params["mode"] = monitor_mode(monitor, params.get("mode", "auto"))
    args = []
    for option in spec.options:
        if option.run_file:
            params[option.keras_argument] = _in_run(
                run_dir, option.take(params), option.default, notes
            )
        elif option.kind == "table":
            table = option.take(params)
            if not isinstance(table, dict):
                raise TrainingError(f"{spec.name} needs a table {{epoch: rate}}.")
            args.append(step_table(table))
    if spec.keeps_best_model:
        best = BestCheckpoint(
            params.pop("filepath"), monitor=params.pop("monitor"), mode=params.pop("mode", "auto")
        )
        if params:
            notes.append(
                f"{spec.name} ignores {', '.join(params)}: it always keeps the best model."
            )
        return best
    return getattr(keras.callbacks, spec.name)(*args, **params)


def _keras_schedule_base():
    import keras

    return keras.optimizers.schedules.LearningRateSchedule


def _keras_callback_base():
    import keras

    return keras.callbacks.Callback


class BestCheckpoint(_keras_callback_base()):  # type: ignore[misc]
    """Saves the model whenever the monitored value improves — atomically (temp file, replace)."""

    def __init__(self, filepath: str, monitor: str = "val_loss", mode: str = "auto"):
        super().__init__()
        self.filepath = filepath
        self.monitor = monitor
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', not {mode!r}")
        self.mode = monitor_mode(monitor, mode)  # the rule the run summary and plots follow
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.missing = False
        self.saved_model: Any = None  # what is saved, when not the model fit trains
        self.cut_short: Any = None  # () -> True when Stop cut this epoch short: not judged

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.cut_short is not None and self.cut_short():
            return
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
            save_model_atomic(self.saved_model or self.model, self.filepath)
