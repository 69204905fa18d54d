"""Document: the open project, where it lives, its undo stack and whether it has unsaved edits."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from app.model import ModelGraph
from app.project import Project, load_project, save_project

KERAS_SUFFIX = ".keras"


class Document(QObject):
    """One open project. Dirty = its undo stack is not in its clean state; nothing else.

    `origin` says where an unsaved document came from: "new", "example", "keras" or "recovered".
    A recovered document exists only in memory, so its stack starts with no clean state (it stays
    dirty until saved); a new, example or imported one starts clean (nothing to lose yet).
    """

    dirty_changed = Signal(bool)
    path_changed = Signal(object)

    def __init__(
        self,
        project: Project | None = None,
        path: str | Path | None = None,
        origin: str = "new",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.project = project if project is not None else Project(name="Untitled")
        self._path = Path(path) if path is not None else None
        self.project.path = self._path
        self.origin = origin
        self._untitled_key = f"untitled-{uuid.uuid4().hex}"
        self._previous_key: str | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(500)
        if origin == "recovered":
            self.mark_unsaved()
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._was_dirty = self.is_dirty

    # ----- reading ------------------------------------------------------------------------
    @property
    def graph(self) -> ModelGraph:
        return self.project.graph

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        """What the title bar shows: the file name, or the project name for unsaved documents."""
        if self._path is not None:
            return self._path.name
        return self.project.name or "Untitled"

    @property
    def recovery_key(self) -> str:
        """Key of this document's autosave snapshots."""
        return str(self._path.resolve()) if self._path is not None else self._untitled_key

    def snapshot(self) -> dict:
        """The project as plain data, plus where it was saved, for the recovery store."""
        data = self.project.to_dict()
        data["layerloom_recovery"] = {
            "path": str(self._path) if self._path else None,
            "origin": self.origin,
        }
        return data

    # ----- changing -------------------------------------------------------------------------
    def save(self, path: str | Path | None = None) -> Path:
        """Write the project (atomically) to `path` or its current path; marks it clean."""
        target = Path(path) if path is not None else self._path
        if target is None:
            raise ValueError("The document has no file yet; choose where to save it.")
        written = save_project(self.project, target)
        old_key = self.recovery_key
        self._path = Path(written)
        self.project.path = self._path
        if self.project.name in ("", "Untitled") or self.origin != "file":
            self.project.name = self._path.stem
        self.origin = "file"
        self.undo_stack.setClean()
        self._previous_key = old_key
        self._emit_dirty()
        self.path_changed.emit(self._path)
        return self._path

    def mark_unsaved(self) -> None:
        """Content that exists only in memory (recovered work): the stack leaves its clean state
        and has none until the next save."""
        self.undo_stack.resetClean()

    def previous_recovery_key(self) -> str | None:
        """The recovery key used before the last save changed the path (to discard its snapshot)."""
        return self._previous_key

    def _on_clean_changed(self, _clean: bool) -> None:
        self._emit_dirty()

    def _emit_dirty(self) -> None:
        dirty = self.is_dirty
        if dirty != self._was_dirty:
            self._was_dirty = dirty
            self.dirty_changed.emit(dirty)

    # ----- constructors ---------------------------------------------------------------------
    @classmethod
    def open_project(cls, path: str | Path, origin: str = "file") -> Document:
        """Load a .llproj (ProjectFileError if it is bad). Examples open as unsaved copies."""
        project = load_project(path)
        if origin == "example":
            project.path = None
            project.base_dir = Path(path).parent  # its data files stay next to the example
            return cls(project, None, origin="example")
        return cls(project, path, origin="file")

    @classmethod
    def import_keras(cls, path: str | Path, classes_from: Project | None = None) -> Document:
        """Read a .keras file into an editable untitled document, clean (imports Keras).

        `classes_from`: the (trusted) project whose classes the file names (a run's model, an
        export): they read it, its custom layers become CustomLayer nodes of that code.
        The file it came from still holds the model, so closing it unchanged loses nothing."""
        from app.ui.keras_loader import keras_for_gui

        keras_for_gui()  # waits for the start-up import if it is under way, never races it
        if classes_from is not None:
            from app.training.run_model import run_model_graph

            graph = run_model_graph(path, classes_from)
        else:
            from app.compiler.keras_file import load_keras_file

            graph = load_keras_file(path)
        if all(n.position == (0.0, 0.0) for n in graph.nodes()) and len(graph) > 1:
            from app.compiler.layout import layout_graph

            layout_graph(graph)
        project = Project(name=Path(path).stem, graph=graph)
        return cls(project, None, origin="keras")

    @classmethod
    def from_snapshot(cls, snapshot: dict) -> Document:
        """A document rebuilt from a recovery snapshot; it stays dirty until saved."""
        from app.project.project import project_from_dict

        meta = snapshot.get("layerloom_recovery") or {}
        data = {k: v for k, v in snapshot.items() if k != "layerloom_recovery"}
        project = project_from_dict(data)
        path = meta.get("path") if isinstance(meta.get("path"), str) else None
        return cls(project, path, origin="recovered")
