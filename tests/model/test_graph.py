"""ModelGraph: structure, refusals with typed errors, events, sharing and ports."""

import subprocess
import sys

import pytest

from app.errors import (
    CycleError,
    GraphError,
    InvalidNameError,
    ParamError,
    PortError,
    UnknownSpecError,
)
from app.model import Edge, ModelGraph, OutputRef
from app.model.events import EDGE_ADDED, NODE_ADDED, NODE_CHANGED, NODE_REMOVED


def mlp() -> tuple[ModelGraph, list[str]]:
    g = ModelGraph("mlp")
    i = g.add_node("keras.Input", name="digits", params={"shape": [64]})
    d = g.add_node("keras.layers.Dense", params={"units": 64, "activation": "relu"})
    o = g.add_node("keras.layers.Dense", name="label", params={"units": 10})
    g.connect(i, d)
    g.connect(d, o)
    g.set_outputs([o])
    return g, [i, d, o]


def test_default_names_follow_keras_style():
    g = ModelGraph()
    a = g.add_node("keras.layers.Dense")
    b = g.add_node("keras.layers.Dense")
    c = g.add_node("keras.layers.MaxPooling2D")
    assert [g.node(x).name for x in (a, b, c)] == ["dense", "dense_1", "max_pooling2d"]


def test_topological_order_and_neighbours():
    g, (i, d, o) = mlp()
    assert g.topological_order() == [i, d, o]
    assert g.predecessors(o) == [d]
    assert g.successors(i) == [d]
    assert g.descendants(i) == {d, o}
    assert g.inputs == [i]
    assert g.outputs == [OutputRef(o, 0)]


def test_cycle_is_refused_and_graph_unchanged():
    g = ModelGraph()
    a = g.add_node("keras.Input", params={"shape": [4]})
    c = g.add_node("keras.layers.Concatenate")
    e = g.add_node("keras.layers.Dense", params={"units": 4})
    g.connect(a, c)
    g.connect(c, e)
    before = sorted(g.edges())
    with pytest.raises(CycleError, match="cycle"):
        g.connect(e, c)
    with pytest.raises(CycleError):
        g.connect(e, e)
    assert g.is_acyclic()
    assert sorted(g.edges()) == before


def test_port_arity_is_enforced():
    g, (i, d, o) = mlp()
    with pytest.raises(PortError, match="already connected"):
        g.connect(i, o)
    with pytest.raises(PortError, match="no input port"):
        g.connect(i, o, port="nope")
    with pytest.raises(GraphError, match="takes no inputs"):
        g.connect(d, i)


def test_variadic_port_takes_slots_in_order():
    g = ModelGraph()
    a = g.add_node("keras.Input", params={"shape": [4]})
    b = g.add_node("keras.Input", params={"shape": [4]})
    c = g.add_node("keras.layers.Concatenate")
    e1 = g.connect(a, c)
    e2 = g.connect(b, c)
    assert (e1.slot, e2.slot) == (0, 1)
    assert [e.src for e in g.in_edges(c)] == [a, b]


def test_unknown_spec_bad_name_and_bad_params_are_refused():
    g = ModelGraph()
    with pytest.raises(UnknownSpecError):
        g.add_node("keras.layers.NoSuchLayer")
    with pytest.raises(InvalidNameError):
        g.add_node("keras.layers.Dense", name="has space")
    g.add_node("keras.layers.Dense", name="dense")
    with pytest.raises(InvalidNameError, match="already used"):
        g.add_node("keras.layers.Dense", name="dense")
    with pytest.raises(ParamError, match="units must be >= 1"):
        g.add_node("keras.layers.Dense", params={"units": 0})
    with pytest.raises(ParamError, match="rate must be <= 1"):
        g.add_node("keras.layers.Dropout", params={"rate": 1.5})
    with pytest.raises(ParamError, match="padding must be one of"):
        g.add_node("keras.layers.Conv2D", params={"padding": "full"})
    assert len(g) == 1


def test_events_are_emitted_for_every_mutation():
    g = ModelGraph()
    seen = []
    g.events.connect(lambda ev: seen.append(ev.kind))
    a = g.add_node("keras.Input", params={"shape": [3]})
    b = g.add_node("keras.layers.Dense")
    g.connect(a, b)
    g.update_node(b, name="hidden")
    g.remove_node(b)
    assert seen[:4] == [NODE_ADDED, NODE_ADDED, EDGE_ADDED, NODE_CHANGED]
    assert NODE_REMOVED in seen


def test_remove_node_drops_edges_and_output_mark():
    g, (i, d, o) = mlp()
    g.remove_node(o)
    assert o not in g
    assert g.outputs == []
    assert g.out_edges(d) == []


def test_shared_layer_resolves_owner_and_ports():
    g = ModelGraph()
    a = g.add_node("keras.Input", params={"shape": [None]})
    b = g.add_node("keras.Input", params={"shape": [None]})
    e1 = g.add_node("keras.layers.Embedding", params={"input_dim": 100, "output_dim": 8})
    e2 = g.add_node("keras.layers.Embedding")
    g.update_node(e2, shared_with=e1)
    g.connect(a, e1)
    g.connect(b, e2)
    assert g.owner(e2).id == e1
    assert [n.id for n in g.sharers(e1)] == [e2]
    with pytest.raises(GraphError, match="same type"):
        d = g.add_node("keras.layers.Dense")
        g.update_node(d, shared_with=e1)
    # Removing the owner hands the layer (and its params) to the sharer.
    g.remove_node(e1)
    assert g.node(e2).shared_with is None
    assert g.node(e2).params == {"input_dim": 100, "output_dim": 8}


def test_edge_to_missing_port_of_block_is_refused():
    g, (i, d, o) = mlp()
    block = g.group([d])
    with pytest.raises(PortError):
        g.connect(i, block, port="inputs")
    assert g.port_label(block, g.ports(block)[0].name).endswith("_in")


def test_group_refuses_non_convex_selection_and_inputs():
    g, (i, d, o) = mlp()
    with pytest.raises(GraphError, match="Input"):
        g.group([i, d])
    x = g.add_node("keras.layers.Dense")
    g.disconnect(Edge(d, 0, o, "inputs", 0))
    g.connect(d, x)
    g.connect(x, o)
    with pytest.raises(GraphError, match="closed block"):
        g.group([d, o])


def test_core_packages_do_not_import_tensorflow_or_qt():
    code = (
        "import sys, app.model, app.nodes\n"
        "bad = [m for m in ('tensorflow', 'keras', 'PySide6', 'pyqtgraph') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
