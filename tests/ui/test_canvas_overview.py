"""Big graphs on the canvas: Fit shows all, zoomed-out cards, one wire picture, lanes, minimap."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from app.compiler.layout import layout_graph
from app.ui.canvas import lod
from app.ui.canvas.edge_item import EdgeItem
from app.ui.canvas.style import MIN_ZOOM

DENSE = "keras.layers.Dense"


def residual_chain(graph, blocks: int) -> None:
    """A deep, narrow model like an imported MobileNet: Dense branches skipping to an Add."""
    prev = graph.add_node("keras.Input", "x", params={"shape": [4]})
    for block in range(blocks):
        out = prev
        for i in range(3):
            nid = graph.add_node(DENSE, f"block_{block}_dense_{i}", params={"units": 4})
            graph.connect(out, nid)
            out = nid
        add = graph.add_node("keras.layers.Add", f"block_{block}_add")
        graph.connect(prev, add)
        graph.connect(out, add)
        prev = add
    graph.set_outputs([prev])
    layout_graph(graph)


def load(scene, graph) -> None:
    from app.model import events

    graph.events.emit(events.GraphEvent(events.RESET))


def visible_area(view) -> QRectF:
    return view.mapToScene(view.viewport().rect()).boundingRect()


def render(view) -> QImage:
    return view.viewport().grab().toImage()


def test_fit_has_no_zoom_floor_and_shows_every_node(scene, view):
    far = [scene.add_node_at(DENSE, QPointF(x, 0)) for x in (0, 60_000, 120_000)]
    view.fit_to_view()
    assert view.zoom() < MIN_ZOOM
    area = visible_area(view)
    assert all(area.contains(scene.items_by_id[n].sceneBoundingRect()) for n in far)
    # from below the wheel's floor the view can zoom in, not further out
    fitted = view.zoom()
    view.zoom_out()
    assert view.zoom() == fitted
    view.zoom_in()
    assert view.zoom() > fitted


def test_a_freshly_opened_long_model_is_shown_fitted(scene, view, graph):
    residual_chain(graph, 40)
    load(scene, graph)
    view.reset_zoom()
    view.show_start()
    area = visible_area(view)
    assert all(area.contains(i.sceneBoundingRect()) for i in scene.items_by_id.values())
    # wrapped into bands, a 161-layer model is fitted at a zoom a name can be read at
    assert view.zoom() > 0.15


def test_zoomed_out_card_is_a_coloured_box_with_its_name(scene, view, qtbot):
    nid = scene.add_node_at("keras.layers.Conv2D", QPointF(0, 0))
    item = scene.items_by_id[nid]
    scene.clearSelection()
    view.set_zoom(0.3, anchor_view_center=True)
    view.centerOn(item.sceneBoundingRect().center())
    QApplication.processEvents()
    image = render(view)
    corner = view.mapFromScene(item.mapToScene(QPointF(10, item.height - 10)))
    header = item.header_brush.color()
    assert QColor(image.pixel(corner)).name() == header.name()
    # the name is written in white across the box
    box = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    colours = {
        QColor(image.pixel(x, y)).name()
        for x in range(box.left() + 2, box.right() - 2)
        for y in range(box.top() + 2, box.bottom() - 2)
    }
    assert "#ffffff" in colours


def test_overview_name_wraps_at_word_parts_and_elides():
    from PySide6.QtGui import QFontMetricsF

    fonts = lod.OverviewFonts()
    font, metrics = fonts.get(lod.level_for(0.2))
    assert isinstance(metrics, QFontMetricsF)
    width, height = 188.0, 84.0
    lines = lod.wrap_name("block_13_expand_relu", metrics, width, 3 * metrics.height())
    assert len(lines) >= 2 and lines[0].startswith("block_")
    assert all(metrics.horizontalAdvance(line) <= width for line in lines)
    assert "".join(lines).replace(lod.ELLIPSIS, "") in "block_13_expand_relu"
    assert lod.wrap_name("block_13_expand_relu", metrics, width, height)
    assert lod.wrap_name("Conv1", metrics, 4.0, height) == []  # nothing fits: a plain box
    assert lod.level_for(0.01) is None


def test_far_out_wires_are_one_picture_and_come_back_when_zoomed_in(scene, view, graph):
    residual_chain(graph, 10)
    load(scene, graph)
    edges = list(scene.edge_items.values())
    assert edges and all(e.isVisible() for e in edges)
    view.set_zoom(0.2, anchor_view_center=True)
    assert not any(e.isVisible() for e in edges)
    assert scene.wire_layer.isVisible()
    assert scene.wire_layer.boundingRect().contains(edges[0].path.boundingRect())
    view.set_zoom(0.45, anchor_view_center=True)
    assert all(e.isVisible() for e in edges) and not scene.wire_layer.isVisible()
    assert not any(e.label.isVisible() for e in edges)  # too small to read: labels hidden
    view.reset_zoom()
    assert all(e.isVisible() for e in edges)


def test_wire_back_to_the_next_band_runs_through_the_gap(scene, graph):
    residual_chain(graph, 40)
    load(scene, graph)
    back = [
        e
        for e in scene.edge_items.values()
        if scene.items_by_id[e.edge.dst].x() < scene.items_by_id[e.edge.src].x()
    ]
    assert back
    for wire in back:
        ends = {wire.edge.src, wire.edge.dst}
        others = [i for n, i in scene.items_by_id.items() if n not in ends]
        points = [wire.path.pointAtPercent(t / 200) for t in range(1, 200)]
        hit = [i.name for i in others for p in points if i.sceneBoundingRect().contains(p)]
        assert not hit, (scene.graph.node(wire.edge.src).name, hit[:3])


def test_minimap_shows_the_graph_and_moves_the_view(scene, view, graph, qtbot):
    residual_chain(graph, 40)
    load(scene, graph)
    minimap = view.minimap
    qtbot.waitUntil(lambda: minimap.redraws > 0, timeout=2000)
    view.fit_to_view()
    QApplication.processEvents()
    view.viewport().repaint()
    assert minimap.isHidden()  # the whole graph is in view: nothing to add
    view.reset_zoom()
    view.viewport().repaint()
    assert minimap.isVisible()
    corner = view.viewport().geometry().bottomRight()
    assert minimap.geometry().bottomRight().x() <= corner.x()
    drawn = minimap.redraws
    for _ in range(5):  # scrolling and repainting reuse the drawn graph
        view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 40)
        view.viewport().repaint()
    assert minimap.redraws == drawn
    target = QPointF(minimap.width() * 0.75, minimap.height() * 0.6)
    qtbot.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=target.toPoint())
    centre = visible_area(view).center()
    wanted = minimap.to_scene(target)
    assert abs(centre.x() - wanted.x()) < 50 and abs(centre.y() - wanted.y()) < 50
    scene.add_node_at(DENSE, QPointF(centre.x(), centre.y()))  # an edit redraws it, once
    qtbot.waitUntil(lambda: minimap.redraws == drawn + 1, timeout=2000)


def test_export_of_a_zoomed_out_canvas_draws_wires_and_labels(
    scene, view, graph, tmp_path, monkeypatch
):
    from app.ui.canvas.export import export_svg

    residual_chain(graph, 3)
    load(scene, graph)
    view.set_zoom(0.2, anchor_view_center=True)
    painted = []
    paint = EdgeItem.paint

    def spy(self, painter, option, widget=None):
        painted.append(self)
        paint(self, painter, option, widget)

    monkeypatch.setattr(EdgeItem, "paint", spy)
    export_svg(scene, tmp_path / "g.svg")
    assert len(set(painted)) == len(scene.edge_items)
    assert scene.wire_layer.isVisible()  # back to the view's zoom afterwards


def test_overview_shows_the_type_when_the_name_does_not_fit():
    """At the zoom Fit picks for a MobileNetV2-sized model a card is ~40 px wide: its name
    ('block_13_expand_relu') cannot be read, its type can. Inputs are told apart only by their
    names, so an input shows its name, elided."""
    fonts = lod.OverviewFonts()
    _font, metrics = fonts.get(lod.level_for(0.2))
    height = 2 * metrics.height()
    narrow = metrics.horizontalAdvance("ReLU") + 2
    assert lod.overview_label("block_13_expand_relu", "ReLU", metrics, narrow, height) == ["relu"]
    label = lod.overview_label("block_13_depthwise", "DepthwiseConv2D", metrics, narrow, height)
    assert label == ["DW"]
    # a type too long for the box is elided, not the name: 'Mul…' says more than 'blo…'
    room = metrics.horizontalAdvance("Mul" + lod.ELLIPSIS) + 1
    label = lod.overview_label("block_1_scale", "Multiply", metrics, room, height)
    assert label[0].startswith("Mul") and label[0].endswith(lod.ELLIPSIS)
    # an input's name, elided: 'Input' would not say which of the model's inputs it is
    one_line = metrics.height() * 1.5
    room = metrics.horizontalAdvance("text_bo" + lod.ELLIPSIS) + 1
    label = lod.overview_label("text_body", "Input", metrics, room, one_line)
    assert label == [metrics.elidedText("text_body", Qt.TextElideMode.ElideRight, room)]
    assert label[0].startswith("text_b")
    # so does a model output's ('priority' and 'department' are both Dense)
    room = metrics.horizontalAdvance("Dense") + 2
    label = lod.overview_label("priority", "Dense", metrics, room, one_line, named=True)
    assert label == [metrics.elidedText("priority", Qt.TextElideMode.ElideRight, room)]
    assert label[0].startswith("pri") and label[0].endswith(lod.ELLIPSIS)
    assert lod.overview_label("priority", "Dense", metrics, room, one_line) == ["Dense"]
    # a name that fits whole is still the name
    assert lod.overview_label("fc1", "Dense", metrics, narrow, height) == ["fc1"]
    # nothing fits: a plain box
    assert lod.overview_label("x_y_z_abc", "Dense", metrics, 4.0, height) == []


def test_a_zoomed_out_card_shows_the_nodes_name_not_its_type(qapp, stack, qtbot):
    """The ticket classifier at a far zoom: its Input 'text_body' reads 'text_…', not 'Input'."""
    from app.project import load_project
    from app.project.examples import example_path
    from app.ui.canvas.scene import GraphScene
    from app.ui.canvas.view import CanvasView

    graph = load_project(example_path("ticket_classifier")).graph
    scene = GraphScene(graph, stack)
    try:
        view = CanvasView(scene)
        qtbot.addWidget(view)
        view.resize(1366, 768)
        view.show()
        qtbot.waitExposed(view)
        item = next(i for i in scene.items_by_id.values() if i.name == "text_body")
        for zoom in (0.3, 0.24, 0.2):
            view.set_zoom(zoom, anchor_view_center=True)
            view.centerOn(item.sceneBoundingRect().center())
            render(view)  # the card is painted: its overview text is made
            level = lod.level_for(view.zoom())
            text = item._overview_text[level]
            shown = text.replace("\n", "").removesuffix(lod.ELLIPSIS)
            assert len(shown) >= lod.MIN_CHARS and "text_body".startswith(shown), (zoom, text)
    finally:
        scene.dispose()
