"""Imports TensorFlow/Keras in a background QThread so the window appears before Keras is ready.

The import itself is app.keras_internals.import_keras, the one owner every worker thread goes
through before it uses Keras (two threads importing TensorFlow at once break it).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from app.errors import LayerLoomError
from app.keras_internals import import_keras


def warm_up() -> str:
    """Import TensorFlow and Keras through their one owner (app.keras_internals.import_keras),
    then the compiler modules the GUI will call; the Keras version."""
    keras = import_keras()
    import app.compiler.infer  # noqa: F401

    return str(getattr(keras, "__version__", "?"))


def keras_for_gui() -> Any:
    """import_keras() for what a menu entry or button runs on the GUI thread: waits for the
    start-up import if it is under way (never imports alongside it); the keras module.

    LayerLoomError, a sentence the window shows, when Keras cannot be imported here (the same
    error the start-up import met), instead of the import's own exception escaping the action.
    """
    try:
        return import_keras()
    except Exception as exc:
        raise LayerLoomError(f"Keras could not be loaded ({type(exc).__name__}: {exc}).") from exc


class _ImportThread(QThread):
    """Runs the slow imports; reports the Keras version or the error text."""

    imported = Signal(str, float)
    failed = Signal(str)

    def run(self) -> None:
        start = time.perf_counter()
        try:
            version = warm_up()
        except Exception as exc:  # reported in the status bar; the editor keeps working
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.imported.emit(version, time.perf_counter() - start)


class KerasLoader(QObject):
    """Starts the background import once; `ready`/`failed` are delivered on the GUI thread."""

    ready = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: _ImportThread | None = None
        self.version: str | None = None
        self.error: str | None = None
        self.seconds: float | None = None

    @property
    def is_ready(self) -> bool:
        return self.version is not None

    def start(self) -> None:
        """Begin importing (no-op if already started or Keras is already imported)."""
        if self._thread is not None or self.is_ready:
            return
        if "keras" in sys.modules and "app.compiler.infer" in sys.modules:
            # Imported already (tests, a second window): finish at once, unless another thread
            # is importing right now; then the thread below waits for it, off the GUI thread.
            keras = import_keras(wait=False)
            if keras is not None:
                self.version = str(getattr(keras, "__version__", "?"))
                self.ready.emit(self.version)
                return
        self._thread = _ImportThread(self)
        self._thread.imported.connect(self._on_imported)
        self._thread.failed.connect(self._on_failed)
        self._thread.start()

    def wait(self, msecs: int = 60_000) -> bool:
        """Block until the import thread has finished (used at shutdown and in tests)."""
        if self._thread is None:
            return True
        return self._thread.wait(msecs)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def _on_imported(self, version: str, seconds: float) -> None:
        self.version, self.seconds = version, seconds
        self.ready.emit(version)

    def _on_failed(self, message: str) -> None:
        self.error = message
        self.failed.emit(message)
