"""graph_from_dict: strict reading refuses damage; repairing reading keeps the rest and notes it."""

from __future__ import annotations

import pytest

from app.errors import GraphError
from app.model import ModelGraph, graph_from_dict, graph_to_dict


def _data():
    g = ModelGraph("m")
    x = g.add_node("keras.Input", "x", {"shape": [4]})
    d = g.add_node("keras.layers.Dense", "d", {"units": 3})
    e = g.add_node("keras.layers.Dense", "e", {"units": 2})
    g.connect(x, d)
    g.connect(d, e)
    g.set_outputs([e])
    return graph_to_dict(g), (x, d, e)


def test_strict_reading_refuses_the_first_damage():
    data, (_, d, _) = _data()
    data["nodes"][1]["params"]["units"] = "three"
    with pytest.raises(GraphError, match="units must be a whole number"):
        graph_from_dict(data)


def test_repairing_reading_keeps_the_rest_and_notes_the_damage():
    data, (x, d, e) = _data()
    data["nodes"][1]["spec"] = "keras.layers.NoSuchLayer"
    g = graph_from_dict(data, repair=True)
    assert g.node_ids() == [x, e] and g.edges() == []
    assert set(g.damage) == {x, e}
    assert "unknown type 'keras.layers.NoSuchLayer'" in g.damage[e][0]


def test_a_reused_layer_that_is_missing_or_loops_becomes_the_nodes_own():
    data, (x, d, e) = _data()
    data["nodes"][1]["shared_with"] = "gone"
    data["nodes"][2]["shared_with"] = e
    g = graph_from_dict(data, repair=True)
    assert g.node(d).shared_with is None and g.node(e).shared_with is None
    assert "not in the graph" in g.damage[d][0] and "itself" in g.damage[e][0]


def test_notes_follow_copies_and_go_with_a_change_a_wire_or_a_removal():
    data, (x, d, e) = _data()
    for i in (1, 2):
        data["nodes"][i]["position"] = "far"
    data["nodes"][0]["position"] = [0, "y"]
    data["edges"] = [ed for ed in data["edges"] if ed["dst"] != d]
    g = graph_from_dict(data, repair=True)
    assert g.copy().damage == g.damage and set(g.damage) == {x, d, e}
    g.update_node(d, position=(1.0, 1.0))
    assert d in g.damage
    g.connect(x, d)
    assert d not in g.damage
    g.update_node(e, trainable=False)
    assert e not in g.damage
    g.remove_node(x)
    assert g.damage == {}
