"""Autosave of unsaved edits every few seconds, and the offer to restore them after a crash."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.errors import LayerLoomError
from app.project.recovery import RecoveryEntry, RecoveryStore

AUTOSAVE_MS = 5000


class AutosaveController(QObject):
    """Writes the current document's snapshot to the RecoveryStore while it is dirty.

    The snapshot is kept until the document is saved, closed cleanly, or the user
    discards it at start-up.
    """

    autosaved = Signal(str)
    failed = Signal(str)

    def __init__(
        self, store: RecoveryStore, parent: QObject | None = None, interval_ms: int = AUTOSAVE_MS
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._document = None
        self._saved_index: int | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.autosave_now)
        self._timer.start()

    def set_document(self, document) -> None:
        """Watch `document`; a saved document's old snapshot is dropped."""
        if self._document is not None:
            try:
                self._document.path_changed.disconnect(self._on_saved)
            except (RuntimeError, TypeError):
                pass
        self._document = document
        self._saved_index = None
        document.path_changed.connect(self._on_saved)

    def autosave_now(self) -> bool:
        """Snapshot the document if it changed since the last autosave; True if written."""
        doc = self._document
        if doc is None or not doc.is_dirty:
            return False
        index = doc.undo_stack.index()
        if self._saved_index == index and self._saved_index is not None:
            return False
        try:
            self.store.save(doc.snapshot(), doc.recovery_key)
        except (OSError, LayerLoomError, ValueError) as exc:
            self.failed.emit(f"Autosave failed: {exc}")
            return False
        self._saved_index = index
        self.autosaved.emit(doc.recovery_key)
        return True

    def discard_current(self) -> None:
        """Forget the current document's snapshot (after a save or a deliberate discard)."""
        if self._document is not None:
            self.store.discard(self._document.recovery_key)
        self._saved_index = None

    def _on_saved(self, _path) -> None:
        doc = self._document
        prev = doc.previous_recovery_key() if doc is not None else None
        if prev:
            self.store.discard(prev)
        self.discard_current()

    def pending(self) -> list[RecoveryEntry]:
        """Snapshots left behind by an earlier session, newest first."""
        return self.store.list()

    def stop(self) -> None:
        self._timer.stop()
