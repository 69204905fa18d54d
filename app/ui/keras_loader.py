"""Imports TensorFlow/Keras in a background QThread so the window appears before Keras is ready."""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QObject, QThread, Signal


class _ImportThread(QThread):
    """Runs the slow imports; reports the Keras version or the error text."""

    imported = Signal(str, float)
    failed = Signal(str)

    def run(self) -> None:
        start = time.perf_counter()
        try:
            from app.keras_internals import list_devices_quietly

            list_devices_quietly()  # the slow part: imports TensorFlow, without its log noise
            import keras  # noqa: F401

            # Warm the compiler modules the GUI will call, while still off the GUI thread.
            import app.compiler.infer  # noqa: F401

            version = str(getattr(sys.modules["keras"], "__version__", "?"))
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
            self.version = str(getattr(sys.modules["keras"], "__version__", "?"))
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
