"""The Tab quick-add popup: type to filter layer types, Enter adds one at the cursor, Esc closes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from app.nodes import REGISTRY
from app.ui.canvas.style import category_color

MAX_RESULTS = 60
CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 1


class _ResultDelegate(QStyledItemDelegate):
    """A result row: category colour dot, layer class, category name right-aligned and muted."""

    def paint(self, painter: QPainter, option, index) -> None:
        super().paint(painter, option, index)
        category = index.data(CATEGORY_ROLE) or ""
        rect = QRectF(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(category_color(category))
        painter.drawEllipse(QRectF(rect.left() + 7, rect.center().y() - 4, 8, 8))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        painter.setPen(option.palette.color(role))
        painter.drawText(
            rect.adjusted(0, 0, -8, 0),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            category,
        )
        painter.restore()


class QuickAddPopup(QFrame):
    """A search field over REGISTRY.search with a result list; emits `chosen(spec_id)`."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("QuickAddPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Add layer…  (type to search)")
        self.edit.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        self.list.setItemDelegate(_ResultDelegate(self.list))
        self.list.setStyleSheet("QListWidget::item { padding: 3px 3px 3px 20px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.resize(300, 340)
        self.edit.textChanged.connect(self._refill)
        self.edit.returnPressed.connect(self.accept_current)
        self.list.itemActivated.connect(lambda _item: self.accept_current())
        self.edit.installEventFilter(self)
        self._refill("")

    def _refill(self, text: str) -> None:
        self.list.clear()
        for spec in REGISTRY.search(text)[:MAX_RESULTS]:
            if spec.kind == "block":
                continue
            item = QListWidgetItem(spec.class_name)
            item.setData(Qt.ItemDataRole.UserRole, spec.id)
            item.setData(CATEGORY_ROLE, spec.category)
            item.setToolTip(spec.doc)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def accept_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        spec_id = item.data(Qt.ItemDataRole.UserRole)
        self.close()
        self.chosen.emit(spec_id)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is self.edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
                self.list.setCurrentRow(row)
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
        return super().eventFilter(obj, event)

    def popup_at(self, global_pos) -> None:
        """Show at a global screen position with an empty search field focused."""
        self.edit.clear()
        self.move(global_pos)
        self.show()
        self.edit.setFocus()
