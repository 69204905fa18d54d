"""Editors for a data source's options, built from its OptionSpecs; CSV and NumPy get pickers."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QWidget,
)

from app.data.source import DataSource, OptionSpec
from app.data.suggest import text_suggestion
from app.data.tabular import MISSING, csv_target_names

PREVIEW_ROWS = 2000
FILE_FILTERS = {"csv": "CSV files (*.csv *.tsv *.txt)", "numpy": "NumPy arrays (*.npz *.npy)"}
ROLES = (
    "—",
    "input",
    "target",
    "validation input",
    "validation target",
    "sample weights",
    "validation sample weights",
)
WEIGHT_ROLES = {"weights": "sample weights", "weights_val": "validation sample weights"}
ROLE_KEYS = {"input": "x", "target": "y", "validation input": "x_val", "validation target": "y_val"}


class PathEdit(QWidget):
    """A path line edit with a Browse button (file or folder)."""

    changed = Signal()

    def __init__(self, folder: bool, file_filter: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder, self.file_filter = folder, file_filter
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Choose a folder…" if folder else "Choose a file…")
        self.edit.editingFinished.connect(self.changed)
        browse = QToolButton(self)
        browse.setText("…")
        browse.setToolTip("Browse")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)

    def browse(self) -> None:
        if self.folder:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", self.edit.text())
        else:
            path, _ = QFileDialog.getOpenFileName(
                self, "Choose a file", self.edit.text(), f"{self.file_filter};;All files (*)"
            )
        if path:
            self.set_value(path)
            self.changed.emit()

    def value(self) -> str:
        return self.edit.text().strip()

    def set_value(self, value: Any) -> None:
        self.edit.setText(str(value or ""))


def csv_columns(path: str, delimiter: str = "") -> tuple[list[str], list[list[str]], list[str]]:
    """(header, first rows, a short description per column) from the first rows of a CSV file."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        head = f.read(1 << 20)
    lines = head.splitlines()[: PREVIEW_ROWS + 1]
    if not delimiter:
        try:
            delimiter = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    rows = [r for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)]
    if not rows:
        return [], [], []
    header = [h.strip() or f"column_{i}" for i, h in enumerate(rows[0])]
    body = [[c.strip() for c in r] for r in rows[1:]]
    info = []
    for i, _ in enumerate(header):
        values = [r[i] for r in body if i < len(r)]
        missing = sum(1 for v in values if v.lower() in MISSING)
        present = [v for v in values if v.lower() not in MISSING]
        try:
            [float(v) for v in present]
            kind = "numeric"
        except ValueError:
            # As "fit model to data" tells them apart: free text feeds a TextVectorization,
            # a category (a few values) a StringLookup.
            category = text_suggestion(np.array(present, dtype=object))["kind"] == "category"
            what = "categorical" if category else "text"
            kind = f"{what}, {len(set(present))} values"
        info.append(kind + (f", {missing} missing" if missing else ""))
    return header, body, info


class SourceOptionsForm(QWidget):
    """Widgets for every option of one source; `values()` gives the options dict."""

    changed = Signal()

    def __init__(self, source: DataSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.editors: dict[str, Any] = {}
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.columns_table: QTableWidget | None = None
        self.features: QListWidget | None = None
        self.target: QComboBox | None = None
        self.arrays: QTableWidget | None = None
        self.column_info: dict[str, str] = {}
        self._rows = 0
        for spec in source.options:
            self._add(spec)
        if source.id == "csv":
            self._add_csv_pickers()
        if source.id == "numpy":
            self._add_array_picker()

    # ----- building ------------------------------------------------------------------------------
    def _add(self, spec: OptionSpec) -> None:
        if spec.kind in ("columns", "arrays") or (
            (self.source.id, spec.name)
            in (("csv", "target"), ("numpy", "weights"), ("numpy", "weights_val"))
        ):
            return  # the pickers below edit these
        label = spec.name.replace("_", " ").capitalize()
        if spec.kind in ("path", "dir"):
            w = PathEdit(spec.kind == "dir", FILE_FILTERS.get(self.source.id, ""), self)
            w.changed.connect(lambda: self._path_changed())
        elif spec.name == "image_size":
            w = _SizeEdit(self)
            w.changed.connect(self.changed)
        elif spec.kind == "bool":
            w = QCheckBox(spec.help or label, self)
            w.toggled.connect(lambda _v: self.changed.emit())
            label = ""
        elif spec.kind == "int":
            w = QSpinBox(self)
            w.setRange(0, 10_000_000)
            w.valueChanged.connect(lambda _v: self.changed.emit())
        elif spec.kind == "float":
            w = QDoubleSpinBox(self)
            w.setDecimals(4)
            w.valueChanged.connect(lambda _v: self.changed.emit())
        elif spec.kind == "choice":
            w = QComboBox(self)
            w.addItems(list(spec.choices))
            w.currentTextChanged.connect(lambda _v: self.changed.emit())
        else:
            w = QLineEdit(self)
            w.editingFinished.connect(self.changed)
        if spec.help and spec.kind != "bool":
            w.setToolTip(spec.help)
        self.editors[spec.name] = w
        _set(w, spec.default)
        if label:
            self.form.addRow(label, w)
        else:
            self.form.addRow(w)

    def _add_csv_pickers(self) -> None:
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.target = QComboBox(row)
        self.target.setToolTip("The column the model learns to predict")
        self.target.currentTextChanged.connect(self._target_changed)
        self.more_targets = QToolButton(row)
        self.more_targets.setText("Targets…")
        self.more_targets.setToolTip(
            "Predict several columns: tick each one (each becomes a target of its own, for a "
            "model output of the same name)"
        )
        self.more_targets.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.target_menu = QMenu(self.more_targets)
        self.more_targets.setMenu(self.target_menu)
        line.addWidget(self.target, 1)
        line.addWidget(self.more_targets)
        self.form.insertRow(1, "Target column", row)
        self.features = QListWidget(self)
        self.features.setToolTip(
            f"Feature columns (inputs); type and missing values from the first {PREVIEW_ROWS} rows"
        )
        self.features.setMaximumHeight(150)
        self.features.itemChanged.connect(lambda _i: self.changed.emit())
        self.form.insertRow(2, "Features", self.features)
        self.columns_table = QTableWidget(self)
        self.columns_table.setMaximumHeight(150)
        self.columns_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.columns_table.verticalHeader().setDefaultSectionSize(20)
        self.form.insertRow(3, "Preview", self.columns_table)

    def _add_array_picker(self) -> None:
        self.arrays = QTableWidget(0, 4, self)
        self.arrays.setHorizontalHeaderLabels(["Array", "Shape", "Type", "Use as"])
        self.arrays.verticalHeader().setVisible(False)
        self.arrays.horizontalHeader().setStretchLastSection(True)
        self.arrays.setMaximumHeight(150)
        self.form.insertRow(1, "Arrays", self.arrays)

    # ----- files ------------------------------------------------------------------------------
    def _path_changed(self) -> None:
        self.refresh_file_info()
        self.changed.emit()

    def refresh_file_info(self) -> str:
        """Re-read the header of a CSV / the array list of a NumPy file; returns a problem or ""."""
        path = self.editors["path"].value() if "path" in self.editors else ""
        if not path or not Path(path).is_file():
            return ""
        try:
            if self.target is not None:
                self._fill_csv(path)
            elif self.arrays is not None:
                self._fill_arrays(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return f"{Path(path).name} cannot be read: {exc}"
        return ""

    def _fill_csv(self, path: str) -> None:
        delim = self.editors["delimiter"].text() if "delimiter" in self.editors else ""
        header, body, info = csv_columns(path, delim)
        self.column_info = dict(zip(header, info))
        self._rows = len(body)
        old_target = self.target.currentText()
        checked = set(self._checked_features())
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems(header)
        self._set_target(old_target, header)
        self.target.blockSignals(False)
        self._fill_features(header, checked)
        t = self.columns_table
        t.clear()
        t.setColumnCount(len(header))
        t.setRowCount(min(5, len(body)))
        t.setHorizontalHeaderLabels(header)
        for c, h in enumerate(header):
            t.horizontalHeaderItem(c).setToolTip(f"{h}: {self.column_info.get(h, '')}")
        for r, row in enumerate(body[:5]):
            for c, v in enumerate(row[: len(header)]):
                t.setItem(r, c, QTableWidgetItem(v))
        t.resizeColumnsToContents()

    def _set_target(self, target: str, header: list[str]) -> None:
        """Show `target`: a column, or several separated by commas (each a target array, as
        a project file may name them; offered as one more choice), else the last column."""
        names = csv_target_names(target, header)
        if len(names) > 1 and all(n in header for n in names):
            if self.target.findText(target) < 0:
                self.target.addItem(target)
            self.target.setCurrentText(target)
        else:
            self.target.setCurrentText(
                target if target in header else (header[-1] if header else "")
            )

    def _fill_target_menu(self, header: list[str]) -> None:
        """One checkable entry per column, ticked for the columns the target names."""
        targets = set(csv_target_names(self.target.currentText(), header))
        actions = self.target_menu.actions()
        if [a.text() for a in actions] != header:  # another file: new entries
            self.target_menu.clear()
            for h in header:
                action = self.target_menu.addAction(h)
                action.setCheckable(True)
                action.toggled.connect(lambda on, column=h: self._toggle_target(column, on))
            actions = self.target_menu.actions()
        for action in actions:  # (kept while one of them is being toggled)
            action.blockSignals(True)
            action.setChecked(action.text() in targets)
            action.blockSignals(False)

    def _toggle_target(self, column: str, on: bool) -> None:
        """Add a column to the targets or take it out (one column always stays)."""
        header = list(self.column_info)
        targets = set(csv_target_names(self.target.currentText(), header))
        targets = targets | {column} if on else targets - {column}
        names = [h for h in header if h in targets]
        if names:
            self._set_target(", ".join(names), header)  # -> _target_changed -> changed
        else:
            self._fill_target_menu(header)  # the last target stays ticked

    def _fill_features(self, header: list[str], checked: set[str]) -> None:
        self._fill_target_menu(header)
        targets = set(csv_target_names(self.target.currentText(), header))
        self.features.blockSignals(True)
        self.features.clear()
        for h in header:
            if h in targets:
                continue
            item = QListWidgetItem(f"{h}  ({self.column_info.get(h, '')})")
            item.setData(Qt.ItemDataRole.UserRole, h)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = h in checked if checked else not self._id_like(h)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.features.addItem(item)
        self.features.blockSignals(False)

    def _id_like(self, column: str) -> bool:
        """Text columns with a different value in almost every row (names, ids): off by default."""
        info = self.column_info.get(column, "")
        if not info.startswith(("categorical", "text")):
            return False
        values = int(info.split(",")[1].split()[0])
        return values > 20 and values > 0.5 * self._rows

    def _target_changed(self, _text: str) -> None:
        header = list(self.column_info)  # the columns (the target list may offer a pair too)
        self._fill_features(header, set(self._checked_features()))
        self.changed.emit()

    def _checked_features(self) -> list[str]:
        if self.features is None:
            return []
        return [
            self.features.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.features.count())
            if self.features.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _fill_arrays(self, path: str) -> None:
        from app.data.files import npz_arrays

        old = self._array_roles()
        arrays = npz_arrays(path)
        t = self.arrays
        t.setRowCount(len(arrays))
        for r, (name, (shape, dtype)) in enumerate(arrays.items()):
            t.setItem(r, 0, QTableWidgetItem(name))
            t.setItem(r, 1, QTableWidgetItem(str(tuple(shape))))
            t.setItem(r, 2, QTableWidgetItem(dtype))
            combo = QComboBox(t)
            combo.addItems(list(ROLES))
            guess = old.get(name) or _guess_role(name)
            combo.setCurrentText(guess)
            combo.currentTextChanged.connect(lambda _v: self.changed.emit())
            t.setCellWidget(r, 3, combo)
        t.resizeColumnsToContents()

    def _array_roles(self) -> dict[str, str]:
        if self.arrays is None:
            return {}
        out = {}
        for r in range(self.arrays.rowCount()):
            item, combo = self.arrays.item(r, 0), self.arrays.cellWidget(r, 3)
            if item is not None and combo is not None:
                out[item.text()] = combo.currentText()
        return out

    # ----- values ------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The options as plain data for DataConfig.options."""
        out = {name: _get(w) for name, w in self.editors.items()}
        if self.target is not None:
            out["target"] = self.target.currentText()
            all_features = self.features.count()
            chosen = self._checked_features()
            out["features"] = [] if len(chosen) == all_features else chosen
        if self.arrays is not None and self.arrays.rowCount():
            roles = self._array_roles()
            for role, key in ROLE_KEYS.items():
                out[key] = [n for n, r in roles.items() if r == role]
            for key, weight_role in WEIGHT_ROLES.items():
                out[key] = next((n for n, r in roles.items() if r == weight_role), "")
        return out

    def set_values(self, options: dict[str, Any]) -> None:
        """Show stored options (unknown keys are ignored)."""
        for name, w in self.editors.items():
            if name in options:
                w.blockSignals(True)
                _set(w, options[name])
                w.blockSignals(False)
        self.refresh_file_info()
        if self.target is not None and options.get("target"):
            self._set_target(str(options["target"]), list(self.column_info))
        if self.features is not None and options.get("features"):
            wanted = set(options["features"])
            self.features.blockSignals(True)
            for i in range(self.features.count()):
                it = self.features.item(i)
                on = it.data(Qt.ItemDataRole.UserRole) in wanted
                it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.features.blockSignals(False)
        if self.arrays is not None:
            roles = {n: role for role, key in ROLE_KEYS.items() for n in options.get(key, []) or []}
            for key, weight_role in WEIGHT_ROLES.items():
                if options.get(key):
                    roles[str(options[key])] = weight_role
            # Stored roles are the whole choice: an array they do not name is not used (its
            # guessed role would load arrays the project, and the command line, leave out).
            chosen = any(key in options for key in (*ROLE_KEYS.values(), *WEIGHT_ROLES))
            for r in range(self.arrays.rowCount()):
                name = self.arrays.item(r, 0).text()
                if name in roles or chosen:
                    combo = self.arrays.cellWidget(r, 3)
                    combo.blockSignals(True)
                    combo.setCurrentText(roles.get(name, ROLES[0]))
                    combo.blockSignals(False)


def _guess_role(name: str) -> str:
    low = name.lower()
    if low in ("x", "x_train", "inputs", "features", "images", "data"):
        return "input"
    if low in ("y", "y_train", "labels", "targets", "target"):
        return "target"
    if low in ("x_val", "x_test", "x_valid"):
        return "validation input"
    if low in ("y_val", "y_test", "y_valid"):
        return "validation target"
    return "—"


class _SizeEdit(QWidget):
    """Height x width spin boxes for image_size."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.h, self.w = QSpinBox(self), QSpinBox(self)
        for s in (self.h, self.w):
            s.setRange(4, 1024)
            s.valueChanged.connect(lambda _v: self.changed.emit())
        row.addWidget(self.h)
        row.addWidget(QLabel("×", self))
        row.addWidget(self.w)
        row.addStretch(1)

    def value(self) -> list[int]:
        return [self.h.value(), self.w.value()]

    def set_value(self, v: Any) -> None:
        if isinstance(v, list | tuple) and len(v) == 2:
            self.h.setValue(int(v[0]))
            self.w.setValue(int(v[1]))


def _get(w: QWidget) -> Any:
    if isinstance(w, PathEdit | _SizeEdit):
        return w.value()
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, QSpinBox | QDoubleSpinBox):
        return w.value()
    if isinstance(w, QComboBox):
        return w.currentText()
    return w.text()


def _set(w: QWidget, v: Any) -> None:
    if isinstance(w, PathEdit | _SizeEdit):
        w.set_value(v)
    elif isinstance(w, QCheckBox):
        w.setChecked(bool(v))
    elif isinstance(w, QSpinBox):
        w.setValue(int(v or 0))
    elif isinstance(w, QDoubleSpinBox):
        w.setValue(float(v or 0))
    elif isinstance(w, QComboBox):
        w.setCurrentText(str(v))
    else:
        w.setText("" if v is None else str(v))
