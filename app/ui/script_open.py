"""Opening a Keras training script (File > Open, drag and drop): trust first, then import.

Nothing of the script runs before the user says so in ScriptTrustDialog, which shows the
script's code.  The import (app.compiler.script_import: the script runs in a child process up
to its first fit()) runs on a worker thread behind a cancellable progress dialog.  The result
opens as a new unsaved project; the arrays the script gave fit are written to the user data
folder (imported_data/), which the project names by absolute path, so they stay where they
are when the project is saved elsewhere.  What could not be taken is listed in a message box.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import LayerLoomError
from app.keras_internals import before_keras_use
from app.project.run_folders import user_data_dir
from app.ui.panels.code_view import PythonHighlighter

MAX_SHOWN_CHARS = 2_000_000


class ScriptTrustDialog(QDialog):
    """Shows the script and asks whether to run it; accepted = trusted."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Run {path.name}?")
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        note = QLabel(
            f"Opening <b>{path.name}</b> runs it: LayerLoom starts the script in a separate "
            "process and stops it at its first fit() to take the model, its settings, its code "
            "and its data. The script runs with your permissions. Trust it only if you trust "
            "its author.",
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        view = QPlainTextEdit(self)
        view.setReadOnly(True)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[:MAX_SHOWN_CHARS]
        except OSError as exc:
            text = f"# {path} cannot be read: {exc.strerror or exc}"
        view.setPlainText(text)
        self.highlighter = PythonHighlighter(view.document())
        layout.addWidget(view, 1)
        buttons = QDialogButtonBox(self)
        self.trust_button = buttons.addButton(
            "Trust and run", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ScriptImportWorker(QThread):
    """Runs import_script off the GUI thread; `done` carries the ScriptImport or an error text."""

    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, path: Path, data_path: Path, parent=None) -> None:
        super().__init__(parent)
        self.path, self.data_path = path, data_path
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        before_keras_use()  # one import of TensorFlow at a time, whichever thread comes first
        from app.compiler.script_import import import_script

        try:
            result = import_script(self.path, self.data_path, cancelled=self._cancel.is_set)
        except LayerLoomError as exc:
            self.failed.emit(str(exc))
        except OSError as exc:
            self.failed.emit(exc.strerror or str(exc))
        except Exception as exc:  # noqa: BLE001 - a worker must always answer
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)


def imported_data_path(script: Path) -> Path:
    """Where the arrays of an imported script go: the user data folder, a fresh name."""
    return user_data_dir() / "imported_data" / f"{script.stem}-{uuid.uuid4().hex[:8]}.npz"


def report_text(result) -> str:
    """What the user is told after an import: what was not taken, then what was changed."""
    parts = []
    if result.problems:
        parts.append("Not taken:\n" + "\n".join(f"• {p}" for p in result.problems))
    if result.notes:
        parts.append("Notes:\n" + "\n".join(f"• {n}" for n in result.notes))
    if result.data_path is None:
        parts.append("No data was taken: choose a data source in the Data settings.")
    return "\n\n".join(parts)
