"""Puts the Data and Evaluation tabs and the model export items into the main window and wires
them to the document and to the training panel's last trained model."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMenu, QWidget

from app.ui.data.panel import DataPanel
from app.ui.evaluation import EvaluationPanel
from app.ui.export_model import ModelExporter

ROOMY_HEIGHT = 400  # the bottom dock grows to this when the data or evaluation tab is opened


def _export_menu(window) -> QMenu | None:
    for act in window.menuBar().actions():
        menu = act.menu()
        if menu is None or menu.title().replace("&", "") != "File":
            continue
        for sub in menu.actions():
            if sub.menu() is not None and sub.menu().title().replace("&", "") == "Export":
                return sub.menu()
    return None


def _training_panel(window) -> Any:
    """The training panel (duck-typed: it has last_model and a run_finished signal), if any."""
    for w in window.findChildren(QWidget):
        if hasattr(w, "last_model") and hasattr(w, "run_finished"):
            return w
    return None


class DataViews(QObject):
    """The data panel, the evaluation panel and the model exporter of one main window."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.data_panel = DataPanel(window)
        self.evaluation = EvaluationPanel(window)
        self.exporter = ModelExporter(window, self.trained_model)
        window.data_panel, window.evaluation = self.data_panel, self.evaluation
        window.tabs.addTab(self.data_panel, "Data")
        window.tabs.addTab(self.evaluation, "Evaluation")
        window.tabs.currentChanged.connect(self._tab_changed)
        for panel in (self.data_panel, self.evaluation):
            panel.status_message.connect(lambda m: window.statusBar().showMessage(m, 6000))
        self.data_panel.dataset_loaded.connect(self._dataset_loaded)
        menu = _export_menu(window)
        if menu is not None:
            self.exporter.install(menu)
        self._training = None
        QTimer.singleShot(0, self._connect_training)  # the training panel may be built later

    def trained_model(self) -> Any:
        """The last trained keras.Model, or None (exports then build the model from the graph)."""
        panel = self._training or _training_panel(self.window)
        return getattr(panel, "last_model", None)

    def _connect_training(self) -> None:
        panel = _training_panel(self.window)
        if panel is not None and panel is not self._training:
            self._training = panel
            panel.run_finished.connect(self._run_finished)

    def _run_finished(self, _result: dict) -> None:
        model = self.trained_model()
        self.evaluation.set_model(model, self.data_panel.dataset, "Last trained model")
        if model is not None and self.data_panel.dataset is None:
            self.data_panel.load()  # evaluation needs the data; it arrives via dataset_loaded
        elif model is not None and self.evaluation.isVisible():
            self.evaluation.evaluate()

    def _dataset_loaded(self, dataset) -> None:
        if self.evaluation.model is not None:
            self.evaluation.set_dataset(dataset)
            if self.evaluation.isVisible():
                self.evaluation.evaluate()

    def _tab_changed(self, _index: int) -> None:
        widget = self.window.tabs.currentWidget()
        dock = getattr(self.window, "panels_dock", None)
        if (
            widget in (self.data_panel, self.evaluation)
            and dock is not None
            and not dock.isFloating()
            and dock.height() < ROOMY_HEIGHT
        ):
            self.window.resizeDocks([dock], [ROOMY_HEIGHT], Qt.Orientation.Vertical)

    def set_document(self, document) -> None:
        """A new document: its data settings; the old model's evaluation is dropped."""
        self.data_panel.set_document(document)
        self.evaluation.set_model(None, None)

    def shutdown(self) -> None:
        """Stop timers and wait for background loading, evaluation and exports."""
        self.data_panel.shutdown()
        self.evaluation.shutdown()
        self.exporter.shutdown()
