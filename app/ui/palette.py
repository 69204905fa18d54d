"""Layer palette: every node type by category, searchable, dragged onto the canvas or double-clicked."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.nodes import REGISTRY, NodeSpec
from app.ui.icons import category_icon

SPEC_MIME = "application/x-layerloom-spec"
SPEC_ROLE = Qt.ItemDataRole.UserRole + 1


def spec_mime_data(spec_id: str) -> QMimeData:
    """Mime data the canvas view accepts as a drop of a new layer."""
    mime = QMimeData()
    mime.setData(SPEC_MIME, QByteArray(spec_id.encode("utf-8")))
    mime.setText(spec_id)
    return mime


def display_name(spec: NodeSpec) -> str:
    """What users call a node type: "Input" for keras.Input, else the Keras class name."""
    return "Input" if spec.kind == "input" else spec.class_name


def _tooltip(spec: NodeSpec) -> str:
    lines = [f"<b>{display_name(spec)}</b> <span style='color:gray'>({spec.category})</span>"]
    if spec.doc:
        lines.append(spec.doc)
    lines.append(f"<span style='color:gray'>{spec.id}</span>")
    return "<br>".join(lines)


class _SpecTree(QTreeWidget):
    """Tree whose leaf items drag as layer specs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(True)
        self.setAnimated(True)
        self.setIndentation(14)

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt override)
        return [SPEC_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802 (Qt override)
        for item in items:
            spec_id = item.data(0, SPEC_ROLE)
            if spec_id:
                return spec_mime_data(spec_id)
        return QMimeData()


class LayerPalette(QWidget):
    """Search box over a category tree; `add_requested(spec_id)` on double-click or Enter."""

    add_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search layers…  (e.g. conv, dense, attention)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._add_first_visible)
        self.search.installEventFilter(self)
        self.tree = _SpecTree(self)
        self.tree.itemActivated.connect(self._on_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._categories: dict[str, QTreeWidgetItem] = {}
        self._populate()

    def _populate(self) -> None:
        self.tree.clear()
        for category, specs in REGISTRY.by_category().items():
            if category == "Blocks":
                continue  # blocks are made with Group into block, not from the palette
            # Keras' own Lambda needs a serialized function; the Lambda expression node replaces it
            specs = [s for s in specs if not (s.trusted_code_only and s.extra.get("needs_config"))]
            top = QTreeWidgetItem([f"{category}  ({len(specs)})"])
            top.setIcon(0, category_icon(category))
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            self._categories[category] = top
            for spec in specs:
                item = QTreeWidgetItem([display_name(spec)])
                item.setIcon(0, category_icon(category))
                item.setData(0, SPEC_ROLE, spec.id)
                item.setToolTip(0, _tooltip(spec))
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                top.addChild(item)
                self._items[spec.id] = item
        for name in ("Input", "Core", "Convolution", "Pooling", "Regularization", "Reshaping"):
            if name in self._categories:
                self._categories[name].setExpanded(True)

    def visible_spec_ids(self) -> list[str]:
        """Spec ids currently shown, in tree order (for tests and Enter-to-add)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top.isHidden():
                continue
            for j in range(top.childCount()):
                child = top.child(j)
                if not child.isHidden():
                    out.append(child.data(0, SPEC_ROLE))
        return out

    def item_for(self, spec_id: str) -> QTreeWidgetItem | None:
        return self._items.get(spec_id)

    def filter(self, text: str) -> None:
        """Show only the specs REGISTRY.search finds for `text`, categories expanded."""
        text = text.strip()
        if not text:
            for item in self._items.values():
                item.setHidden(False)
            for top in self._categories.values():
                top.setHidden(False)
            return
        hits = REGISTRY.search(text)
        rank = {s.id: i for i, s in enumerate(hits)}
        for spec_id, item in self._items.items():
            item.setHidden(spec_id not in rank)
        for top in self._categories.values():
            shown = any(not top.child(j).isHidden() for j in range(top.childCount()))
            top.setHidden(not shown)
            if shown:
                top.setExpanded(True)
        best = next((s.id for s in hits if s.id in self._items), None)
        if best is not None:
            self.tree.setCurrentItem(self._items[best])

    def _add_first_visible(self) -> None:
        current = self.tree.currentItem()
        spec_id = (
            current.data(0, SPEC_ROLE) if current is not None and not current.isHidden() else None
        )
        if spec_id is None:
            visible = self.visible_spec_ids()
            spec_id = visible[0] if visible else None
        if spec_id:
            self.add_requested.emit(spec_id)

    def _on_activated(self, item: QTreeWidgetItem, _col: int) -> None:
        spec_id = item.data(0, SPEC_ROLE)
        if spec_id:
            self.add_requested.emit(spec_id)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        # Arrow keys in the search box move through the results.
        if (
            obj is self.search
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
        ):
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self.tree.setFocus()
                self.tree.keyPressEvent(event)
                return True
        return super().eventFilter(obj, event)
