"""Autosave snapshots belong to a session: another LayerLoom still running is not a crash."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from app.project.examples import DEFAULT_EXAMPLE, example_path
from app.project.recovery import RecoveryStore
from app.ui.document import Document
from app.ui.recovery import AutosaveController


def unsaved_document():
    doc = Document.open_project(example_path(DEFAULT_EXAMPLE), origin="example")
    doc.mark_unsaved()
    return doc


def test_a_running_session_keeps_its_snapshots_to_itself(qapp, tmp_path):
    first = AutosaveController(RecoveryStore(tmp_path))
    doc = unsaved_document()
    first.set_document(doc)
    assert first.autosave_now()
    second = AutosaveController(RecoveryStore(tmp_path))  # a second window or app, same folder
    assert second.pending() == []  # the first one is still running
    assert first.pending() == []  # and its own snapshot is not crash leftovers either
    first.stop()  # that session ends without saving (as at a crash, or SIGTERM)
    assert [e.key for e in second.pending()] == [doc.recovery_key]
    second.stop()


def test_a_crashed_process_snapshot_is_offered(qapp, tmp_path):
    """A real second process writes a snapshot under its session lock, then dies (SIGKILL)."""
    code = textwrap.dedent(f"""
        import sys
        from PySide6.QtCore import QLockFile
        from app.project.recovery import RecoveryStore
        lock = QLockFile({str(tmp_path / "session-other.lock")!r})
        lock.setStaleLockTime(0)
        assert lock.tryLock(0)
        RecoveryStore({str(tmp_path)!r}).save({{"name": "theirs"}}, "theirs", session="other")
        print("ready", flush=True)
        sys.stdin.read()
    """)
    other = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout.readline().strip() == "ready"
        mine = AutosaveController(RecoveryStore(tmp_path))
        assert mine.pending() == []  # alive: its work in progress
        other.kill()
        other.wait(10)
        assert [e.key for e in mine.pending()] == ["theirs"]  # gone: left behind
        assert not (tmp_path / "session-other.lock").exists()  # the stale lock is cleared
        mine.stop()
    finally:
        if other.poll() is None:
            other.kill()
