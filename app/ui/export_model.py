"""File > Export for models: the trained model (or one freshly built from the graph) as .keras,
.weights.h5, a SavedModel folder or TFLite, written off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from app.ui.data.worker import TaskRunner


@dataclass(frozen=True)
class ExportFormat:
    """One way to write a model: menu text, file suffix, dialog filter, app.training.export name."""

    key: str
    label: str
    suffix: str
    file_filter: str
    function: str


FORMATS = {
    f.key: f
    for f in (
        ExportFormat(
            "keras", "Trained model (.keras)…", ".keras", "Keras models (*.keras)", "export_keras"
        ),
        ExportFormat(
            "weights",
            "Keras weights (.weights.h5)…",
            ".weights.h5",
            "Keras weights (*.weights.h5)",
            "export_weights",
        ),
        ExportFormat(
            "saved_model", "TensorFlow SavedModel (folder)…", "", "", "export_saved_model"
        ),
        ExportFormat(
            "tflite",
            "TensorFlow Lite (.tflite)…",
            ".tflite",
            "TFLite models (*.tflite)",
            "export_tflite",
        ),
    )
}


def export_task(fmt: ExportFormat, model: Any, graph_copy: Any, path: Path) -> tuple[Path, str]:
    """Worker body: build the model from the graph when no trained one is given, then write it."""
    from app.training import export

    what = "trained model"
    if model is None:
        from app.compiler import build_model

        model = build_model(graph_copy)
        what = "untrained model built from the graph"
    written = getattr(export, fmt.function)(model, path)
    return Path(written), what


def with_suffix(path: str | Path, suffix: str) -> Path:
    """`path` ending with `suffix` (".weights.h5" counts as one suffix)."""
    p = Path(path)
    if not suffix or p.name.endswith(suffix):
        return p
    return p.with_name(p.name + suffix)


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
        for key, fmt in FORMATS.items():
            act = QAction(fmt.label, menu)
            act.setStatusTip(f"Save the trained model (or the built model) as {fmt.label[:-1]}")
            act.triggered.connect(lambda _c=False, k=key: self.export_dialog(k))
            menu.addAction(act)
            self.actions[key] = act

    def _ask_path(self, fmt: ExportFormat) -> Path | None:
        doc = getattr(self.window, "document", None)
        stem = (doc.project.name if doc is not None else "") or "model"
        base = doc.path.parent if doc is not None and doc.path is not None else Path.home()
        title = f"Export {fmt.label.rstrip('…')}"
        if fmt.key == "saved_model":
            path, _ = QFileDialog.getSaveFileName(
                self.window, title, str(base / f"{stem}_saved"), "SavedModel folder (*)"
            )
        else:
            path, _ = QFileDialog.getSaveFileName(
                self.window, title, str(base / f"{stem}{fmt.suffix}"), fmt.file_filter
            )
        return with_suffix(path, fmt.suffix) if path else None

    def export_dialog(self, key: str) -> None:
        fmt = FORMATS[key]
        path = self._ask_path(fmt)
        if path is not None:
            self.export(key, path)

    def export(self, key: str, path: str | Path) -> bool:
        """Start writing the model in format `key` to `path`; False if an export is running."""
        if self.runner.busy:
            self._report_error(key, "Another export is still running; wait for it to finish.")
            return False
        fmt = FORMATS[key]
        path = with_suffix(path, fmt.suffix)
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
        message = f"Exported the {what} to {path}"
        self._status(message)
        self.exported.emit(key, message)

    def _report_error(self, key: str, message: str) -> None:
        self._status("Export failed")
        self.failed.emit(key, message)
        show = getattr(self.window, "show_error", None)
        if show is not None:
            show("Could not export the model", message)
        else:
            QMessageBox.warning(self.window, "Could not export the model", message)

    def _status(self, text: str) -> None:
        bar = getattr(self.window, "statusBar", None)
        if bar is not None:
            bar().showMessage(text, 8000)

    def shutdown(self) -> None:
        """Wait for a running export (window closing, tests)."""
        self.runner.wait()
