"""Main window: documents, palette, inspector, live checks, files, recovery, exports, look."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import pytest
from _fixtures import make_window, wait_checked
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from app.model import commands as cmds
from app.nodes import REGISTRY
from app.project.examples import DEFAULT_EXAMPLE

DENSE = "keras.layers.Dense"


def _node(win, name):
    node = win.document.graph.node_by_name(name)
    assert node is not None, f"no layer {name!r}"
    return node


def _set_line(qtbot, edit, text: str) -> None:
    """Replace a line edit's text by typing, then press Enter (as a user would)."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def _double_click_palette(qtbot, win, spec_id: str) -> None:
    tree = win.layer_palette.tree
    item = win.layer_palette.item_for(spec_id)
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    assert rect.isValid()
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_opens_default_example_clean_with_title(window, qtbot):
    from app.project.examples import list_examples

    examples = window.actions_.examples_menu.actions()
    assert [a.text() for a in examples] == [title for _n, title, _p in list_examples()]
    examples[-1].trigger()  # File > Examples > (last)
    assert window.document.origin == "example" and not window.document.is_dirty
    assert window.open_example(DEFAULT_EXAMPLE)
    graph = window.document.graph
    assert len(graph) >= 3 and graph.outputs
    assert set(window.scene.items_by_id) == set(graph.node_ids())
    assert window.windowTitle().startswith("LayerLoom — ")
    assert not window.windowTitle().endswith("*")
    assert "Keras 3." in window.keras_label.text() and "ready" in window.keras_label.text()
    wait_checked(qtbot, window)
    assert window.last_report.ok
    assert window.problems.error_count() == 0
    assert "params" in window.params_label.text()
    # Summary: one row per layer plus the totals row, totals as the report says.
    assert window.summary.rowCount() == len(graph) + 1
    assert window.summary.totals == (
        window.last_report.total_params,
        window.last_report.trainable_params,
    )


def test_build_digits_mlp_by_user_actions_with_undo_redo(window, qtbot, drag):
    window.new_document()
    graph, stack = window.document.graph, window.document.undo_stack
    assert window.empty_hint.isVisible()  # an empty canvas says how to start
    # Palette: search narrows the tree; double-click adds at the view centre.
    window.layer_palette.search.setText("input")
    assert "keras.Input" in window.layer_palette.visible_spec_ids()
    window.layer_palette.search.clear()
    item = window.layer_palette.item_for(DENSE)
    assert REGISTRY[DENSE].doc in item.toolTip(0)
    mime = window.layer_palette.tree.mimeData([item])
    assert bytes(mime.data("application/x-layerloom-spec")).decode() == DENSE
    _double_click_palette(qtbot, window, "keras.Input")
    assert len(graph) == 1 and not window.empty_hint.isVisible()
    inp = graph.nodes()[0].id
    x, y = graph.node(inp).position
    hidden = window.scene.add_node_at(DENSE, QPointF(x + 400, y + 40))
    out = window.scene.add_node_at(DENSE, QPointF(x + 700, y + 40))
    window.fit_to_view()
    # Wires are dragged from an output port to an input port, as a user does.
    items = window.scene.items_by_id
    drag(window.view, items[inp].out_ports[0].scenePos(), items[hidden].in_ports[0].scenePos())
    drag(window.view, items[hidden].out_ports[0].scenePos(), items[out].in_ports[0].scenePos())
    assert len(graph.edges()) == 2

    # The inspector follows the selection; typed values become one undo step each.
    window.scene.select_node(inp)
    assert window.inspector.node_id == inp
    _set_line(qtbot, window.inspector.editors["shape"].editor, "64")
    assert graph.node(inp).params["shape"] == [64]
    window.scene.select_node(hidden)
    units = window.inspector.editors["units"].editor
    units.setFocus()
    units.selectAll()
    qtbot.keyClicks(units, "128")
    qtbot.keyClick(units, Qt.Key.Key_Return)
    assert graph.node(hidden).params["units"] == 128
    act = window.inspector.editors["activation"].editor
    act.setFocus()
    act.lineEdit().selectAll()
    qtbot.keyClicks(act.lineEdit(), "relu")
    qtbot.keyClick(act.lineEdit(), Qt.Key.Key_Return)
    assert graph.node(hidden).params["activation"] == "relu"
    window.scene.select_node(out)
    window.inspector.output_box.click()
    assert [o.node for o in graph.outputs] == [out]

    wait_checked(qtbot, window)
    assert window.last_report.ok, window.problems.messages()
    assert window.last_report.nodes[hidden].output_shapes == [(None, 128)]
    assert window.last_report.total_params == 64 * 128 + 128 + 128 * 32 + 32

    # Undo the activation and the units edits, then redo them; the inspector follows.
    window.scene.select_node(hidden)
    window.actions_.undo.trigger()  # output mark
    window.actions_.undo.trigger()  # activation
    window.actions_.undo.trigger()  # units
    assert "units" not in graph.node(hidden).params
    assert window.inspector.editors["units"].editor.value() == 32
    window.actions_.redo.trigger()
    assert graph.node(hidden).params["units"] == 128
    assert window.inspector.editors["units"].editor.value() == 128
    assert stack.canRedo()


def test_inspector_refuses_bad_values_with_a_message(window, qtbot):
    window.open_example(DEFAULT_EXAMPLE)
    graph = window.document.graph
    hidden = _node(window, "hidden")
    window.scene.select_node(hidden.id)
    depth = window.document.undo_stack.count()
    _set_line(qtbot, window.inspector.name_edit, "bad name!")
    assert graph.node(hidden.id).name == "hidden"
    assert window.inspector.error_label.isVisible()
    assert "not a valid layer name" in window.inspector.error_label.text()
    _set_line(qtbot, window.inspector.name_edit, "digit")  # already taken
    assert "already used" in window.inspector.error_label.text()
    assert window.document.undo_stack.count() == depth
    _set_line(qtbot, window.inspector.name_edit, "hidden_1")
    assert graph.node(hidden.id).name == "hidden_1"
    assert not window.inspector.error_label.isVisible()
    # Advanced params live in a folded group; an initializer takes a name or JSON.
    assert not window.inspector.editors["kernel_initializer"].widget.isVisible()
    window.inspector.advanced_toggle.click()
    init = window.inspector.editors["kernel_initializer"].editor
    _set_line(qtbot, init, '{"class_name": "HeNormal", "config": {"seed": 1}}')
    assert graph.node(hidden.id).params["kernel_initializer"]["class_name"] == "HeNormal"
    _set_line(qtbot, init, "{not json")
    assert "JSON" in window.inspector.error_label.text()


def test_problems_panel_shows_shape_error_and_clears_when_fixed(window, qtbot):
    window.new_document()
    graph = window.document.graph
    inp = window.scene.add_node_at("keras.Input", QPointF(0, 0))
    dense = window.scene.add_node_at(DENSE, QPointF(300, 0))
    window.scene.try_push(cmds.connect(graph, inp, dense))
    window.scene.try_push(cmds.SetOutputs([cmds.OutputRef(dense, 0)]))
    window.scene.select_node(inp)
    _set_line(qtbot, window.inspector.editors["shape"].editor, "()")
    assert graph.node(inp).params["shape"] == []
    qtbot.waitUntil(lambda: window.problems.error_count() > 0, timeout=20_000)
    row = next(
        r
        for r in range(window.problems.rowCount())
        if window.problems.item(r, 1).text() == graph.node(dense).name
    )
    assert "⚠" in window.problems_label.text()
    # Clicking the problem selects (and frames) the layer.
    rect = window.problems.visualItemRect(window.problems.item(row, 2))
    qtbot.mouseClick(window.problems.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == [dense]
    assert window.inspector.node_id == dense
    # Fix the input shape: the error goes away.
    window.scene.select_node(inp)
    _set_line(qtbot, window.inspector.editors["shape"].editor, "8")
    qtbot.waitUntil(
        lambda: window.problems.error_count() == 0 and window.last_report.ok, timeout=20_000
    )
    assert "No problems" in window.problems_label.text()


def test_save_open_dirty_title_and_recent_files(window, qtbot, tmp_path):
    window.open_example(DEFAULT_EXAMPLE)
    hidden = _node(window, "hidden")
    window.scene.select_node(hidden.id)
    _set_line(qtbot, window.inspector.name_edit, "features")
    assert window.windowTitle().endswith("*")
    path = tmp_path / "mine.llproj"
    assert window.save_to(path)
    assert window.windowTitle() == "LayerLoom — mine.llproj"
    assert json.loads(path.read_text())["graph"]["nodes"]
    window.actions_.undo.trigger()
    assert window.windowTitle().endswith("*")
    window.actions_.redo.trigger()
    assert window.windowTitle() == "LayerLoom — mine.llproj"
    assert str(path.resolve()) in window.recent_files()

    # Unsaved changes: Cancel keeps the document, Discard opens the other file.
    window.scene.select_node(hidden.id)
    _set_line(qtbot, window.inspector.name_edit, "changed")
    window.ask_save_changes = lambda: "cancel"
    assert not window.open_example(DEFAULT_EXAMPLE)
    assert _node(window, "changed")
    window.ask_save_changes = lambda: "discard"
    assert window.open_path(path)
    assert _node(window, "features") and window.windowTitle() == "LayerLoom — mine.llproj"
    # Save answers "save": the edits reach the file before the next one opens.
    window.scene.select_node(_node(window, "features").id)
    _set_line(qtbot, window.inspector.name_edit, "kept")
    window.ask_save_changes = lambda: "save"
    assert window.open_example(DEFAULT_EXAMPLE)
    names = [n["name"] for n in json.loads(path.read_text())["graph"]["nodes"]]
    assert "kept" in names


def test_bad_project_file_shows_an_error_and_keeps_running(window, tmp_path, errors):
    window.open_example(DEFAULT_EXAMPLE)
    bad = tmp_path / "broken.llproj"
    bad.write_text("{ this is not json")
    assert not window.open_path(bad)
    assert errors and "broken.llproj" in errors[-1][0]
    assert _node(window, "hidden")


def test_recovery_after_a_crash(qtbot, tmp_path, isolated_settings, no_dangling_qthreads, errors):
    recovery = tmp_path / "recovery"
    first = make_window(qtbot, recovery, errors)
    assert first.keras_label.text() == "Loading Keras…"  # never started in this test
    first.open_example(DEFAULT_EXAMPLE)
    hidden = _node(first, "hidden")
    first.scene.select_node(hidden.id)
    _set_line(qtbot, first.inspector.name_edit, "unsaved_edit")
    assert first.autosave.autosave_now()
    assert len(list(recovery.glob("*.json"))) == 1
    first.shutdown()  # the "crash": no save, no discard

    second = make_window(qtbot, recovery, errors)
    asked = []
    second.ask_restore = lambda entries: asked.append(entries) or True
    assert second.offer_recovery()
    assert asked and asked[0][0].name
    assert _node(second, "unsaved_edit")
    assert second.document.is_dirty and second.windowTitle().endswith("*")
    assert len(list(recovery.glob("*.json"))) == 1  # kept until saved or discarded
    second.save_to(tmp_path / "rescued.llproj")
    assert list(recovery.glob("*.json")) == []
    second.shutdown()

    # Declining the offer discards the snapshot.
    third = make_window(qtbot, recovery, errors)
    third.open_example(DEFAULT_EXAMPLE)
    third.scene.select_node(_node(third, "hidden").id)
    _set_line(qtbot, third.inspector.name_edit, "again")
    third.autosave.autosave_now()
    third.shutdown()
    fourth = make_window(qtbot, recovery, errors)
    assert not fourth.offer_recovery()
    assert list(recovery.glob("*.json")) == []
    fourth.shutdown()


def _tiny_keras_file(path: Path, lambda_layer: bool = False) -> Path:
    import keras

    inp = keras.Input(shape=(4,), name="features")
    x = keras.layers.Dense(3, activation="relu", name="hidden")(inp)
    if lambda_layer:
        x = keras.layers.Lambda(lambda t: t * 2.0, name="double")(x)
    out = keras.layers.Dense(2, name="scores")(x)
    keras.Model(inp, out, name="tiny").save(path)
    return path


def test_import_keras_file_as_editable_graph(window, qtbot, tmp_path, errors):
    path = _tiny_keras_file(tmp_path / "tiny.keras")
    assert window.open_path(path), errors
    graph = window.document.graph
    assert graph.node_by_name("hidden").params.get("units") == 3
    # The file still holds the model: nothing to lose yet, so no star and no "save changes?".
    assert not window.document.is_dirty and not window.windowTitle().endswith("*")
    wait_checked(qtbot, window)
    assert window.last_report.ok
    assert window.last_report.total_params == 4 * 3 + 3 + 3 * 2 + 2
    # An unsafe file is refused with a message; the open document stays.
    bad = _tiny_keras_file(tmp_path / "unsafe.keras", lambda_layer=True)
    assert not window.open_path(bad)
    assert errors and "unsafe.keras" in errors[-1][0]
    assert window.document.graph is graph


def test_drop_a_project_file_on_the_canvas_opens_it(window, qtbot, tmp_path):
    window.open_example(DEFAULT_EXAMPLE)
    window.save_to(tmp_path / "dropped.llproj")
    window.new_document()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "dropped.llproj"))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # Dropped on the canvas: the view ignores files, so the drag reaches the window.
    with warnings.catch_warnings():  # the only QDragEnterEvent constructor takes a QPoint
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            QPoint(50, 50),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    QApplication.sendEvent(window.view.viewport(), enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window.view.viewport(), event)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: window.windowTitle() == "LayerLoom — dropped.llproj", timeout=5000)


def test_exports_code_png_svg_and_keras(window, qtbot, tmp_path, errors):
    window.open_example(DEFAULT_EXAMPLE)
    wait_checked(qtbot, window)
    window.tabs.setCurrentWidget(window.code)
    qtbot.waitUntil(lambda: "keras" in window.code.text(), timeout=10_000)
    window.code.copy_to_clipboard()
    assert QApplication.clipboard().text() == window.code.text()
    script = tmp_path / "model.py"
    assert window.export_script(script)
    compile(script.read_text(), str(script), "exec")
    png, svg = tmp_path / "graph.png", tmp_path / "graph.svg"
    assert window.export_image(png) and window.export_image(svg)
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 100
    assert "<svg" in svg.read_text()
    model_path = tmp_path / "model.keras"
    assert window.export_keras(model_path), errors
    assert zipfile.is_zipfile(model_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    import keras

    model = keras.saving.load_model(model_path)
    assert model.count_params() == window.last_report.total_params


def _colour_stats(image: QImage) -> tuple[int, float]:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    colours, counts = set(), {}
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            c = image.pixel(x, y)
            colours.add(c)
            counts[c] = counts.get(c, 0) + 1
    total = sum(counts.values())
    return len(colours), max(counts.values()) / total


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_screenshot_of_the_window_is_not_blank(
    qtbot, tmp_path, isolated_settings, no_dangling_qthreads, errors, mode
):
    from app.ui.theme import ThemeManager

    theme = ThemeManager(QApplication.instance())
    theme.set_mode("system", save=False)
    win = make_window(qtbot, tmp_path / "recovery", errors, theme=theme)
    win.actions_.themes[mode].trigger()  # View > Theme
    assert theme.mode == mode and theme.is_dark == (mode == "dark")
    win.open_example(DEFAULT_EXAMPLE)
    win.start_background_work()
    qtbot.waitUntil(lambda: win.keras.is_ready, timeout=120_000)
    wait_checked(qtbot, win)
    win.scene.select_node(_node(win, "hidden").id)
    qtbot.wait(50)
    shot = win.grab().toImage()
    path = tmp_path / f"main_window_{mode}.png"
    assert shot.save(str(path))
    distinct, dominant = _colour_stats(shot)
    assert distinct >= 40, distinct
    assert dominant < 0.8
    bg = QColor(shot.pixel(QPoint(shot.width() // 2, shot.height() // 2)))
    assert (bg.lightness() < 128) == (mode == "dark")
    win.shutdown()
    theme.set_mode("light", save=False)


def test_edit_inside_a_block_is_one_undo_step_of_the_model(window, qtbot):
    from app.ui.canvas import edits

    window.open_example(DEFAULT_EXAMPLE)
    graph = window.document.graph
    block = edits.group_selection(
        window.scene, [_node(window, "hidden").id, _node(window, "dropout").id]
    )
    assert block is not None
    wait_checked(qtbot, window)
    before = window.last_report.total_params
    window.navigator.open(block)
    assert window.breadcrumb.isVisible() and window.scene.graph is not graph
    inner = window.scene.graph.node_by_name("hidden")
    window.scene.select_node(inner.id)
    units = window.inspector.editors["units"].editor
    units.setFocus()
    units.selectAll()
    depth = window.document.undo_stack.count()
    qtbot.keyClicks(units, "16")
    qtbot.keyClick(units, Qt.Key.Key_Return)
    # The model's own block now holds the change, as one step on the document's stack.
    assert graph.node(block).subgraph.node_by_name("hidden").params["units"] == 16
    assert window.document.undo_stack.count() == depth + 1
    qtbot.waitUntil(
        lambda: not window.validation.pending and window.last_report.total_params != before,
        timeout=20_000,
    )
    assert window.last_report.total_params == 64 * 16 + 16 + 16 * 10 + 10
    window.actions_.undo.trigger()
    assert graph.node(block).subgraph.node_by_name("hidden").params["units"] == 64
    # The canvas shows the restored block content.
    assert window.scene.graph.node_by_name("hidden").params["units"] == 64
    window.leave_block()
    assert window.scene.graph is graph and not window.breadcrumb.isVisible()


def test_inspector_editors_for_tuples_floats_and_optional_values(window, qtbot):
    window.new_document()
    graph = window.document.graph
    conv = window.scene.add_node_at("keras.layers.Conv2D", QPointF(0, 0))
    drop = window.scene.add_node_at("keras.layers.Dropout", QPointF(300, 0))
    window.scene.select_node(conv)
    ed = window.inspector.editors
    _set_line(qtbot, ed["kernel_size"].editor, "5, 5")
    assert graph.node(conv).params["kernel_size"] == [5, 5]
    _set_line(qtbot, ed["kernel_size"].editor, "5, x")
    assert graph.node(conv).params["kernel_size"] == [5, 5]
    assert "whole numbers" in window.inspector.error_label.text()
    assert (
        ed["kernel_size"].editor.text() == "5, 5"
    )  # refused text is replaced by the model's value
    ed["padding"].editor.setCurrentIndex(ed["padding"].editor.findData("same"))
    ed["padding"].editor.activated.emit(ed["padding"].editor.currentIndex())
    assert graph.node(conv).params["padding"] == "same"
    window.scene.select_node(drop)
    rate = window.inspector.editors["rate"].editor
    rate.setFocus()
    rate.selectAll()
    qtbot.keyClicks(rate, "0.25")
    qtbot.keyClick(rate, Qt.Key.Key_Return)
    assert graph.node(drop).params["rate"] == 0.25
    seed = window.inspector.editors["seed"]
    assert seed.none_box is not None and seed.none_box.isChecked()
    seed.none_box.click()  # unset -> a number
    assert graph.node(drop).params["seed"] == 0
    seed.none_box.click()  # back to None, the default: nothing stored
    assert "seed" not in graph.node(drop).params
    assert window.document.undo_stack.count() >= 6


def test_edit_menu_select_all_copy_paste_group_delete_and_undo(window, qtbot):
    window.open_example(DEFAULT_EXAMPLE)
    graph = window.document.graph
    acts = window.actions_
    assert not acts.delete.isEnabled()  # nothing selected yet
    window.scene.select_nodes([_node(window, "hidden").id, _node(window, "dropout").id])
    assert acts.group.isEnabled()
    acts.group.trigger()
    assert len(graph) == 3 and graph.node_by_name("hidden") is None
    acts.ungroup.trigger()
    assert graph.node_by_name("hidden") is not None and len(graph) == 4
    acts.select_all.trigger()
    assert len(window.scene.selected_node_ids()) == 4
    acts.copy.trigger()
    acts.paste.trigger()
    assert len(graph) == 8 and len(graph.edges()) == 6
    acts.undo.trigger()
    assert len(graph) == 4
    acts.select_all.trigger()
    acts.delete.trigger()
    assert len(graph) == 0
    acts.undo.trigger()
    assert len(graph) == 4 and len(graph.edges()) == 3
    acts.layout.trigger()
    assert window.document.is_dirty


def test_problem_inside_a_block_opens_the_block(window, qtbot):
    from app.ui.canvas import edits

    window.open_example(DEFAULT_EXAMPLE)
    graph = window.document.graph
    hidden = _node(window, "hidden").id
    block = edits.group_selection(window.scene, [hidden, _node(window, "dropout").id])
    window.scene.try_push(cmds.update_node(graph, graph.inputs[0], params={"shape": []}))
    qtbot.waitUntil(lambda: window.problems.error_count() > 0, timeout=20_000)
    window.reveal_node(hidden)
    assert window.navigator.depth == 1 and window.breadcrumb.isVisible()
    assert window.scene.selected_node_ids() == [hidden]
    assert block in graph


def test_undoing_the_group_while_inside_the_block_returns_to_the_model(window, qtbot):
    from app.ui.canvas import edits

    window.open_example(DEFAULT_EXAMPLE)
    graph = window.document.graph
    block = edits.group_selection(
        window.scene, [_node(window, "hidden").id, _node(window, "dropout").id]
    )
    window.navigator.open(block)
    assert window.navigator.depth == 1
    window.actions_.undo.trigger()  # the group itself
    assert block not in graph and window.navigator.depth == 0
    assert window.scene.graph is graph and not window.breadcrumb.isVisible()
    window.actions_.redo.trigger()
    assert block in graph and window.navigator.depth == 0


def test_restored_work_belongs_to_the_session_that_restored_it(
    qtbot, tmp_path, isolated_settings, no_dangling_qthreads, errors
):
    recovery = tmp_path / "recovery"
    first = make_window(qtbot, recovery, errors)
    first.open_example(DEFAULT_EXAMPLE)
    first.save_to(tmp_path / "mine.llproj")  # a file: its snapshots keep the same key
    first.scene.select_node(_node(first, "hidden").id)
    _set_line(qtbot, first.inspector.name_edit, "unsaved_edit")
    assert first.autosave.autosave_now()
    first.shutdown()  # the session ends without saving
    second = make_window(qtbot, recovery, errors)
    second.ask_restore = lambda entries: True
    assert second.offer_recovery()
    assert _node(second, "unsaved_edit")
    third = make_window(qtbot, recovery, errors)  # another LayerLoom while the second runs
    assert third.autosave.pending() == []  # the second one's work in progress, not a crash's
    second.shutdown()
    assert [e.name for e in third.autosave.pending()]  # now it is left behind
    third.shutdown()


def test_restored_work_keeps_its_imported_weights(
    qtbot, tmp_path, isolated_settings, no_dangling_qthreads, errors
):
    import numpy as np

    recovery = tmp_path / "recovery"
    first = make_window(qtbot, recovery, errors)
    first.open_example(DEFAULT_EXAMPLE)
    hidden = _node(first, "hidden")
    weights = [np.full((64, 64), 0.5, "float32"), np.arange(64, dtype="float32")]
    first.document.graph.node(hidden.id).weights = weights  # as a .keras import leaves them
    first.scene.select_node(hidden.id)
    _set_line(qtbot, first.inspector.name_edit, "pretrained")
    assert first.autosave.autosave_now()
    first.shutdown()  # the "crash"
    second = make_window(qtbot, recovery, errors)
    second.ask_restore = lambda entries: True
    assert second.offer_recovery()
    node = second.document.graph.node(_node(second, "pretrained").id)
    assert node.weights is not None
    assert [w.tolist() for w in node.weights] == [w.tolist() for w in weights]
    assert not errors
    second.shutdown()


def test_an_empty_model_is_a_start_not_two_errors(window, qtbot):
    window.new_document()
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=20_000)
    assert window.last_report.problems  # the report still says it cannot be built (CLI)
    assert window.tabs.tabText(0) == "Problems"
    assert window.problems_label.text() == "Empty model"
    assert window.problems.error_count() == 0
    assert window.problems.messages() == []
    inp = window.scene.add_node_at("keras.Input", QPointF(0, 0))
    assert inp
    qtbot.waitUntil(lambda: window.tabs.tabText(0) == "Problems (1)", timeout=20_000)
    assert "no output" in window.problems.messages()[0]
    assert "⚠ 1 error" in window.problems_label.text()
