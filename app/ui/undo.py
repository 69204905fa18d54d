"""QUndoStack adapter: every user edit is a model Command wrapped in a GraphCommand."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from app.model.commands import Command


class GraphCommand(QUndoCommand):
    """A QUndoCommand over a model Command: redo applies it and keeps the inverse, undo applies that.

    When `applied_inverse` is given the command has already been applied once (by `push`),
    so the first redo() that QUndoStack.push makes is skipped.
    """

    def __init__(self, graph, command: Command, applied_inverse: Command | None = None) -> None:
        super().__init__(command.description)
        self.graph = graph
        self.command = command
        self._inverse = applied_inverse
        self._skip_redo = applied_inverse is not None

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._inverse = self.command.apply(self.graph)

    def undo(self) -> None:
        if self._inverse is not None:
            self._inverse.apply(self.graph)


def push(stack: QUndoStack, graph, command: Command) -> GraphCommand:
    """Apply `command` once and put it on `stack`; a LayerLoomError propagates and nothing is pushed."""
    inverse = command.apply(graph)
    wrapped = GraphCommand(graph, command, applied_inverse=inverse)
    stack.push(wrapped)
    return wrapped
