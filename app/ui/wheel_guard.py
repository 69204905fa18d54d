"""Scrolling a form must not change its values.

A spin box or combo box under the mouse takes wheel events, so scrolling down a long settings
form quietly edits whatever passes under the pointer. WheelGuard hands those wheel events to the
scroll area instead, unless the field has the keyboard focus (clicked into: then the wheel edits
it, as the user asked).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QScrollArea, QWidget

GUARDED = (QAbstractSpinBox, QComboBox)


class WheelGuard(QObject):
    """Event filter for the fields of one scroll area (see guard_fields)."""

    def __init__(self, area: QScrollArea) -> None:
        super().__init__(area)
        self.area = area

    def guard(self, root: QWidget) -> None:
        """Watch every spin box and combo box under `root` (call again after adding fields)."""
        for field in root.findChildren(QWidget):
            if isinstance(field, GUARDED) and not field.property("wheel_guarded"):
                field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel alone won't focus
                field.installEventFilter(self)
                field.setProperty("wheel_guarded", True)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Wheel and isinstance(obj, GUARDED) and not obj.hasFocus():
            QCoreApplication.sendEvent(self.area.verticalScrollBar(), event)
            return True
        return False


def guard_fields(area: QScrollArea) -> WheelGuard:
    """Install a WheelGuard on the fields now inside `area`; keep it to guard later ones."""
    guard = WheelGuard(area)
    if area.widget() is not None:
        guard.guard(area.widget())
    return guard
