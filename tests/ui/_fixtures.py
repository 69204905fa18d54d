"""Fixtures for the main-window tests: isolated QSettings, a window, and a check for leftover threads."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings, QThread  # noqa: E402

KERAS_TIMEOUT_MS = 120_000


@pytest.fixture
def no_dangling_qthreads(monkeypatch):
    """Fail the test if a QThread it started is still running at the end."""
    started: list[QThread] = []
    original = QThread.start

    def start(self, *args):
        started.append(self)
        return original(self, *args)

    monkeypatch.setattr(QThread, "start", start)
    yield started

    def alive(t: QThread) -> bool:
        try:
            return t.isRunning()
        except RuntimeError:  # the C++ object is gone, so is the thread
            return False

    running = [type(t).__name__ for t in started if alive(t)]
    assert not running, f"threads left running: {running}"


@pytest.fixture
def isolated_settings(qapp, tmp_path):
    """QSettings written under tmp_path, so tests never touch the user's recent files or theme."""
    QCoreApplication.setOrganizationName("LayerLoom")
    QCoreApplication.setApplicationName("LayerLoomTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    QSettings().clear()
    yield tmp_path / "settings"


def make_window(qtbot, recovery_dir, errors: list, theme=None):
    """A shown MainWindow whose questions and error boxes are answered by the test."""
    from app.ui.main_window import MainWindow

    win = MainWindow(theme=theme, recovery_dir=recovery_dir)
    win.show_error = lambda title, message: errors.append((title, message))
    win.ask_save_changes = lambda: "discard"
    win.ask_restore = lambda entries: False
    qtbot.addWidget(win)
    win.resize(1280, 820)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def errors() -> list:
    """(title, message) of every error box the window tried to show."""
    return []


@pytest.fixture
def window(qtbot, tmp_path, isolated_settings, no_dangling_qthreads, errors):
    """A MainWindow with Keras loaded (background thread) and shape checks running."""
    win = make_window(qtbot, tmp_path / "recovery", errors)
    win.start_background_work()
    qtbot.waitUntil(lambda: win.keras.is_ready, timeout=KERAS_TIMEOUT_MS)
    yield win
    win.shutdown()


def wait_checked(qtbot, win, timeout: int = 20_000) -> None:
    """Wait until the shape check of the latest edit has been shown."""
    qtbot.waitUntil(
        lambda: not win.validation.pending and win.last_report is not None, timeout=timeout
    )
