"""Shape inference against Keras' own numbers, every structural problem, and incrementality."""

from __future__ import annotations

import keras
import pytest

from app.compiler import ShapeEngine, infer_shapes
from app.model import Edge, ModelGraph


def _layer_numbers(model: keras.Model) -> dict[str, tuple]:
    """name -> (output shape, params) as Keras' model.summary() shows them."""
    return {
        layer.name: (tuple(layer.output.shape), layer.count_params())
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    }


def ticket_keras() -> keras.Model:
    title = keras.Input(shape=(None,), dtype="int32", name="title")
    body = keras.Input(shape=(None,), dtype="int32", name="body")
    tags = keras.Input(shape=(12,), name="tags")
    t = keras.layers.LSTM(16, name="title_lstm")(
        keras.layers.Embedding(100, 8, name="title_emb")(title)
    )
    b = keras.layers.LSTM(4, name="body_lstm")(
        keras.layers.Embedding(100, 8, name="body_emb")(body)
    )
    x = keras.layers.Concatenate(name="concat")([t, b, tags])
    pri = keras.layers.Dense(1, activation="sigmoid", name="priority")(x)
    dep = keras.layers.Dense(4, activation="softmax", name="department")(x)
    return keras.Model([title, body, tags], [pri, dep])


def _by_name(graph: ModelGraph, report) -> dict[str, tuple]:
    return {
        n.name: (report.nodes[n.id].output_shapes[0], report.nodes[n.id].params)
        for n in graph.nodes()
        if n.spec_id != "keras.Input"
    }


# ----- shapes and counts equal Keras' own ------------------------------------------------------
def test_digits_mlp_matches_keras_summary(digits_mlp) -> None:
    report = infer_shapes(digits_mlp)
    assert report.ok and report.problems == []
    inp = keras.Input(shape=(784,), name="img")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inp)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    out = keras.layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inp, out)
    assert _by_name(digits_mlp, report) == _layer_numbers(model)
    assert report.total_params == model.count_params() == 55050
    assert report.trainable_params == 55050
    img = digits_mlp.node_by_name("img").id
    assert report.nodes[img].output_shapes == [(None, 784)]
    assert report.nodes[img].output_dtypes == ["float32"]


def test_multi_input_multi_output_matches_keras(ticket_graph) -> None:
    graph = ticket_graph
    report = infer_shapes(graph)
    assert report.ok, report.problems
    model = ticket_keras()
    assert _by_name(graph, report) == _layer_numbers(model)
    assert report.total_params == model.count_params()
    title = graph.node_by_name("title").id
    assert report.nodes[title].output_dtypes == ["int32"]
    assert report.nodes[graph.node_by_name("concat").id].output_shapes == [(None, 32)]


def test_shared_embedding_counts_params_once(nid, shared_embedding_graph) -> None:
    g, emb, emb2 = shared_embedding_graph
    report = infer_shapes(g)
    assert report.ok, report.problems
    assert report.nodes[emb].params == 200
    assert report.nodes[emb2].params == 0
    assert report.nodes[emb2].output_shapes == [(None, 7, 4)]
    assert report.total_params == 200
    assert report.nodes[g.outputs[0].node].output_shapes == [(None, 12, 4)]


def test_nested_block_reports_inner_nodes(digits_mlp, nid) -> None:
    d1, d2 = nid(digits_mlp, "dense_1"), nid(digits_mlp, "dense_2")
    block = digits_mlp.group([d1, d2], name="body")
    report = infer_shapes(digits_mlp)
    assert report.ok, report.problems
    assert report.nodes[d1].output_shapes == [(None, 64)]  # inner node, shape from the feed
    assert report.nodes[d1].params == 50240
    assert report.nodes[block].output_shapes == [(None, 64)]
    assert report.nodes[block].params == 50240 + 4160
    inner_input = digits_mlp.node(block).subgraph.inputs[0]
    assert report.nodes[inner_input].output_shapes == [(None, 784)]
    assert report.total_params == 55050


def test_frozen_layer_and_frozen_block(digits_mlp, nid) -> None:
    digits_mlp.update_node(nid(digits_mlp, "dense_1"), trainable=False)
    report = infer_shapes(digits_mlp)
    assert report.total_params == 55050
    assert report.trainable_params == 55050 - 50240
    assert report.non_trainable_params == 50240
    block = digits_mlp.group([nid(digits_mlp, "dense_2"), nid(digits_mlp, "predictions")])
    digits_mlp.update_node(block, trainable=False)
    report = infer_shapes(digits_mlp)
    assert report.trainable_params == 0
    assert report.nodes[block].params == 4160 + 650


def test_batch_norm_non_trainable_params() -> None:
    g = ModelGraph("bn")
    x = g.add_node("keras.Input", "x", params={"shape": [6]})
    bn = g.add_node("keras.layers.BatchNormalization", "bn")
    g.connect(x, bn)
    g.set_outputs([bn])
    report = infer_shapes(g)
    assert (report.total_params, report.trainable_params) == (24, 12)


def test_multi_output_layer_and_bad_output_index(nid) -> None:
    g = ModelGraph("states")
    x = g.add_node("keras.Input", "x", params={"shape": [5, 3]})
    lstm = g.add_node("keras.layers.LSTM", "lstm", params={"units": 4, "return_state": True})
    d = g.add_node("keras.layers.Dense", "head", params={"units": 2})
    g.connect(x, lstm)
    g.connect(lstm, d, src_index=2)
    g.set_outputs([d])
    report = infer_shapes(g)
    assert report.ok, report.problems
    assert report.nodes[lstm].output_shapes == [(None, 4)] * 3
    g.update_node(lstm, params={"units": 4})
    report = infer_shapes(g)
    (problem,) = report.errors()
    assert problem.node_id == d and problem.edge.src_index == 2
    assert problem.message == "Dense 'head' takes output 2 of LSTM 'lstm', which has 1 output"
    g.set_outputs([(lstm, 1)])
    report = infer_shapes(g)
    assert any(
        p.node_id == lstm
        and p.message == "LSTM 'lstm' has 1 output; output 1 cannot be a model output"
        for p in report.errors()
    )


# ----- problems ------------------------------------------------------------------------------
def _only_error(report):
    errors = report.errors()
    assert len(errors) == 1, errors
    return errors[0]


def test_keras_error_is_one_plain_sentence(nid) -> None:
    g = ModelGraph("bad")
    x = g.add_node("keras.Input", "x", params={"shape": []})
    d = g.add_node("keras.layers.Dense", "dense_2", params={"units": 3})
    after = g.add_node("keras.layers.Dense", "after", params={"units": 3})
    g.connect(x, d)
    g.connect(d, after)
    g.set_outputs([after])
    report = infer_shapes(g)
    problem = _only_error(report)
    assert problem.node_id == d
    assert problem.message == "Dense 'dense_2': expected input rank >= 2, got shape (None,)"
    assert report.nodes[d].error == problem.message
    assert report.nodes[after].waiting and report.nodes[after].error is None


def test_reshape_error_has_no_keras_noise() -> None:
    g = ModelGraph("bad")
    x = g.add_node("keras.Input", "x", params={"shape": [5]})
    r = g.add_node("keras.layers.Reshape", "reshape", params={"target_shape": [7]})
    g.connect(x, r)
    g.set_outputs([r])
    message = _only_error(infer_shapes(g)).message
    assert message.startswith("Reshape 'reshape': The total size of the tensor must be unchanged")
    assert "\n" not in message and "Exception encountered" not in message and "\x1b" not in message


def test_bad_config_value_names_the_layer(digits_mlp, nid) -> None:
    d2 = nid(digits_mlp, "dense_2")
    digits_mlp.set_params(d2, activation="no_such_activation")
    problem = _only_error(infer_shapes(digits_mlp))
    assert problem.node_id == d2
    assert problem.message.startswith("Dense 'dense_2': ")
    assert "no_such_activation" in problem.message


def test_missing_input_and_downstream_waiting(digits_mlp, nid) -> None:
    d1, d2 = nid(digits_mlp, "dense_1"), nid(digits_mlp, "dense_2")
    digits_mlp.disconnect(digits_mlp.in_edges(d2)[0])
    report = infer_shapes(digits_mlp)
    problem = _only_error(report)
    assert (problem.node_id, problem.message) == (d2, "Dense 'dense_2' has no input connected")
    assert report.nodes[nid(digits_mlp, "predictions")].waiting
    img = nid(digits_mlp, "img")
    assert {(w.node_id, w.severity) for w in report.warnings()} == {
        (img, "warning"),
        (d1, "warning"),
    }
    assert "does not lead to any model output" in report.warnings()[0].message


def test_merge_needs_min_inputs() -> None:
    g = ModelGraph("m")
    x = g.add_node("keras.Input", "x", params={"shape": [3]})
    cat = g.add_node("keras.layers.Concatenate", "concatenate")
    g.connect(x, cat)
    g.set_outputs([cat])
    problem = _only_error(infer_shapes(g))
    assert (problem.node_id, problem.message) == (
        cat,
        "Concatenate 'concatenate' needs at least 2 inputs, has 1",
    )


def test_named_port_missing() -> None:
    g = ModelGraph("vae")
    x = g.add_node("keras.Input", "x", params={"shape": [3]})
    s = g.add_node("layerloom.Sampling", "sampling")
    g.connect(x, s, port="z_mean")
    g.set_outputs([s])
    problem = _only_error(infer_shapes(g))
    assert problem.message == "Sampling 'sampling' has no input connected to 'z_log_var'"


def test_invalid_port_and_slot(digits_mlp, nid) -> None:
    # Edges the editing commands refuse, as a damaged file could hold them.
    d1, d2 = nid(digits_mlp, "dense_1"), nid(digits_mlp, "dense_2")
    edge = Edge(d1, 0, d2, "nope")
    digits_mlp._g.add_edge(d1, d2, key=edge)
    problem = _only_error(infer_shapes(digits_mlp))
    assert (problem.node_id, problem.edge) == (d2, edge)
    assert problem.message == "Dense 'dense_2' has no input port 'nope'"
    digits_mlp._g.remove_edge(d1, d2, key=edge)
    edge = Edge(d1, 0, d2, "inputs", 1)
    digits_mlp._g.add_edge(d1, d2, key=edge)
    problem = _only_error(infer_shapes(digits_mlp))
    assert problem.message == "Dense 'dense_2': input 'inputs' takes one tensor"


def test_cycle_is_reported_not_raised(digits_mlp, nid) -> None:
    d1, d2 = nid(digits_mlp, "dense_1"), nid(digits_mlp, "dense_2")
    digits_mlp._g.add_edge(d2, d1, key=Edge(d2, 0, d1, "inputs", 1))
    report = infer_shapes(digits_mlp)
    problem = report.errors()[0]
    assert "form a cycle" in problem.message and "'dense_1'" in problem.message
    assert problem.node_id in (d1, d2)
    assert all(report.nodes[n].waiting for n in (d1, d2))


def test_no_input_and_no_output() -> None:
    report = infer_shapes(ModelGraph("empty"))
    assert [p.message for p in report.errors()] == [
        "The model has no Input: add an Input node",
        "The model has no output: mark a layer's output as a model output",
    ]
    assert all(p.node_id is None for p in report.errors())


def test_duplicate_names(digits_mlp, nid) -> None:
    d2 = nid(digits_mlp, "dense_2")
    digits_mlp._update_node(d2, {"name": "dense_1"})  # refused by commands; a damaged file
    problem = _only_error(infer_shapes(digits_mlp))
    assert problem.node_id == d2
    assert problem.message == "Two layers are named 'dense_1'; names must be unique"


def test_invalid_params(digits_mlp, nid) -> None:
    d2 = nid(digits_mlp, "dense_2")
    digits_mlp._update_node(d2, {"params": {"units": 0}})
    report = infer_shapes(digits_mlp)
    problem = _only_error(report)
    assert (problem.node_id, problem.message) == (d2, "Dense 'dense_2': units must be >= 1, got 0")
    assert report.nodes[nid(digits_mlp, "predictions")].waiting


def test_shared_with_other_type(digits_mlp, nid) -> None:
    g = digits_mlp
    drop = g.add_node("keras.layers.Dropout", "drop")
    g.connect(nid(g, "dense_2"), drop)
    g.set_outputs([nid(g, "predictions"), drop])
    g._update_node(drop, {"shared_with": nid(g, "dense_1")})
    problem = _only_error(infer_shapes(g))
    assert problem.node_id == drop
    assert problem.message == (
        "Dropout 'drop' reuses the layer of Dense 'dense_1'; only a layer of the same type can be shared"
    )


def test_shared_layer_incompatible_second_call(nid) -> None:
    g = ModelGraph("s")
    a = g.add_node("keras.Input", "a", params={"shape": [3]})
    b = g.add_node("keras.Input", "b", params={"shape": [4]})
    d = g.add_node("keras.layers.Dense", "d", params={"units": 2})
    d2 = g.add_node("keras.layers.Dense", "d_b", shared_with=d)
    g.connect(a, d)
    g.connect(b, d2)
    g.set_outputs([d, d2])
    problem = _only_error(infer_shapes(g))
    assert problem.node_id == d2
    assert (
        problem.message
        == "Dense 'd_b': expected axis -1 of input to have size 3, got shape (None, 4)"
    )


def test_block_input_shape_mismatch(digits_mlp, nid) -> None:
    block = digits_mlp.group([nid(digits_mlp, "dense_1")], name="blk")
    inner = digits_mlp.node(block).subgraph
    inner._update_node(inner.inputs[0], {"params": {"shape": [10]}})
    report = infer_shapes(digits_mlp)
    problem = _only_error(report)
    assert problem.node_id == inner.inputs[0] and problem.path == (block,)
    assert "expects shape (10,) but receives (784,)" in problem.message
    assert report.nodes[block].error and report.nodes[nid(digits_mlp, "dense_2")].waiting


def test_every_node_has_a_result_even_when_broken(digits_mlp, nid) -> None:
    digits_mlp._update_node(nid(digits_mlp, "img"), {"params": {"shape": None}})
    report = infer_shapes(digits_mlp)
    assert _only_error(report).message == "Input 'img' needs a shape (the size of one sample)"
    assert set(report.nodes) == set(digits_mlp.node_ids())


# ----- incremental ---------------------------------------------------------------------------
def _same_results(a, b) -> None:
    assert a.nodes == b.nodes
    assert [p.message for p in a.problems] == [p.message for p in b.problems]
    assert (a.total_params, a.trainable_params) == (b.total_params, b.trainable_params)


def test_incremental_last_dense_only(digits_mlp, nid) -> None:
    engine = ShapeEngine()
    engine.run(digits_mlp)
    assert engine.last_recomputed == set(digits_mlp.node_ids())
    engine.run(digits_mlp)
    assert engine.last_recomputed == set()
    out = nid(digits_mlp, "predictions")
    digits_mlp.set_params(out, units=3)
    report = engine.run(digits_mlp)
    assert engine.last_recomputed == {out}
    assert report.nodes[out].output_shapes == [(None, 3)]
    _same_results(report, infer_shapes(digits_mlp))


def test_incremental_early_cut_off(digits_mlp, nid) -> None:
    g = digits_mlp
    engine = ShapeEngine()
    engine.run(g)
    d1, d2, out = nid(g, "dense_1"), nid(g, "dense_2"), nid(g, "predictions")
    g.set_params(d1, activation="tanh")  # same output shape: nothing downstream changes
    engine.run(g)
    assert engine.last_recomputed == {d1}
    g.set_params(d1, units=32)  # new shape: dense_2's weights change, its output does not
    report = engine.run(g)
    assert engine.last_recomputed == {d1, d2}
    assert report.nodes[d2].params == 32 * 64 + 64
    _same_results(report, infer_shapes(g))
    g.update_node(out, name="probs")
    engine.run(g)
    assert engine.last_recomputed == {out}


def test_incremental_error_then_fix(digits_mlp, nid) -> None:
    engine = ShapeEngine()
    d2 = nid(digits_mlp, "dense_2")
    digits_mlp.set_params(d2, activation="nope")
    assert not engine.run(digits_mlp).ok
    assert not engine.run(digits_mlp).ok  # a cached error is still reported
    digits_mlp.set_params(d2, activation="relu")
    report = engine.run(digits_mlp)
    assert report.ok and report.nodes[nid(digits_mlp, "predictions")].output_shapes == [(None, 10)]


def test_incremental_inside_block(digits_mlp, nid) -> None:
    d1, d2 = nid(digits_mlp, "dense_1"), nid(digits_mlp, "dense_2")
    block = digits_mlp.group([d1, d2], name="body")
    engine = ShapeEngine()
    engine.run(digits_mlp)
    inner = digits_mlp.node(block).subgraph
    inner.update_node(d2, params={"units": 64, "activation": "tanh"})
    report = engine.run(digits_mlp)
    assert engine.last_recomputed == {d2, block}
    _same_results(report, infer_shapes(digits_mlp))


def test_shape_inference_does_not_initialise_weights(digits_mlp) -> None:
    from keras.src.backend.common import global_state

    before = list(global_state.get_global_attribute("uninitialized_variables", []) or [])
    engine = ShapeEngine()
    engine.run(digits_mlp)
    after = list(global_state.get_global_attribute("uninitialized_variables", []) or [])
    assert after == before
    layer = next(iter(engine._memo.layers.values())).layer
    assert layer.count_params() > 0 and all(w._value is None for w in layer.weights)


@pytest.mark.parametrize("shape", [[3], [4, 3], [2, 4, 3]])
def test_shapes_follow_input_rank(shape) -> None:
    g = ModelGraph("r")
    x = g.add_node("keras.Input", "x", params={"shape": shape})
    d = g.add_node("keras.layers.Dense", "d", params={"units": 5})
    g.connect(x, d)
    g.set_outputs([d])
    assert infer_shapes(g).nodes[d].output_shapes == [(None, *shape[:-1], 5)]


# ----- every registered layer: inference without weights equals a plain Keras call -------------
def _example_specs():
    from app.nodes import REGISTRY

    return [
        s
        for s in REGISTRY.values()
        if s.kind in ("layer", "custom")
        and s.extra.get("example_inputs")
        and not s.extra.get("needs_config")
        and not s.extra.get("nested_only")
    ]


@pytest.mark.parametrize("spec", _example_specs(), ids=lambda s: s.id)
def test_deferred_weights_give_keras_numbers(spec) -> None:
    """Layers built in a StatelessScope report the shapes and counts of a normal build."""
    import warnings

    from app.compiler import keras_call as kc

    g = ModelGraph("one")
    examples = spec.extra["example_inputs"]
    inputs = [
        g.add_node("keras.Input", f"in{i}", params={"shape": shape, "dtype": dtype})
        for i, (shape, dtype) in enumerate(examples)
    ]
    node = g.add_node(spec.id, "layer")
    for i, src in enumerate(inputs):
        g.connect(src, node, port=spec.inputs[min(i, len(spec.inputs) - 1)].name)
    g.set_outputs([node])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = infer_shapes(g)
        layer = kc.create_layer(spec, g.node(node))
        tensors = [keras.Input(shape=tuple(s), dtype=d) for s, d in examples]
        by_port: dict[str, list] = {}
        for i, t in enumerate(tensors):
            by_port.setdefault(spec.inputs[min(i, len(spec.inputs) - 1)].name, []).append(t)
        outputs = kc.call_layer(layer, spec, spec.inputs, by_port)
    assert report.ok, report.problems
    assert report.nodes[node].output_shapes == [tuple(t.shape) for t in outputs]
    assert report.nodes[node].params == layer.count_params()


def test_attention_ports_keyword_and_scores() -> None:
    g = ModelGraph("attn")
    q = g.add_node("keras.Input", "q", params={"shape": [5, 8]})
    v = g.add_node("keras.Input", "v", params={"shape": [7, 8]})
    mha = g.add_node(
        "keras.layers.MultiHeadAttention",
        "mha",
        params={"num_heads": 2, "key_dim": 4},
        call_kwargs={"return_attention_scores": True},
    )
    g.connect(q, mha, port="query")
    g.connect(v, mha, port="value")
    g.connect(v, mha, port="key")
    g.set_outputs([(mha, 0), (mha, 1)])
    report = infer_shapes(g)
    assert report.ok, report.problems
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    value = keras.Input((7, 8))
    outs = layer(keras.Input((5, 8)), value, key=value, return_attention_scores=True)
    # Two outputs, shaped as Keras' own symbolic call shapes them.
    assert report.nodes[mha].output_shapes == [tuple(t.shape) for t in outs]
    assert report.nodes[mha].output_shapes[0] == (None, 5, 8)
    assert report.nodes[mha].params == layer.count_params()


def test_variadic_port_maximum() -> None:
    g = ModelGraph("sub")
    xs = [g.add_node("keras.Input", f"x{i}", params={"shape": [3]}) for i in range(3)]
    sub = g.add_node("keras.layers.Subtract", "subtract")
    for x in xs:
        g.connect(x, sub)
    g.set_outputs([sub])
    problem = _only_error(infer_shapes(g))
    assert (problem.node_id, problem.message) == (
        sub,
        "Subtract 'subtract' takes at most 2 inputs, has 3",
    )


@pytest.mark.parametrize(
    "raw, plain",
    [
        (
            "Dimensions must be equal, but are 3 and 5 for '{{node add}} = AddV2[T=DT_FLOAT](a, b)'"
            " with input shapes: [?,3], [?,5].",
            "Dimensions must be equal, but are 3 and 5 with input shapes: [?,3], [?,5].",
        ),
        (
            "Exception encountered when calling Foo.call().\n\nSomething broke\n\n"
            "Arguments received by Foo.call():\n  • x=1",
            "Something broke",
        ),
        (
            "Input 1 of layer 'add' is incompatible with the layer: expected ndim=3, found ndim=2. "
            "Full shape received: (None, 4)",
            "expected input 2 rank 3, got shape (None, 4)",
        ),
    ],
)
def test_keras_messages_are_cleaned(raw, plain) -> None:
    from app.compiler.messages import keras_message

    assert keras_message(ValueError(raw)) == plain
