"""File > Export for models: the trained model (or one freshly built from the graph) in every
format of app.training.export.EXPORT_FORMATS, written off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from app.training.export import EXPORT_FORMATS, ExportFormat
from app.ui.data.standardise import outside_normalisation_note
from app.ui.data.worker import TaskRunner
from app.ui.file_dialogs import remember_dir, start_dir

if TYPE_CHECKING:
    from app.model import ModelGraph
    from app.project import Project

# File > Export also has "Keras model (.keras)…" (a fresh build of the graph, file_ops), so this
# menu's .keras entry says it is the trained model.
_MENU_NAMES = {"keras": "Trained model"}


def menu_text(fmt: ExportFormat) -> str:
    """The File > Export entry of a format: "Trained model (.keras)…", "… (folder)…"."""
    name = _MENU_NAMES.get(fmt.key, fmt.label)
    return f"{name} ({'folder' if fmt.folder else fmt.suffix})…"


def exported_input_note(project: Project | None) -> str:
    """The sentence File > Export adds when the exported model expects normalised input."""
    return outside_normalisation_note(project.data.normalization) if project is not None else ""


def export_task(
    fmt: ExportFormat, model: Any, graph_copy: ModelGraph, path: Path
) -> tuple[Path, str]:
    """Worker body: build the model from the graph when no trained one is given, then write it."""
    what = "trained model"
    if model is None:
        from app.training.export import build_for_export

        model = build_for_export(graph_copy)
        what = "untrained model built from the graph"
    return Path(fmt.write(model, path)), what


class ModelExporter(QObject):
    """Runs exports in the background and reports them; `trained_model()` gives the model to use.

    `trained_model` returns the latest trained keras.Model or None (then a model is built from the
    document's graph, with fresh weights, and the message says so).
    """

    exported = Signal(str, str)  # format key, message
    failed = Signal(str, str)  # format key, message

    def __init__(self, window: QWidget, trained_model: Callable[[], Any] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.trained_model = trained_model or (lambda: None)
        self.runner = TaskRunner(self)
        self.actions: dict[str, QAction] = {}
        self.last_path: Path | None = None

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def install(self, menu: QMenu) -> None:
        """Add one action per format to `menu` (File > Export)."""
        menu.addSeparator()
        menu.setToolTipsVisible(True)
        for key, fmt in EXPORT_FORMATS.items():
            act = QAction(menu_text(fmt), menu)
            act.setStatusTip(f"Save the trained model (or the built model) as {fmt.label}")
            missing = fmt.missing()
            if missing:  # an optional package is not installed: say how to get it
                act.setEnabled(False)
                act.setToolTip(missing)
                act.setStatusTip(missing)
            act.triggered.connect(lambda _c=False, k=key: self.export_dialog(k))
            menu.addAction(act)
            self.actions[key] = act

    def _ask_path(self, fmt: ExportFormat) -> Path | None:
        doc = getattr(self.window, "document", None)
        stem = (doc.project.name if doc is not None else "") or "model"
        base = start_dir("export", doc.path if doc is not None else None)
        default = base / (f"{stem}_{fmt.key}" if fmt.folder else f"{stem}{fmt.suffix}")
        path, _ = QFileDialog.getSaveFileName(
            self.window, f"Export {fmt.label}", str(default), fmt.file_filter
        )
        if path:
            remember_dir("export", path)
        return fmt.named(path) if path else None

    def export_dialog(self, key: str) -> None:
        fmt = EXPORT_FORMATS[key]
        path = self._ask_path(fmt)
        if path is not None:
            self.export(key, path)

    def export(self, key: str, path: str | Path) -> bool:
        """Start writing the model in format `key` to `path`; False if an export is running."""
        if self.runner.busy:
            self._report_error(key, "Another export is still running; wait for it to finish.")
            return False
        fmt = EXPORT_FORMATS[key]
        missing = fmt.missing()
        if missing:
            self._report_error(key, missing + ".")
            return False
        path = fmt.named(path)
        model = self.trained_model()
        doc = getattr(self.window, "document", None)
        graph = doc.graph.copy() if model is None and doc is not None else None
        if model is None and graph is None:
            self._report_error(key, "There is no model to export.")
            return False
        self._status(f"Exporting {path.name}…")
        self.runner.run(
            "export",
            lambda: export_task(fmt, model, graph, path),
            lambda res: self._done(key, res),
            lambda msg: self._report_error(key, msg),
        )
        return True

    def _done(self, key: str, result: tuple[Path, str]) -> None:
        path, what = result
        self.last_path = path
        doc = getattr(self.window, "document", None)
        note = exported_input_note(doc.project if doc is not None else None)
        message = f"Exported the {what} to {path}." + (f" {note}" if note else "")
        self._status(message, 20000 if note else 8000)
        self.exported.emit(key, message)

    def _report_error(self, key: str, message: str) -> None:
        self._status("Export failed")
        self.failed.emit(key, message)
        show = getattr(self.window, "show_error", None)
        if show is not None:
            show("Could not export the model", message)
        else:
            QMessageBox.warning(self.window, "Could not export the model", message)

    def _status(self, text: str, msecs: int = 8000) -> None:
        bar = getattr(self.window, "statusBar", None)
        if bar is not None:
            bar().showMessage(text, msecs)

    def shutdown(self) -> None:
        """Wait for a running export (window closing, tests)."""
        self.runner.wait()
