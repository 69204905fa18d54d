"""Re-checks shapes after edits: debounced, on a graph snapshot in a worker thread, stale results dropped."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from app.keras_internals import before_keras_use
from app.model import GraphEvent, ModelGraph

DEBOUNCE_MS = 50


class _ShapeWorker(QThread):
    """Runs ShapeEngine.run on the newest snapshot handed to it; older pending snapshots are skipped."""

    report_ready = Signal(int, object, float)
    crashed = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: tuple[int, ModelGraph] | None = None
        self._stop = False
        self._engine = None

    def submit(self, generation: int, snapshot: ModelGraph) -> None:
        with self._cond:
            self._pending = (generation, snapshot)
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()

    def run(self) -> None:
        before_keras_use()  # waits for the start-up import of TensorFlow if it is under way
        from app.compiler.infer import ShapeEngine

        self._engine = ShapeEngine()
        while True:
            with self._cond:
                while self._pending is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                generation, snapshot = self._pending
                self._pending = None
            start = time.perf_counter()
            try:
                report = self._engine.run(snapshot)
            except Exception as exc:  # a bug in inference must not take the editor down
                self.crashed.emit(generation, f"{type(exc).__name__}: {exc}")
                continue
            self.report_ready.emit(generation, report, time.perf_counter() - start)


class ValidationController(QObject):
    """Watches a graph and publishes a fresh ShapeReport ~50 ms after the last edit.

    Nothing runs until `set_enabled(True)` (called once Keras has been imported).
    """

    report_ready = Signal(object)  # ShapeReport of the current graph
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, graph: ModelGraph, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._graph = graph
        self._generation = 0
        self._enabled = False
        self._worker: _ShapeWorker | None = None
        self.last_report = None
        self.last_seconds: float | None = None
        self._seen = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run_now)
        graph.events.connect(self._on_graph_event)

    @property
    def graph(self) -> ModelGraph:
        return self._graph

    @property
    def is_enabled(self) -> bool:
        return self._enabled

    @property
    def pending(self) -> bool:
        """True while an edit has not yet produced a report."""
        return self._timer.isActive() or self.last_report is None or self._seen < self._generation

    def set_graph(self, graph: ModelGraph) -> None:
        """Follow another graph (a newly opened document)."""
        self._graph.events.disconnect(self._on_graph_event)
        self._graph = graph
        graph.events.connect(self._on_graph_event)
        self.last_report = None
        self.schedule()

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        if enabled:
            self.schedule()

    def schedule(self) -> None:
        """Ask for a new check after the debounce delay."""
        self._generation += 1
        self._timer.start()

    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.kind == "node_changed" and set(event.fields) <= {"position"}:
            return  # moving a node changes no shape
        self.schedule()

    def _run_now(self) -> None:
        if not self._enabled:
            return
        if self._worker is None:
            self._worker = _ShapeWorker(self)
            self._worker.report_ready.connect(self._on_report)
            self._worker.crashed.connect(self._on_crash)
            self._worker.start()
        self.busy_changed.emit(True)
        self._worker.submit(self._generation, self._graph.copy())

    def _on_report(self, generation: int, report, seconds: float) -> None:
        if generation != self._generation:
            return  # a newer edit is on its way
        self._seen = generation
        self.last_report = report
        self.last_seconds = seconds
        self.busy_changed.emit(False)
        self.report_ready.emit(report)

    def _on_crash(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self._seen = generation
            self.busy_changed.emit(False)
            self.failed.emit(message)

    def shutdown(self) -> None:
        """Stop the timer and the worker thread (waits for a running check to end)."""
        self._timer.stop()
        self._graph.events.disconnect(self._on_graph_event)
        if self._worker is not None:
            self._worker.stop()
            self._worker.wait()
            self._worker = None
