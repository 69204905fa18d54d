"""OwnEdits: the settings edits a panel makes itself, marked while they apply.

A panel hears the project event of every settings edit; the edits its own form pushed are shown
already, so its event handler skips the events that arrive while `active` is True (undo, redo and
other panels' edits arrive when it is False and are shown).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from app.ui.undo import push

if TYPE_CHECKING:
    from app.project.commands import SetDataSettings, SetTrainingSettings
    from app.ui.document import Document


class OwnEdits:
    """Pushes a panel's settings commands; `active` is True while one of them applies."""

    def __init__(self) -> None:
        self.active = False

    @contextmanager
    def applying(self) -> Iterator[None]:
        """Mark the project edits made inside the block as the panel's own."""
        self.active = True
        try:
            yield
        finally:
            self.active = False

    def push(
        self, document: Document, command: SetDataSettings | SetTrainingSettings, current: Any
    ) -> None:
        """Put `command` on the document's undo stack, unless its settings equal `current`'s."""
        if command.settings.to_dict() == current.to_dict():
            return
        with self.applying():
            push(document.undo_stack, document.project, command)
