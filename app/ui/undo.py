"""QUndoStack adapter: every user edit is a core command (graph or project) in an UndoableEdit.

The command applies to its target (a ModelGraph for app.model commands, a Project for
app.project commands) and returns its inverse; undo applies that inverse. Consecutive project
commands with the same `merge_key` (edits of one settings field) become one undo step.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from app.model import ModelGraph
from app.model.commands import Command
from app.project import Project
from app.project.commands import ProjectCommand

MERGE_ID = 0x1A7E  # QUndoCommand.id() of mergeable edits; mergeWith compares the keys


class UndoableEdit(QUndoCommand):
    """A QUndoCommand over a core command: redo applies it and keeps the inverse, undo applies that.

    When `applied_inverse` is given the command has already been applied once (by `push`),
    so the first redo() that QUndoStack.push makes is skipped.
    """

    def __init__(
        self,
        target: ModelGraph | Project,
        command: Command | ProjectCommand,
        applied_inverse: Command | ProjectCommand | None = None,
    ) -> None:
        super().__init__(command.description)
        self.target = target
        self.command = command
        self._inverse = applied_inverse
        self._skip_redo = applied_inverse is not None

    def id(self) -> int:
        mergeable = isinstance(self.command, ProjectCommand) and self.command.merge_key
        return MERGE_ID if mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt override)
        """Take over a later edit of the same field: undo goes back past both."""
        if (
            not isinstance(other, UndoableEdit)
            or other.target is not self.target
            or other.command.merge_key != self.command.merge_key
        ):
            return False
        self.command = other.command  # whole-settings commands: the last one is the result
        return True

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._inverse = self.command.apply(self.target)

    def undo(self) -> None:
        if self._inverse is not None:
            self._inverse.apply(self.target)


def push(
    stack: QUndoStack, target: ModelGraph | Project, command: Command | ProjectCommand
) -> UndoableEdit:
    """Apply `command` once and put it on `stack`; a LayerLoomError propagates and nothing is pushed."""
    inverse = command.apply(target)
    wrapped = UndoableEdit(target, command, applied_inverse=inverse)
    stack.push(wrapped)
    return wrapped
