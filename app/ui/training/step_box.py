"""StepBox: the training settings' "Training step" row: Keras' own fit, or a step class of the
project code; for a step with its own __init__, which block each model parameter takes and the
other arguments and its compile arguments as JSON.

Nothing of the step's code runs here: its __init__ parameters are read from the text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

KERAS_FIT = "Keras' own (fit)"
WHOLE_MODEL_LABEL = "whole model"
NOT_A_MODEL = "(a value in arguments)"


class StepBox(QGroupBox):
    """Which training step fit runs, and how a step with its own __init__ is made."""

    changed = Signal()

    def __init__(
        self,
        step_names: Callable[[], list[str]],
        step_source: Callable[[str], str | None],
        blocks: Callable[[], list[tuple[str, str]]],
        parent: QWidget | None = None,
    ):
        super().__init__("Training step", parent)
        self.step_names, self.step_source, self.blocks = step_names, step_source, blocks
        self.form = QFormLayout(self)
        self.form.setContentsMargins(8, 4, 8, 4)
        self.choice = QComboBox(self)
        self.choice.setToolTip(
            "Keras' own fit, or a keras.Model subclass of the project code whose train_step / "
            "test_step fit runs (write one in the Project code tab: Add > Training step)."
        )
        self.choice.activated.connect(self._chosen)
        self.form.addRow("Step", self.choice)
        self.model_rows: dict[str, QComboBox] = {}
        self.args: QLineEdit | None = None
        self.compile_args: QLineEdit | None = None
        self._step: dict[str, Any] | None = None
        self.set_step(None)

    def _json_edit(self, hint: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setPlaceholderText(hint)
        edit.setToolTip(
            'A JSON object. A value {"class_name": ..., "config": {...}} is made by Keras '
            "(an optimizer, loss or metric); anything else is passed as it is."
        )
        edit.editingFinished.connect(self.changed)
        return edit

    # -- showing -------------------------------------------------------------------------------
    def set_step(self, step: dict[str, Any] | None) -> None:
        """Show this step setting (TrainingConfig.step plain data, or None); no signal."""
        self._step = dict(step) if step else None
        self._rebuild()

    def refresh(self) -> None:
        """List steps the project code gained since the box was filled."""
        names = self._names()
        shown = [self.choice.itemText(i) for i in range(1, self.choice.count())]
        if names != shown:
            self._step = self.step(strict=False)
            self._rebuild()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.refresh()
        super().showEvent(event)

    def _names(self) -> list[str]:
        configured = [self._step["name"]] if self._step else []
        return list(dict.fromkeys([*self.step_names(), *configured]))

    def _rebuild(self) -> None:
        while self.form.rowCount() > 1:
            self.form.removeRow(1)  # deletes the row's widgets
        self.model_rows, self.args, self.compile_args = {}, None, None
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItems([KERAS_FIT, *self._names()])
        step = self._step or {}
        self.choice.setCurrentText(step.get("name", KERAS_FIT))
        self.choice.blockSignals(False)
        if not step:
            return
        params = self._parameters(step["name"])
        if params is None:
            note = QLabel("Made from the model's inputs and outputs; compiled from the settings.")
            note.setWordWrap(True)
            note.setEnabled(False)
            self.form.addRow(note)
            return
        models = step.get("models", {})
        blocks = self.blocks()
        for param in params:
            combo = QComboBox(self)
            combo.addItem(NOT_A_MODEL, None)
            combo.addItem(WHOLE_MODEL_LABEL, "model")
            for node_id, name in blocks:
                combo.addItem(f"block {name}", node_id)
            chosen = models.get(param)
            index = combo.findData(chosen) if chosen is not None else 0
            if index < 0:  # a block named by name, or one that is gone
                index = next((i for i, (_, n) in enumerate(blocks) if n == chosen), -1) + 2
                if index < 2:
                    combo.addItem(f"{chosen} (missing)", chosen)
                    index = combo.count() - 1
            combo.setCurrentIndex(index)
            combo.setToolTip(f"The model the step's __init__ gets as '{param}'.")
            combo.activated.connect(self.changed)
            self.form.addRow(f"{param} =", combo)
            self.model_rows[param] = combo
        self.args = self._json_edit('other __init__ arguments, e.g. {"latent_dim": 128}')
        self.compile_args = self._json_edit(
            'its compile\'s arguments, e.g. {"d_optimizer": {"class_name": "Adam", '
            '"config": {"learning_rate": 0.0003}}}'
        )
        self.args.setText(json.dumps(step["args"]) if step.get("args") else "")
        self.compile_args.setText(json.dumps(step["compile"]) if step.get("compile") else "")
        self.form.addRow("Arguments", self.args)
        self.form.addRow("Compile", self.compile_args)

    def _parameters(self, name: str) -> list[str] | None:
        from app.project.project_code import CodeEntry, step_parameters

        source = self.step_source(name)
        return None if source is None else step_parameters(CodeEntry("step", name, source))

    # -- reading -------------------------------------------------------------------------------
    def step(self, strict: bool = True) -> dict[str, Any] | None:
        """The shown step as TrainingConfig.step plain data; ValueError names bad JSON."""
        name = self.choice.currentText()
        if not name or name == KERAS_FIT:
            return None
        if self._step is None or self._step.get("name") != name:
            return {"name": name}
        out: dict[str, Any] = {"name": name}
        models = {p: c.currentData() for p, c in self.model_rows.items() if c.currentData()}
        if models:
            out["models"] = models
        for key, edit in (("args", self.args), ("compile", self.compile_args)):
            if edit is None:  # Keras' own __init__: nothing to give it
                continue
            try:
                value = _json_object(key, edit.text())
            except ValueError:
                if strict:
                    raise
                value = self._step.get(key, {})
            if value:
                out[key] = value
        return out

    def _chosen(self, _index: int) -> None:
        self._step = self.step(strict=False)
        self._rebuild()
        self.changed.emit()


def _json_object(what: str, text: str) -> dict[str, Any]:
    """The JSON object typed for the step's `what`, or {} when empty."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        words = "arguments" if what == "args" else "compile arguments"
        raise ValueError(f"The training step's {words} must be a JSON object.")
    return value
