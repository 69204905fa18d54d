"""The canvas as a view of the model: gestures become undoable model commands, events update items."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QDropEvent, QImage, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication

from app.model import Edge, OutputRef, graph_to_dict
from app.model import commands as cmds
from app.ui.canvas import clipboard, edits, menus
from app.ui.canvas.export import export_png, export_svg
from app.ui.canvas.style import MAX_ZOOM, MIN_ZOOM
from app.ui.canvas.view import SPEC_MIME

DENSE = "keras.layers.Dense"


@dataclass
class Result:
    output_shapes: list
    params: int = 0
    trainable_params: int = 0
    output_dtypes: list = field(default_factory=lambda: ["float32"])
    error: str | None = None


@dataclass
class Problem:
    message: str
    node_id: str | None = None
    edge: Edge | None = None
    severity: str = "error"


@dataclass
class Report:
    nodes: dict
    problems: list = field(default_factory=list)


def canonical(graph) -> dict:
    """graph_to_dict with nodes by id (undo of a removal re-inserts a node at the end)."""
    d = graph_to_dict(graph)
    d["nodes"] = sorted(d["nodes"], key=lambda n: n["id"])
    return d


def out_port(scene, nid, index=0):
    return scene.items_by_id[nid].out_ports[index]


def in_port(scene, nid, i=0):
    return scene.items_by_id[nid].in_ports[i]


def connect_by_mouse(view, drag, scene, src, dst, dst_port=0):
    drag(view, out_port(scene, src).scenePos(), in_port(scene, dst, dst_port).scenePos())


def build_mlp(scene, view, drag):
    """The digits MLP, made the way a user makes it: add nodes, set params, drag wires."""
    add = scene.add_node_at
    inp = add("keras.Input", QPointF(0, 200))
    hidden = add(DENSE, QPointF(300, 200))
    drop = add("keras.layers.Dropout", QPointF(600, 200))
    out = add(DENSE, QPointF(900, 200))
    scene.push(cmds.update_node(scene.graph, inp, params={"shape": [784]}))
    scene.push(cmds.update_node(scene.graph, hidden, params={"units": 64, "activation": "relu"}))
    scene.push(cmds.update_node(scene.graph, out, params={"units": 10, "activation": "softmax"}))
    connect_by_mouse(view, drag, scene, inp, hidden)
    connect_by_mouse(view, drag, scene, hidden, drop)
    connect_by_mouse(view, drag, scene, drop, out)
    edits.toggle_output(scene, out)
    return inp, hidden, drop, out


def test_build_digits_mlp_by_mouse_then_undo_redo_all(scene, view, stack, drag):
    empty = canonical(scene.graph)
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    g = scene.graph
    assert sorted(g.edges()) == sorted(
        [
            Edge(inp, 0, hidden, "inputs"),
            Edge(hidden, 0, drop, "inputs"),
            Edge(drop, 0, out, "inputs"),
        ]
    )
    assert g.outputs == [OutputRef(out, 0)]
    assert len(scene.edge_items) == 3 and set(scene.items_by_id) == {inp, hidden, drop, out}
    assert scene.items_by_id[out].is_output
    built = canonical(g)
    n = stack.count()
    assert n == 11  # 4 adds, 3 param edits, 3 wires, 1 output mark
    for _ in range(n):
        stack.undo()
    assert canonical(g) == empty and not scene.items_by_id and not scene.edge_items
    for _ in range(n):
        stack.redo()
    assert canonical(g) == built
    assert len(scene.edge_items) == 3


def test_drop_wire_on_node_body_uses_first_free_port(scene, view, drag):
    a = scene.add_node_at("keras.Input", QPointF(0, 0))
    b = scene.add_node_at("keras.layers.Concatenate", QPointF(400, 0))
    c = scene.add_node_at("keras.Input", QPointF(0, 300))
    body = scene.items_by_id[b].sceneBoundingRect().center()
    drag(view, out_port(scene, a).scenePos(), body)
    drag(view, out_port(scene, c).scenePos(), body)
    edges = scene.graph.in_edges(b)
    assert [(e.src, e.slot) for e in edges] == [(a, 0), (c, 1)]
    # variadic port: existing slots plus one free slot
    assert [p.slot for p in scene.items_by_id[b].in_ports] == [0, 1, 2]


def test_cycle_is_refused_with_a_status_message(scene, view, stack, drag, qtbot):
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    before, count = canonical(scene.graph), stack.count()
    with qtbot.waitSignal(scene.status_message, timeout=1000) as blocker:
        connect_by_mouse(view, drag, scene, out, hidden)
    assert "cycle" in blocker.args[0]
    assert canonical(scene.graph) == before and stack.count() == count
    assert not any(type(i).__name__ == "LiveWireItem" for i in scene.items())


def test_wire_dropped_on_a_taken_input_replaces_it_in_one_undo_step(scene, view, stack, drag):
    a = scene.add_node_at("keras.Input", QPointF(0, 0))
    b = scene.add_node_at("keras.Input", QPointF(0, 300))
    d = scene.add_node_at(DENSE, QPointF(400, 0))
    drag(view, out_port(scene, a).scenePos(), in_port(scene, d).scenePos())
    wired, count = canonical(scene.graph), stack.count()
    drag(view, out_port(scene, b).scenePos(), in_port(scene, d).scenePos())
    assert [(e.src, e.dst) for e in scene.graph.edges()] == [(b, d)]
    assert [(e.src, e.dst) for e in scene.edge_items] == [(b, d)]
    assert stack.count() == count + 1
    assert stack.undoText() == f"Replace the wire into {scene.graph.node(d).name}"
    stack.undo()
    assert canonical(scene.graph) == wired
    assert [(e.src, e.dst) for e in scene.edge_items] == [(a, d)]
    stack.redo()
    assert [(e.src, e.dst) for e in scene.graph.edges()] == [(b, d)]


def test_replacing_a_wire_that_would_make_a_cycle_is_refused(scene, view, stack, drag, qtbot):
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    before, count = canonical(scene.graph), stack.count()
    with qtbot.waitSignal(scene.status_message, timeout=1000) as blocker:
        connect_by_mouse(view, drag, scene, out, drop)  # drop's input is taken by hidden
    assert "cycle" in blocker.args[0]
    assert canonical(scene.graph) == before and stack.count() == count


def test_replugged_wire_dropped_on_a_taken_input_replaces_that_wire(scene, view, stack, drag):
    a = scene.add_node_at("keras.Input", QPointF(0, 0))
    b = scene.add_node_at("keras.Input", QPointF(0, 300))
    d1 = scene.add_node_at(DENSE, QPointF(400, 0))
    d2 = scene.add_node_at(DENSE, QPointF(400, 300))
    connect_by_mouse(view, drag, scene, a, d1)
    connect_by_mouse(view, drag, scene, b, d2)
    wired = canonical(scene.graph)
    drag(view, in_port(scene, d1).scenePos(), in_port(scene, d2).scenePos())
    assert [(e.src, e.dst) for e in scene.graph.edges()] == [(a, d2)]
    stack.undo()
    assert canonical(scene.graph) == wired


def test_drag_wire_end_away_disconnects_and_replugs(scene, view, stack, drag):
    a = scene.add_node_at("keras.Input", QPointF(0, 0))
    d1 = scene.add_node_at(DENSE, QPointF(400, 0))
    d2 = scene.add_node_at(DENSE, QPointF(400, 300))
    connect_by_mouse(view, drag, scene, a, d1)
    wired = canonical(scene.graph)
    drag(view, in_port(scene, d1).scenePos(), in_port(scene, d2).scenePos())  # re-plug
    assert [e.dst for e in scene.graph.edges()] == [d2]
    drag(view, in_port(scene, d2).scenePos(), QPointF(200, 600))  # pull off onto empty space
    assert scene.graph.edges() == [] and not scene.edge_items
    stack.undo()
    stack.undo()
    assert canonical(scene.graph) == wired


def test_delete_key_removes_node_with_wires_and_undo_restores(scene, view, stack, drag, qtbot):
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    before = canonical(scene.graph)
    scene.select_node(drop)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert drop not in scene.graph and drop not in scene.items_by_id
    assert len(scene.graph.edges()) == 1 and len(scene.edge_items) == 1
    stack.undo()
    assert canonical(scene.graph) == before
    assert len(scene.edge_items) == 3 and drop in scene.items_by_id


def test_selected_wire_delete(scene, view, drag):
    a = scene.add_node_at("keras.Input", QPointF(0, 0))
    d = scene.add_node_at(DENSE, QPointF(400, 0))
    connect_by_mouse(view, drag, scene, a, d)
    scene.clearSelection()
    next(iter(scene.edge_items.values())).setSelected(True)
    assert view.delete_selection()
    assert scene.graph.edges() == [] and a in scene.graph and d in scene.graph


def test_copy_paste_round_trip_through_system_clipboard(scene, view, stack, drag, qtbot):
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    scene.select_nodes([hidden, drop])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    mime = QApplication.clipboard().mimeData()
    assert mime.hasFormat(clipboard.MIME)
    assert json.loads(mime.text())["format"] == clipboard.FORMAT
    count = stack.count()
    before = canonical(scene.graph)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert stack.count() == count + 1  # one undoable command
    new = scene.selected_node_ids()
    assert len(new) == 2 and not set(new) & {hidden, drop}
    names = {scene.graph.node(n).name for n in new}
    assert len({n.name for n in scene.graph.nodes()}) == len(scene.graph)  # unique names
    assert names == {"dense_2", "dropout_1"}
    internal = [e for e in scene.graph.edges() if e.src in new and e.dst in new]
    assert len(internal) == 1
    src_pos = scene.graph.node(hidden).position
    pasted = next(scene.graph.node(n) for n in new if scene.graph.node(n).spec_id == DENSE)
    assert pasted.position == (src_pos[0] + 32, src_pos[1] + 32)
    assert pasted.params == {"units": 64, "activation": "relu"}
    stack.undo()
    assert canonical(scene.graph) == before


def test_duplicate_keeps_sharing_with_outside_owner(scene, view, stack, qtbot):
    a = scene.add_node_at(DENSE, QPointF(0, 0))
    b = scene.add_node_at(DENSE, QPointF(0, 200))
    assert edits.share_layer(scene, b, a)
    scene.select_node(b)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    (dup,) = scene.selected_node_ids()
    assert scene.graph.node(dup).shared_with == a
    assert dup in scene.share_links


def test_group_selection_into_block_and_undo(scene, view, stack, drag):
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    before = canonical(scene.graph)
    node = scene.items_by_id[hidden]
    scene.select_nodes([hidden, drop])
    menu = menus.build_node_menu(scene, view, hidden)
    action = next(a for a in menu.actions() if a.text() == "Group selection into block")
    action.trigger()
    (block,) = scene.selected_node_ids()
    item = scene.items_by_id[block]
    assert item.is_block and item.detail_text == "2 layers"
    assert hidden not in scene.items_by_id and node.scene() is None
    assert {e.src for e in scene.graph.edges()} == {inp, block}
    stack.undo()
    assert canonical(scene.graph) == before and block not in scene.items_by_id
    stack.redo()
    assert edits.ungroup(scene, block)
    assert len(scene.graph) == 4


def test_move_by_drag_pushes_one_command(scene, view, stack, drag):
    a = scene.add_node_at(DENSE, QPointF(0, 0))
    b = scene.add_node_at(DENSE, QPointF(0, 300))
    start_a, start_b = scene.graph.node(a).position, scene.graph.node(b).position
    scene.select_nodes([a, b])
    count = stack.count()
    grab = scene.items_by_id[a].mapToScene(QPointF(100, 60))
    drag(view, grab, grab + QPointF(120, 40), modifiers=Qt.KeyboardModifier.ControlModifier)
    assert stack.count() == count + 1
    assert scene.graph.node(a).position == (start_a[0] + 120, start_a[1] + 40)
    assert scene.graph.node(b).position == (start_b[0] + 120, start_b[1] + 40)
    stack.undo()
    assert scene.graph.node(a).position == start_a and scene.graph.node(b).position == start_b
    assert scene.items_by_id[a].pos() == QPointF(*start_a)


def test_set_report_updates_faces_wires_and_badges(scene, view, drag):
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    msg = "Dense 'dense_1': expected input rank >= 2, got shape (None,)"
    report = Report(
        nodes={
            inp: Result([(None, 784)]),
            hidden: Result([(None, 64)], params=50240, trainable_params=50240),
            drop: Result([(None, 64)]),
            out: Result([], error=msg),
        },
        problems=[Problem(msg, out), Problem("Dropout rate is high", drop, severity="warning")],
    )
    scene.set_report(report)
    h = scene.items_by_id[hidden]
    assert h._shape == "(None, 64)" and "50,240 params" in h._params
    assert scene.edge_items[Edge(hidden, 0, drop, "inputs")].label.text == "(None, 64)"
    assert scene.items_by_id[out].badge.toolTip() == msg
    assert scene.items_by_id[out].badge.severity == "error"
    assert scene.items_by_id[drop].badge.severity == "warning"
    assert h.badge is None
    scene.set_report(Report(nodes={out: Result([(None, 10)], params=650)}))
    assert scene.items_by_id[out].badge is None


def test_set_report_with_real_shape_inference(scene, view, drag):
    compiler = pytest.importorskip("app.compiler")
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    scene.set_report(compiler.infer_shapes(scene.graph))
    assert scene.items_by_id[out]._shape == "(None, 10)"
    assert "650 params" in scene.items_by_id[out]._params
    assert scene.edge_items[Edge(inp, 0, hidden, "inputs")].label.text == "(None, 784)"


def test_export_png_and_svg(scene, view, drag, tmp_path):
    build_mlp(scene, view, drag)
    png = export_png(scene, tmp_path / "graph.png", scale=1.5)
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 400
    colours = {image.pixelColor(x, image.height() // 2).rgb() for x in range(0, image.width(), 7)}
    assert len(colours) > 3  # not blank
    svg = export_svg(scene, tmp_path / "graph.svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "dense" in svg.read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_zoom_is_clamped_and_never_nan(view):
    pos = QPointF(view.viewport().rect().center())

    def wheel(delta):
        event = QWheelEvent(
            pos,
            view.viewport().mapToGlobal(pos),
            QPoint(0, 0),
            QPoint(0, delta),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(view.viewport(), event)

    for _ in range(40):
        wheel(120)
    assert view.zoom() == pytest.approx(MAX_ZOOM)
    for _ in range(80):
        wheel(-120)
    assert view.zoom() == pytest.approx(MIN_ZOOM)
    view.set_zoom(float("nan"))
    view.set_zoom(0.0)
    assert view.zoom() == pytest.approx(MIN_ZOOM)
    view.reset_zoom()
    assert view.zoom() == pytest.approx(1.0)
    view.fit_to_view()  # empty graph
    assert view.zoom() == pytest.approx(1.0)
    # a touchpad's two-finger scroll pans instead of zooming
    h = view.horizontalScrollBar().value()
    event = QWheelEvent(
        pos,
        view.viewport().mapToGlobal(pos),
        QPoint(30, 0),
        QPoint(0, 0),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.ScrollUpdate,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)
    assert view.horizontalScrollBar().value() == h - 30 and view.zoom() == pytest.approx(1.0)


def test_fit_and_frame_node(scene, view):
    ids = [scene.add_node_at(DENSE, QPointF(x * 400, 0)) for x in range(8)]
    view.fit_to_view()
    assert MIN_ZOOM <= view.zoom() < 1.0
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(visible.contains(scene.items_by_id[i].sceneBoundingRect()) for i in ids)
    view.frame_node(ids[-1])
    assert scene.selected_node_ids() == [ids[-1]]


def test_drop_from_palette_adds_node_at_drop_point(scene, view):
    mime = QMimeData()
    mime.setData(SPEC_MIME, b"keras.layers.Conv2D")
    local = QPointF(300, 200)
    event = QDropEvent(
        local,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(event)
    (nid,) = scene.graph.node_ids()
    node = scene.graph.node(nid)
    assert node.spec_id == "keras.layers.Conv2D"
    assert scene.items_by_id[nid].sceneBoundingRect().contains(view.mapToScene(local.toPoint()))


def test_tab_quick_add_adds_chosen_layer(scene, view, qtbot):
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    popup = view.quick_add
    assert popup is not None and popup.isVisible()
    qtbot.keyClicks(popup.edit, "LSTM")
    assert popup.list.currentItem().data(Qt.ItemDataRole.UserRole) == "keras.layers.LSTM"
    qtbot.keyClick(popup.edit, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert [n.spec_id for n in scene.graph.nodes()] == ["keras.layers.LSTM"]
    view.open_quick_add()
    qtbot.keyClick(view.quick_add.edit, Qt.Key.Key_Escape)
    assert not view.quick_add.isVisible() and len(scene.graph) == 1


def test_node_menu_freeze_output_and_sharing(scene, view, stack):
    a = scene.add_node_at(DENSE, QPointF(0, 0))
    b = scene.add_node_at(DENSE, QPointF(0, 200))
    scene.add_node_at("keras.layers.Dropout", QPointF(0, 400))

    def act(nid, text, menu=None):
        menu = menu or menus.build_node_menu(scene, view, nid)
        for action in menu.actions():
            if action.text() == text:
                return action
        raise AssertionError(f"no action {text!r} in {[x.text() for x in menu.actions()]}")

    scene.select_node(a)
    act(a, "Freeze (not trainable)").trigger()
    assert scene.graph.node(a).trainable is False and scene.items_by_id[a].frozen
    act(a, "Unfreeze (trainable)").trigger()
    assert scene.graph.node(a).trainable is True
    act(a, "Mark as model output").trigger()
    assert scene.graph.outputs == [OutputRef(a, 0)]
    act(a, "Unmark as model output").trigger()
    assert scene.graph.outputs == []
    scene.select_node(b)
    share_menu = act(b, "Share layer of").menu()
    assert [x.text() for x in share_menu.actions()] == [scene.graph.node(a).name]  # same type only
    share_menu.actions()[0].trigger()
    assert scene.graph.node(b).shared_with == a and b in scene.share_links
    assert scene.items_by_id[b].shared
    act(b, "Stop sharing").trigger()
    assert scene.graph.node(b).shared_with is None and b not in scene.share_links
    stack.undo()
    assert scene.graph.node(b).shared_with == a and b in scene.share_links


def test_auto_layout_is_one_undoable_command(scene, view, stack, drag):
    pytest.importorskip("app.compiler.layout")
    build_mlp(scene, view, drag)
    for nid in scene.graph.node_ids():
        scene.push(cmds.update_node(scene.graph, nid, position=(0, 0)))
    before, count = canonical(scene.graph), stack.count()
    assert edits.auto_layout(scene)
    assert stack.count() == count + 1
    xs = [scene.graph.node(n).position[0] for n in scene.graph.topological_order()]
    assert xs == sorted(xs) and len(set(xs)) == 4
    stack.undo()
    assert canonical(scene.graph) == before


def test_scene_follows_model_edits_made_elsewhere_and_dispose(scene, graph):
    a = graph.add_node("keras.Input", params={"shape": [8]})
    d = graph.add_node(DENSE)
    e = graph.connect(a, d)
    assert set(scene.items_by_id) == {a, d} and e in scene.edge_items
    graph.update_node(d, name="classifier")
    assert scene.items_by_id[d].name == "classifier"
    graph.update_node(d, position=(50, 60))
    assert scene.items_by_id[d].pos() == QPointF(50, 60)
    assert scene.edge_items[e].path.currentPosition() == scene.items_by_id[d].input_anchor(
        "inputs", 0
    )
    graph.remove_node(a)
    assert a not in scene.items_by_id and not scene.edge_items
    scene.dispose()
    graph.add_node(DENSE)
    assert len(scene.items_by_id) == 1


def test_theme_follows_palette(scene, qapp):
    old = qapp.palette()
    try:
        dark = QPalette(old)
        dark.setColor(QPalette.ColorRole.Window, QColor("#2b2d31"))
        dark.setColor(QPalette.ColorRole.Base, QColor("#1f2023"))
        dark.setColor(QPalette.ColorRole.Text, QColor("#e3e5e8"))
        qapp.setPalette(dark)
        scene.apply_palette()
        assert scene.theme.dark and scene.theme.background.lightness() < 80
    finally:
        qapp.setPalette(old)
        scene.apply_palette()
    assert not scene.theme.dark


def test_rubber_band_selects_and_pan_gestures_leave_the_graph_alone(
    scene, view, stack, drag, qtbot
):
    ids = [scene.add_node_at(DENSE, QPointF(x * 300, 0)) for x in range(3)]
    scene.clearSelection()
    before, count = canonical(scene.graph), stack.count()
    # left drag on empty space: rubber band over the first two nodes
    drag(view, QPointF(-200, -150), QPointF(420, 150), steps=8)
    assert set(scene.selected_node_ids()) == set(ids[:2])
    h = view.horizontalScrollBar()
    for mods, button in (
        (Qt.KeyboardModifier.NoModifier, Qt.MouseButton.MiddleButton),
        (Qt.KeyboardModifier.AltModifier, Qt.MouseButton.LeftButton),
    ):
        start = h.value()
        drag(view, QPointF(-200, 300), QPointF(-100, 300), modifiers=mods, button=button)
        assert h.value() == start - 100
    view.setFocus()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    start = h.value()
    grab = scene.items_by_id[ids[2]].mapToScene(QPointF(100, 60))  # even over a node, space pans
    drag(view, grab, grab + QPointF(50, 0))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert h.value() == start - 50
    assert canonical(scene.graph) == before and stack.count() == count


def test_live_wire_shows_during_a_drag_and_goes_away(scene, view):
    from app.ui.canvas.edge_item import LiveWireItem
    from app.ui.canvas.interactions import ConnectFromOutput

    a = scene.add_node_at("keras.Input", QPointF(0, 0))
    d = scene.add_node_at(DENSE, QPointF(400, 0))
    gesture = ConnectFromOutput(scene, out_port(scene, a))
    gesture.move(in_port(scene, d).scenePos())
    wires = [i for i in scene.items() if isinstance(i, LiveWireItem)]
    assert len(wires) == 1 and wires[0].valid
    gesture.move(scene.items_by_id[a].sceneBoundingRect().center())  # onto itself: a cycle
    assert not wires[0].valid
    gesture.finish()
    assert not [i for i in scene.items() if isinstance(i, LiveWireItem)]
    assert scene.graph.edges() == []


def test_block_double_click_and_menu_ask_to_open_it(scene, view, drag, qtbot):
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    block = edits.group_selection(scene, [hidden, drop])
    center = scene.items_by_id[block].mapToScene(QPointF(100, 70))
    with qtbot.waitSignal(scene.open_block_requested, timeout=1000) as blocker:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(center))
    assert blocker.args == [block]
    menu = menus.build_node_menu(scene, view, block)
    assert {"Open block", "Ungroup block"} <= {a.text() for a in menu.actions()}


def test_canvas_menu_paste_at_point(scene, view, stack):
    a = scene.add_node_at(DENSE, QPointF(0, 0))
    scene.select_node(a)
    assert view.copy_selection()
    menu = menus.build_canvas_menu(scene, view, QPointF(1000, 500))
    next(x for x in menu.actions() if x.text() == "Paste").trigger()
    (new,) = scene.selected_node_ids()
    assert new != a and scene.graph.node(new).position == (1000.0, 500.0)


def test_problem_inside_a_block_shows_on_the_block_and_unchanged_nodes_are_skipped(
    scene, view, drag
):
    inp, hidden, drop, out = build_mlp(scene, view, drag)
    block = edits.group_selection(scene, [hidden, drop])
    inner = scene.graph.node(block).subgraph.node_by_name("dense").id
    msg = "Dense 'dense': units must be >= 1"
    problem = Problem(msg, inner)
    problem.path = (block,)
    report = Report(nodes={inp: Result([(None, 784)])}, problems=[problem])
    scene.set_report(report)
    assert scene.items_by_id[block].badge.toolTip() == msg
    shown = scene.items_by_id[inp].report_state
    scene.set_report(Report(nodes={inp: Result([(None, 784)])}))
    assert scene.items_by_id[block].badge is None
    assert scene.items_by_id[inp].report_state == shown


def test_undo_adapter_applies_once_and_refuses_before_pushing(graph, stack):
    from app.errors import CycleError
    from app.ui.undo import UndoableEdit, push

    a = graph.add_node(DENSE)
    cmd = cmds.add_node(graph, DENSE, name="second")
    stack.push(UndoableEdit(graph, cmd))  # QUndoStack.push runs redo() once
    assert len(graph) == 2 and stack.text(0) == "Add Dense"
    b = cmd.node.id
    graph.connect(a, b)
    with pytest.raises(CycleError):
        push(stack, graph, cmds.Connect(Edge(b, 0, a, "inputs")))
    assert stack.count() == 1 and len(graph.edges()) == 1
    wrapped = push(stack, graph, cmds.update_node(graph, b, name="renamed"))
    assert (
        graph.node(b).name == "renamed" and stack.count() == 2 and wrapped.text() == "Rename second"
    )
    stack.undo()
    assert graph.node(b).name == "second"
    stack.redo()
    assert graph.node(b).name == "renamed"


def test_selection_signal_and_attention_port_labels(scene, view, qtbot):
    m = scene.add_node_at("keras.layers.MultiHeadAttention", QPointF(0, 0))
    d = scene.add_node_at(DENSE, QPointF(0, 300))
    seen = []
    scene.selection_changed_nodes.connect(seen.append)
    scene.select_node(m)
    assert seen[-1] == [m] and scene.selected_node_ids() == [m]
    scene.clearSelection()
    assert seen[-1] == []
    item = scene.items_by_id[m]
    assert [p.port for p in item.in_ports] == ["query", "value", "key"]
    assert [text for _pos, text in item._port_labels] == ["query", "value", "key"]
    assert scene.items_by_id[d]._port_labels == []


def test_wire_dropped_on_empty_canvas_offers_a_connected_layer(scene, view, stack, drag, qtbot):
    a = scene.add_node_at("keras.Input", QPointF(0, 0))
    count = stack.count()
    drop_at = out_port(scene, a).scenePos() + QPointF(300, 40)
    drag(view, out_port(scene, a).scenePos(), drop_at)
    popup = view.quick_add
    assert popup is not None and popup.isVisible() and stack.count() == count
    qtbot.keyClicks(popup.edit, "Dense")
    qtbot.keyClick(popup.edit, Qt.Key.Key_Return)
    (new,) = [n for n in scene.graph.node_ids() if n != a]
    assert scene.graph.in_edges(new) == [Edge(a, 0, new, "inputs")]
    assert stack.count() == count + 1  # node and wire in one undo step
    port = in_port(scene, new).scenePos()
    assert abs(port.x() - drop_at.x()) < 20 and abs(port.y() - drop_at.y()) < 20
    stack.undo()
    assert scene.graph.node_ids() == [a]


def test_click_on_a_port_does_nothing(scene, view, stack, click, qtbot):
    a = scene.add_node_at(DENSE, QPointF(0, 0))
    b = scene.add_node_at(DENSE, QPointF(400, 0))
    scene.push(cmds.connect(scene.graph, a, b))
    before, count = canonical(scene.graph), stack.count()
    messages = []
    scene.status_message.connect(messages.append)
    click(view, out_port(scene, a).scenePos() - QPointF(3, 0))  # on the port, inside the card
    click(view, in_port(scene, b).scenePos())
    assert canonical(scene.graph) == before and stack.count() == count and messages == []


def test_copied_layers_are_handed_to_qt_before_python_shuts_down(qapp, graph):
    import shiboken6

    from app.ui.canvas.clipboard import clipboard_data, copy_to_clipboard, release_clipboard

    node_id = graph.add_node(DENSE)
    assert copy_to_clipboard(graph, [node_id])
    board = QApplication.clipboard()
    assert shiboken6.Shiboken.createdByPython(board.mimeData())
    release_clipboard()
    assert not shiboken6.Shiboken.createdByPython(board.mimeData())  # Qt's own copy now
    data = clipboard_data()  # and it still pastes (from the JSON text)
    assert data is not None and len(data["nodes"]) == 1
