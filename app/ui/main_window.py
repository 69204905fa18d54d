"""MainWindow: canvas in the centre, palette / inspector / panels in docks, menus and status bar.

The window composes its parts: it builds every view and hands each the collaborators it uses.
The bottom Data / Evaluation / Training tabs come from app.ui.window_parts (built on first show).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPalette, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.project.recovery import RecoveryStore
from app.ui.actions import WindowActions
from app.ui.block_nav import BlockNavigator, Breadcrumb
from app.ui.canvas_hint import EmptyCanvasHint
from app.ui.document import KERAS_SUFFIX, Document
from app.ui.export_model import ModelExporter
from app.ui.file_ops import FileOps
from app.ui.icons import app_icon
from app.ui.inspector import Inspector
from app.ui.keras_loader import KerasLoader
from app.ui.palette import LayerPalette
from app.ui.panels.code_view import CodePanel
from app.ui.panels.problems import ProblemsPanel
from app.ui.panels.summary import SummaryPanel
from app.ui.recovery import AutosaveController
from app.ui.trust import TrustBanner
from app.ui.validation import ValidationController
from app.ui.window_parts import (
    BOTTOM_DOCK_SHARE,
    DATA_TAB,
    EVALUATION_TAB,
    TRAINING_TAB,
    BottomPanels,
    PanelServices,
    first_window_geometry,
)
from app.ui.wording import counted

if TYPE_CHECKING:
    import keras

    from app.ui.data.panel import DataPanel
    from app.ui.evaluation.panel import EvaluationPanel
    from app.ui.training.panel import TrainingPanel
    from app.ui.training.plots import TrainingPlots

APP_TITLE = "LayerLoom"
KERAS_DOCS_URL = "https://keras.io/api/"
EMPTY_MODEL_NOTICE = "The model is empty: start with an Input from the Layers panel."


class MainWindow(QMainWindow, FileOps):
    """The editor window; it owns one Document at a time and wires every view to it."""

    def __init__(self, theme=None, recovery_dir: str | os.PathLike | None = None) -> None:
        super().__init__()
        self.theme = theme
        self.document: Document | None = None
        self.scene = None
        self.setWindowIcon(app_icon())
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            self.setGeometry(first_window_geometry(screen.availableGeometry()))
        # The inspector runs the full height on the right; the bottom panels fit beside it.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.setAcceptDrops(True)
        self.undo_group = QUndoGroup(self)
        self.keras = KerasLoader(self)
        self.keras.ready.connect(self._on_keras_ready)
        self.keras.failed.connect(self._on_keras_failed)
        self.validation: ValidationController | None = None
        self.autosave = AutosaveController(RecoveryStore(recovery_dir), self)
        self.autosave.failed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.last_report = None

        from app.ui.canvas.view import CanvasView

        self.navigator = BlockNavigator(self)
        self.navigator.changed.connect(self._show_graph)
        centre = QWidget(self)
        self.view = CanvasView(None, centre)
        self.breadcrumb = Breadcrumb(self.navigator, parent=centre)
        box = QVBoxLayout(centre)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.breadcrumb)
        box.addWidget(self.view, 1)
        self.setCentralWidget(centre)
        self.empty_hint = EmptyCanvasHint(self.view)
        # Custom layer code waits for trust; the banner sits above the canvas.
        self.trust_banner = TrustBanner(centre, reveal_node=self.reveal_node)
        self.trust_banner.trusted.connect(self._on_code_trusted)
        box.insertWidget(0, self.trust_banner)
        self._build_docks()
        self.actions_ = WindowActions(self)
        self.actions_.canvas_only(self.view)
        for dock in (self.palette_dock, self.inspector_dock, self.panels_dock):
            self.actions_.docks_menu.addAction(dock.toggleViewAction())
        self._build_status_bar()
        self._refresh_recent_menu()
        self._refresh_examples_menu()
        self.panels = BottomPanels(
            self,
            self.tabs,
            self.panels_dock,
            PanelServices(
                parent=self,
                status=self.show_status,
                report_error=lambda title, message: self.show_error(title, message),
                open_path=self.open_path,
                keras=self.keras,
                train_actions=self.actions_.train,
                data_panel=lambda: self.data_panel,
                training_panel=lambda: self.training_panel,
            ),
        )
        self.exporter = ModelExporter(self, self._trained_model)
        self.exporter.install(self.actions_.export_menu)
        self.exporter.exported.connect(self._model_exported)
        if theme is not None:
            self.actions_.themes[theme.mode].setChecked(True)
            theme.theme_changed.connect(self._on_theme_changed)
            self.code.set_dark(theme.is_dark)
        self.set_document(Document())
        self._restore_layout()

    # ----- layout ------------------------------------------------------------------------------
    def _build_docks(self) -> None:
        self.layer_palette = LayerPalette(self)
        self.layer_palette.add_requested.connect(self.add_layer_at_centre)
        self.palette_dock = self._dock(
            "Layers", "palette", self.layer_palette, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.inspector = Inspector(self)
        self.inspector.status_message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.inspector.project_of = lambda: self.document.project if self.document else None
        self.inspector_dock = self._dock(
            "Inspector", "inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.problems = ProblemsPanel(self)
        self.problems.node_activated.connect(self.reveal_node)
        self.summary = SummaryPanel(self)
        self.summary.node_activated.connect(self.reveal_node)
        self.code = CodePanel(self)
        self.code.saved.connect(lambda p: self.statusBar().showMessage(f"Saved script {p}", 5000))
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.problems, "Problems")
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(self.code, "Code")
        self.tabs.currentChanged.connect(lambda _i: self._refresh_code_if_visible())
        self.panels_dock = self._dock(
            "Panels", "panels", self.tabs, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.resizeDocks(
            [self.palette_dock, self.inspector_dock], [265, 320], Qt.Orientation.Horizontal
        )
        self.resizeDocks(
            [self.panels_dock], [int(self.height() * BOTTOM_DOCK_SHARE)], Qt.Orientation.Vertical
        )

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.problems_label = QLabel("", self)
        self.params_label = QLabel("", self)
        self.keras_busy = QProgressBar(self)
        self.keras_busy.setRange(0, 0)  # an indeterminate "working" bar
        self.keras_busy.setTextVisible(False)
        self.keras_busy.setFixedSize(70, 10)
        self.keras_label = QLabel("Loading Keras…", self)
        self.keras_label.setToolTip(
            "TensorFlow/Keras load in the background; shape checks start when ready."
        )
        for w in (self.problems_label, self.params_label, self.keras_busy, self.keras_label):
            bar.addPermanentWidget(w)

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    # ----- documents -----------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Show `document`: a new scene on its graph, inspector and checks following it."""
        old_doc = self.document
        self.document = document
        document.setParent(self)
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        self.navigator.reset(document.graph, document.undo_stack)
        self.breadcrumb.set_model_name(document.project.name or "Model")
        self.last_report = None
        self._show_graph(document.graph, document.undo_stack)
        if old_doc is not None:
            self.undo_group.removeStack(old_doc.undo_stack)
            old_doc.deleteLater()
        if self.validation is None:
            self.validation = ValidationController(document.graph, self)
            self.validation.report_ready.connect(self._on_report)
            self.validation.failed.connect(
                lambda m: self.statusBar().showMessage(f"Shape check failed: {m}", 8000)
            )
            self.validation.set_enabled(self.keras.is_ready)
        else:
            self.validation.set_graph(document.graph)
        document.graph.events.connect(self._on_graph_event)
        document.dirty_changed.connect(self._update_title)
        document.path_changed.connect(lambda _p: self._update_title())
        self.autosave.set_document(document)
        self.trust_banner.set_document(document)
        self.panels.set_document(document)
        self.summary.clear_report()
        if self.keras.is_ready:
            self.code.set_source(self._generate_code)
            self.problems.show_notice("Checking shapes…")
        else:
            self.problems.show_notice("Loading Keras… shape checks start as soon as it is ready.")
        self._update_title()
        self._update_counts()

    def _show_graph(self, graph, undo_stack) -> None:
        """Put a fresh scene for `graph` (the model or an opened block) on the canvas."""
        from app.ui.canvas.scene import GraphScene

        old_scene = self.scene
        self.scene = GraphScene(graph, undo_stack, self)
        self.scene.selection_changed_nodes.connect(self._on_selection)
        self.scene.status_message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.scene.open_block_requested.connect(self.navigator.open)
        self.view.setScene(self.scene)
        if old_scene is not None:
            old_scene.dispose()
            old_scene.deleteLater()
        self.inspector.set_context(graph, undo_stack)
        self.empty_hint.follow(graph)
        if self.last_report is not None:
            self.scene.set_report(self.last_report)
            self.inspector.set_report(self.last_report)
        self.actions_.leave_block.setEnabled(self.navigator.depth > 0)
        self._on_selection([])
        QTimer.singleShot(0, self.view.show_start)

    def _update_title(self, *_args) -> None:
        doc = self.document
        if doc is None:
            return
        star = "*" if doc.is_dirty else ""
        self.setWindowTitle(f"{APP_TITLE} — {doc.display_name}{star}")

    def _on_graph_event(self, _event) -> None:
        if self.keras.is_ready:
            self.code.schedule_refresh()

    # ----- Keras loading and checks --------------------------------------------------------------
    def start_background_work(self) -> None:
        """Start importing Keras (call once the window is on screen)."""
        self.keras.start()

    def _on_keras_ready(self, version: str) -> None:
        self.keras_busy.hide()
        self.keras_label.setText(f"Keras {version} ready")
        self.keras_label.setToolTip(
            f"Keras {version} (TensorFlow backend) loaded"
            + (f" in {self.keras.seconds:.1f} s" if self.keras.seconds else "")
        )
        self.problems.show_notice("Checking shapes…")
        if self.validation is not None:
            self.validation.set_enabled(True)
        self.code.set_source(self._generate_code)

    def _on_keras_failed(self, message: str) -> None:
        self.keras_busy.hide()
        self.keras_label.setText("Keras unavailable")
        self.keras_label.setToolTip(message)
        self.problems.show_notice(f"Keras could not be loaded: {message}")

    def _on_report(self, report) -> None:
        self.last_report = report
        graph = self.document.graph
        if self.scene is not None:
            self.scene.set_report(report)
        if len(graph) == 0:  # a start, not a fault: the canvas hint says how to begin
            self.problems.show_notice(EMPTY_MODEL_NOTICE)
        else:
            self.problems.set_report(report, graph)
        self.summary.set_report(report, graph)
        self.inspector.set_report(report)
        self._update_counts()

    def _update_counts(self) -> None:
        report = self.last_report
        if report is None:
            self.problems_label.setText("")
            self.params_label.setText(
                counted(len(self.document.graph), "layer") if self.document else ""
            )
            return
        problems = report.problems if len(self.document.graph) else []
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        if not len(self.document.graph):
            self.problems_label.setText("Empty model")
        elif errors or warnings:
            parts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
            parts += [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
            self.problems_label.setText("⚠ " + ", ".join(parts))
        else:
            self.problems_label.setText("✓ No problems")
        self.params_label.setText(
            f"{counted(len(self.document.graph), 'layer')} · {report.total_params:,} params"
        )
        self.tabs.setTabText(0, f"Problems ({len(problems)})" if problems else "Problems")

    def _generate_code(self) -> str:
        from app.compiler.codegen import generate_code

        return generate_code(self.document.graph, self.document.project)

    def _refresh_code_if_visible(self) -> None:
        if self.tabs.currentWidget() is self.code and self.keras.is_ready:
            self.code.refresh_now()

    # ----- bottom panels and training ------------------------------------------------------------
    @property
    def data_panel(self) -> DataPanel:
        return cast("DataPanel", self.panels.panel(DATA_TAB))

    @property
    def evaluation(self) -> EvaluationPanel:
        return cast("EvaluationPanel", self.panels.panel(EVALUATION_TAB))

    @property
    def training_panel(self) -> TrainingPanel:
        return cast("TrainingPanel", self.panels.panel(TRAINING_TAB))

    def _trained_model(self) -> keras.Model | None:
        """The last trained model, for File > Export (None: exports build one from the graph)."""
        training = cast("TrainingPanel | None", self.panels.existing(TRAINING_TAB))
        return training.last_model if training is not None else None

    def _training_plots(self) -> TrainingPlots | None:
        """The Training tab's plots, for File > Export (None before the tab is built)."""
        training = cast("TrainingPanel | None", self.panels.existing(TRAINING_TAB))
        return training.plots if training is not None else None

    def show_training_panel(self) -> TrainingPanel:
        return cast("TrainingPanel", self.panels.show(TRAINING_TAB))

    def start_training(self) -> bool:
        """Train menu > Start (F5): show the Training tab and start a run."""
        return self.show_training_panel().start()

    def stop_training(self) -> None:
        self.training_panel.stop()

    def pause_training(self) -> None:
        self.training_panel.pause()

    def resume_training(self) -> None:
        self.training_panel.resume()

    # ----- selection and canvas --------------------------------------------------------------------
    def _on_selection(self, node_ids: list) -> None:
        self.inspector.set_selection(list(node_ids))
        self.panels.set_selection(list(node_ids))
        for act in self.actions_.selection_actions:
            act.setEnabled(bool(node_ids))

    def reveal_node(self, node_id: str) -> None:
        """Select a node and bring it into view, opening the blocks it sits in (Problems panel)."""
        if self.scene is None:
            return
        if node_id not in self.scene.graph:
            path = next((p for p, g in self.document.graph.walk() if node_id in g), None)
            if path is None:
                return
            self.navigator.go_to(0)
            for block_id in path:
                if not self.navigator.open(block_id):
                    return
        self.scene.select_node(node_id)
        self.view.frame_node(node_id)

    def leave_block(self) -> None:
        self.navigator.go_up()

    def add_layer_at_centre(self, spec_id: str) -> str | None:
        """Add a layer at the centre of the visible canvas (palette double-click)."""
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        return self.scene.add_node_at(spec_id, centre)

    def fit_to_view(self) -> None:
        self.view.fit_to_view()

    def zoom_in(self) -> None:
        self.view.zoom_in()

    def zoom_out(self) -> None:
        self.view.zoom_out()

    def auto_layout(self) -> None:
        from app.ui.canvas import edits

        if edits.auto_layout(self.scene):
            QTimer.singleShot(0, self.fit_to_view)

    def quick_add(self) -> None:
        self.view.open_quick_add()

    # ----- edit menu -----------------------------------------------------------------------------
    def cut(self) -> None:
        self.copy()
        self.delete_selection()

    def copy(self) -> None:
        self.view.copy_selection()

    def paste(self) -> None:
        self.view.paste()

    def duplicate(self) -> None:
        from app.ui.canvas import edits

        edits.duplicate_selection(self.scene)

    def delete_selection(self) -> None:
        from app.ui.canvas import edits

        edits.delete_selection(self.scene)

    def select_all(self) -> None:
        self.scene.select_nodes(self.scene.graph.node_ids())

    def group_selection(self) -> None:
        from app.ui.canvas import edits

        edits.group_selection(self.scene)

    def ungroup_selection(self) -> None:
        from app.nodes import REGISTRY
        from app.ui.canvas import edits

        graph = self.scene.graph
        blocks = [
            n
            for n in self.scene.selected_node_ids()
            if REGISTRY[graph.node(n).spec_id].kind == "block"
        ]
        if not blocks:
            self.statusBar().showMessage("Select a block to ungroup.", 4000)
        for block_id in blocks:
            edits.ungroup(self.scene, block_id)

    # ----- view / help -----------------------------------------------------------------------------
    def set_theme(self, mode: str) -> None:
        if self.theme is not None:
            self.theme.set_mode(mode)

    def _on_theme_changed(self, dark: bool) -> None:
        self.code.set_dark(dark)
        self.actions_.recolor_icons(QApplication.palette().color(QPalette.ColorRole.WindowText))
        if self.scene is not None:
            self.scene.apply_palette()
        self.view.viewport().update()

    def about(self) -> None:
        from app import __version__

        keras = f"Keras {self.keras.version}" if self.keras.version else "Keras (loading)"
        QMessageBox.about(
            self,
            "About LayerLoom",
            f"<h3>LayerLoom {__version__}</h3><p>Build Keras models as a graph, checked by Keras on "
            f"every edit.</p><p>{keras} · Qt for Python</p>",
        )

    def open_keras_docs(self) -> None:
        QDesktopServices.openUrl(QUrl(KERAS_DOCS_URL))

    def _on_code_trusted(self, count: int) -> None:
        if self.validation is not None:
            self.validation.schedule()
        if self.keras.is_ready:
            self.code.schedule_refresh()
        training = cast("TrainingPanel | None", self.panels.existing(TRAINING_TAB))
        if training is not None:
            training.code_trusted()
        self.show_status("Trusted this project's custom code.")

    # ----- messages ----------------------------------------------------------------------------
    def show_status(self, message: str) -> None:
        """A passing message in the status bar (panels report through this)."""
        self.statusBar().showMessage(message, 8000)

    def show_error(self, title: str, message: str) -> None:
        """A message box for errors the user must see (tests may override it)."""
        QMessageBox.warning(self, title, message)

    # ----- closing -----------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        training = cast("TrainingPanel | None", self.panels.existing(TRAINING_TAB))
        if (training is not None and not training.confirm_close()) or not self.maybe_save():
            event.ignore()
            return
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.autosave.discard_current()  # a clean exit leaves nothing to recover
        self.hide()  # the Keras import thread may need a moment to finish; do not look frozen
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop timers and threads; the window can then be destroyed safely."""
        self.autosave.stop()
        self.panels.shutdown()
        self.exporter.shutdown()
        self.inspector.shutdown()
        self.code.set_source(None)
        if self.validation is not None:
            self.validation.shutdown()
        if self.scene is not None:
            self.scene.dispose()
        self.keras.wait()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if self._dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt override)
        path = self._dropped_file(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        QTimer.singleShot(0, lambda: self.open_path(path))

    @staticmethod
    def _dropped_file(event) -> Path | None:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                p = Path(url.toLocalFile())
                if p.suffix.lower() in (".llproj", KERAS_SUFFIX, ".py"):
                    return p
        return None
