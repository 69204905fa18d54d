"""Code editor for the source params of CustomLayer / Lambda nodes (monospace, highlighted).

Applying the text (Apply button, Ctrl+Return or leaving the editor) trusts it, since the user
wrote it here, and commits it as one inspector edit (one undo step).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.nodes.custom_code_specs import SOURCE_PARAMS
from app.nodes.spec import ParamSpec
from app.ui.panels.code_view import PythonHighlighter
from app.ui.param_editors import ParamEditor

TAB = "    "


def is_code_param(ps: ParamSpec) -> bool:
    """True for params edited as Python source (CustomLayer code, Lambda expression)."""
    return ps in SOURCE_PARAMS


def make_param_editor(ps: ParamSpec, parent: QWidget) -> ParamEditor:
    """The editor for `ps`: a code editor for source params, else the usual ParamEditor."""
    return CodeParamEditor(ps, parent) if is_code_param(ps) else ParamEditor(ps, parent)


class CodeTextEdit(QPlainTextEdit):
    """Plain-text editor for Python: Tab inserts 4 spaces, Backspace removes them, Ctrl+Return
    applies, focus-out too."""

    apply_requested = Signal()
    apply_on_focus_out = True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        mods = event.modifiers()
        if event.key() == Qt.Key.Key_Tab and not mods & Qt.KeyboardModifier.ControlModifier:
            self.insertPlainText(TAB)
            return
        if event.key() == Qt.Key.Key_Backspace and not mods and self._remove_indent_level():
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            mods & Qt.KeyboardModifier.ControlModifier
        ):
            self.apply_requested.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # keep the current line's indentation (and indent after a colon)
            line = self.textCursor().block().text()
            indent = line[: len(line) - len(line.lstrip(" "))]
            if line.rstrip().endswith(":"):
                indent += TAB
            super().keyPressEvent(event)
            self.insertPlainText(indent)
            return
        super().keyPressEvent(event)

    def _remove_indent_level(self) -> bool:
        """In leading spaces, Backspace goes back to the previous indent level (one step)."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        before = cursor.block().text()[: cursor.positionInBlock()]
        if not before or before.strip(" "):
            return False
        width = (len(before) - 1) % len(TAB) + 1
        cursor.movePosition(cursor.MoveOperation.Left, cursor.MoveMode.KeepAnchor, width)
        cursor.removeSelectedText()
        self.setTextCursor(cursor)
        return True

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().focusOutEvent(event)
        if self.apply_on_focus_out:
            self.apply_requested.emit()


class CodeParamEditor(ParamEditor):
    """A ParamEditor whose editor is a highlighted code box with an Apply button."""

    def _make_editor(self, ps: ParamSpec) -> QWidget:
        box = QWidget(self.widget)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.text_edit = CodeTextEdit(box)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.text_edit.setFont(font)
        self.text_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text_edit.setTabStopDistance(self.text_edit.fontMetrics().horizontalAdvance(" ") * 4)
        # Short enough that Apply and the lines around it fit a 768-pixel-high screen.
        lines = 12 if ps.name == "code" else 3
        self.text_edit.setMinimumHeight(self.text_edit.fontMetrics().lineSpacing() * lines + 12)
        self.text_edit.setPlaceholderText("x * 2" if ps.name == "expression" else "")
        dark = QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
        self.highlighter_dark = dark
        self.highlighter = PythonHighlighter(self.text_edit.document(), dark=dark)
        # The buttons sit above the text, so Apply shows however long the code grows.
        row = QHBoxLayout()
        self.apply_button = QPushButton("Apply", box)
        self.apply_button.setToolTip("Use this code (Ctrl+Enter); it runs as part of the model")
        self.apply_button.setEnabled(False)
        self.expand_button = QPushButton("Larger editor…", box)
        self.expand_button.setToolTip("Edit the code in a bigger window")
        self.expand_button.clicked.connect(self.open_window)
        row.addWidget(self.expand_button)
        row.addStretch(1)
        row.addWidget(self.apply_button)
        layout.addLayout(row)
        layout.addWidget(self.text_edit, 1)
        self._shown = ""
        self.text_edit.textChanged.connect(self._on_text_changed)
        self.text_edit.apply_requested.connect(self.apply)
        self.apply_button.clicked.connect(self.apply)
        return box

    # ----- reading / writing -------------------------------------------------------------------
    def value(self) -> Any:
        return self.text_edit.toPlainText()

    def _show(self, value: Any) -> None:
        text = "" if value is None else str(value)
        self._shown = text
        if text != self.text_edit.toPlainText():
            self.text_edit.setPlainText(text)
        self.apply_button.setEnabled(False)

    def set_value(self, value: Any) -> None:
        was = self.text_edit.blockSignals(True)
        try:
            super().set_value(value)
        finally:
            self.text_edit.blockSignals(was)

    def set_read_only(self, read_only: bool) -> None:
        self.text_edit.setReadOnly(read_only)
        self.apply_button.setVisible(not read_only)

    @property
    def modified(self) -> bool:
        """True when the text differs from what the model holds."""
        return self.text_edit.toPlainText() != self._shown

    def apply(self) -> None:
        """Trust the typed code (the user wrote it) and commit it, if it changed."""
        if not self.modified or self.text_edit.isReadOnly():
            return
        from app.compiler.custom_code import trust

        trust(self.value())
        self.committed.emit()
        self._shown = self.value()  # committed (or refused: then the form shows the model again)
        self.apply_button.setEnabled(False)

    def _on_text_changed(self) -> None:
        self.apply_button.setEnabled(self.modified)

    def open_window(self) -> CodeWindow:
        """A larger, non-modal editor of the same text; its Apply applies here."""
        window = CodeWindow(self, self.widget.window())
        window.show()
        self.code_window = window
        return window


class CodeWindow(QDialog):
    """A roomy editor for one code param; Apply copies the text back and applies it."""

    def __init__(self, editor: CodeParamEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setWindowTitle(f"Edit {editor.spec.name}")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        self.text_edit = CodeTextEdit(self)
        self.text_edit.setFont(editor.text_edit.font())
        self.text_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text_edit.setPlainText(editor.text_edit.toPlainText())
        self.highlighter = PythonHighlighter(
            self.text_edit.document(), dark=editor.highlighter_dark
        )
        layout.addWidget(self.text_edit, 1)
        buttons = QDialogButtonBox(self)
        apply = buttons.addButton("Apply", QDialogButtonBox.ButtonRole.ApplyRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        apply.clicked.connect(self.apply)
        buttons.rejected.connect(self.close)
        self.text_edit.apply_on_focus_out = False
        self.text_edit.apply_requested.connect(self.apply)
        layout.addWidget(buttons)

    def apply(self) -> None:
        """Put the text into the inspector's editor and apply it (one undo step)."""
        try:
            self.editor.text_edit.setPlainText(self.text_edit.toPlainText())
            self.editor.apply()
        except RuntimeError:  # the inspector moved on to another layer
            self.close()
