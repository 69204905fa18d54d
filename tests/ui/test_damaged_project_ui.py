"""A damaged project opens in the window; its damage shows in the Problems panel and on the node."""

from __future__ import annotations

import json

from _fixtures import wait_checked

from app.project.examples import example_path


def test_damage_shows_on_the_node_and_goes_when_fixed(window, qtbot, tmp_path):
    doc = json.loads(example_path("digits_mlp").read_text(encoding="utf-8"))
    dense = next(n for n in doc["graph"]["nodes"] if n["spec"] == "keras.layers.Dense")
    dense["params"]["units"] = "many"
    path = tmp_path / "damaged.llproj"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert window.open_path(path)
    wait_checked(qtbot, window)
    rows = [
        (window.problems.item(r, 1).text(), window.problems.item(r, 2).text())
        for r in range(window.problems.rowCount())
    ]
    assert any(
        layer == dense["name"] and "units must be a whole number" in text for layer, text in rows
    ), rows
    item = window.scene.items_by_id[dense["id"]]
    assert "units must be a whole number" in (item.report_state[2] or "")
    assert "damaged in 1 place" in window.statusBar().currentMessage()
    # The user sets units: the note goes.
    window.document.graph.set_params(dense["id"], units=16)
    qtbot.waitUntil(lambda: not (item.report_state[2] or ""), timeout=20_000)
