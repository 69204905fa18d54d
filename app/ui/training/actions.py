"""The Train menu's actions (Start / Pause / Resume / Stop / Show), made before the panel exists.

The window owns them (WindowActions puts them in the Train menu and connects them); the
training panel, built when first needed, enables and disables them and its buttons trigger them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu


class TrainActions:
    """Start, Pause, Resume, Stop training and Show the training panel, with their shortcuts."""

    def __init__(self, parent: QObject) -> None:
        self.start = _action(parent, "Start training", "F5")
        self.stop = _action(parent, "Stop training", "Shift+F5")
        self.pause = _action(parent, "Pause training", "Ctrl+F5")
        self.resume = _action(parent, "Resume training", "Ctrl+Shift+F5")
        self.show = QAction("Show training panel", parent)
        self.set_running(False, False)

    @property
    def run_actions(self) -> list[QAction]:
        """The four actions that drive a run (each has a button on the panel)."""
        return [self.start, self.pause, self.resume, self.stop]

    def fill_menu(self, menu: QMenu) -> None:
        menu.addActions(self.run_actions)
        menu.addSeparator()
        menu.addAction(self.show)

    def set_running(self, running: bool, paused: bool) -> None:
        """Enable what makes sense while a run is (not) running or paused."""
        self.start.setEnabled(not running)
        self.stop.setEnabled(running)
        self.pause.setEnabled(running and not paused)
        self.resume.setEnabled(running and paused)


def _action(parent: QObject, text: str, shortcut: str) -> QAction:
    act = QAction(text, parent)
    act.setShortcut(QKeySequence(shortcut))
    return act
