"""Undo/redo for headless use (scripts, tests); the UI uses a QUndoStack over the same commands."""

from __future__ import annotations

from app.model.commands import Command


class History:
    """Applies commands to a graph and keeps their inverses for undo and redo."""

    def __init__(self, graph) -> None:
        self.graph = graph
        self._undo: list[tuple[Command, Command]] = []  # (command, inverse)
        self._redo: list[Command] = []

    def do(self, command: Command) -> None:
        inverse = command.apply(self.graph)
        self._undo.append((command, inverse))
        self._redo.clear()

    def undo(self) -> bool:
        if not self._undo:
            return False
        command, inverse = self._undo.pop()
        inverse.apply(self.graph)
        self._redo.append(command)
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        command = self._redo.pop()
        self._undo.append((command, command.apply(self.graph)))
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)
