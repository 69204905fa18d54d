"""The inspector's "Learned from data" box: what a preprocessing node has learned (mean/variance,
vocabulary, bin edges), "Adapt now" (on a worker thread, from the project's training split)
and "Forget learned state", each stored as one undoable edit."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.errors import LayerLoomError
from app.model import ModelGraph
from app.model import commands as cmds
from app.nodes import REGISTRY
from app.nodes.learned_state import describe_state, has_state, state_words, without_state
from app.ui.data.worker import TaskRunner

NO_STATE = (
    "Nothing learned yet: training adapts it to the training split of the data first, "
    "or learn it now."
)


class LearnedStateBox(QGroupBox):
    """Shows and changes the learned state of one node.

    The adapt result may arrive after the inspector replaced this box (another node selected):
    it is stored all the same, and `said(text, is_error)` tells the inspector what happened.
    """

    def __init__(
        self,
        graph: ModelGraph,
        node_id: str,
        push: Callable[[Any], bool],
        project_of: Callable[[], Any] | None,
        runner: TaskRunner,
        said: Callable[[str, bool], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Learned from data", parent)
        self._graph, self._node_id, self._push = graph, node_id, push
        self._project_of, self._runner, self._said = project_of, runner, said
        layout = QVBoxLayout(self)
        self.state_label = QLabel("", self)
        self.state_label.setWordWrap(True)
        self.state_label.setObjectName("learnedState")
        layout.addWidget(self.state_label)
        row = QHBoxLayout()
        self.adapt_btn = QPushButton("Adapt now", self)
        self.forget_btn = QPushButton("Forget learned state", self)
        self.forget_btn.setToolTip("Leave the state out again: the next run learns it afresh.")
        self.adapt_btn.clicked.connect(self.adapt_now)
        self.forget_btn.clicked.connect(self.forget)
        row.addWidget(self.adapt_btn)
        row.addWidget(self.forget_btn)
        row.addStretch(1)
        layout.addLayout(row)
        runner.busy_changed.connect(self.refresh)  # the buttons come back once it has finished
        self.refresh()

    def _node(self):
        return self._graph.node(self._node_id) if self._node_id in self._graph else None

    def _project(self) -> Any:
        """The open project, if this node is part of its model: at the top level, or inside a
        block whose working copy the canvas shows (that copy keeps the node's id)."""
        project = self._project_of() if self._project_of is not None else None
        if project is None:
            return None
        if project.graph is self._graph:
            return project
        inside = any(self._node_id in g for path, g in project.graph.walk() if path)
        return project if inside else None

    def refresh(self, *_args) -> None:
        """Follow the node: its state in words, and which actions apply."""
        node = self._node()
        if node is None or not isValid(self):
            return
        spec = REGISTRY[node.spec_id]
        lines = describe_state(spec, node.params)
        self.state_label.setText("\n".join(lines) if lines else NO_STATE)
        busy = self._runner.is_busy(self._key())
        in_project = self._project() is not None
        own = node.shared_with is None
        self.adapt_btn.setEnabled(in_project and own and not busy)
        self.adapt_btn.setText("Adapting…" if busy else "Adapt now")
        self.adapt_btn.setToolTip(
            f"Learn its {state_words(spec)} from the training split of the project's data now."
            if in_project
            else "Only layers of the open project's model are adapted to its data."
        )
        self.forget_btn.setEnabled(own and not busy and has_state(spec, node.params))

    def _key(self) -> str:
        return f"adapt:{self._node_id}"

    def adapt_now(self) -> None:
        """Learn the state on a worker thread from a snapshot; store it as one undo step."""
        from app.training.adapt import adapt_project_node
        from app.training.headless import training_snapshot

        project = self._project()
        if project is None or self._node() is None:
            return
        snapshot = training_snapshot(project)
        node_id = self._node_id
        self._runner.run(
            self._key(),
            lambda: adapt_project_node(snapshot, node_id),
            self._store,
            self._fail,
        )
        self.refresh()

    def _store(self, learned) -> None:
        node = self._node()
        if node is not None and self._project() is not None:  # still the same model
            params = {**without_state(REGISTRY[node.spec_id], node.params), **learned.params}
            if self._update(params, f"Adapt {node.name} to the data"):
                self._said(learned.message, False)
        self.refresh()

    def _fail(self, message: str) -> None:
        self.refresh()
        self._said(message, True)

    def forget(self) -> None:
        node = self._node()
        if node is not None:
            spec = REGISTRY[node.spec_id]
            self._update(without_state(spec, node.params), f"Forget what {node.name} learned")

    def _update(self, params: dict, description: str) -> bool:
        try:
            command = cmds.update_node(self._graph, self._node_id, params=params)
        except LayerLoomError as exc:
            self._said(exc.message, True)
            return False
        return self._push(dataclasses.replace(command, description=description))
