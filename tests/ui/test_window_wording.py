"""Small things a new user meets: counts in words, the last status after a paste, the menu
order, and file dialogs that start in the folder last used for the same kind of file."""

from __future__ import annotations

from pathlib import Path

from _fixtures import wait_checked
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QFileDialog

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


def test_save_dialogs_start_where_the_same_kind_went_last(window, tmp_path, monkeypatch) -> None:
    starts: list[tuple[str, Path]] = []
    answers: list[Path] = []

    def dialog(_parent, title, start, _filter):
        starts.append((title, Path(start).parent))
        return str(answers.pop(0)), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    scripts, pictures = tmp_path / "scripts", tmp_path / "pictures"
    scripts.mkdir()
    pictures.mkdir()
    answers += [scripts / "a.py", pictures / "g.png", scripts / "b.py", pictures / "h.png"]
    window.export_script_dialog()
    window.export_image_dialog("png")
    window.export_script_dialog()
    window.export_image_dialog("png")
    assert starts[1][1] != scripts  # a kind never used does not follow another kind
    assert starts[2] == ("Export Python script", scripts)
    assert starts[3] == ("Export graph as PNG", pictures)
