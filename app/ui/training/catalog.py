"""Names offered by the training settings: optimizers, losses, metrics, callbacks' fields.

Static lists work before Keras is loaded; `refresh_from_keras()` (call on the GUI thread only
once Keras is imported, i.e. after KerasLoader.ready) replaces them with what the installed
Keras offers.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from app.keras_internals import import_keras

OPTIMIZERS = [
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "Nadam",
    "RMSprop",
    "SGD",
]
# The loss choice that trains an output without a loss of its own: the model's add_loss terms
# (and weight regularizers) are then what training minimises. Saved as "none".
NO_LOSS_LABEL = "none (add_loss only)"
NO_LOSS_TIP = (
    "none (add_loss only): this output has no loss of its own and needs no targets; training "
    "minimises what the model's layers add with add_loss (and weight regularizers)."
)


def loss_choice(saved: str) -> str:
    """The loss picker's text for a saved loss name ("none" shows as NO_LOSS_LABEL)."""
    return NO_LOSS_LABEL if saved.strip().lower() in ("", "none") else saved


def saved_loss(choice: str) -> str:
    """The loss name saved for the picker's text (NO_LOSS_LABEL saves as "none")."""
    return "none" if choice.strip() == NO_LOSS_LABEL else choice.strip()


LOSSES = [
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "dice",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]
METRICS = [
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "mean_absolute_error",
    "mean_squared_error",
    "AUC",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "R2Score",
]
# Metric classes that cannot be created from their name alone (required constructor args).
_NEEDS_ARGS = {
    "Metric",
    "Mean",
    "MeanMetricWrapper",
    "Sum",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "IoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "BinaryIoU",
    "Reduction",
}
_NOT_NAMES = {"get", "serialize", "deserialize"}


def _whole_keras() -> Any:
    """Keras if it has been imported whole, else None: never starts an import and never waits
    for one (while the start-up import is under way, `sys.modules["keras"]` is half loaded)."""
    if "keras" not in sys.modules:
        return None
    try:
        return import_keras(wait=False)
    except Exception:  # noqa: BLE001 - the import failed: the static lists stay
        return None


def refresh_from_keras() -> bool:
    """Fill the lists from the installed Keras if it is already imported (never imports it)."""
    keras = _whole_keras()
    if keras is None or not hasattr(keras, "optimizers"):
        return False
    from app.compiler.training_rules import optimizer_names

    OPTIMIZERS[:] = optimizer_names()
    LOSSES[:] = sorted(
        n
        for n, v in vars(keras.losses).items()
        if inspect.isfunction(v) and n not in _NOT_NAMES and not n.startswith("_")
    )
    funcs = sorted(
        n
        for n, v in vars(keras.metrics).items()
        if inspect.isfunction(v) and n not in _NOT_NAMES and not n.startswith("_")
    )
    classes = sorted(
        n
        for n, v in vars(keras.metrics).items()
        if inspect.isclass(v) and issubclass(v, keras.metrics.Metric) and n not in _NEEDS_ARGS
    )
    METRICS[:] = ["accuracy", *funcs, *classes]
    return True


def optimizer_params(name: str) -> list[str]:
    """Constructor parameters of an optimizer (empty before Keras is loaded)."""
    keras = _whole_keras()
    cls = getattr(getattr(keras, "optimizers", None), name, None)
    if cls is None:
        return []
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return []
    return [
        f"{p.name}={p.default!r}"
        for p in sig.parameters.values()
        if p.name not in ("self", "learning_rate", "name", "kwargs")
        and p.default is not inspect.Parameter.empty
    ][:12]


def format_params(params: dict[str, Any]) -> str:
    """{'momentum': 0.9} -> 'momentum=0.9' (the text the settings form shows)."""
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in params.items())


def parse_params(text: str) -> dict[str, Any]:
    """'momentum=0.9, nesterov=true' -> {'momentum': 0.9, 'nesterov': True}; ValueError in words."""
    out: dict[str, Any] = {}
    for part in _split(text):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"Write settings as name=value, not “{part.strip()}”.")
        key, raw = (s.strip() for s in part.split("=", 1))
        if not key.isidentifier():
            raise ValueError(f"“{key}” is not a setting name.")
        low = raw.lower()
        if low in ("true", "false"):
            out[key] = low == "true"
        elif low in ("none", "null"):
            out[key] = None
        else:
            try:
                out[key] = json.loads(raw)
            except ValueError:
                out[key] = raw.strip("'\"")
    return out


def _split(text: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    parts, depth, cur, quote = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    return parts


def parse_class_weights(text: str) -> dict[str, float] | None:
    """'0: 1.0, 1: 2.5' -> {'0': 1.0, '1': 2.5}; empty -> None; ValueError in words."""
    if not text.strip():
        return None
    out = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if ":" not in part:
            raise ValueError(f"Write class weights as class: weight, not “{part.strip()}”.")
        k, v = (s.strip() for s in part.split(":", 1))
        try:
            out[str(int(k))] = float(v)
        except ValueError:
            raise ValueError(
                f"“{part.strip()}”: the class must be a whole number and the weight a number."
            ) from None
    return out


def project_code_names(project: Any, kind: str) -> list[str]:
    """The names of the project's code entries of `kind` ("loss", "metric", "callback"),
    offered by the pickers after Keras' own."""
    from app.project.project_code import names_of

    return names_of(project.code, kind) if project is not None else []


def project_code_source(project: Any, kind: str, name: str) -> str | None:
    """The code text of the project's entry `name` of `kind`, or None."""
    from app.project.project_code import find_entry

    entry = find_entry(project.code, name, kind) if project is not None else None
    return None if entry is None else entry.source


def project_blocks(project: Any) -> list[tuple[str, str]]:
    """(node id, name) of the blocks of the project's graph, inner ones included."""
    from app.nodes import BLOCK_SPEC_ID

    if project is None:
        return []
    return [
        (n.id, n.name)
        for _, g in project.graph.walk()
        for n in g.nodes()
        if n.spec_id == BLOCK_SPEC_ID
    ]


class CodeNamesCombo(QComboBox):
    """A loss picker that lists, when opened, the project's custom losses added since it was
    filled (`code_names` reads them)."""

    def __init__(self, code_names: Callable[[], list[str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.code_names = code_names

    def showPopup(self) -> None:  # noqa: N802 (Qt override)
        shown = {self.itemText(i) for i in range(self.count())}
        self.addItems([n for n in self.code_names() if n not in shown])
        super().showPopup()
