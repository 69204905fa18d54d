"""The data panel: choose a dataset, see its shapes, class balance and a preview, and fit the model
(Input shape, output units/activation, loss) to it in one undo step.

Settings edits are project commands on the document's undo stack; the form follows the project's
DATA_CHANGED events (undo, redo) and the fit banner its TRAINING_CHANGED events (losses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.data import SOURCES, DataConfig, Dataset, suggest_model_settings
from app.project.commands import fit_model_to_data, set_data
from app.project.events import DATA_CHANGED, TRAINING_CHANGED, ProjectEvent
from app.project.settings import SettingsError
from app.ui.data.fit_model import fit_command
from app.ui.data.options import PathEdit, SourceOptionsForm
from app.ui.data.results import DatasetView
from app.ui.data.standardise import BUTTON_TIP, outside_normalisation_note, start_standardising
from app.ui.data.tasks import compat_task, load_task, project_data
from app.ui.data.views import notice
from app.ui.data.worker import TaskRunner
from app.ui.undo import push

if TYPE_CHECKING:
    from app.model import GraphEvent
    from app.ui.document import Document

AUTO_LOAD_MS = 350
RECHECK_MS = 700
VALIDATION_LABELS = {
    "split": "Hold out a split",
    "source": "The source's test set",
    "separate": "A separate file",
    "none": "No validation",
}
NORM_LABELS = {
    "none": "None",
    "standard": "Standardise outside the model",
    "minmax": "Min-max to 0..1",
}
KIND_GROUPS = {
    "bundled": "Bundled (offline)",
    "keras": "keras.datasets",
    "file": "Files",
    "synthetic": "Generated",
}
WARN = "#c0392b"
OK = "#2e7d4f"


class DataPanel(QWidget):
    """Data settings of the open document plus what the loaded data looks like."""

    dataset_loaded = Signal(object)
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.dataset: Dataset | None = None
        self.config = DataConfig()
        self.problems: list[str] = []
        self.suggestion: dict[str, Any] | None = None
        self.form: SourceOptionsForm | None = None
        self._loading_ui = False
        self._stale = False
        self._pushing = False  # the form is pushing its own edit: no need to show it again
        self._standardising = False  # statistics for "Standardise in the model" are computed
        self._norm_result = ""  # what the last "Standardise in the model" did, until an edit
        self.runner = TaskRunner(self)
        self.runner.busy_changed.connect(self._on_busy)
        self._load_timer = QTimer(self, singleShot=True, interval=AUTO_LOAD_MS)
        self._load_timer.timeout.connect(self.load)
        self._check_timer = QTimer(self, singleShot=True, interval=RECHECK_MS)
        self._check_timer.timeout.connect(self.check_model)
        self._build()

    # ----- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        settings = QWidget(self)
        form = QFormLayout(settings)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.source_combo = QComboBox(settings)
        self._fill_sources()
        self.source_combo.currentIndexChanged.connect(self._source_changed)
        form.addRow("Source", self.source_combo)
        self.availability = notice("", settings)
        form.addRow(self.availability)
        self.options_box = QGroupBox("Options", settings)
        self.options_layout = QVBoxLayout(self.options_box)
        form.addRow(self.options_box)
        self.validation = QComboBox(settings)
        for key, text in VALIDATION_LABELS.items():
            self.validation.addItem(text, key)
        self.split = QDoubleSpinBox(settings)
        self.split.setRange(0.0, 0.9)
        self.split.setSingleStep(0.05)
        self.split.setDecimals(2)
        self.val_path = PathEdit(False, "Data files (*.csv *.npz *.npy)", settings)
        self.settings_form = form
        form.addRow("Validation", self.validation)
        form.addRow("Split fraction", self.split)
        form.addRow("Validation file", self.val_path)
        self.normalization = QComboBox(settings)
        for key, text in NORM_LABELS.items():
            self.normalization.addItem(text, key)
        form.addRow("Normalise", self.normalization)
        self.standardise_button = QPushButton("Standardise in the model", settings)
        self.standardise_button.setToolTip(BUTTON_TIP)
        self.standardise_button.clicked.connect(self.standardise_in_model)
        form.addRow("", self.standardise_button)
        self.norm_note = notice("", settings)
        self.norm_note.hide()
        form.addRow(self.norm_note)
        self.target = QComboBox(settings)
        self.target.addItem("The labels", "labels")
        self.target.addItem("The inputs (autoencoder)", "inputs")
        form.addRow("Targets", self.target)
        self.seed = QSpinBox(settings)
        self.seed.setRange(0, 2**31 - 1)
        form.addRow("Seed", self.seed)
        self.max_samples = QSpinBox(settings)
        self.max_samples.setRange(0, 100_000_000)
        self.max_samples.setSpecialValueText("All")
        self.max_samples.setSingleStep(1000)
        form.addRow("Max samples", self.max_samples)
        for w in (self.validation, self.normalization, self.target):
            w.currentIndexChanged.connect(self._settings_changed)
        self.split.valueChanged.connect(self._settings_changed)
        self.seed.valueChanged.connect(self._settings_changed)
        self.max_samples.valueChanged.connect(self._settings_changed)
        self.val_path.changed.connect(self._settings_changed)
        load_row = QHBoxLayout()
        self.load_button = QPushButton("Load data", settings)
        self.load_button.clicked.connect(self.load)
        self.busy = QProgressBar(settings)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(80, 10)
        self.busy.hide()
        load_row.addWidget(self.load_button)
        load_row.addWidget(self.busy)
        load_row.addStretch(1)
        form.addRow(load_row)
        for combo in settings.findChildren(QComboBox):
            _compact(combo)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(settings)
        scroll.setMinimumWidth(340)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        right = QWidget(self)
        rbox = QVBoxLayout(right)
        rbox.setContentsMargins(6, 4, 4, 4)
        self.title = QLabel("No data loaded", right)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        rbox.addWidget(self.title)
        self.banner = QFrame(right)
        self.banner.setObjectName("fitBanner")
        self.banner.setStyleSheet(
            "#fitBanner { border: 1px solid palette(highlight); border-radius: 4px; }"
        )
        bbox = QHBoxLayout(self.banner)
        bbox.setContentsMargins(8, 4, 8, 4)
        self.banner_text = notice("", self.banner)
        self.apply_button = QPushButton("Fit model to data", self.banner)
        self.apply_button.setToolTip(
            "Set the Input shape, the output layer and the loss to match this data (one undo step)"
        )
        self.apply_button.clicked.connect(self.apply_suggestion)
        bbox.addWidget(self.banner_text, 1)
        bbox.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.banner.hide()
        rbox.addWidget(self.banner)
        self.compat = notice("", right)
        rbox.addWidget(self.compat)
        self.results = DatasetView(right)
        view = self.results
        self.shapes, self.notes, self.balance = view.shapes, view.notes, view.balance
        self.preview_stack, self.image_grid = view.preview_stack, view.image_grid
        self.preview_table = view.preview_table
        rbox.addWidget(view, 1)
        self.placeholder = notice(
            "Shapes, class balance and a preview appear here once the data is loaded.", right
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)
        rbox.addWidget(self.placeholder, 1)

        outer = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(scroll)
        outer.addWidget(right)
        outer.setStretchFactor(1, 1)
        outer.setSizes([370, 1000])
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(outer)
        self._source_changed()

    def _fill_sources(self) -> None:
        last_kind = None
        for src in SOURCES:
            if src.kind != last_kind:
                if last_kind is not None:
                    self.source_combo.insertSeparator(self.source_combo.count())
                last_kind = src.kind
            text = src.title
            if src.kind == "keras" and not src.cached():
                text += "  — not downloaded"
            self.source_combo.addItem(text, src.id)
            self.source_combo.setItemData(
                self.source_combo.count() - 1,
                KIND_GROUPS.get(src.kind, ""),
                Qt.ItemDataRole.ToolTipRole,
            )

    # ----- document ----------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Follow `document`: show its data settings; data loads when the panel is first shown."""
        if self.document is not None:
            self.document.graph.events.disconnect(self._on_graph_event)
            self.document.project.events.disconnect(self._on_project_event)
        self.document = document
        self.dataset, self.problems, self.suggestion = None, [], None
        self._stale = False
        self._standardising, self._norm_result = False, ""
        self.runner.shutdown()
        self._check_timer.stop()
        document.graph.events.connect(self._on_graph_event)
        document.project.events.connect(self._on_project_event)
        self._show_project_settings()
        self._clear_results()
        if self.isVisible():
            self._load_timer.start()

    def _show_project_settings(self) -> None:
        """Show the project's data settings (file paths resolved); a project without a source
        shows the first bundled dataset."""
        cfg = self.document.project.data_config()
        if cfg.source not in SOURCES:
            cfg = DataConfig(**{**cfg.to_dict(), "source": "sklearn.digits"})
        self.config = cfg
        self._show_config(cfg)

    def _on_project_event(self, event: ProjectEvent) -> None:
        if event.kind == DATA_CHANGED and not self._pushing:
            self._show_project_settings()  # undo / redo of a data settings edit
            if self.dataset is not None:
                self.dataset = None  # the shown data may be of other settings
                self._clear_results()
            if self.isVisible():
                self._schedule_load()  # else showEvent loads it
        elif event.kind == TRAINING_CHANGED and self.dataset is not None:
            self._on_graph_event(None)  # the losses may have changed: check again

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self.dataset is None and self.document is not None and self._auto_loadable():
            self._load_timer.start()
        elif self._stale and self.dataset is not None:
            self._stale = False
            self.refresh_suggestion()
            self._check_timer.start()

    def shutdown(self) -> None:
        """Stop timers and wait for background work (window closing, tests)."""
        self._load_timer.stop()
        self._check_timer.stop()
        self.runner.shutdown()

    def _show_config(self, cfg: DataConfig) -> None:
        self._loading_ui = True
        try:
            idx = self.source_combo.findData(cfg.source)
            self.source_combo.setCurrentIndex(max(idx, 0))
            self._source_changed(store=False)
            if self.form is not None:
                self.form.set_values(cfg.options)
            self.validation.setCurrentIndex(max(self.validation.findData(cfg.validation), 0))
            self.split.setValue(cfg.validation_split)
            vs = cfg.validation_source or {}
            self.val_path.set_value((vs.get("options") or {}).get("path", ""))
            self.normalization.setCurrentIndex(
                max(self.normalization.findData(cfg.normalization), 0)
            )
            self.target.setCurrentIndex(max(self.target.findData(cfg.target), 0))
            self.seed.setValue(cfg.seed)
            self.max_samples.setValue(cfg.max_samples)
        finally:
            self._loading_ui = False
        self._update_enabled()

    def read_config(self) -> DataConfig:
        """The settings the widgets show, as a DataConfig."""
        source = self.source_combo.currentData()
        mode = self.validation.currentData()
        vs = None
        if mode == "separate":
            vs = {
                "source": source,
                "options": {
                    **(self.form.values() if self.form else {}),
                    "path": self.val_path.value(),
                },
            }
        return DataConfig(
            source=source,
            options=self.form.values() if self.form else {},
            validation=mode,
            validation_split=round(self.split.value(), 4),
            validation_source=vs,
            normalization=self.normalization.currentData(),
            seed=self.seed.value(),
            max_samples=self.max_samples.value(),
            target=self.target.currentData(),
            input_map=dict(self.config.input_map),
            output_map=dict(self.config.output_map),
        )

    # ----- reacting to edits -------------------------------------------------------------------
    def select_source(self, source_id: str) -> None:
        """Choose a source as if picked in the combo box."""
        self.source_combo.setCurrentIndex(self.source_combo.findData(source_id))

    def _source_changed(self, *_args, store: bool = True) -> None:
        source = SOURCES[self.source_combo.currentData()]
        if self.form is not None:
            self.form.setParent(None)
            self.form.deleteLater()
        self.form = SourceOptionsForm(source, self.options_box)
        for combo in self.form.findChildren(QComboBox):
            _compact(combo)
        self.form.changed.connect(self._settings_changed)
        self.options_layout.addWidget(self.form)
        self.options_box.setVisible(bool(source.options))
        has_test = source.has_test_set
        model = self.validation.model()
        model.item(self.validation.findData("source")).setEnabled(has_test)
        if not self._loading_ui:
            self._loading_ui = True
            self.validation.setCurrentIndex(
                self.validation.findData("source" if has_test else "split")
            )
            if self.split.value() == 0:
                self.split.setValue(0.2)
            self._loading_ui = False
        self._check_availability(source)
        if store:
            if self.dataset is not None:  # the shown data belongs to the previous source
                self.dataset = None
                self._clear_results()
            self.title.setText(f"{source.title}: not loaded yet")
            self._settings_changed()

    def _check_availability(self, source) -> None:
        self._set_availability("", None)
        if source.kind == "keras":
            if source.cached():
                self._set_availability("In the Keras cache; works offline.", OK)
            else:
                self._set_availability("Not downloaded; checking the network…", None)
                self.runner.run(
                    "availability",
                    source.available,
                    lambda res, s=source: self._on_available(s, res),
                    lambda msg: self._set_availability(msg, WARN),
                )
        elif source.needs_model:
            self._set_availability(
                "Generated from the model's inputs and outputs: random values "
                "with the right shapes, to check that training runs.",
                None,
            )

    def _on_available(self, source, result: tuple[bool, str]) -> None:
        ok, why = result
        if ok:
            self._set_availability(
                "Not downloaded; needs network. It is downloaded when you press Load data.", None
            )
        else:
            self._set_availability(
                "Not downloaded; needs network — the download server cannot "
                "be reached. Connect once, or choose a bundled dataset.",
                WARN,
            )
            self.availability.setToolTip(why)

    def _set_availability(self, text: str, colour: str | None) -> None:
        self.availability.setText(text)
        self.availability.setToolTip("")
        self.availability.setVisible(bool(text))
        self.availability.setStyleSheet(f"color: {colour};" if colour else "")

    def _settings_changed(self, *_args) -> None:
        if self._loading_ui:
            return
        self._update_enabled()
        self.config = self.read_config()
        sender = self.sender()
        if self.document is not None:
            self._record(f"data:{type(sender).__name__}:{id(sender)}" if sender else "data")
        self._schedule_load()

    def _record(self, merge_key: str) -> None:
        """Put the shown settings on the undo stack (edits of one field merge into one step)."""
        project = self.document.project
        try:
            command = set_data(project, project_data(self.config, project), merge_key=merge_key)
        except SettingsError as exc:
            self._set_compat([exc.message])
            return
        if command.settings.to_dict() == project.data.to_dict():
            return
        self._pushing = True
        try:
            push(self.document.undo_stack, project, command)
        finally:
            self._pushing = False

    def _schedule_load(self) -> None:
        if self._auto_loadable() and self.document is not None:
            self._load_timer.start()
        else:
            self._load_timer.stop()  # e.g. a dataset that would have to be downloaded first

    def _update_enabled(self) -> None:
        mode = self.validation.currentData()
        autoencoder = self.target.currentData() == "inputs"
        self.standardise_button.setEnabled(not autoencoder and not self._standardising)
        note = outside_normalisation_note(self.normalization.currentData())
        self._show_norm_note(note or self._norm_result)
        self.split.setEnabled(mode == "split")
        self.val_path.setEnabled(mode == "separate")
        is_file = SOURCES[self.source_combo.currentData()].kind == "file"
        self.settings_form.setRowVisible(self.val_path, is_file)
        self.validation.model().item(self.validation.findData("separate")).setEnabled(is_file)

    def _auto_loadable(self) -> bool:
        source = SOURCES[self.source_combo.currentData()]
        if source.kind == "keras":
            return source.cached()
        if source.kind == "file":
            return bool(self.form and self.form.values().get("path"))
        return True

    # ----- loading -----------------------------------------------------------------------------
    def load(self) -> None:
        """Load the data the settings describe, off the GUI thread."""
        self._load_timer.stop()
        if self.document is None:
            return
        cfg = self.read_config()
        graph = self.document.graph.copy() if SOURCES[cfg.source].needs_model else None
        self.title.setText(f"Loading {SOURCES[cfg.source].title}…")
        self.runner.run(
            "load", lambda: load_task(cfg, graph), self._on_loaded, self._on_load_failed
        )

    @property
    def loading(self) -> bool:
        return self.runner.is_busy("load")

    def _on_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def _on_load_failed(self, message: str) -> None:
        self._clear_results()
        self.title.setText("The data could not be loaded")
        self._set_compat([message])

    def _on_loaded(self, result: tuple[Dataset, dict]) -> None:
        ds, pv = result
        self.dataset = ds
        project = self.document.project if self.document is not None else None
        if project is not None and not project.data.source:
            # A project without a data source trains on what the panel shows. Not an undo
            # step and no unsaved mark: nothing the user chose changed.
            self.config = self.read_config()
            self._pushing = True
            try:
                set_data(project, project_data(self.config, project)).apply(project)
            finally:
                self._pushing = False
        s = ds.summary()
        val = f", {s['val_samples']:,} validation" if s["val_samples"] else ", no validation"
        self.title.setText(f"{s['title']} — {s['samples']:,} training{val} samples · {s['task']}")
        self.placeholder.hide()
        self.results.show_dataset(ds, pv)
        self.results.show()
        self.refresh_suggestion()
        self.check_model()
        self.status_message.emit(f"Loaded {s['title']}")
        self.dataset_loaded.emit(ds)

    def _clear_results(self) -> None:
        self.title.setText("No data loaded")
        self.results.hide()
        self.results.clear()
        self.placeholder.show()
        self.banner.hide()
        self._set_compat([])

    # ----- standardising inside the model ------------------------------------------------------
    def standardise_in_model(self) -> bool:
        """Put the data's standardisation into the model (Normalization after each numeric
        Input, statistics of the training split) as one undo step; False if not started."""
        if self.document is None:
            return False
        raw = self.config.normalization == "none" and not self.loading
        self._standardising = start_standardising(
            self.document, self.runner, self.dataset if raw else None, self._standardised
        )
        if self._standardising:
            self._update_enabled()  # else _standardised has said why, and that stays shown
        return self._standardising

    def _standardised(self, sentence: str, ok: bool) -> None:
        self._standardising = False
        self._norm_result = sentence if ok else ""
        self._update_enabled()
        self.status_message.emit(sentence)
        if not ok:
            self._show_norm_note(sentence, WARN)

    def _show_norm_note(self, text: str, colour: str | None = None) -> None:
        self.norm_note.setText(text)
        self.norm_note.setStyleSheet(f"color: {colour};" if colour else "")
        self.norm_note.setVisible(bool(text))

    # ----- fitting the model -------------------------------------------------------------------
    def refresh_suggestion(self) -> None:
        """Show the 'Fit model to data' banner when the model's Input/output/loss differ."""
        if self.dataset is None or self.document is None:
            self.banner.hide()
            return
        self.suggestion = suggest_model_settings(self.dataset)
        try:
            cmd, losses, words = self._fit_command()
        except Exception as exc:  # noqa: BLE001 — a graph the builder rejects: say so, keep going
            self.banner_text.setText(
                f"The model cannot be fitted to this data automatically: {exc}"
            )
            self.apply_button.setEnabled(False)
            self.banner.show()
            return
        if cmd is None and not losses:
            self.banner.hide()
            return
        self.banner_text.setText("<b>Fit the model to this data?</b> " + " ".join(words))
        self.apply_button.setEnabled(True)
        self.banner.show()

    def _fit_command(self):
        current = self.document.project.training.losses
        return fit_command(
            self.document.graph, suggest_model_settings(self.dataset), current, self.dataset.task
        )

    def apply_suggestion(self) -> bool:
        """Apply the suggested Input shapes, output units/activation and losses as one undo step."""
        if self.dataset is None or self.document is None:
            return False
        doc = self.document
        cmd, losses, _ = self._fit_command()
        if cmd is None and not losses:
            return False
        push(doc.undo_stack, doc.project, fit_model_to_data(doc.project, cmd, losses))
        self.status_message.emit("Fitted the model to the data (undo with Ctrl+Z).")
        self.refresh_suggestion()
        return True

    def _on_graph_event(self, _event: GraphEvent | None) -> None:
        if self._norm_result and not self._standardising:
            self._norm_result = ""  # a later edit or an undo: the sentence is out of date
            self._update_enabled()
        if self.dataset is not None and not self.isVisible():
            self._stale = True  # checked when the panel is shown again: no model builds unseen
        elif self.dataset is not None:
            QTimer.singleShot(0, self.refresh_suggestion)
            self._check_timer.start()

    def check_model(self) -> None:
        """Compare data and model (check_compatibility) off the GUI thread; show it in words."""
        if self.dataset is None or self.document is None:
            return
        graph = self.document.graph.copy()
        losses = dict(self.document.project.training.losses)
        ds, cfg = self.dataset, self.config
        self.runner.run(
            "compat",
            lambda: compat_task(graph, ds, cfg, losses),
            self._set_compat,
            lambda msg: self._set_compat([f"The data could not be checked: {msg}"]),
        )

    def _set_compat(self, problems: list[str]) -> None:
        self.problems = list(problems)
        if not problems:
            fits = self.dataset is not None
            self.compat.setText("✓ The data fits the model." if fits else "")
            self.compat.setStyleSheet(f"color: {OK};" if fits else "")
            return
        self.compat.setText("\n".join(f"⚠ {p}" for p in problems))
        self.compat.setStyleSheet(f"color: {WARN};")


def _compact(combo: QComboBox) -> None:
    """Let a combo box shrink with the settings column instead of pushing it wider."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
