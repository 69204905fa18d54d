"""Autosave of unsaved edits every few seconds, and the offer to restore them after a crash.

Each running window holds a lock file for its session (QLockFile: released at exit, and seen as
stale once its process is gone). Snapshots carry their session, so a second LayerLoom started
while the first still runs does not offer the first one's work in progress as crash leftovers.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal

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
        self.session = uuid.uuid4().hex
        self._lock: QLockFile | None = None
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
            self.store.save(
                doc.snapshot(),
                doc.recovery_key,
                session=self._own_session(),
                graph=doc.project.graph,
            )
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
        """Snapshots left behind by sessions that have ended, newest first (not the ones of
        this session or of another LayerLoom still running)."""
        return [
            e
            for e in self.store.list()
            if e.session != self.session and not self._running(e.session)
        ]

    def stop(self) -> None:
        """Stop autosaving and end the session: its snapshots are offered at the next start."""
        self._timer.stop()
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    # -- sessions ---------------------------------------------------------------------------
    def _lock_path(self, session: str) -> Path:
        return self.store.directory / f"session-{session}.lock"

    def _own_session(self) -> str:
        """This session's id, its lock taken before its first snapshot is written."""
        if self._lock is None:
            self.store.directory.mkdir(parents=True, exist_ok=True)
            lock = QLockFile(str(self._lock_path(self.session)))
            lock.setStaleLockTime(0)  # held as long as the process lives, however long
            if lock.tryLock(0):
                self._lock = lock
        return self.session

    def _running(self, session: str) -> bool:
        """True while the session that wrote a snapshot still holds its lock."""
        if not session or not self._lock_path(session).exists():
            return False
        probe = QLockFile(str(self._lock_path(session)))
        probe.setStaleLockTime(0)
        if probe.tryLock(0):  # its process is gone: the lock was stale
            probe.unlock()
            return False
        return probe.error() == QLockFile.LockError.LockFailedError
