"""The QUndoStack adapter: an edit whose event a view fails to handle is still on the undo stack."""

from __future__ import annotations

import json

from app.model import ModelGraph, commands, graph_to_dict
from app.ui.undo import push


def snapshot(g: ModelGraph) -> str:
    return json.dumps(graph_to_dict(g), sort_keys=True)


def broken_view(event) -> None:
    raise RuntimeError(f"view cannot draw {event.kind}")


def test_push_undo_redo_complete_when_a_subscriber_raises(stack, expect_subscriber_failures):
    g = ModelGraph("m")
    a = g.add_node("keras.Input", name="a", params={"shape": [8]})
    b = g.add_node("keras.layers.Dense", name="b", params={"units": 8})
    c = g.add_node("keras.layers.Dense", name="c", params={"units": 4})
    g.connect(a, b)
    g.connect(b, c)
    g.set_outputs([c])
    before = snapshot(g)
    stack.setClean()
    g.events.connect(broken_view)

    push(stack, g, commands.remove_nodes(g, [b]))
    assert stack.count() == 1 and not stack.isClean()
    assert b not in g and not g.edges()
    after = snapshot(g)

    stack.undo()
    assert snapshot(g) == before and stack.isClean()
    stack.redo()
    assert snapshot(g) == after
    stack.undo()
    assert snapshot(g) == before
    assert expect_subscriber_failures.failures  # each step was heard by the broken view


def test_push_then_undo_of_an_added_layer(stack):
    g = ModelGraph("m")
    push(stack, g, commands.add_node(g, "keras.layers.Dense", name="d"))
    assert g.node_by_name("d") is not None and stack.undoText() == "Add Dense"
    stack.undo()
    assert len(g) == 0
    stack.redo()
    assert g.node_by_name("d") is not None
