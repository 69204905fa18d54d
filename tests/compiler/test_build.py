"""build_model: fresh Functional models with the graph's layers, names, wiring, flags, weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from app.compiler import ShapeEngine, build_model, infer_shapes
from app.errors import CompileError
from app.model import ModelGraph


def _inbound(model: keras.Model) -> dict[str, list[str]]:
    """layer name -> names of the layers feeding it, from Keras' own config."""
    out = {}
    for layer in model.get_config()["layers"]:
        out[layer["name"]] = _histories(layer["inbound_nodes"])
    return out


def _histories(value) -> list[str]:
    if isinstance(value, dict):
        if "keras_history" in value:
            return [value["keras_history"][0]]
        return [name for v in value.values() for name in _histories(v)]
    if isinstance(value, list | tuple):
        return [name for v in value for name in _histories(v)]
    return []


def test_digits_mlp_layers_names_wiring(digits_mlp) -> None:
    model = build_model(digits_mlp)
    assert model.name == "digits"
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer",
        "Dense",
        "Dense",
        "Dense",
    ]
    assert [t.name for t in keras.tree.flatten(model.inputs)] == ["img"]
    assert model.output_names == ["predictions"]
    assert _inbound(model) == {
        "img": [],
        "dense_1": ["img"],
        "dense_2": ["dense_1"],
        "predictions": ["dense_2"],
    }
    dense_1 = model.get_layer("dense_1")
    assert dense_1.units == 64 and dense_1.activation.__name__ == "relu"
    assert model.count_params() == 55050
    assert model.predict(np.zeros((2, 784), "float32"), verbose=0).shape == (2, 10)


def test_multi_input_output_order(ticket_graph) -> None:
    graph = ticket_graph
    model = build_model(graph)
    assert [t.name for t in model.inputs] == ["title", "body", "tags"]
    assert model.output_names == ["priority", "department"]
    preds = model.predict(
        [np.ones((2, 6), "int32"), np.ones((2, 9), "int32"), np.zeros((2, 12), "float32")],
        verbose=0,
    )
    assert [p.shape for p in preds] == [(2, 1), (2, 4)]
    assert model.count_params() == infer_shapes(graph).total_params


def test_reordered_inputs_follow_graph_inputs(ticket_graph) -> None:
    graph = ticket_graph
    tags, title, body = (graph.node_by_name(n).id for n in ("tags", "title", "body"))
    from app.model.commands import SetInputOrder

    graph.apply(SetInputOrder([tags, title, body]))
    assert [t.name for t in build_model(graph).inputs] == ["tags", "title", "body"]


def test_shared_layer_is_one_keras_layer(nid, shared_embedding_graph) -> None:
    g, emb, emb2 = shared_embedding_graph
    model = build_model(g)
    embeddings = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    assert len(embeddings) == 1 and len(embeddings[0]._inbound_nodes) == 2
    assert model.count_params() == 200
    out = model.predict([np.ones((1, 5), "int32"), np.ones((1, 7), "int32")], verbose=0)
    assert out.shape == (1, 12, 4)
    np.testing.assert_allclose(out[0, 0], out[0, 5])  # same weights for both inputs


def test_nested_block_is_nested_model(digits_mlp, nid) -> None:
    block = digits_mlp.group([nid(digits_mlp, "dense_1"), nid(digits_mlp, "dense_2")], name="body")
    model = build_model(digits_mlp)
    inner = model.get_layer("body")
    assert isinstance(inner, keras.Model) and not isinstance(inner, keras.Sequential)
    assert [layer.name for layer in inner.layers][1:] == ["dense_1", "dense_2"]
    assert model.count_params() == 55050
    digits_mlp.update_node(block, params={"model_class": "Sequential"})
    seq = build_model(digits_mlp).get_layer("body")
    assert isinstance(seq, keras.Sequential)
    assert [layer.name for layer in seq.layers] == ["dense_1", "dense_2"]
    assert seq.count_params() == 50240 + 4160


def test_shared_block_reuses_the_model() -> None:
    g = ModelGraph("twins")
    a = g.add_node("keras.Input", "a", params={"shape": [6]})
    b = g.add_node("keras.Input", "b", params={"shape": [6]})
    d = g.add_node("keras.layers.Dense", "proj", params={"units": 3})
    g.connect(a, d)
    g.set_outputs([d])
    tower = g.group([d], name="tower")
    twin = g.add_node("layerloom.Block", "tower_b", shared_with=tower)
    g.connect(b, twin)
    g.set_outputs([tower, twin])
    report = infer_shapes(g)
    assert report.ok, report.problems
    assert report.nodes[twin].output_shapes == [(None, 3)] and report.total_params == 21
    model = build_model(g)
    assert [layer.name for layer in model.layers] == ["a", "b", "tower"]
    assert model.count_params() == 21


def test_frozen_layers_and_blocks(digits_mlp, nid) -> None:
    digits_mlp.update_node(nid(digits_mlp, "dense_1"), trainable=False)
    model = build_model(digits_mlp)
    assert model.get_layer("dense_1").trainable is False
    assert model.get_layer("dense_2").trainable is True
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 55050 - 50240 == infer_shapes(digits_mlp).trainable_params
    block = digits_mlp.group([nid(digits_mlp, "dense_2")], name="frozen_block")
    digits_mlp.update_node(block, trainable=False)
    model = build_model(digits_mlp)
    assert model.get_layer("frozen_block").trainable is False
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 650


def test_weights_carried_over(digits_mlp, nid) -> None:
    source = build_model(digits_mlp)
    for layer in source.layers[1:]:
        digits_mlp.node(nid(digits_mlp, layer.name)).weights = layer.get_weights()
    model = build_model(digits_mlp)
    for a, b in zip(source.weights, model.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    x = np.random.default_rng(0).random((3, 784), dtype="float32")
    np.testing.assert_allclose(source.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_that_no_longer_fit_are_left_out(digits_mlp, nid) -> None:
    out = nid(digits_mlp, "predictions")
    digits_mlp.node(out).weights = [np.ones((64, 10), "float32"), np.ones((10,), "float32")]
    digits_mlp.set_params(out, units=4)
    digits_mlp.node(out).weights = [np.ones((64, 10), "float32"), np.ones((10,), "float32")]
    report = infer_shapes(digits_mlp)
    assert report.ok and report.warnings()[0].node_id == out
    assert build_model(digits_mlp).get_layer("predictions").units == 4


def test_call_kwargs_reach_the_call(digits_mlp, nid) -> None:
    g = digits_mlp
    drop = g.add_node(
        "keras.layers.Dropout", "drop", params={"rate": 0.5}, call_kwargs={"training": True}
    )
    out = nid(g, "predictions")
    g.disconnect(g.in_edges(out)[0])
    g.connect(nid(g, "dense_2"), drop)
    g.connect(drop, out)
    model = build_model(g)
    (node,) = model.get_layer("drop")._inbound_nodes
    assert node.arguments.kwargs == {"training": True}


def test_fresh_layers_each_time(digits_mlp) -> None:
    engine = ShapeEngine()
    engine.run(digits_mlp)
    a, b = build_model(digits_mlp), build_model(digits_mlp)
    assert a.get_layer("dense_1") is not b.get_layer("dense_1")
    cached = {id(e.layer) for e in engine._memo.layers.values()}
    assert not cached & {id(layer) for layer in a.layers}
    assert a.get_layer("dense_1").kernel.numpy().any()  # real, initialised weights


def test_errors_raise_compile_error_naming_the_node(digits_mlp, nid) -> None:
    d2 = nid(digits_mlp, "dense_2")
    digits_mlp.disconnect(digits_mlp.in_edges(d2)[0])
    with pytest.raises(CompileError) as info:
        build_model(digits_mlp)
    assert info.value.node_id == d2
    assert str(info.value) == "Dense 'dense_2' has no input connected"


def test_keras_error_raises_compile_error() -> None:
    g = ModelGraph("bad")
    x = g.add_node("keras.Input", "x", params={"shape": []})
    d = g.add_node("keras.layers.Dense", "dense_2", params={"units": 3})
    g.connect(x, d)
    g.set_outputs([d])
    with pytest.raises(CompileError, match=r"^Dense 'dense_2': expected input rank >= 2") as info:
        build_model(g)
    assert info.value.node_id == d


def test_empty_graph_raises() -> None:
    with pytest.raises(CompileError, match="has no Input"):
        build_model(ModelGraph("empty"))


def test_sequential_block_with_nested_block(digits_mlp, nid) -> None:
    g = digits_mlp
    d1, d2, out = nid(g, "dense_1"), nid(g, "dense_2"), nid(g, "predictions")
    head = g.group([d2, out], name="head")
    body = g.group([d1, head], name="body")
    g.update_node(body, params={"model_class": "Sequential"})
    model = build_model(g)
    seq = model.get_layer("body")
    assert isinstance(seq, keras.Sequential)
    assert [type(layer).__name__ for layer in seq.layers] == ["Dense", "Functional"]
    assert model.count_params() == infer_shapes(g).total_params == 55050


def test_non_chain_sequential_falls_back_to_functional(ticket_graph) -> None:
    g = ticket_graph
    ids = [g.node_by_name(n).id for n in ("concat", "priority", "department")]
    block = g.group(ids, name="heads")
    g.update_node(block, params={"model_class": "Sequential"})
    inner = build_model(g).get_layer("heads")
    assert isinstance(inner, keras.Model) and not isinstance(inner, keras.Sequential)
