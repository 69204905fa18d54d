"""Code panel: the generated Keras script, read-only, highlighted, with Copy and Save… buttons."""

from __future__ import annotations

import keyword
import os
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRegularExpression, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.project.atomic import atomic_write_bytes

REFRESH_MS = 400
_BUILTINS = (
    "print",
    "len",
    "range",
    "list",
    "dict",
    "tuple",
    "int",
    "float",
    "str",
    "None",
    "True",
    "False",
)


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, builtins, strings, numbers, comments and decorators in two colour sets."""

    def __init__(self, document: QTextDocument, dark: bool = False) -> None:
        super().__init__(document)
        self._rules: list[tuple[QRegularExpression, QTextCharFormat]] = []
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        colors = (
            {"kw": "#c678dd", "builtin": "#56b6c2", "str": "#98c379", "num": "#d19a66", "comment": "#7f848e", "deco": "#e5c07b", "call": "#61afef"}
            if dark
            else {"kw": "#7a1fa2", "builtin": "#0b7285", "str": "#2b8a3e", "num": "#b35c00", "comment": "#868e96", "deco": "#9c6f00", "call": "#1c5fb8"}
        )  # fmt: skip

        def fmt(key: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(QColor(colors[key]))
            if bold:
                f.setFontWeight(QFont.Weight.DemiBold)
            f.setFontItalic(italic)
            return f

        kws = [k for k in keyword.kwlist if k not in ("None", "True", "False")]
        self._rules = [
            (QRegularExpression(r"\b[A-Za-z_][A-Za-z0-9_]*(?=\()"), fmt("call")),
            (QRegularExpression(r"\b(" + "|".join(kws) + r")\b"), fmt("kw", bold=True)),
            (QRegularExpression(r"\b(" + "|".join(_BUILTINS) + r")\b"), fmt("builtin")),
            (QRegularExpression(r"\b[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\b"), fmt("num")),
            (QRegularExpression(r"^\s*@[A-Za-z_.]+"), fmt("deco")),
            (
                QRegularExpression(r"(\"[^\"\\]*(\\.[^\"\\]*)*\"|'[^'\\]*(\\.[^'\\]*)*')"),
                fmt("str"),
            ),
            (QRegularExpression(r"#[^\n]*"), fmt("comment", italic=True)),
        ]
        self._doc_fmt = fmt("str")
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        for regex, f in self._rules:
            it = regex.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), f)
        # Triple-quoted strings may span lines: state 1 = inside one.
        self.setCurrentBlockState(0)
        start = 0 if self.previousBlockState() == 1 else -1
        pos = 0
        while True:
            if start < 0:
                m = re.search(r'"""|\'\'\'', text[pos:])
                if not m:
                    break
                start = pos + m.start()
                pos = start + 3
            m = re.search(r'"""|\'\'\'', text[pos:])
            if m:
                end = pos + m.end()
                self.setFormat(start, end - start, self._doc_fmt)
                pos, start = end, -1
            else:
                self.setFormat(start, len(text) - start, self._doc_fmt)
                self.setCurrentBlockState(1)
                break


class CodePanel(QWidget):
    """Shows `generate_code(graph, project)`; refreshed a little after the last edit."""

    saved = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source: Callable[[], str] | None = None
        self._editor = QPlainTextEdit(self)
        self._editor.setReadOnly(True)
        self._editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 9.5))
        self._editor.setFont(font)
        self._editor.setPlaceholderText("The Python script appears here once Keras has loaded.")
        self._highlighter = PythonHighlighter(self._editor.document())
        self._status = QLabel("", self)
        self._status.setObjectName("emptyHint")
        self._copy = QPushButton("Copy", self)
        self._copy.setToolTip("Copy the script to the clipboard")
        self._copy.clicked.connect(self.copy_to_clipboard)
        self._save = QPushButton("Save…", self)
        self._save.setToolTip("Save the script as a .py file")
        self._save.clicked.connect(self._ask_save)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        bar.addWidget(self._status, 1)
        bar.addWidget(self._copy)
        bar.addWidget(self._save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self._editor, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh_now)

    def set_source(self, source: Callable[[], str] | None) -> None:
        """`source()` returns the script (may raise LayerLoomError); None = not available yet."""
        self._source = source
        self.schedule_refresh()

    def set_dark(self, dark: bool) -> None:
        self._highlighter.set_dark(dark)

    def schedule_refresh(self) -> None:
        self._timer.start()

    def text(self) -> str:
        return self._editor.toPlainText()

    def refresh_now(self) -> None:
        """Regenerate the script now; a failure shows its message instead of the code."""
        self._timer.stop()
        if self._source is None:
            return
        if not self.isVisible():
            self._stale = True  # regenerate when the Code tab is shown
            return
        self._stale = False
        from app.errors import LayerLoomError

        try:
            code = self._source()
        except LayerLoomError as exc:
            self._status.setText(f"Cannot generate code: {exc}")
            return
        except Exception as exc:  # never let code generation take the editor down
            self._status.setText(f"Cannot generate code: {type(exc).__name__}: {exc}")
            return
        self._status.setText(f"{code.count(chr(10)) + 1} lines · Functional API")
        if code != self._editor.toPlainText():
            bar = self._editor.verticalScrollBar()
            pos = bar.value()
            self._editor.setPlainText(code)
            bar.setValue(pos)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if getattr(self, "_stale", False):
            self.refresh_now()

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self._status.setText("Copied to the clipboard.")

    def save_to(self, path: str | os.PathLike) -> Path:
        """Write the freshly generated script atomically to `path`."""
        code = self._source() if self._source is not None else self.text()
        return write_text_atomic(Path(path), code)

    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Python script", "model.py", "Python (*.py)"
        )
        if path:
            try:
                self.save_to(path)
            except OSError as exc:
                self._status.setText(f"Could not save: {exc.strerror or exc}")
                return
            self._status.setText(f"Saved {Path(path).name}")
            self.saved.emit(path)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` (UTF-8, newline line ends) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


__all__ = ["CodePanel", "PythonHighlighter", "write_text_atomic"]
