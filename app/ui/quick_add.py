"""Quick add (Tab): a small search popup that adds the chosen layer where the cursor is."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.nodes import REGISTRY
from app.ui.icons import category_icon

SPEC_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_HITS = 40


class QuickAddPopup(QFrame):
    """Type to search, arrows to choose, Enter to add, Esc to close; `chosen(spec_id)`."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add layer…")
        self.search.textChanged.connect(self._refill)
        self.search.returnPressed.connect(self._accept)
        self.search.installEventFilter(self)
        self.list = QListWidget(self)
        self.list.itemActivated.connect(lambda _item: self._accept())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(300, 340)
        self._refill("")

    def popup(self, global_pos) -> None:
        self.search.clear()
        self._refill("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def _refill(self, text: str) -> None:
        self.list.clear()
        specs = [s for s in REGISTRY.search(text) if s.kind != "block"]
        if not text.strip():
            specs.sort(key=lambda s: (not s.curated, s.class_name))
        for spec in specs[:MAX_HITS]:
            item = QListWidgetItem(category_icon(spec.category), f"{spec.class_name}")
            item.setToolTip(spec.doc)
            item.setData(SPEC_ROLE, spec.id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.hide()
            self.chosen.emit(item.data(SPEC_ROLE))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        if obj is self.search and event.type() == event.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                self.list.keyPressEvent(event)
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)
