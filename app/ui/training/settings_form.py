"""TrainingSettingsForm: edits a TrainingConfig (optimizer, losses/metrics per output, fit, callbacks).

The form holds no project state: `set_config(dict, outputs)` shows settings, `config()` reads
them back as TrainingConfig plain data, and `changed` fires after each user edit (not while
loading), so the panel can record an undoable change on the project.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.project.callback_specs import CALLBACK_SPECS
from app.project.training_config import (
    DEVICES,
    SCHEDULES,
    TrainingError,
    default_metrics,
    resolved_metrics,
    resolved_weighted_metrics,
)
from app.ui.training import catalog
from app.ui.training.code_callbacks import CodeCallbacksBox
from app.ui.training.step_box import StepBox
from app.ui.wheel_guard import guard_fields

MONITORS = ["val_loss", "loss", "val_accuracy", "accuracy"]
SCHEDULE_DEFAULTS = {
    "ExponentialDecay": {"decay_steps": 1000, "decay_rate": 0.9},
    "CosineDecay": {"decay_steps": 1000},
    "PiecewiseConstantDecay": {"boundaries": [1000, 2000], "values": [0.001, 0.0005, 0.0001]},
    "InverseTimeDecay": {"decay_steps": 1000, "decay_rate": 0.5},
    "PolynomialDecay": {"decay_steps": 1000},
    "CosineDecayRestarts": {"first_decay_steps": 1000},
}


class MetricsButton(QToolButton):
    """A drop-down of checkable metric names; the button text lists the chosen ones."""

    changed = Signal()

    def __init__(
        self,
        chosen: list[str],
        parent: QWidget | None = None,
        default: str = "none",
        code_names: Callable[[], list[str]] = list,
        what: str = "Metrics",
    ) -> None:
        super().__init__(parent)
        self.default = default  # what is tracked when none are chosen
        self.what = what  # the tooltip's first word(s)
        self.code_names = code_names  # the project's custom metrics, read when the menu opens
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setMenu(QMenu(self))
        self.menu().aboutToShow.connect(self.add_code_names)
        self.set_chosen(chosen)

    def set_chosen(self, chosen: list[str]) -> None:
        self.menu().clear()
        for name in dict.fromkeys([*chosen, *catalog.METRICS, *self.code_names()]):
            self._add(name, name in chosen)
        self._update_text()

    def add_code_names(self) -> None:
        """List custom metrics the project gained since the menu was filled."""
        shown = {a.text() for a in self.menu().actions()}
        for name in self.code_names():
            if name not in shown:
                self._add(name, False)

    def _add(self, name: str, checked: bool) -> None:
        act = QAction(name, self.menu())
        act.setCheckable(True)
        act.setChecked(checked)
        act.toggled.connect(self._toggled)
        self.menu().addAction(act)

    def chosen(self) -> list[str]:
        return [a.text() for a in self.menu().actions() if a.isChecked()]

    def _toggled(self, _on: bool) -> None:
        self._update_text()
        self.changed.emit()

    def _update_text(self) -> None:
        names = self.chosen()
        self.setText(", ".join(names) if names else self.default)
        self.setToolTip(f"{self.what}: " + (", ".join(names) or self.default))

    def set_default(self, default: str) -> None:
        self.default = default
        self._update_text()


def default_metrics_text(loss: str) -> str:
    """What a metrics button says when none are chosen: the metrics training tracks anyway."""
    if loss == "auto":
        return "default for the loss"
    names = default_metrics({"output": catalog.saved_loss(loss)})["output"]
    return f"{', '.join(names)} (default)" if names else "none"


class TrainingSettingsForm(QScrollArea):
    """The training settings editor (scrollable column of groups)."""

    changed = Signal(str)  # a key of the edited field (edits of one field merge in undo)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self._loading = False
        # kind ("loss" / "metric" / "callback") -> names of the project's code of that kind (set by the panel)
        self.code_names: Callable[[str], list[str]] = lambda _kind: []
        self._outputs: list[str] = []
        self._extra: dict[str, Any] = {}
        self._callback_params: dict[str, dict[str, Any]] = {}
        host = QWidget(self)
        col = QVBoxLayout(host)
        col.setContentsMargins(6, 6, 6, 6)
        col.setSpacing(8)
        col.addWidget(self._optimizer_group())
        col.addWidget(self._outputs_group())
        col.addWidget(self._fit_group())
        col.addWidget(self._callbacks_group())
        self.code_callbacks = CodeCallbacksBox(lambda: self.code_names("callback"), host)
        self.code_callbacks.changed.connect(self._edited)
        col.addWidget(self.code_callbacks)
        # The project's code text of a step, and the graph's blocks (id, name): set by the panel.
        self.code_source: Callable[[str, str], str | None] = lambda _kind, _name: None
        self.blocks: Callable[[], list[tuple[str, str]]] = lambda: []
        self.step_box = StepBox(
            lambda: self.code_names("step"),
            lambda name: self.code_source("step", name),
            lambda: self.blocks(),
            host,
        )
        self.step_box.changed.connect(self._edited)
        col.insertWidget(0, self.step_box)
        col.addStretch(1)
        self.setWidget(host)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(300)
        self._wheel_guard = guard_fields(self)

    # -- groups -------------------------------------------------------------------------------
    def _optimizer_group(self) -> QGroupBox:
        box = QGroupBox("Optimizer", self)
        form = QFormLayout(box)
        self.optimizer = QComboBox(box)
        _compact(self.optimizer)
        self.optimizer.addItems(catalog.OPTIMIZERS)
        self.optimizer.currentTextChanged.connect(self._optimizer_changed)
        self.learning_rate = QLineEdit(box)
        v = QDoubleValidator(0.0, 1e12, 12, self.learning_rate)
        v.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.learning_rate.setValidator(v)
        self.learning_rate.editingFinished.connect(self._edited)
        self.opt_params = QLineEdit(box)
        self.opt_params.setPlaceholderText("e.g. weight_decay=0.004")
        self.opt_params.editingFinished.connect(self._edited)
        # Keras' schedules, then the project's (code), listed again when the picker opens
        self.schedule = catalog.CodeNamesCombo(lambda: self.code_names("schedule"), box)
        _compact(self.schedule)
        self.schedule.addItems(["Constant", *SCHEDULES])
        self.schedule.currentTextChanged.connect(self._schedule_changed)
        self.schedule_params = QLineEdit(box)
        self.schedule_params.editingFinished.connect(self._edited)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Settings", self.opt_params)
        form.addRow("LR schedule", self.schedule)
        form.addRow("Schedule settings", self.schedule_params)
        self._opt_form = form
        form.setRowVisible(self.schedule_params, False)
        return box

    def _outputs_group(self) -> QGroupBox:
        box = QGroupBox("Loss and metrics per output", self)
        lay = QVBoxLayout(box)
        self.outputs_host = QWidget(box)
        self.outputs_layout = QVBoxLayout(self.outputs_host)
        self.outputs_layout.setContentsMargins(0, 0, 0, 0)
        self.out_widgets: dict[str, tuple[QComboBox, QDoubleSpinBox, MetricsButton, QLineEdit]] = {}
        self.weighted_widgets: dict[str, MetricsButton] = {}  # per output, next to its metrics
        lay.addWidget(self.outputs_host)
        note = QLabel("“auto” picks a loss that fits the output's activation and the data.", box)
        note.setWordWrap(True)
        note.setEnabled(False)
        lay.addWidget(note)
        return box

    def _fit_group(self) -> QGroupBox:
        box = QGroupBox("Fit", self)
        form = QFormLayout(box)
        self.batch_size = QSpinBox(box)
        self.batch_size.setRange(1, 1 << 20)
        self.epochs = QSpinBox(box)
        self.epochs.setRange(1, 100_000)
        self.seed = QSpinBox(box)
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setSpecialValueText("random")
        self.shuffle = QCheckBox("Shuffle each epoch", box)
        self.jit_compile = QCheckBox("XLA (jit_compile)", box)
        for w in (self.batch_size, self.epochs, self.seed):
            w.valueChanged.connect(self._edited)
        for c in (self.shuffle, self.jit_compile):
            c.toggled.connect(self._edited)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Seed", self.seed)
        form.addRow("", self.shuffle)
        form.addRow("", self.jit_compile)
        self.devices = QComboBox(box)
        for key, label in DEVICES.items():
            self.devices.addItem(label, key)
        self.devices.setToolTip(
            "Where training runs. All GPUs trains one replica per GPU (MirroredStrategy); the "
            "batch size is then the global batch, split between them."
        )
        self.devices.currentIndexChanged.connect(self._edited)
        self.devices.currentIndexChanged.connect(self._devices_hint)
        self.devices_note = QLabel(box)
        self.devices_note.setWordWrap(True)
        self.devices_note.setEnabled(False)
        self._gpus: int | None = None  # unknown until TensorFlow has been imported
        form.addRow("Devices", self.devices)
        form.addRow("", self.devices_note)
        self._fit_form = form
        form.setRowVisible(self.devices_note, False)
        return box

    def show_gpus(self, count: int) -> None:
        """Tell the form how many GPUs TensorFlow sees, so it can say what a setting will do."""
        self._gpus = count
        self._devices_hint()

    def _devices_hint(self, *_args) -> None:
        setting = self.devices.currentData()
        note = ""
        if self._gpus == 0 and setting in ("gpu", "all"):
            note = "no GPU found: training on the CPU"
        elif self._gpus and setting == "all":
            note = f"{self._gpus} GPU{'s' if self._gpus > 1 else ''} found"
        self.devices_note.setText(note)
        self._fit_form.setRowVisible(self.devices_note, bool(note))

    def _callbacks_group(self) -> QGroupBox:
        box = QGroupBox("Callbacks", self)
        lay = QVBoxLayout(box)
        self.cb_boxes: dict[str, QGroupBox] = {}
        self.cb_fields: dict[str, dict[str, QWidget]] = {}
        for name, spec in CALLBACK_SPECS.items():
            g = QGroupBox(name, box)
            g.setCheckable(True)
            g.setChecked(False)
            g.setToolTip(spec.help)
            form = QFormLayout(g)
            form.setContentsMargins(8, 4, 8, 4)
            fields: dict[str, QWidget] = {}
            for option in spec.shown_options:
                w = self._field(option.kind, option.default, g)
                fields[option.param] = w
                form.addRow(option.label, w)
            if not fields:
                hint = QLabel(spec.help, g)
                hint.setEnabled(False)
                form.addRow(hint)
            g.toggled.connect(self._callback_toggled)
            self.cb_boxes[name], self.cb_fields[name] = g, fields
            lay.addWidget(g)
            self._show_fields(g, False)
        return box

    def _field(self, kind: str, default: Any, parent: QWidget) -> QWidget:
        if kind == "monitor":
            w = QComboBox(parent)
            _compact(w)
            w.setEditable(True)
            w.addItems(MONITORS)
            w.setCurrentText(default)
            w.currentTextChanged.connect(self._edited)
        elif kind.startswith("choice:"):
            w = QComboBox(parent)
            w.addItems(kind[7:].split("|"))
            w.setCurrentText(default)
            w.currentTextChanged.connect(self._edited)
        elif kind == "int":
            w = QSpinBox(parent)
            w.setRange(0, 100_000)
            w.setValue(default)
            w.valueChanged.connect(self._edited)
        elif kind == "float":
            w = QLineEdit(repr(default), parent)
            w.setValidator(QDoubleValidator(w))
            w.editingFinished.connect(self._edited)
        elif kind == "bool":
            w = QCheckBox(parent)
            w.setChecked(default)
            w.toggled.connect(self._edited)
        elif kind == "table":
            w = StepTable(default, parent)
            w.changed.connect(self._edited)
        else:
            w = QLineEdit(str(default), parent)
            w.editingFinished.connect(self._edited)
        return w

    @staticmethod
    def _show_fields(box: QGroupBox, on: bool) -> None:
        box.setFlat(not on)  # an unchecked callback is just its title line
        box.setMaximumHeight(16_777_215 if on else box.fontMetrics().height() + 6)
        for child in box.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            child.setVisible(on)

    # -- reading / writing --------------------------------------------------------------------------
    def set_outputs(self, outputs: list[str]) -> None:
        """Model output names (rows of the loss table); keeps the current settings."""
        if outputs != self._outputs:
            self.set_config(self.config(), outputs)

    def refresh_names(self) -> None:
        """Re-read optimizer / loss / metric names (after Keras has loaded)."""
        if catalog.refresh_from_keras():
            self.set_config(self.config(), self._outputs)

    def set_config(self, data: dict[str, Any], outputs: list[str]) -> None:
        """Show TrainingConfig plain data for a model with these output names (emits nothing)."""
        self._loading = True
        try:
            self._load(dict(data), list(outputs))
        finally:
            self._loading = False

    def _load(self, d: dict[str, Any], outputs: list[str]) -> None:
        from app.project.training_config import TrainingConfig

        cfg = TrainingConfig.from_dict(d)
        self._outputs = outputs
        known = set(TrainingConfig().to_dict())
        self._extra = {k: v for k, v in d.items() if k not in known}
        self.optimizer.clear()
        self.optimizer.addItems(list(dict.fromkeys([*catalog.OPTIMIZERS, cfg.optimizer])))
        self.optimizer.setCurrentText(cfg.optimizer)
        self.learning_rate.setText(f"{cfg.learning_rate:g}")
        self.opt_params.setText(catalog.format_params(cfg.optimizer_params))
        self._optimizer_hint()
        sched = cfg.lr_schedule or {}
        shown = {self.schedule.itemText(i) for i in range(self.schedule.count())}
        for name in [*self.code_names("schedule"), sched.get("class_name", "Constant")]:
            if name not in shown:
                self.schedule.addItem(name)
                shown.add(name)
        self.schedule.setCurrentText(sched.get("class_name", "Constant"))
        self.schedule_params.setText(catalog.format_params(sched.get("params", {})))
        self._opt_form.setRowVisible(self.schedule_params, bool(sched))
        while self.outputs_layout.count():
            w = self.outputs_layout.takeAt(0).widget()
            if w is not None:
                w.hide()
                w.deleteLater()
        self.out_widgets = {}
        self.weighted_widgets = {}
        try:
            class_weights = cfg.class_weights_by_output(outputs)
        except TrainingError:  # weights for outputs the model no longer has
            class_weights = {}
        shown_metrics = resolved_metrics(list(outputs), cfg, {}) if cfg.metrics else {}
        shown_weighted = resolved_weighted_metrics(list(outputs), cfg)
        for name in outputs:
            frame = QWidget(self.outputs_host)
            form = QFormLayout(frame)
            form.setContentsMargins(0, 2, 0, 2)
            if len(outputs) > 1:
                form.addRow(QLabel(f"<b>Output {html.escape(name)}</b>", frame))
            loss = catalog.CodeNamesCombo(lambda: self.code_names("loss"), frame)
            loss.setEditable(True)
            _compact(loss)
            loss.addItems(
                ["auto", catalog.NO_LOSS_LABEL, *catalog.LOSSES, *self.code_names("loss")]
            )
            loss.setItemData(1, catalog.NO_LOSS_TIP, Qt.ItemDataRole.ToolTipRole)
            loss.setToolTip(f"The loss this output trains with. {catalog.NO_LOSS_TIP}")
            loss.setCurrentText(catalog.loss_choice(cfg.losses.get(name, "auto")))
            loss.currentTextChanged.connect(self._edited)
            weight = QDoubleSpinBox(frame)
            weight.setRange(0.0, 1e6)
            weight.setDecimals(3)
            weight.setSingleStep(0.1)
            weight.setValue(cfg.loss_weights.get(name, 1.0))
            weight.valueChanged.connect(self._edited)
            # Shown as training resolves them: a single output's one entry under another name
            # is its own, and with none chosen anywhere the loss's default metrics are tracked.
            metrics = MetricsButton(
                shown_metrics.get(name, []),
                frame,
                default="none" if cfg.metrics else default_metrics_text(loss.currentText()),
                code_names=lambda: self.code_names("metric"),
            )
            if not cfg.metrics:
                loss.currentTextChanged.connect(
                    lambda text, m=metrics: m.set_default(default_metrics_text(text))
                )
            metrics.changed.connect(self._edited)
            weighted = MetricsButton(
                shown_weighted.get(name, []),
                frame,
                code_names=lambda: self.code_names("metric"),
                what="Weighted by the sample or class weights",
            )
            weighted.changed.connect(self._edited)
            cw = QLineEdit(frame)
            cw.setPlaceholderText("e.g. 0: 1.0, 1: 3.0")
            cw.setToolTip(
                "Weigh the loss of each class's samples (classifiers); classes not listed weigh 1."
            )
            cw.setText(", ".join(f"{k}: {v:g}" for k, v in class_weights.get(name, {}).items()))
            cw.editingFinished.connect(self._edited)
            form.addRow("Loss", loss)
            form.addRow("Loss weight", weight)
            form.addRow("Metrics", metrics)
            form.addRow("Weighted metrics", weighted)
            form.addRow("Class weights", cw)
            self.out_widgets[name] = (loss, weight, metrics, cw)
            self.weighted_widgets[name] = weighted
            self.outputs_layout.addWidget(frame)
        if not outputs:
            self.outputs_layout.addWidget(
                QLabel("The model has no outputs yet.", self.outputs_host)
            )
        if hasattr(self, "_wheel_guard"):
            self._wheel_guard.guard(self.outputs_host)
        self.batch_size.setValue(cfg.batch_size)
        self.epochs.setValue(cfg.epochs)
        self.seed.setValue(-1 if cfg.seed is None else min(cfg.seed, 2**31 - 1))
        self.shuffle.setChecked(cfg.shuffle)
        self.jit_compile.setChecked(cfg.jit_compile)
        self.devices.setCurrentIndex(max(0, self.devices.findData(cfg.devices)))
        self._devices_hint()
        self._other_callbacks = [
            c.to_dict() for c in cfg.callbacks if not c.code and c.class_name not in self.cb_boxes
        ]
        self.code_callbacks.set_callbacks([c.to_dict() for c in cfg.callbacks if c.code])
        self.step_box.set_step(cfg.step)
        for name, box in self.cb_boxes.items():
            cb = next((c for c in cfg.callbacks if c.class_name == name and not c.code), None)
            box.setChecked(bool(cb and cb.enabled))
            self._show_fields(box, box.isChecked())
            params = dict(cb.params) if cb else {}
            for option in CALLBACK_SPECS[name].shown_options:
                value = params.get(option.param, option.default)
                _set_value(self.cb_fields[name][option.param], option.kind, value)

    def config(self) -> dict[str, Any]:
        """The shown settings as TrainingConfig plain data; ValueError names a bad entry."""
        d: dict[str, Any] = dict(self._extra)
        d["optimizer"] = self.optimizer.currentText().strip() or "Adam"
        try:
            d["learning_rate"] = float(self.learning_rate.text().replace(",", "."))
        except ValueError:
            raise ValueError("The learning rate must be a number.") from None
        d["optimizer_params"] = catalog.parse_params(self.opt_params.text())
        sched = self.schedule.currentText()
        d["lr_schedule"] = (
            None
            if sched == "Constant"
            else {
                "class_name": sched,
                "params": catalog.parse_params(self.schedule_params.text()),
                **({} if sched in SCHEDULES else {"code": True}),  # the project's own
            }
        )
        losses, weights, metrics, class_weights = {}, {}, {}, {}
        for name, (loss_box, weight_box, metrics_box, cw_edit) in self.out_widgets.items():
            loss = catalog.saved_loss(loss_box.currentText())
            if loss and loss != "auto":
                losses[name] = loss
            w = weight_box.value()
            if w != 1.0:
                weights[name] = w
            chosen = metrics_box.chosen()
            if chosen:
                metrics[name] = chosen
            cw = catalog.parse_class_weights(cw_edit.text())
            if cw:
                class_weights[name] = cw
        d.update(losses=losses, loss_weights=weights, metrics=metrics)
        weighted = {n: box.chosen() for n, box in self.weighted_widgets.items() if box.chosen()}
        d.pop("weighted_metrics", None)  # files without weighted metrics stay as they were
        if weighted:
            d["weighted_metrics"] = weighted
        d["batch_size"] = self.batch_size.value()
        d["epochs"] = self.epochs.value()
        d["seed"] = None if self.seed.value() < 0 else self.seed.value()
        d["shuffle"] = self.shuffle.isChecked()
        d["jit_compile"] = self.jit_compile.isChecked()
        d["devices"] = self.devices.currentData() or "gpu"
        d["class_weight"] = class_weights or None
        callbacks = list(getattr(self, "_other_callbacks", []))
        for name, box in self.cb_boxes.items():
            if box.isChecked():
                params = {
                    o.param: _get_value(self.cb_fields[name][o.param], o.kind)
                    for o in CALLBACK_SPECS[name].shown_options
                }
                callbacks.append({"class_name": name, "params": params, "enabled": True})
        d["callbacks"] = callbacks + self.code_callbacks.callbacks()
        d["step"] = self.step_box.step()
        return d

    # -- edits ---------------------------------------------------------------------------------------
    def _edited(self, *_args) -> None:
        if not self._loading:
            sender = self.sender()
            self.changed.emit(f"{type(sender).__name__}:{id(sender)}" if sender else "")

    def _optimizer_changed(self, _name: str) -> None:
        self._optimizer_hint()
        self._edited()

    def _optimizer_hint(self) -> None:
        params = catalog.optimizer_params(self.optimizer.currentText())
        self.opt_params.setToolTip(
            "Other constructor settings, name=value separated by commas."
            + ("\nAvailable: " + ", ".join(params) if params else "")
        )

    def _schedule_changed(self, name: str) -> None:
        if not self._loading:
            self.schedule_params.setText(catalog.format_params(SCHEDULE_DEFAULTS.get(name, {})))
        self._opt_form.setRowVisible(self.schedule_params, name != "Constant")
        self._edited()

    def _callback_toggled(self, on: bool) -> None:
        box = self.sender()
        if isinstance(box, QGroupBox):
            self._show_fields(box, on)
        self._edited()


class StepTable(QWidget):
    """The LearningRateScheduler step table: first epoch -> learning rate."""

    changed = Signal()

    def __init__(self, table: dict[str, float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["From epoch", "Learning rate"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setFixedHeight(110)
        self.table.itemChanged.connect(lambda _i: self.changed.emit())
        add, remove = QPushButton("Add step", self), QPushButton("Remove", self)
        add.clicked.connect(self._add)
        remove.clicked.connect(self._remove)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table)
        lay.addLayout(row)
        self.set_table(table)

    def set_table(self, table: dict[str, float]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for k, v in sorted(table.items(), key=lambda kv: int(kv[0])):
            self._append(str(k), f"{float(v):g}")
        self.table.blockSignals(False)

    def value(self) -> dict[str, float]:
        out = {}
        for r in range(self.table.rowCount()):
            e, lr = self.table.item(r, 0), self.table.item(r, 1)
            try:
                out[str(int(e.text()))] = float(lr.text())
            except (AttributeError, ValueError):
                raise ValueError(
                    f"Step {r + 1} of the learning-rate table needs a whole epoch "
                    f"number and a rate."
                ) from None
        return out

    def _append(self, epoch: str, rate: str) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, 0, QTableWidgetItem(epoch))
        self.table.setItem(r, 1, QTableWidgetItem(rate))

    def _add(self) -> None:
        last = self.table.rowCount()
        epoch = int(self.table.item(last - 1, 0).text()) + 10 if last else 0
        self._append(str(epoch), "0.0001")
        self.changed.emit()

    def _remove(self) -> None:
        rows = sorted(
            {i.row() for i in self.table.selectedIndexes()}
            or ({self.table.rowCount() - 1} if self.table.rowCount() else set())
        )
        for r in reversed(rows):
            self.table.removeRow(r)
        self.changed.emit()


def _compact(combo: QComboBox) -> None:
    """Let a combo box shrink to the sidebar instead of growing to its longest item."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)


def _set_value(w: QWidget, kind: str, value: Any) -> None:
    if isinstance(w, QComboBox):
        w.setCurrentText(str(value))
    elif isinstance(w, QSpinBox):
        w.setValue(int(value))
    elif isinstance(w, QCheckBox):
        w.setChecked(bool(value))
    elif isinstance(w, StepTable):
        w.set_table(value if isinstance(value, dict) else {})
    elif isinstance(w, QLineEdit):
        w.setText(
            f"{value:g}" if kind == "float" and isinstance(value, int | float) else str(value)
        )


def _get_value(w: QWidget, kind: str) -> Any:
    if isinstance(w, QComboBox):
        return w.currentText().strip()
    if isinstance(w, QSpinBox):
        return w.value()
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, StepTable):
        return w.value()
    text = w.text().strip()
    if kind == "float":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise ValueError(f"“{text}” is not a number.") from None
    return text
