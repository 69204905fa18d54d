"""CodeCallbacksBox: the training settings' row of the project's own callbacks (project code).

Each project callback is a checkable line with its keyword options as JSON text; the box lists
the callbacks the project code has when it is filled and when it is shown again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget


class CodeCallbacksBox(QGroupBox):
    """Project callbacks on/off, each with {"option": value} keyword options."""

    changed = Signal()

    def __init__(self, code_names: Callable[[], list[str]], parent: QWidget | None = None):
        super().__init__("Project callbacks", parent)
        self.code_names = code_names
        self.form = QFormLayout(self)
        self.form.setContentsMargins(8, 4, 8, 4)
        self.rows: dict[str, tuple[QCheckBox, QLineEdit]] = {}
        self._configs: list[dict[str, Any]] = []  # the code callbacks of the shown settings
        self.set_callbacks([])

    def set_callbacks(self, configs: list[dict[str, Any]]) -> None:
        """Show these code callback settings (CallbackConfig dicts with code=True); no signal."""
        self._configs = [dict(c) for c in configs]
        self._rebuild()

    def refresh(self) -> None:
        """List callbacks the project code gained or lost since the box was filled."""
        names = self._names()
        if names != list(self.rows):
            self._configs = self.callbacks(strict=False)
            self._rebuild()

    def callbacks(self, strict: bool = True) -> list[dict[str, Any]]:
        """The shown code callbacks as CallbackConfig dicts; ValueError names bad options."""
        out = []
        for name, (check, options) in self.rows.items():
            try:
                params = _options(name, options.text())
            except ValueError:
                if strict:
                    raise
                params = {}
            if check.isChecked() or params:
                out.append(
                    {
                        "class_name": name,
                        "params": params,
                        "enabled": check.isChecked(),
                        "code": True,
                    }
                )
        return out

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.refresh()
        super().showEvent(event)

    def _names(self) -> list[str]:
        configured = [c["class_name"] for c in self._configs]
        return list(dict.fromkeys([*self.code_names(), *configured]))

    def _rebuild(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.rows = {}
        by_name = {c["class_name"]: c for c in self._configs}
        for name in self._names():
            cfg = by_name.get(name, {})
            check = QCheckBox(name, self)
            check.setChecked(bool(cfg.get("enabled", False)))
            if name not in self.code_names():
                check.setToolTip("The project code has no callback of this name any more.")
            params = cfg.get("params") or {}
            options = QLineEdit(json.dumps(params) if params else "", self)
            options.setPlaceholderText('options, e.g. {"patience": 3}')
            options.setToolTip("Keyword arguments of the class, as a JSON object.")
            check.toggled.connect(self.changed)
            options.editingFinished.connect(self.changed)
            self.form.addRow(check, options)
            self.rows[name] = (check, options)
        if not self.rows:
            hint = QLabel("Callbacks written in the Project code tab are listed here.", self)
            hint.setWordWrap(True)
            hint.setEnabled(False)
            self.form.addRow(hint)


def _options(name: str, text: str) -> dict[str, Any]:
    """The keyword options typed for callback `name`: a JSON object, or {} when empty."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ValueError(
            f'The options of callback {name} must be a JSON object, e.g. {{"patience": 3}}.'
        )
    return value
