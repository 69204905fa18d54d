"""The first window fits 1366x768 and 1920x1080 screens; the bottom panels leave the canvas and
the inspector room: `activation` and the code editor's Apply stay in view."""

from __future__ import annotations

import pytest
from _fixtures import wait_checked
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication

from app.ui.window_parts import (
    PREFERRED_WINDOW,
    ROOMY_SHARE,
    TRAINING_TAB,
    first_window_geometry,
)

LAPTOP = QRect(0, 0, 1366, 768 - 28)  # a 1366x768 screen less a panel
DESKTOP = QRect(0, 0, 1920, 1080 - 28)


@pytest.mark.parametrize("available", [LAPTOP, DESKTOP, QRect(1920, 0, 1280, 1024)])
def test_the_first_window_fits_the_screen_with_its_title_bar(available: QRect) -> None:
    rect = first_window_geometry(available)
    assert available.contains(rect)
    assert rect.top() - available.top() >= 28  # room for a window manager's title bar
    assert rect.width() >= min(PREFERRED_WINDOW.width(), available.width())


def test_a_big_screen_gets_a_bigger_window_than_the_preferred_size() -> None:
    rect = first_window_geometry(DESKTOP)
    assert rect.width() > PREFERRED_WINDOW.width() and rect.height() >= PREFERRED_WINDOW.height()


def _laptop_window(window, qtbot):
    window.setGeometry(first_window_geometry(LAPTOP))
    qtbot.waitUntil(lambda: window.height() <= LAPTOP.height())
    assert window.open_example("digits_mlp")
    wait_checked(qtbot, window)
    return window


def _tab(window, title: str) -> int:
    return next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == title)


def test_the_training_tab_grows_the_dock_once_and_not_past_its_share(window, qtbot) -> None:
    win = _laptop_window(window, qtbot)
    win.tabs.setCurrentIndex(_tab(win, TRAINING_TAB))
    qtbot.waitUntil(lambda: win.panels_dock.height() > 200)
    assert win.panels_dock.height() <= win.height() * ROOMY_SHARE + 2
    grown = win.panels_dock.height()
    win.resizeDocks([win.panels_dock], [160], Qt.Orientation.Vertical)  # the user drags it down
    qtbot.waitUntil(lambda: win.panels_dock.height() < grown - 40)
    shrunk = win.panels_dock.height()
    win.tabs.setCurrentIndex(0)
    win.tabs.setCurrentIndex(_tab(win, TRAINING_TAB))
    QApplication.processEvents()
    assert win.panels_dock.height() == shrunk


def _fully_visible(widget) -> bool:
    QApplication.processEvents()
    shown = widget.visibleRegion().boundingRect()
    return widget.isVisible() and shown.size() == widget.size()


def test_activation_and_apply_are_in_view_with_the_training_tab_open(window, qtbot) -> None:
    win = _laptop_window(window, qtbot)
    win.show_training_panel()
    qtbot.waitUntil(lambda: win.panels_dock.height() > 200)
    hidden = win.document.graph.node_by_name("hidden").id
    win.scene.select_node(hidden)
    assert _fully_visible(win.inspector.editors["activation"].widget)
    custom = win.document.graph.add_node("layerloom.CustomLayer", "custom")
    win.scene.select_node(custom)
    assert _fully_visible(win.inspector.editors["code"].apply_button)
