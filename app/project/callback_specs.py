"""The callbacks LayerLoom offers, as data: the one table that the training settings form, the
trainer (app.training.callbacks) and generated scripts (app.compiler.codegen_training) read.

An entry names a class of keras.callbacks and lists its options with how the form edits them.
Options do the rest: a "monitor" option watches a logged value (a val_* one falls back to the
training value without validation data), a `run_file` option names a file or folder the callback
writes (relative names land in the run folder, or in a script's output folder), and a "table"
option ({first epoch: rate}) is passed to the callback as a schedule function.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any


@dataclass(frozen=True)
class CallbackOption:
    """One setting of a callback: its key in the project, how the form edits it, its default.

    kind: "monitor", "int", "float", "bool", "text", "choice:a|b" or "table". Options without a
    label are not shown in the form. `argument` is the Keras argument when it is not `param`;
    `aliases` are older keys read in place of `param`.
    """

    param: str
    kind: str
    default: Any
    label: str = ""
    run_file: bool = False
    argument: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def keras_argument(self) -> str:
        return self.argument or self.param

    def take(self, params: dict[str, Any]) -> Any:
        """Remove this option (or an older key of it) from `params`; None when it is absent."""
        for key in (self.param, *self.aliases):
            if key in params:
                return params.pop(key)
        return None


@dataclass(frozen=True)
class CallbackSpec:
    """A callback: the keras.callbacks class (also its key in project files), help, options.

    `keeps_best_model`: LayerLoom's own checkpoint in runs (BestCheckpoint), save_best_only in
    scripts. `needs_package`: skipped, with a note, when that package is not installed.
    `sets_learning_rate`: cannot be combined with a learning-rate schedule.
    """

    name: str
    help: str
    options: tuple[CallbackOption, ...] = ()
    keeps_best_model: bool = False
    needs_package: str = ""
    sets_learning_rate: bool = False

    @property
    def monitors(self) -> bool:
        """True if it watches a logged value."""
        return any(o.kind == "monitor" for o in self.options)

    @property
    def shown_options(self) -> tuple[CallbackOption, ...]:
        """The options the training form shows, in order."""
        return tuple(o for o in self.options if o.label)

    @property
    def writes_files(self) -> bool:
        return any(o.run_file for o in self.options)


MONITOR = CallbackOption("monitor", "monitor", "val_loss", "Monitor")


CALLBACK_SPECS: dict[str, CallbackSpec] = {
    s.name: s
    for s in (
        CallbackSpec(
            "EarlyStopping",
            "Stop when the monitored value stops improving.",
            (
                MONITOR,
                CallbackOption("patience", "int", 5, "Patience (epochs)"),
                CallbackOption("min_delta", "float", 0.0, "Min. improvement"),
                CallbackOption("restore_best_weights", "bool", True, "Restore best weights"),
            ),
        ),
        CallbackSpec(
            "ModelCheckpoint",
            "Keep the best model as best.keras in the run folder.",
            (
                MONITOR,
                CallbackOption("mode", "choice:auto|min|max", "auto", "Mode"),
                CallbackOption(
                    "filename", "text", "best.keras", run_file=True, argument="filepath"
                ),
            ),
            keeps_best_model=True,
        ),
        CallbackSpec(
            "ReduceLROnPlateau",
            "Lower the learning rate when the monitored value stalls.",
            (
                MONITOR,
                CallbackOption("factor", "float", 0.5, "Factor"),
                CallbackOption("patience", "int", 3, "Patience (epochs)"),
                CallbackOption("min_lr", "float", 0.0, "Min. learning rate"),
            ),
            sets_learning_rate=True,
        ),
        CallbackSpec(
            "LearningRateScheduler",
            "Set the learning rate from a table: first epoch -> rate.",
            (
                CallbackOption(
                    "table", "table", {"0": 0.001, "10": 0.0001}, "Steps", aliases=("schedule",)
                ),
            ),
            sets_learning_rate=True,
        ),
        CallbackSpec(
            "CSVLogger",
            "Write Keras' own CSV log into the run folder.",
            (CallbackOption("filename", "text", "training_log.csv", "File", run_file=True),),
        ),
        CallbackSpec(
            "TensorBoard",
            "Write TensorBoard logs into the run folder.",
            (
                CallbackOption("log_dir", "text", "tensorboard", "Log folder", run_file=True),
                CallbackOption("histogram_freq", "int", 0, "Histograms every (epochs)"),
            ),
            needs_package="tensorboard",
        ),
        CallbackSpec("TerminateOnNaN", "Stop as soon as the loss is NaN."),
    )
}


def run_file_path(value: Any, default: str) -> tuple[str, str | None]:
    """Where a callback's file goes, relative to the run folder, and a note if it was moved.

    A project file cannot choose where training writes: an absolute path, a `..` step or a
    drive keeps only its last name, inside the run folder (a user who wants a copy elsewhere
    exports it).  Training and generated scripts both place run files with this rule.
    """
    text = str(value) if value not in (None, "") else default
    parts = [p for p in PurePosixPath(text.replace("\\", "/")).parts if p not in ("", ".")]
    escapes = (
        text.startswith(("/", "\\", "~"))
        or PureWindowsPath(text).drive != ""
        or ".." in parts
        or not parts
    )
    if not escapes:
        return "/".join(parts), None
    name = next((p for p in reversed(parts) if p not in ("..", "/")), "") or default
    name = PureWindowsPath(name).name or default
    return name, f"'{text}' is outside the run folder; the file is written as '{name}' inside it."
