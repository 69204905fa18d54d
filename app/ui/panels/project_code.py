"""The Project code panel: the project's custom losses and metrics, listed and edited as code.

Entries come from the project (app.project.project_code); Add, Apply and Remove push undoable
project commands, and the list follows the project's CODE_CHANGED events (undo, redo, open).
The code box is the CustomLayer code editor: code applied there is trusted, since the user
wrote it here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import LayerLoomError
from app.nodes.custom_code_specs import CODE_PARAM
from app.project.commands import ProjectCommand, add_code, remove_code, replace_code
from app.project.events import CODE_CHANGED, ProjectEvent
from app.project.project_code import (
    CODE_KINDS,
    CodeEntry,
    defines,
    find_entry,
    free_name,
    new_entry,
)
from app.ui.code_param_editor import CodeParamEditor
from app.ui.undo import push

if TYPE_CHECKING:
    from app.ui.document import Document

ROLE_NAME = 0x0100  # Qt.ItemDataRole.UserRole: the entry's name on its list item


class ProjectCodePanel(QWidget):
    """List of code entries (kind, name) with Add / Remove, and the selected entry's editor."""

    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.list = QListWidget(self)
        self.add_button = QToolButton(self)
        self.add_button.setText("Add")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for kind in CODE_KINDS.values():  # one action per registered kind of code
            menu.addAction(f"{kind.label}…", lambda k=kind.key: self.add_entry(k))
        self.add_button.setMenu(menu)
        self.remove_button = QPushButton("Remove", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        left = QWidget(self)
        left_col = QVBoxLayout(left)
        left_col.setContentsMargins(0, 0, 0, 0)
        left_col.addLayout(buttons)
        left_col.addWidget(self.list, 1)

        right = QWidget(self)
        right_col = QVBoxLayout(right)
        right_col.setContentsMargins(0, 0, 0, 0)
        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Name", right))
        self.name_edit = QLineEdit(right)
        self.name_edit.setToolTip("What the training settings pick; the code must define it")
        name_row.addWidget(self.name_edit, 1)
        right_col.addLayout(name_row)
        self.editor = CodeParamEditor(CODE_PARAM, right)
        right_col.addWidget(self.editor.widget, 1)
        self.hint = QLabel("", right)
        self.hint.setWordWrap(True)
        right_col.addWidget(self.hint)

        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

        self.list.currentItemChanged.connect(lambda *_: self._show_selected())
        self.remove_button.clicked.connect(self.remove_selected)
        self.editor.committed.connect(self.apply)
        self.name_edit.editingFinished.connect(self.apply)
        self._show_selected()

    # ----- the document ----------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """List `document`'s project code and follow its changes."""
        if self.document is not None:
            self.document.project.events.disconnect(self._on_project_event)
        self.document = document
        document.project.events.connect(self._on_project_event)
        self.refresh()

    def shutdown(self) -> None:
        """Nothing runs in the background here."""

    def _on_project_event(self, event: ProjectEvent) -> None:
        if event.kind == CODE_CHANGED:
            self.refresh()

    def refresh(self, select: str | None = None) -> None:
        """Show the project's entries again, keeping (or moving to) the selected name."""
        keep = select or self.selected_name()
        entries = self.document.project.code if self.document is not None else []
        blocked = self.list.blockSignals(True)
        try:
            self.list.clear()
            for entry in entries:
                item = QListWidgetItem(entry.label, self.list)
                item.setData(ROLE_NAME, entry.name)
            names = [e.name for e in entries]
            row = names.index(keep) if keep in names else (0 if names else -1)
            self.list.setCurrentRow(row)
        finally:
            self.list.blockSignals(blocked)
        self._show_selected()

    # ----- selection -------------------------------------------------------------------------
    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(ROLE_NAME) if item is not None else None

    def selected_entry(self) -> CodeEntry | None:
        if self.document is None:
            return None
        name = self.selected_name()
        return find_entry(self.document.project.code, name) if name else None

    def _show_selected(self) -> None:
        entry = self.selected_entry()
        for widget in (self.name_edit, self.editor.widget, self.remove_button):
            widget.setEnabled(entry is not None)
        self.name_edit.setText(entry.name if entry else "")
        self.editor.set_value(entry.source if entry else "")
        self._update_hint(entry)

    def _update_hint(self, entry: CodeEntry | None) -> None:
        if entry is None:
            self.hint.setText(empty_hint())
        elif not defines(entry):
            self.hint.setText(f"⚠ The code does not define '{entry.name}' at its top level.")
        else:
            self.hint.setText(f"Training settings pick it as '{entry.name}'.")

    # ----- edits -----------------------------------------------------------------------------
    def add_entry(self, kind: str) -> CodeEntry | None:
        """Add an entry of `kind` with its template code under a free name, and select it."""
        if self.document is None:
            return None
        name = free_name(self.document.project.code, f"my_{kind}")
        entry = new_entry(kind, name)
        from app.compiler.custom_code import trust

        trust(entry.source)  # the user added it here: LayerLoom's own template
        if self._push(add_code(self.document.project, entry)):
            self.refresh(select=name)
            return entry
        return None

    def apply(self) -> None:
        """Store the editor's name and code in the selected entry (one undo step)."""
        entry = self.selected_entry()
        if entry is None:
            return
        edited = CodeEntry(entry.kind, self.name_edit.text().strip(), self.editor.value())
        if edited == entry:
            return
        from app.compiler.custom_code import trust

        trust(edited.source)  # typed here by the user
        try:
            command = replace_code(self.document.project, entry.name, edited)
        except LayerLoomError as exc:
            self.status_message.emit(exc.message)
            self.name_edit.setText(entry.name)
            return
        if self._push(command):
            self.refresh(select=edited.name)

    def remove_selected(self) -> None:
        """Remove the selected entry (undo brings it back)."""
        entry = self.selected_entry()
        if entry is not None:
            self._push(remove_code(self.document.project, entry.name))

    def _push(self, command: ProjectCommand) -> bool:
        try:
            push(self.document.undo_stack, self.document.project, command)
        except LayerLoomError as exc:
            self.status_message.emit(exc.message)
            return False
        return True


def empty_hint() -> str:
    """What the panel says with nothing selected: every kind of code it takes, from the table."""
    labels = [_in_sentence(kind.label) for kind in CODE_KINDS.values()]
    kinds = ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0]
    return f"Add a custom {kinds}; the Training panel offers it by name."


def _in_sentence(label: str) -> str:
    """'Loss' -> 'loss', but 'LR schedule' stays (an abbreviation keeps its capitals)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]
