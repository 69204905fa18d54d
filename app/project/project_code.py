"""Project code: Python the training settings name (losses, metrics, callbacks, LR schedules,
training steps).

Each entry is (kind, name, source): `name` is what the code defines and what the training
settings pick, `source` the code text.  The kinds are a registry (CODE_KINDS): the Project code
panel, compile_model, the code generator and the CLI read it, so a new kind (callbacks,
schedules, training steps) is one table entry.  Nothing here runs code or imports Keras.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.project.settings import SettingsError

MAX_ENTRIES = 1000
MAX_SOURCE_CHARS = 1_000_000


@dataclass(frozen=True)
class CodeKind:
    """One kind of project code: where Keras takes it and what the code must define."""

    key: str  # saved in the file
    label: str  # shown in the panel
    keras_bases: tuple[str, ...]  # a class must subclass one of these (keras attribute paths)
    functions: bool  # a plain function `def name(<function_args>)` is accepted too
    template: str  # the code of a new entry; NAME is replaced by the entry's name
    saved_in_models: bool = True  # registered with Keras so run files (.keras) can name it
    function_args: str = "y_true, y_pred"


CODE_KINDS: dict[str, CodeKind] = {
    k.key: k
    for k in (
        CodeKind(
            "loss",
            "Loss",
            ("losses.Loss",),
            True,
            "def NAME(y_true, y_pred):\n"
            '    """Mean squared error, twice as heavy where the target is positive."""\n'
            "    weight = 1.0 + ops.cast(y_true > 0, y_pred.dtype)\n"
            "    return ops.mean(weight * ops.square(y_true - y_pred), axis=-1)\n",
        ),
        CodeKind(
            "metric",
            "Metric",
            ("metrics.Metric",),
            True,
            "class NAME(keras.metrics.Metric):\n"
            '    """Root mean squared error over the epoch."""\n\n'
            '    def __init__(self, name="NAME", **kwargs):\n'
            "        super().__init__(name=name, **kwargs)\n"
            '        self.total = self.add_variable((), initializer="zeros", name="total")\n'
            '        self.count = self.add_variable((), initializer="zeros", name="count")\n\n'
            "    def update_state(self, y_true, y_pred, sample_weight=None):\n"
            '        err = ops.square(ops.cast(y_true, "float32") - ops.cast(y_pred, "float32"))\n'
            "        self.total.assign_add(ops.sum(err))\n"
            '        self.count.assign_add(ops.cast(ops.size(err), "float32"))\n\n'
            "    def result(self):\n"
            "        return ops.sqrt(ops.divide_no_nan(self.total, self.count))\n\n"
            "    def reset_state(self):\n"
            "        self.total.assign(0.0)\n"
            "        self.count.assign(0.0)\n",
        ),
        CodeKind(
            "callback",
            "Callback",
            ("callbacks.Callback",),
            False,
            "class NAME(keras.callbacks.Callback):\n"
            '    """Stop when the loss has not improved for `patience` epochs."""\n\n'
            "    def __init__(self, patience=0):\n"
            "        super().__init__()\n"
            "        self.patience = patience\n\n"
            "    def on_train_begin(self, logs=None):\n"
            "        self.wait = 0\n"
            '        self.best = float("inf")\n\n'
            "    def on_epoch_end(self, epoch, logs=None):\n"
            '        loss = (logs or {}).get("loss")\n'
            "        if loss is None:\n"
            "            return\n"
            "        if loss < self.best:\n"
            "            self.best, self.wait = loss, 0\n"
            "        else:\n"
            "            self.wait += 1\n"
            "            if self.wait > self.patience:\n"
            "                self.model.stop_training = True\n",
            saved_in_models=False,  # fit's callbacks are not part of the model file
        ),
        CodeKind(
            "schedule",
            "LR schedule",
            ("optimizers.schedules.LearningRateSchedule",),
            True,  # a function is used through keras.callbacks.LearningRateScheduler
            "def NAME(epoch, lr):\n"
            '    """Keep the learning rate for 2 epochs, then halve it every epoch."""\n'
            "    return lr if epoch < 2 else lr * 0.5\n",
            function_args="epoch, lr",
        ),
        CodeKind(
            "step",
            "Training step",
            ("Model",),
            False,
            "import tensorflow as tf\n\n\n"
            "class NAME(keras.Model):\n"
            '    """fit\'s own step written out: the loss from compile, gradients, metrics."""\n\n'
            "    def train_step(self, data):\n"
            "        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n"
            "        with tf.GradientTape() as tape:\n"
            "            y_pred = self(x, training=True)\n"
            "            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)\n"
            "        gradients = tape.gradient(loss, self.trainable_variables)\n"
            "        pairs = zip(gradients, self.trainable_variables, strict=True)\n"
            "        self.optimizer.apply_gradients(pairs)\n"
            "        return self.update_metrics(loss, y, y_pred, sample_weight)\n\n"
            "    def test_step(self, data):\n"
            "        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)\n"
            "        y_pred = self(x, training=False)\n"
            "        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)\n"
            "        return self.update_metrics(loss, y, y_pred, sample_weight)\n\n"
            "    def update_metrics(self, loss, y, y_pred, sample_weight):\n"
            "        for metric in self.metrics:\n"
            '            if metric.name == "loss":\n'
            "                metric.update_state(loss)\n"
            "            else:\n"
            "                metric.update_state(y, y_pred, sample_weight=sample_weight)\n"
            "        return {m.name: m.result() for m in self.metrics}\n",
            # The run keeps the graph's plain Functional model: the step class is never in a file.
            saved_in_models=False,
        ),
    )
}


@dataclass(frozen=True)
class CodeEntry:
    """One piece of project code: its kind (a CODE_KINDS key), the name it defines, its text."""

    kind: str
    name: str
    source: str

    def to_dict(self) -> dict[str, str]:
        """Plain data for the project file."""
        return {"kind": self.kind, "name": self.name, "source": self.source}

    @property
    def label(self) -> str:
        """How the UI names it: "Metric RMSE"."""
        return f"{CODE_KINDS[self.kind].label} {self.name}"


def new_entry(kind: str, name: str) -> CodeEntry:
    """An entry of `kind` holding its template code, which defines `name`."""
    return CodeEntry(kind, name, CODE_KINDS[kind].template.replace("NAME", name))


def check_entry(entry: CodeEntry, others: Sequence[CodeEntry] = ()) -> None:
    """SettingsError in plain words if the entry cannot be kept (bad kind, name, or a clash)."""
    if not isinstance(entry.kind, str) or entry.kind not in CODE_KINDS:
        kinds = ", ".join(CODE_KINDS)
        raise SettingsError(f"Unknown kind of project code '{entry.kind}' (known: {kinds}).")
    if not isinstance(entry.name, str) or not entry.name.isidentifier():
        raise SettingsError(f"'{entry.name}' is not a Python name; project code needs one.")
    if not isinstance(entry.source, str) or len(entry.source) > MAX_SOURCE_CHARS:
        raise SettingsError(f"The code of '{entry.name}' must be text under 1 MB.")
    if any(o.name == entry.name for o in others):
        raise SettingsError(f"The project already has code named '{entry.name}'.")


def defines(entry: CodeEntry) -> bool:
    """True if the source defines a top-level function or class of the entry's name (no run)."""
    try:
        tree = ast.parse(entry.source)
    except SyntaxError:
        return False
    kinds = (ast.FunctionDef, ast.ClassDef)
    return any(isinstance(n, kinds) and n.name == entry.name for n in tree.body)


def defines_class(entry: CodeEntry) -> bool:
    """True if the source defines the entry's name as a top-level class (no run)."""
    try:
        tree = ast.parse(entry.source)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.ClassDef) and n.name == entry.name for n in tree.body)


def code_from_list(raw: Any) -> list[CodeEntry]:
    """The entries of a project file's "code" list; SettingsError on a malformed one."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ENTRIES:
        raise SettingsError("The project code must be a list of entries.")
    out: list[CodeEntry] = []
    for item in raw:
        if not isinstance(item, dict):
            raise SettingsError("Each project code entry must have a kind, a name and code.")
        entry = CodeEntry(item.get("kind"), item.get("name"), item.get("source", ""))
        check_entry(entry, out)
        out.append(entry)
    return out


def names_of(entries: list[CodeEntry], kind: str) -> list[str]:
    """The names of the entries of one kind, in project order (what the pickers list)."""
    return [e.name for e in entries if e.kind == kind]


def find_entry(entries: list[CodeEntry], name: str, kind: str | None = None) -> CodeEntry | None:
    """The entry named `name` (of `kind` if given), or None."""
    return next((e for e in entries if e.name == name and kind in (None, e.kind)), None)


def free_name(entries: list[CodeEntry], base: str) -> str:
    """`base`, or `base_2`, `base_3`, ... : the first name no entry has."""
    taken = {e.name for e in entries}
    n = 1
    while (name := base if n == 1 else f"{base}_{n}") in taken:
        n += 1
    return name


def step_parameters(entry: CodeEntry) -> list[str] | None:
    """The parameters of a step class's own __init__ (without self, *args, **kwargs), read
    from the text without running it; None when the class keeps Keras' own __init__ (it is
    made from the model's inputs and outputs)."""
    try:
        tree = ast.parse(entry.source)
    except SyntaxError:
        return None
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == entry.name), None)
    init = next(
        (
            n
            for n in (cls.body if cls else [])
            if isinstance(n, ast.FunctionDef) and n.name == "__init__"
        ),
        None,
    )
    if init is None:
        return None
    args = init.args
    return [a.arg for a in [*args.posonlyargs, *args.args][1:]] + [a.arg for a in args.kwonlyargs]
