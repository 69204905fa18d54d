"""The data panel's Source choice: the sources grouped by kind, and whether the chosen one can
be loaded (offline from the Keras cache, after a download, or generated from the model)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.data import SOURCES
from app.ui.data.views import OK, WARN
from app.ui.data.worker import TaskRunner

KIND_GROUPS = {
    "bundled": "Bundled (offline)",
    "keras": "keras.datasets",
    "file": "Files",
    "synthetic": "Generated",
}


def fill_sources(combo: QComboBox) -> None:
    """Every data source, a separator between kinds, the kind in each item's tooltip."""
    last_kind = None
    for src in SOURCES:
        if src.kind != last_kind:
            if last_kind is not None:
                combo.insertSeparator(combo.count())
            last_kind = src.kind
        text = src.title
        if src.kind == "keras" and not src.cached():
            text += "  — not downloaded"
        combo.addItem(text, src.id)
        combo.setItemData(
            combo.count() - 1, KIND_GROUPS.get(src.kind, ""), Qt.ItemDataRole.ToolTipRole
        )


def compact(combo: QComboBox) -> None:
    """Let a combo box shrink with the settings column instead of pushing it wider."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)


class AvailabilityNote(QLabel):
    """Says whether the chosen source can be loaded; a keras.datasets download is checked on
    `runner`, off the GUI thread."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._runner = runner

    def check(self, source) -> None:
        """Say what loading `source` needs (nothing shown for bundled data and files)."""
        self._set("", None)
        if source.kind == "keras":
            if source.cached():
                self._set("In the Keras cache; works offline.", OK)
            else:
                self._set("Not downloaded; checking the network…", None)
                self._runner.run(
                    "availability",
                    source.available,
                    self._on_available,
                    lambda msg: self._set(msg, WARN),
                )
        elif source.needs_model:
            self._set(
                "Generated from the model's inputs and outputs: random values "
                "with the right shapes, to check that training runs.",
                None,
            )

    def _on_available(self, result: tuple[bool, str]) -> None:
        ok, why = result
        if ok:
            self._set(
                "Not downloaded; needs network. It is downloaded when you press Load data.", None
            )
        else:
            self._set(
                "Not downloaded; needs network — the download server cannot "
                "be reached. Connect once, or choose a bundled dataset.",
                WARN,
            )
            self.setToolTip(why)

    def _set(self, text: str, colour: str | None) -> None:
        self.setText(text)
        self.setToolTip("")
        self.setVisible(bool(text))
        self.setStyleSheet(f"color: {colour};" if colour else "")
