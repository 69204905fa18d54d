"""One editor widget per ParamSpec kind; the inspector builds its form from these."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from app.nodes.catalog import ACTIVATIONS
from app.nodes.spec import ParamSpec
from app.nodes.validate import DTYPES

INT_LIMIT = 2**31 - 1
NONE_TEXT = "None"
LONG_LIST = 8  # lists longer than this get a summary tooltip (e.g. a Normalization's mean)


def format_tuple(value: Any) -> str:
    """[3, 3] -> "3, 3"; [None, 64] -> "None, 64"."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join("None" if v is None else str(v) for v in value) if value else "()"
    return str(value)


def parse_tuple(text: str, allow_none: bool) -> list | None:
    """ "3, 3" -> [3, 3]; "(None, 64)" -> [None, 64]; "()" -> []; "" -> None. ValueError otherwise."""
    raw = text.strip()
    text = raw.strip("()[]").strip()
    if not text:
        return [] if raw else None
    out: list = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if part.lower() == "none":
            if not allow_none:
                raise ValueError("must be whole numbers such as '3, 3'")
            out.append(None)
            continue
        try:
            out.append(int(part))
        except ValueError:
            raise ValueError(f"must be whole numbers separated by commas, got {part!r}") from None
    return out


def format_free(value: Any) -> str:
    """A name as itself, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def list_summary(value: Any) -> str:
    """ "64 values from -1.5 to 3.2" for a long list of numbers; "" for anything else."""
    if not isinstance(value, list) or len(value) <= LONG_LIST:
        return ""
    numbers = [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(value):
        return f"{len(value)} values"
    return f"{len(value)} values from {min(numbers):.6g} to {max(numbers):.6g}"


def parse_free(text: str) -> Any:
    """JSON when it parses ({"class_name": ...}, 0.01, [1, 2]), else the text as a name."""
    text = text.strip()
    if not text:
        return None
    if text[0] in '{["-0123456789' or text in ("true", "false", "null"):
        try:
            return json.loads(text)
        except ValueError:
            if text[0] in "{[":
                raise ValueError("is not valid JSON") from None
    return text


class _FloatSpin(QDoubleSpinBox):
    """Shows 1e-05 and 0.5 as written, not as fixed decimals."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return format(value, ".6g")

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt override)
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # noqa: D102 - Qt override
        from PySide6.QtGui import QValidator

        t = text.strip()
        if t in ("", "-", "+", ".", "-.", "e", "E") or t.endswith(
            ("e", "E", "e-", "E-", "e+", "E+")
        ):
            return QValidator.State.Intermediate, text, pos
        try:
            float(t)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        return QValidator.State.Acceptable, text, pos


class ParamEditor(QObject):
    """Editor of one ParamSpec: `widget` to place in a form, `value()` to read, `committed` on edit."""

    committed = Signal()

    def __init__(self, spec: ParamSpec, parent: QWidget) -> None:
        super().__init__(parent)
        self.spec = spec
        self.widget = QWidget(parent)
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.editor = self._make_editor(spec)
        self.editor.setToolTip(spec.doc)
        layout.addWidget(self.editor, 1)
        # Optional values get a "None" box, except combos that list None themselves.
        self.none_box: QCheckBox | None = None
        if spec.optional and spec.kind not in ("activation", "dtype", "choice", "bool"):
            self.none_box = QCheckBox(NONE_TEXT, self.widget)
            self.none_box.setToolTip(f"Leave {spec.name} unset (None)")
            self.none_box.toggled.connect(self._on_none_toggled)
            layout.addWidget(self.none_box)
        self.widget.setToolTip(spec.doc)

    # ----- building --------------------------------------------------------------------------
    def _make_editor(self, ps: ParamSpec) -> QWidget:
        kind = ps.kind
        if kind == "int":
            w = QSpinBox(self.widget)
            w.setRange(
                int(ps.minimum) if ps.minimum is not None else -INT_LIMIT,
                int(ps.maximum) if ps.maximum is not None else INT_LIMIT,
            )
            w.setKeyboardTracking(False)
            w.setAccelerated(True)
            w.valueChanged.connect(self.committed)
            return w
        if kind == "float":
            w = _FloatSpin(self.widget)
            w.setDecimals(12)
            w.setRange(
                ps.minimum if ps.minimum is not None else -1e12,
                ps.maximum if ps.maximum is not None else 1e12,
            )
            span = (
                (ps.maximum - ps.minimum)
                if ps.minimum is not None and ps.maximum is not None
                else None
            )
            w.setSingleStep(0.05 if span is not None and span <= 1 else 0.1)
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self.committed)
            return w
        if kind == "bool":
            w = QCheckBox(self.widget)
            w.toggled.connect(self.committed)
            return w
        if kind in ("choice", "activation", "dtype"):
            w = QComboBox(self.widget)
            if kind == "choice":
                values = list(ps.choices)
            elif kind == "activation":
                w.setEditable(True)
                values = list(ACTIVATIONS)
            else:
                w.setEditable(True)
                values = list(DTYPES)
            if ps.optional and None not in values:
                values = [None, *values]
            for v in values:
                w.addItem(NONE_TEXT if v is None else str(v), v)
            w.activated.connect(self.committed)
            if w.isEditable():
                w.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
                w.lineEdit().editingFinished.connect(self.committed)
            return w
        w = QLineEdit(self.widget)
        w.setMaxLength(INT_LIMIT)  # Qt's default 32767 would cut a long list (a mean per feature)
        if kind == "int_tuple":
            w.setPlaceholderText("e.g. 3, 3" if (ps.length or 1) > 1 else "e.g. 3")
        elif kind == "shape":
            w.setPlaceholderText("e.g. 28, 28, 1  or  None, 64")
        elif kind in ("initializer", "regularizer", "constraint"):
            w.setPlaceholderText("a name, e.g. he_normal, or a Keras config as JSON")
        elif kind == "layer":
            w.setPlaceholderText('{"class_name": "LSTM", "config": {...}}')
        w.editingFinished.connect(self.committed)
        return w

    # ----- reading / writing -----------------------------------------------------------------
    def is_none(self) -> bool:
        return self.none_box is not None and self.none_box.isChecked()

    def value(self) -> Any:
        """The value in the editor (not yet validated); ValueError if the text cannot be read."""
        if self.is_none():
            return None
        w, kind = self.editor, self.spec.kind
        if kind == "int":
            return w.value()
        if kind == "float":
            w.interpretText()
            return float(w.value())
        if kind == "bool":
            return w.isChecked()
        if isinstance(w, QComboBox):
            text = w.currentText().strip()
            idx = w.findText(text, Qt.MatchFlag.MatchExactly)
            if idx >= 0:
                return w.itemData(idx)
            if not text or text == NONE_TEXT:
                return None
            return parse_free(text) if text[0] in "{[" else text
        text = w.text()
        if kind in ("int_tuple", "shape"):
            return parse_tuple(text, allow_none=kind == "shape")
        if kind == "string":
            return text
        return parse_free(text)

    def set_value(self, value: Any) -> None:
        """Show `value` without emitting `committed`."""
        blockers = [self.editor, self.none_box] if self.none_box is not None else [self.editor]
        was = [b.blockSignals(True) for b in blockers]
        if isinstance(self.editor, QComboBox) and self.editor.lineEdit() is not None:
            self.editor.lineEdit().blockSignals(True)
        try:
            if self.none_box is not None:
                self.none_box.setChecked(value is None)
                self.editor.setEnabled(value is not None)
            self._show(value)
        finally:
            for b, w in zip(blockers, was):
                b.blockSignals(w)
            if isinstance(self.editor, QComboBox) and self.editor.lineEdit() is not None:
                self.editor.lineEdit().blockSignals(False)

    def _show(self, value: Any) -> None:
        w, kind = self.editor, self.spec.kind
        if kind == "int":
            if isinstance(value, int | float):
                w.setValue(int(value))
            else:  # None: park the spin box on a legal value; the None box says it is unset
                w.setValue(max(w.minimum(), min(0, w.maximum())))
        elif kind == "float":
            w.setValue(float(value) if isinstance(value, int | float) else 0.0)
        elif kind == "bool":
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            idx = next((i for i in range(w.count()) if w.itemData(i) == value), -1)
            if idx >= 0:
                w.setCurrentIndex(idx)
            elif w.isEditable():
                w.setEditText(format_free(value))
        elif kind in ("int_tuple", "shape"):
            w.setText(format_tuple(value))
        elif kind == "string":
            w.setText("" if value is None else str(value))
        else:
            w.setText(format_free(value))
            w.setCursorPosition(0)  # a long value shows its start, not its end
            summary = list_summary(value)
            w.setToolTip(f"{summary}. {self.spec.doc}" if summary else self.spec.doc)

    def set_read_only(self, read_only: bool) -> None:
        self.widget.setEnabled(not read_only)

    def _on_none_toggled(self, checked: bool) -> None:
        self.editor.setEnabled(not checked)
        if (
            not checked
            and self.spec.kind in ("int_tuple", "shape")
            and not self.editor.text().strip()
        ):
            return  # wait for the user to type a value
        self.committed.emit()
