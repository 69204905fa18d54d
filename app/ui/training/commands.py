"""Small pieces the training panel uses: the undoable settings command, output names, GC freeze."""

from __future__ import annotations

import gc
import sys
from typing import Any

from PySide6.QtGui import QUndoCommand


class SetTrainingSettings(QUndoCommand):
    """Undoable change of the project's training settings (consecutive edits of one field merge)."""

    ID = 0x7A11

    def __init__(self, panel: Any, old: dict, new: dict, field: str) -> None:
        super().__init__("Change training settings")
        self.panel, self.old, self.new, self.field = panel, old, new, field
        self._first = True

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt override)
        if not isinstance(other, SetTrainingSettings) or other.field != self.field:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.panel._write_training(self.new, reload=not self._first)
        self._first = False

    def undo(self) -> None:
        self.panel._write_training(self.old, reload=True)


def freeze_imported_objects() -> None:
    """Move everything alive now (TensorFlow / Keras modules: ~10^6 objects) out of the garbage
    collector's view, once Keras is loaded.

    A full collection otherwise walks them all (~0.2 s holding the GIL), which freezes the window
    whenever Python or the trainer collects during training.
    """
    if "keras" in sys.modules and not getattr(freeze_imported_objects, "done", False):
        gc.collect()
        gc.freeze()
        freeze_imported_objects.done = True


def model_outputs(graph: Any) -> list[str]:
    """Output names of the graph's model (node names, in model output order)."""
    names = []
    for ref in getattr(graph, "outputs", []):
        node = graph.node(ref.node) if ref.node in graph else None
        if node is not None and node.name not in names:
            names.append(node.name)
    return names
