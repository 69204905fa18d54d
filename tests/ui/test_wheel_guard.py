"""Scrolling a form with the mouse wheel scrolls it; it does not edit the field under the mouse."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QScrollArea, QVBoxLayout, QWidget

from app.ui.wheel_guard import guard_fields


def wheel(widget, qapp, steps: int = -1) -> None:
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    qapp.processEvents()


def test_the_wheel_scrolls_the_form_past_an_unfocused_spin_box(qtbot, qapp):
    area = QScrollArea()
    qtbot.addWidget(area)
    host = QWidget()
    col = QVBoxLayout(host)
    spins = [QDoubleSpinBox(host) for _ in range(40)]
    for s in spins:
        s.setValue(1.0)
        col.addWidget(s)
    area.setWidget(host)
    area.resize(200, 150)
    guard_fields(area)
    area.show()
    qtbot.waitExposed(area)
    target = spins[1]
    wheel(target, qapp)
    assert target.value() == 1.0  # unchanged
    assert area.verticalScrollBar().value() > 0  # the form scrolled instead
    target.setFocus()
    qtbot.waitUntil(target.hasFocus)
    wheel(target, qapp, steps=1)
    assert target.value() != 1.0  # a focused field takes the wheel, as asked


def test_the_training_form_is_guarded(qtbot):
    from app.ui.training.settings_form import TrainingSettingsForm

    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    form.set_config({}, ["a", "b"])
    weight = form.out_widgets["b"][1]
    assert weight.property("wheel_guarded") and form.batch_size.property("wheel_guarded")
