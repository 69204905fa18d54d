"""The trust banner: a project's custom layer code is shown, never run, until the user trusts it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.model import GraphEvent
from app.nodes import REGISTRY
from app.nodes.custom_code_specs import code_texts
from app.project.events import CODE_CHANGED
from app.ui.panels.code_view import PythonHighlighter

if TYPE_CHECKING:
    from app.ui.document import Document


def banner_text(count: int, code_count: int = 0) -> str:
    """What the banner says for `count` untrusted layers and `code_count` project code entries."""
    parts = [f"{count} layer{'s' * (count != 1)}"] if count else []
    parts += [f"{code_count} project code entr{'ies' if code_count != 1 else 'y'}"] * bool(
        code_count
    )
    what = "custom layer code" if not code_count else "custom code"
    return f"This project contains {what} ({', '.join(parts)}). It has not been run."


class TrustBanner(QFrame):
    """Non-modal bar above the canvas: [Review code] [Trust and run] for untrusted code nodes.

    Args:
        reveal_node: selects a node on the canvas and brings it into view (opening blocks).
    """

    trusted = Signal(int)  # how many code nodes were trusted (the window checks shapes again)

    def __init__(
        self,
        parent: QWidget | None = None,
        reveal_node: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.reveal_node = reveal_node
        self.document: Document | None = None
        self.dialog: CodeReviewDialog | None = None
        self.setObjectName("trustBanner")
        self.setStyleSheet(
            "#trustBanner { background: #fff4ce; border-bottom: 1px solid #e0b700; }"
            "#trustBanner QLabel { color: #3d3000; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 8, 6)
        icon = QLabel("⚠", self)
        self.label = QLabel("", self)
        self.label.setWordWrap(True)
        self.review_button = QPushButton("Review code", self)
        self.trust_button = QPushButton("Trust and run", self)
        self.trust_button.setToolTip(
            "Run this project's custom layer code on this computer (only if you trust its author)"
        )
        row.addWidget(icon)
        row.addWidget(self.label, 1)
        row.addWidget(self.review_button)
        row.addWidget(self.trust_button)
        self.review_button.clicked.connect(self.review)
        self.trust_button.clicked.connect(self.trust_all)
        self.hide()

    # ----- following the document ------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Follow `document`: show the banner if its graph holds code not yet trusted."""
        if self.document is not None:
            self.document.graph.events.disconnect(self._on_graph_event)
            self.document.project.events.disconnect(self._on_project_event)
        self.document = document
        document.graph.events.connect(self._on_graph_event)
        document.project.events.connect(self._on_project_event)
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
        self.refresh()

    def untrusted(self) -> list[str]:
        """Ids of the open model's nodes whose code is not trusted."""
        from app.compiler.custom_code import untrusted_code_nodes

        return untrusted_code_nodes(self.document.graph) if self.document is not None else []

    def untrusted_code(self) -> list[str]:
        """Names of the project's code entries (losses, metrics) that are not trusted."""
        from app.compiler.custom_code import untrusted_project_code

        return untrusted_project_code(self.document.project.code) if self.document else []

    def refresh(self) -> None:
        ids, code = self.untrusted(), self.untrusted_code()
        self.label.setText(banner_text(len(ids), len(code)))
        self.setVisible(bool(ids or code))

    def _on_project_event(self, event) -> None:
        if event.kind == CODE_CHANGED:
            self.refresh()

    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.kind == "node_changed" and set(event.fields) <= {"position"}:
            return
        if self.isVisible() or event.kind in ("node_added", "node_changed"):
            self.refresh()

    # ----- actions ---------------------------------------------------------------------------
    def trust_all(self) -> None:
        """Trust every code text of the model, then check it again (the code now runs)."""
        from app.compiler.custom_code import trust_graph, trust_project_code

        doc = self.document
        if doc is None:
            return
        count = trust_graph(doc.graph)
        trust_project_code(doc.project.code)
        doc.project.trusted_code = True
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
        self.refresh()
        self.trusted.emit(count)

    def review(self) -> None:
        """Show the code of every untrusted layer, read-only, in a non-modal dialog."""
        ids = self.untrusted()
        code = self.untrusted_code()
        if not (ids or code) or self.document is None:
            return
        if self.dialog is not None:
            self.dialog.close()
        entries = [e for e in self.document.project.code if e.name in code]
        self.dialog = CodeReviewDialog(self.document.graph, ids, self.window(), entries)
        self.dialog.trust_requested.connect(self.trust_all)
        self.dialog.show()
        if ids and self.reveal_node is not None:
            self.reveal_node(ids[0])


class CodeReviewDialog(QDialog):
    """One read-only, highlighted tab per layer whose code waits for trust."""

    trust_requested = Signal()

    def __init__(
        self, graph, node_ids: list[str], parent: QWidget | None = None, entries: list = ()
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review custom layer code")
        self.setModal(False)
        self.resize(720, 520)
        layout = QVBoxLayout(self)
        note = QLabel(
            "This code comes from the project file and runs with your permissions once trusted. "
            "Trust it only if you trust the project's author.",
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.tabs = QTabWidget(self)
        nodes = {n.id: n for _, g in graph.walk() for n in g.nodes()}
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.highlighters = []
        for nid in node_ids:
            node = nodes[nid]
            spec = REGISTRY[node.spec_id]
            view = self._code_view("\n\n".join(code_texts(spec, node.params)), font)
            self.tabs.addTab(view, f"{node.name} ({spec.class_name})")
        for entry in entries:  # the project's custom losses and metrics
            self.tabs.addTab(self._code_view(entry.source, font), entry.label)
        layout.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(self)
        trust = buttons.addButton("Trust and run", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        trust.clicked.connect(self.trust_requested)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def _code_view(self, text: str, font) -> QPlainTextEdit:
        view = QPlainTextEdit(self.tabs)
        view.setReadOnly(True)
        view.setFont(font)
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        view.setPlainText(text)
        self.highlighters.append(PythonHighlighter(view.document()))
        return view
