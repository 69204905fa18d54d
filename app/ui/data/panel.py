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
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QSplitter,
    QWidget,
)

from app.data import SOURCES, DataConfig, Dataset, suggest_model_settings
from app.project.commands import set_data
from app.project.events import DATA_CHANGED, TRAINING_CHANGED, ProjectEvent
from app.project.settings import SettingsError
from app.ui.data.options import SourceOptionsForm
from app.ui.data.overview import DataOverview
from app.ui.data.settings_column import DataSettingsColumn
from app.ui.data.sources import compact
from app.ui.data.standardise import outside_normalisation_note, start_standardising
from app.ui.data.tasks import compat_task, load_task, project_data
from app.ui.data.views import WARN
from app.ui.data.worker import TaskRunner
from app.ui.own_edits import OwnEdits

if TYPE_CHECKING:
    from app.model import GraphEvent
    from app.ui.document import Document

AUTO_LOAD_MS = 350
RECHECK_MS = 700


class DataPanel(QWidget):
    """Data settings of the open document plus what the loaded data looks like."""

    dataset_loaded = Signal(object)
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.dataset: Dataset | None = None
        self.config = DataConfig()
        self.suggestion: dict[str, Any] | None = None
        self.form: SourceOptionsForm | None = None
        self._loading_ui = False
        self._stale = False
        self._own_edits = OwnEdits()  # the form's edits: no need to show them again
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
        settings = self.column = DataSettingsColumn(self.runner, self)
        self.settings_form = settings.form
        self.source_combo, self.availability = settings.source_combo, settings.availability
        self.options_box, self.options_layout = settings.options_box, settings.options_layout
        self.validation, self.split = settings.validation, settings.split
        self.folds = settings.folds
        self.val_path, self.normalization = settings.val_path, settings.normalization
        self.standardise_button, self.norm_note = settings.standardise_button, settings.norm_note
        self.target, self.seed = settings.target, settings.seed
        self.max_samples = settings.max_samples
        self.load_button, self.busy = settings.load_button, settings.busy
        self.source_combo.currentIndexChanged.connect(self._source_changed)
        self.standardise_button.clicked.connect(self.standardise_in_model)
        self.load_button.clicked.connect(self.load)
        for w in (self.validation, self.normalization, self.target):
            w.currentIndexChanged.connect(self._settings_changed)
        self.split.valueChanged.connect(self._settings_changed)
        self.folds.valueChanged.connect(self._settings_changed)
        self.seed.valueChanged.connect(self._settings_changed)
        self.max_samples.valueChanged.connect(self._settings_changed)
        self.val_path.changed.connect(self._settings_changed)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(settings)
        scroll.setMinimumWidth(340)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        right = DataOverview(self)
        self.title, self.compat, self.banner = right.title, right.compat, right.banner
        self.banner_text, self.apply_button = self.banner.message, self.banner.apply_button
        self.apply_button.clicked.connect(self.apply_suggestion)
        view = right.results
        self.shapes, self.notes, self.balance = view.shapes, view.notes, view.balance
        self.preview_stack, self.image_grid = view.preview_stack, view.image_grid
        self.preview_table = view.preview_table
        self.overview = right

        outer = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(scroll)
        outer.addWidget(right)
        outer.setStretchFactor(1, 1)
        outer.setSizes([370, 1000])
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(outer)
        self._source_changed()

    # ----- document ----------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Follow `document`: show its data settings; data loads when the panel is first shown."""
        if self.document is not None:
            self.document.graph.events.disconnect(self._on_graph_event)
            self.document.project.events.disconnect(self._on_project_event)
        self.document = document
        self.dataset, self.suggestion = None, None
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
        if event.kind == DATA_CHANGED and not self._own_edits.active:
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
            self.folds.setValue(cfg.folds)
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
            folds=self.folds.value(),
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
            compact(combo)
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
        self.availability.check(source)
        if store:
            if self.dataset is not None:  # the shown data belongs to the previous source
                self.dataset = None
                self._clear_results()
            self.title.setText(f"{source.title}: not loaded yet")
            self._settings_changed()

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
        self._own_edits.push(self.document, command, project.data)

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
        self.settings_form.setRowVisible(self.split, mode != "kfold")
        self.settings_form.setRowVisible(self.folds, mode == "kfold")
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
        self.overview.show_failure(message)

    def _on_loaded(self, result: tuple[Dataset, dict]) -> None:
        ds, pv = result
        self.dataset = ds
        project = self.document.project if self.document is not None else None
        if project is not None and not project.data.source:
            # A project without a data source trains on what the panel shows. Not an undo
            # step and no unsaved mark: nothing the user chose changed.
            self.config = self.read_config()
            with self._own_edits.applying():
                set_data(project, project_data(self.config, project)).apply(project)
        title = self.overview.show_dataset(ds, pv)
        self.refresh_suggestion()
        self.check_model()
        self.status_message.emit(f"Loaded {title}")
        self.dataset_loaded.emit(ds)

    def _clear_results(self) -> None:
        self.overview.clear()

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
        self.banner.offer(self.document, self.dataset)

    def apply_suggestion(self) -> bool:
        """Apply the suggested Input shapes, output units/activation and losses as one undo step."""
        if self.dataset is None or self.document is None:
            return False
        if not self.banner.apply(self.document, self.dataset):
            return False
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

    @property
    def problems(self) -> list[str]:
        """What the last check of data and model found wrong, in words."""
        return self.overview.problems

    def _set_compat(self, problems: list[str]) -> None:
        self.overview.set_compat(problems, loaded=self.dataset is not None)
