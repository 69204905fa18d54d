"""Custom layer code in the app: a trust banner for opened projects, a code editor in the inspector."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _fixtures import wait_checked
from PySide6.QtCore import Qt

from app.compiler import custom_code as cc
from app.model import ModelGraph
from app.nodes.custom_code_specs import DEFAULT_CODE
from app.project import Project, save_project

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _code(marker: Path) -> str:
    return textwrap.dedent(
        f"""\
        open({str(marker)!r}, "w").write("ran")


        class Twice(keras.layers.Layer):
            def call(self, inputs):
                return inputs * 2.0
        """
    )


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def _project_with_code(path: Path, marker: Path) -> Path:
    g = ModelGraph("with_code")
    x = g.add_node("keras.Input", "x", params={"shape": [4]}, position=(0, 0))
    c = g.add_node(
        "layerloom.CustomLayer",
        "twice",
        params={"code": _code(marker), "class_name": "Twice", "config": {}},
        position=(260, 0),
    )
    d = g.add_node("keras.layers.Dense", "out", params={"units": 2}, position=(520, 0))
    g.connect(x, c)
    g.connect(c, d)
    g.set_outputs([d])
    save_project(Project(name="with_code", graph=g), path)
    return path


def test_palette_lists_custom_code_nodes(window) -> None:
    for spec_id in ("layerloom.CustomLayer", "layerloom.Lambda"):
        item = window.layer_palette.item_for(spec_id)
        assert item is not None and item.parent().text(0).startswith("Custom")
    custom = window.layer_palette.item_for("layerloom.Lambda").parent()
    names = [custom.child(i).text(0) for i in range(custom.childCount())]
    assert names.count("Lambda") == 1  # Keras' serialized-function Lambda is not offered


def test_banner_on_open_then_trust_runs_the_code(window, qtbot, tmp_path) -> None:
    marker = tmp_path / "ran.txt"
    path = _project_with_code(tmp_path / "code.llproj", marker)
    assert not window.trust_banner.isVisible()
    assert window.open_path(path)
    banner = window.trust_banner
    assert banner.isVisible()
    assert banner.label.text() == (
        "This project contains custom layer code (1 layer). It has not been run."
    )
    wait_checked(qtbot, window)
    twice = window.document.graph.node_by_name("twice").id
    error = window.last_report.nodes[twice].error
    assert error == f"Layer 'twice' runs custom code from this project; {cc.HOW_TO_TRUST}"
    assert window.scene.items_by_id[twice] is not None
    assert not marker.exists()  # shown, checked, never run
    # Review shows the code read-only; nothing runs.
    banner.review_button.click()
    assert banner.dialog is not None and banner.dialog.isVisible()
    assert "class Twice" in banner.dialog.tabs.widget(0).toPlainText()
    assert not marker.exists()
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "custom_code_banner.png"))
    qtbot.mouseClick(banner.trust_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            window.last_report is not None
            and window.last_report.ok
            and window.last_report.nodes.get(twice) is not None
            and window.last_report.nodes[twice].error is None
        ),
        timeout=20_000,
    )
    assert not banner.isVisible() and banner.dialog is None
    assert window.document.project.trusted_code
    assert marker.exists()
    assert window.last_report.nodes[twice].output_shapes == [(None, 4)]


def test_editing_code_in_the_inspector_is_one_undo_step(window, qtbot) -> None:
    graph = window.document.graph
    x = graph.add_node("keras.Input", "x", params={"shape": [6]})
    c = graph.add_node("layerloom.CustomLayer", "linear", position=(260, 0))
    graph.connect(x, c)
    graph.set_outputs([c])
    window.scene.select_node(c)
    editor = window.inspector.editors["code"]
    assert editor.text_edit.toPlainText() == DEFAULT_CODE
    metrics = editor.text_edit.fontMetrics()  # a monospaced font: code columns line up
    assert len({metrics.horizontalAdvance(ch) for ch in "iMW._0 "}) == 1
    wait_checked(qtbot, window)
    assert window.last_report.nodes[c].params == 6 * 32 + 32
    new_code = DEFAULT_CODE.replace("+ self.b", "+ self.b * 2.0")
    assert not cc.is_trusted(new_code)
    stack = window.document.undo_stack
    before = stack.count()
    editor.text_edit.setFocus()
    editor.text_edit.setPlainText(new_code)
    assert editor.apply_button.isEnabled()
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_Tab)  # Tab types four spaces
    assert editor.text_edit.toPlainText().count("    ") > new_code.count("    ")
    editor.text_edit.setPlainText(new_code)
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "custom_code_inspector.png"))
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    assert stack.count() == before + 1
    assert graph.node(c).params["code"] == new_code
    assert cc.is_trusted(new_code)  # typed by the user: trusted, so it runs
    assert not window.trust_banner.isVisible()
    wait_checked(qtbot, window)
    assert window.last_report.nodes[c].error is None
    # The larger editor applies through the same editor: one more undo step.
    bigger = editor.open_window()
    bigger.text_edit.setPlainText(DEFAULT_CODE.replace("units=32", "units=8"))
    bigger.apply()
    assert stack.count() == before + 2 and "units=8" in graph.node(c).params["code"]
    bigger.close()
    stack.undo()
    assert graph.node(c).params["code"] == new_code
    stack.undo()
    assert "code" not in graph.node(c).params
    assert window.inspector.editors["code"].text_edit.toPlainText() == DEFAULT_CODE
    stack.redo()
    assert graph.node(c).params["code"] == new_code


def test_code_errors_show_on_the_node_with_the_line(window, qtbot) -> None:
    graph = window.document.graph
    x = graph.add_node("keras.Input", "x", params={"shape": [3]})
    lam = graph.add_node("layerloom.Lambda", "lam", position=(260, 0))
    graph.connect(x, lam)
    graph.set_outputs([lam])
    window.scene.select_node(lam)
    editor = window.inspector.editors["expression"]
    editor.text_edit.setPlainText("x * undefined_name")
    editor.apply()
    wait_checked(qtbot, window)
    error = window.last_report.nodes[lam].error
    assert error == "Lambda 'lam': line 1: NameError: name 'undefined_name' is not defined"
    qtbot.waitUntil(lambda: "undefined_name" in window.inspector.result_label.text())


SCALE = textwrap.dedent(
    """\
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.s = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="s")

        def call(self, x):
            return x * self.s
    """
)


def test_applied_code_brings_its_own_class_and_arguments(window, qtbot) -> None:
    graph = window.document.graph
    x = graph.add_node("keras.Input", "x", params={"shape": [5]})
    c = graph.add_node("layerloom.CustomLayer", "custom_layer", position=(260, 0))
    graph.connect(x, c)
    graph.set_outputs([c])
    window.scene.select_node(c)
    editor = window.inspector.editors["code"]
    stack = window.document.undo_stack
    before = stack.count()
    editor.text_edit.setPlainText(SCALE)
    editor.apply()
    assert stack.count() == before + 1
    assert graph.node(c).params == {"code": SCALE, "class_name": "Scale", "config": {}}
    assert window.inspector.editors["class_name"].value() == "Scale"
    assert window.inspector.editors["config"].value() == {}
    wait_checked(qtbot, window)
    assert window.last_report.nodes[c].error is None
    assert window.last_report.nodes[c].params == 5
    stack.undo()  # one step puts back the template's code, class and arguments
    assert graph.node(c).params == {}
    assert window.inspector.editors["class_name"].value() == "Linear"


def test_backspace_in_leading_spaces_removes_one_indent_level(window, qtbot) -> None:
    graph = window.document.graph
    c = graph.add_node("layerloom.CustomLayer", "custom_layer")
    window.scene.select_node(c)
    edit = window.inspector.editors["code"].text_edit
    edit.setPlainText("class A:\n")
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    qtbot.keyClick(edit, Qt.Key.Key_Space)  # off the grid: back to the level below first
    assert edit.toPlainText() == "class A:\n" + " " * 9
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    assert edit.toPlainText() == "class A:\n" + " " * 8
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    assert edit.toPlainText() == "class A:\n" + " " * 4
    qtbot.keyClicks(edit, "x = 1")
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)  # after text, one character as usual
    assert edit.toPlainText() == "class A:\n    x = "
