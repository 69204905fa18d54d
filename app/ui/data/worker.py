"""Background tasks: run a plain function in a QThread and deliver its result on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from app.errors import LayerLoomError
from app.keras_internals import before_keras_use


def plain_error(exc: BaseException) -> str:
    """A one-paragraph message for the user: LayerLoomError text, else the first line of the error."""
    if isinstance(exc, LayerLoomError):
        return exc.message or str(exc)
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0][:400] if lines else 'no details'}"


class TaskThread(QThread):
    """Runs `fn()` once; emits `done(result)` or `failed(message)` (queued to the GUI thread)."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn

    def run(self) -> None:
        before_keras_use()  # one import of TensorFlow at a time, whichever thread comes first
        try:
            result = self._fn()
        except Exception as exc:  # every error reaches the user as a message, never a crash
            self.failed.emit(plain_error(exc))
            return
        self.done.emit(result)


class TaskRunner(QObject):
    """Starts TaskThreads, keeps them alive until finished, drops stale results per `key`.

    `run(key, fn, on_done, on_error)`: a newer task with the same key makes an older one's result
    be ignored (the older thread still finishes; `shutdown()` waits for all of them).
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: list[TaskThread] = []
        self._latest: dict[str, TaskThread] = {}

    @property
    def busy(self) -> bool:
        """True until every started task has finished and its result has been delivered."""
        return bool(self._threads)

    def is_busy(self, key: str) -> bool:
        t = self._latest.get(key)
        return t is not None and t in self._threads

    def run(
        self,
        key: str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None],
    ) -> TaskThread:
        """Run `fn` off the GUI thread; exactly one of on_done / on_error is called for it."""
        was_busy = bool(self._threads)
        thread = TaskThread(fn, self)
        self._latest[key] = thread

        def finished_ok(result: Any) -> None:
            if self._latest.get(key) is thread:
                on_done(result)

        def finished_bad(message: str) -> None:
            if self._latest.get(key) is thread:
                on_error(message)

        thread.done.connect(finished_ok)
        thread.failed.connect(finished_bad)
        thread.finished.connect(lambda: self._reap(thread))
        self._threads.append(thread)
        thread.start()
        if not was_busy:
            self.busy_changed.emit(True)
        return thread

    def _reap(self, thread: TaskThread) -> None:
        if thread in self._threads:
            self._threads.remove(thread)
        for key, t in list(self._latest.items()):
            if t is thread:
                del self._latest[key]
        thread.deleteLater()
        if not self._threads:
            self.busy_changed.emit(False)

    def wait(self, msecs: int = 120_000) -> bool:
        """Block until every started task has finished (tests, shutdown)."""
        return all(t.wait(msecs) for t in list(self._threads))

    def shutdown(self) -> None:
        """Forget pending results and wait for running tasks (they cannot be interrupted)."""
        self._latest.clear()
        self.wait()
