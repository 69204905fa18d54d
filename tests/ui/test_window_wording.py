"""Small things a new user meets: counts in words, the last status after a paste, the menu
order."""

from __future__ import annotations

from _fixtures import wait_checked
from PySide6.QtCore import QPointF

from app.ui.wording import counted


def test_counted_words() -> None:
    assert [counted(n, "layer") for n in (0, 1, 2, 1500)] == [
        "0 layers",
        "1 layer",
        "2 layers",
        "1,500 layers",
    ]
    assert counted(2, "run", "runs so far") == "2 runs so far"


def test_one_layer_is_one_layer_in_the_status_bar(window, qtbot) -> None:
    window.new_document()
    window.scene.add_node_at("keras.Input", QPointF(0, 0))
    wait_checked(qtbot, window)
    assert window.params_label.text() == "1 layer · 0 params"


def test_paste_replaces_the_copied_message(window, qtbot) -> None:
    window.new_document()
    node = window.scene.add_node_at("keras.Input", QPointF(0, 0))
    window.scene.select_node(node)
    window.copy()
    assert window.statusBar().currentMessage() == "Copied 1 layer."
    window.paste()
    assert window.statusBar().currentMessage() == "Pasted 1 layer."
    window.duplicate()
    assert window.statusBar().currentMessage() == "Duplicated 1 layer."


def test_help_is_the_last_menu(window) -> None:
    window.show_training_panel()  # panels built later add no menus after Help
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Train", "Help"]

