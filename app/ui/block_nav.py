"""Editing inside a block (nested model) while every edit stays one undo step of the whole model.

The canvas shows a working copy of the block's sub-graph with a private undo stack. Each edit
made there is mirrored to the parent graph as one `UpdateNode(block, subgraph=copy)` on the
parent's stack, so undo/redo, dirty state, autosave and shape checks all see it. When an undo
replaces the block's sub-graph from outside, the working copy is rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.model import GraphEvent, ModelGraph
from app.model.commands import UpdateNode


@dataclass
class _Level:
    """One opened block: where it lives, its working copy and the copy's private stack."""

    parent_graph: ModelGraph
    parent_stack: QUndoStack
    block_id: str
    graph: ModelGraph
    stack: QUndoStack
    name: str


class BlockNavigator(QObject):
    """The path of opened blocks; `changed(graph, stack)` says which graph the canvas must show."""

    changed = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root: tuple[ModelGraph, QUndoStack] | None = None
        self._levels: list[_Level] = []
        self._syncing = False

    # ----- reading -----------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        return len(self._levels)

    def path_names(self) -> list[str]:
        return [lvl.name for lvl in self._levels]

    def current(self) -> tuple[ModelGraph, QUndoStack]:
        if self._levels:
            return self._levels[-1].graph, self._levels[-1].stack
        return self._root

    # ----- navigation --------------------------------------------------------------------------
    def reset(self, graph: ModelGraph, stack: QUndoStack) -> None:
        """Show the top level of a (new) document."""
        self._close_from(0)
        if self._root is not None:
            self._root[0].events.disconnect(self._on_parent_event)
        self._root = (graph, stack)
        graph.events.connect(self._on_parent_event)

    def open(self, block_id: str) -> bool:
        """Step into block `block_id` of the current graph (its layer owner, for shared blocks)."""
        parent_graph, parent_stack = self.current()
        if block_id not in parent_graph:
            return False
        owner = parent_graph.owner(block_id)
        if owner.subgraph is None:
            return False
        level = _Level(
            parent_graph,
            parent_stack,
            owner.id,
            owner.subgraph.copy(),
            QUndoStack(self),
            owner.name,
        )
        level.stack.indexChanged.connect(lambda _i, lvl=level: self._mirror(lvl))
        if self._levels:
            level.parent_graph.events.connect(self._on_parent_event)
        self._levels.append(level)
        self.changed.emit(level.graph, level.stack)
        return True

    def go_up(self, levels: int = 1) -> None:
        """Leave `levels` opened blocks (towards the whole model)."""
        if not self._levels:
            return
        self._close_from(max(0, len(self._levels) - levels))
        self.changed.emit(*self.current())

    def go_to(self, depth: int) -> None:
        self.go_up(len(self._levels) - depth)

    def _close_from(self, index: int) -> None:
        for lvl in self._levels[index:]:
            if lvl.parent_graph is not (self._root[0] if self._root else None):
                lvl.parent_graph.events.disconnect(self._on_parent_event)
            lvl.stack.deleteLater()
        del self._levels[index:]

    # ----- keeping parent and copy in step -------------------------------------------------------
    def _mirror(self, level: _Level) -> None:
        """An edit in the working copy: record it on the parent as one sub-graph update."""
        if level not in self._levels or level.stack.count() == 0:
            return
        from app.ui.undo import push

        text = level.stack.text(level.stack.index() - 1) or "Edit"
        cmd = UpdateNode(
            level.block_id, {"subgraph": level.graph.copy()}, description=f"{text} in {level.name}"
        )
        self._syncing = True
        try:
            push(level.parent_stack, level.parent_graph, cmd)
        finally:
            self._syncing = False

    def _on_parent_event(self, event: GraphEvent) -> None:
        if self._syncing:
            return
        for i, lvl in enumerate(self._levels):
            if event.node_id != lvl.block_id:
                continue
            graph_of_event = lvl.parent_graph
            if event.kind == "node_removed" and lvl.block_id not in graph_of_event:
                self._close_from(i)
                self.changed.emit(*self.current())
                return
            if event.kind == "node_changed" and "subgraph" in event.fields:
                node = graph_of_event.node(lvl.block_id) if lvl.block_id in graph_of_event else None
                if node is None or node.subgraph is None:
                    continue
                # Replaced from outside (undo/redo): rebuild this level's working copy.
                self._close_from(i)
                self._levels.append(
                    _Level(
                        lvl.parent_graph,
                        lvl.parent_stack,
                        lvl.block_id,
                        node.subgraph.copy(),
                        QUndoStack(self),
                        lvl.name,
                    )
                )
                new = self._levels[-1]
                new.stack.indexChanged.connect(lambda _i, lv=new: self._mirror(lv))
                if i > 0:
                    new.parent_graph.events.connect(self._on_parent_event)
                self.changed.emit(new.graph, new.stack)
                return


class Breadcrumb(QWidget):
    """ "Model ▸ encoder ▸ ..." above the canvas, with a button back to the parent level."""

    def __init__(
        self, navigator: BlockNavigator, model_name: str = "Model", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._nav = navigator
        self._model_name = model_name
        self.back = QToolButton(self)
        self.back.setText("◂ Back")
        self.back.setToolTip("Back to the enclosing model (Esc)")
        self.back.setAutoRaise(True)
        self.back.clicked.connect(lambda: navigator.go_up())
        self.label = QLabel(self)
        self.label.setTextFormat(self.label.textFormat().RichText)
        self.label.linkActivated.connect(lambda href: navigator.go_to(int(href)))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.back)
        layout.addWidget(self.label, 1)
        navigator.changed.connect(lambda *_: self.refresh())
        self.refresh()

    def set_model_name(self, name: str) -> None:
        self._model_name = name
        self.refresh()

    def refresh(self) -> None:
        names = self._nav.path_names()
        self.setVisible(bool(names))
        parts = [f"<a href='0'>{self._model_name}</a>"]
        for depth, name in enumerate(names, start=1):
            parts.append(
                f"<b>{name}</b>" if depth == len(names) else f"<a href='{depth}'>{name}</a>"
            )
        self.label.setText(
            "  ▸  ".join(parts) + "  <span style='color:gray'>(editing inside a block)</span>"
        )
