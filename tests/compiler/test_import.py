"""import_model: Keras models -> graphs, checked by rebuilding them with build_model."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from keras import layers

from app.compiler import build_model, import_model
from app.errors import ImportModelError
from app.model import ModelGraph
from app.nodes import BLOCK_SPEC_ID, INPUT_SPEC_ID


# ----- comparing two Keras models ---------------------------------------------------------------
def _norm(value):
    return json.loads(json.dumps(value, default=str))


def _layers(model: keras.Model) -> dict[str, keras.layers.Layer]:
    return {
        layer.name: layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    }


def _wiring(model: keras.Model) -> dict:
    """Every layer's calls, inputs and outputs, with tensors named by producing layer."""
    fn = model._functional if isinstance(model, keras.Sequential) else model
    cfg = fn.get_config()
    names = {entry["name"] for entry in cfg["layers"] if entry["module"] == "keras.layers"}
    names |= {layer.name for layer in fn.layers}

    def clean(x):
        if isinstance(x, dict):
            if x.get("class_name") == "__keras_tensor__":
                name, index, t_index = x["config"]["keras_history"]
                return [name if name in names else "<op>", index, t_index]
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    calls = {
        e["name"]: clean(_norm(e["inbound_nodes"])) for e in cfg["layers"] if e["name"] in names
    }
    return {"calls": calls, "in": _norm(cfg["input_layers"]), "out": _norm(cfg["output_layers"])}


def assert_same_model(a: keras.Model, b: keras.Model) -> None:
    """Same layer classes, configs, trainable flags, weights and connectivity."""
    la, lb = _layers(a), _layers(b)
    assert sorted(la) == sorted(lb)
    for name, x in la.items():
        y = lb[name]
        assert type(x) is type(y), name
        assert x.trainable == y.trainable, name
        if isinstance(x, keras.Model):
            assert_same_model(x, y)
            continue
        assert _norm(x.get_config()) == _norm(y.get_config()), name
        wx, wy = x.get_weights(), y.get_weights()
        assert len(wx) == len(wy), name
        for u, v in zip(wx, wy):
            np.testing.assert_allclose(u, v, err_msg=name)
    assert _wiring(a) == _wiring(b)
    assert [tuple(t.shape) for t in a.inputs] == [tuple(t.shape) for t in b.inputs]
    assert [tuple(t.shape) for t in a.outputs] == [tuple(t.shape) for t in b.outputs]


def round_trip(model: keras.Model) -> ModelGraph:
    graph = import_model(model)
    assert_same_model(model, build_model(graph))
    return graph


def names(graph: ModelGraph, ids) -> list[str]:
    return [graph.node(i).name for i in ids]


def node(graph: ModelGraph, name: str):
    found = graph.node_by_name(name)
    assert found is not None, name
    return found


def wires(graph: ModelGraph) -> set[tuple]:
    return {
        (graph.node(e.src).name, e.src_index, graph.node(e.dst).name, e.port, e.slot)
        for e in graph.edges()
    }


# ----- models -----------------------------------------------------------------------------------
def test_sequential_becomes_input_and_chain():
    model = keras.Sequential(
        [
            keras.Input((6,), name="features"),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dropout(0.25, name="drop"),
            layers.Dense(3, activation="softmax", name="probs"),
        ],
        name="mlp",
    )
    graph = round_trip(model)
    assert graph.name == "mlp"
    assert names(graph, graph.topological_order()) == ["features", "hidden", "drop", "probs"]
    assert node(graph, "features").spec_id == INPUT_SPEC_ID
    assert node(graph, "features").params["shape"] == [6]
    assert node(graph, "hidden").params["units"] == 8
    assert "name" not in node(graph, "hidden").params
    assert "trainable" not in node(graph, "hidden").params
    assert node(graph, "drop").call_kwargs == {}  # Keras' auto-filled training=False is not kept
    assert [(graph.node(o.node).name, o.index) for o in graph.outputs] == [("probs", 0)]


def test_sequential_built_without_input_layer():
    model = keras.Sequential([layers.Dense(4, name="d")], name="late")
    model.build((None, 5))
    graph = round_trip(model)
    assert graph.node(graph.inputs[0]).params["shape"] == [5]


def test_unbuilt_sequential_is_refused():
    with pytest.raises(ImportModelError, match="no known input shape"):
        import_model(keras.Sequential([layers.Dense(4)], name="unbuilt"))


def test_functional_multi_input_multi_output():
    title = keras.Input((None,), dtype="int32", name="title")
    body = keras.Input((None,), dtype="int32", name="body")
    tags = keras.Input((5,), name="tags")
    t = layers.LSTM(8, name="title_lstm")(layers.Embedding(50, 4, name="title_emb")(title))
    b = layers.LSTM(8, name="body_lstm")(layers.Embedding(50, 4, name="body_emb")(body))
    x = layers.Concatenate(name="merge")([t, b, tags])
    priority = layers.Dense(1, activation="sigmoid", name="priority")(x)
    department = layers.Dense(3, activation="softmax", name="department")(x)
    model = keras.Model([title, body, tags], [priority, department], name="tickets")
    graph = round_trip(model)
    assert names(graph, graph.inputs) == ["title", "body", "tags"]
    assert node(graph, "title").params == {"shape": [None], "dtype": "int32"}
    assert [graph.node(o.node).name for o in graph.outputs] == ["priority", "department"]
    assert {w for w in wires(graph) if w[2] == "merge"} == {
        ("title_lstm", 0, "merge", "inputs", 0),
        ("body_lstm", 0, "merge", "inputs", 1),
        ("tags", 0, "merge", "inputs", 2),
    }


def test_dict_outputs_follow_model_outputs_order():
    x = keras.Input((4,), name="x")
    model = keras.Model(
        x, {"zeta": layers.Dense(1, name="z")(x), "alpha": layers.Dense(2, name="a")(x)}
    )
    graph = import_model(model)
    out_shapes = [tuple(t.shape) for t in model.outputs]
    units = [graph.node(o.node).params["units"] for o in graph.outputs]
    assert [(None, u) for u in units] == out_shapes


def test_shared_embedding_is_one_layer_called_twice():
    a = keras.Input((7,), dtype="int32", name="text_a")
    b = keras.Input((7,), dtype="int32", name="text_b")
    emb = layers.Embedding(30, 4, name="shared_emb")
    pooled = [
        layers.GlobalAveragePooling1D(name=f"pool_{n}")(emb(t)) for n, t in (("a", a), ("b", b))
    ]
    out = layers.Dense(1, name="score")(layers.Concatenate(name="cat")(pooled))
    model = keras.Model([a, b], out, name="siamese")
    graph = round_trip(model)
    owner = node(graph, "shared_emb")
    sharers = graph.sharers(owner.id)
    assert len(sharers) == 1 and sharers[0].name == "shared_emb_call2"
    assert owner.weights is not None and sharers[0].weights is None
    np.testing.assert_allclose(owner.weights[0], emb.get_weights()[0])
    assert ("text_b", 0, "shared_emb_call2", "inputs", 0) in wires(graph)


def test_nested_encoder_decoder_become_blocks():
    enc_in = keras.Input((12,), name="enc_in")
    code = layers.Dense(3, activation="relu", name="code")(layers.Dense(6, name="enc_h")(enc_in))
    encoder = keras.Model(enc_in, code, name="encoder")
    decoder = keras.Sequential(
        [
            keras.Input((3,), name="dec_in"),
            layers.Dense(6, name="dec_h"),
            layers.Dense(12, name="recon"),
        ],
        name="decoder",
    )
    x = keras.Input((12,), name="image")
    model = keras.Model(x, decoder(encoder(x)), name="autoencoder")
    graph = round_trip(model)
    enc, dec = node(graph, "encoder"), node(graph, "decoder")
    assert enc.spec_id == dec.spec_id == BLOCK_SPEC_ID
    assert dec.params == {"model_class": "Sequential"} and enc.params == {}
    assert names(enc.subgraph, enc.subgraph.inputs) == ["enc_in"]
    assert names(dec.subgraph, dec.subgraph.topological_order()) == ["dec_in", "dec_h", "recon"]
    assert node(enc.subgraph, "code").weights is not None
    # Block ports are named by the ids of the sub-graph inputs.
    edge = graph.in_edges(dec.id)[0]
    assert edge.port == dec.subgraph.inputs[0] and graph.node(edge.src).name == "encoder"


def test_ensemble_of_three_sub_models_averaged():
    def member(i: int) -> keras.Model:
        inp = keras.Input((5,), name=f"m{i}_in")
        return keras.Model(inp, layers.Dense(2, name=f"m{i}_out")(inp), name=f"member_{i}")

    x = keras.Input((5,), name="x")
    avg = layers.Average(name="avg")([member(i)(x) for i in range(3)])
    graph = round_trip(keras.Model(x, avg, name="ensemble"))
    blocks = [n for n in graph.nodes() if n.spec_id == BLOCK_SPEC_ID]
    assert sorted(n.name for n in blocks) == ["member_0", "member_1", "member_2"]
    slots = sorted((e.slot, graph.node(e.src).name) for e in graph.in_edges(node(graph, "avg").id))
    assert slots == [(0, "member_0"), (1, "member_1"), (2, "member_2")]


def test_shared_nested_model_is_one_block_called_twice():
    inp = keras.Input((4,), name="tower_in")
    tower = keras.Model(inp, layers.Dense(3, name="tower_d")(inp), name="tower")
    a, b = keras.Input((4,), name="left"), keras.Input((4,), name="right")
    out = layers.Subtract(name="diff")([tower(a), tower(b)])
    graph = round_trip(keras.Model([a, b], out, name="twins"))
    owner = node(graph, "tower")
    (sharer,) = graph.sharers(owner.id)
    assert sharer.subgraph is None and graph.ports(sharer.id) == graph.ports(owner.id)


def test_frozen_layers_and_frozen_nested_model():
    inp = keras.Input((4,), name="base_in")
    base = keras.Model(inp, layers.Dense(4, name="base_d")(inp), name="base")
    base.trainable = False
    x = keras.Input((4,), name="x")
    frozen = layers.Dense(2, name="frozen")
    frozen.trainable = False
    out = layers.Dense(1, name="head")(frozen(base(x, training=False)))
    graph = round_trip(keras.Model(x, out, name="transfer"))
    assert node(graph, "base").call_kwargs == {"training": False}
    assert node(graph, "frozen").trainable is False
    assert node(graph, "head").trainable is True
    block = node(graph, "base")
    assert block.trainable is False and node(block.subgraph, "base_d").trainable is False


def test_multi_head_attention_ports_and_keyword_key():
    q = keras.Input((6, 8), name="q")
    v = keras.Input((4, 8), name="v")
    k = keras.Input((4, 8), name="k")
    cross = layers.MultiHeadAttention(2, 4, name="cross")(q, v, key=k)
    selfatt = layers.MultiHeadAttention(2, 4, name="self_att")(cross, cross)
    graph = round_trip(keras.Model([q, v, k], selfatt, name="attn"))
    assert {w for w in wires(graph) if w[2] == "cross"} == {
        ("q", 0, "cross", "query", 0),
        ("v", 0, "cross", "value", 0),
        ("k", 0, "cross", "key", 0),
    }
    assert {w[3] for w in wires(graph) if w[2] == "self_att"} == {"query", "value"}


def test_lstm_return_state_outputs_keep_their_index():
    seq = keras.Input((5, 3), name="seq")
    whole, h, c = layers.LSTM(4, return_state=True, name="enc_lstm")(seq)
    out = layers.Concatenate(name="states")([h, c])
    graph = round_trip(keras.Model(seq, [out, whole], name="states_model"))
    assert ("enc_lstm", 1, "states", "inputs", 0) in wires(graph)
    assert ("enc_lstm", 2, "states", "inputs", 1) in wires(graph)
    assert [(graph.node(o.node).name, o.index) for o in graph.outputs] == [
        ("states", 0),
        ("enc_lstm", 0),
    ]


def test_call_kwargs_training_false_is_kept():
    x = keras.Input((4,), name="x")
    bn = layers.BatchNormalization(name="bn")(x, training=False)
    drop = layers.Dropout(0.5, name="always_drop")(bn, training=True)
    graph = round_trip(keras.Model(x, drop, name="kw"))
    assert node(graph, "bn").call_kwargs == {"training": False}
    assert node(graph, "always_drop").call_kwargs == {"training": True}


def test_embedding_mask_is_recomputed_not_wired():
    ids = keras.Input((6,), dtype="int32", name="ids")
    emb = layers.Embedding(20, 4, mask_zero=True, name="emb")(ids)
    graph = round_trip(keras.Model(ids, layers.LSTM(3, name="rnn")(emb), name="masked"))
    assert len(graph) == 3
    assert node(graph, "rnn").call_kwargs == {}


def test_weights_are_copied():
    model = keras.Sequential([keras.Input((3,), name="x"), layers.Dense(2, name="d")])
    model.layers[0].set_weights([np.arange(6.0).reshape(3, 2), np.array([1.0, -1.0])])
    graph = import_model(model)
    np.testing.assert_allclose(node(graph, "d").weights[0], np.arange(6.0).reshape(3, 2))
    rebuilt = build_model(graph)
    np.testing.assert_allclose(rebuilt.get_layer("d").get_weights()[1], [1.0, -1.0])


# ----- refusals ---------------------------------------------------------------------------------
class Scale(layers.Layer):
    def call(self, x):
        return x * 2.0


def test_unknown_layer_class_names_layer_and_class():
    x = keras.Input((3,), name="x")
    model = keras.Model(x, Scale(name="doubler")(x))
    with pytest.raises(ImportModelError, match=r"'doubler' is a Scale"):
        import_model(model)


def test_subclassed_model_is_refused():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    tiny = Tiny()
    tiny(np.zeros((1, 3)))
    with pytest.raises(ImportModelError, match="subclassed"):
        import_model(tiny)


def test_keras_ops_operation_becomes_an_op_node():
    x = keras.Input((3,), name="x")
    y = keras.ops.add(layers.Dense(3, name="d")(x), 1.0)
    graph = import_model(keras.Model(x, y))
    op = next(n for n in graph.nodes() if n.spec_id == "keras.ops.add")
    assert op.params == {"x2_value": 1.0}


def test_layer_shared_across_block_levels_is_refused():
    shared = layers.Dense(4, name="both")
    inp = keras.Input((4,), name="inner_in")
    inner = keras.Model(inp, shared(inp), name="inner")
    x = keras.Input((4,), name="x")
    with pytest.raises(ImportModelError, match="'both'"):
        import_model(keras.Model(x, shared(inner(x))))


def test_not_a_model():
    with pytest.raises(ImportModelError, match="keras.Model"):
        import_model(layers.Dense(3))


def test_wrapped_layers_keep_their_inner_config():
    seq = keras.Input((10, 6), name="seq")
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True), name="bi")(seq)
    x = layers.TimeDistributed(layers.Dense(3), name="per_step")(x)
    x = layers.Conv1D(5, 3, activation="relu", name="conv")(x)
    out = layers.GlobalMaxPooling1D(name="pool")(x)
    graph = round_trip(keras.Model(seq, out, name="wrapped"))
    assert node(graph, "bi").params["layer"]["class_name"] == "LSTM"


def test_imported_graph_saves_reloads_and_infers():
    from app.compiler import infer_shapes
    from app.model import graph_from_dict, graph_to_dict

    title = keras.Input((None,), dtype="int32", name="title")
    emb = layers.Embedding(40, 4, name="emb")(title)
    x = layers.GlobalAveragePooling1D(name="pool")(emb)
    inp = keras.Input((4,), name="head_in")
    head = keras.Model(inp, layers.Dense(2, name="head_d")(inp), name="head")
    model = keras.Model(title, head(x), name="saved")
    graph = import_model(model)
    again = graph_from_dict(json.loads(json.dumps(graph_to_dict(graph))))
    assert graph_to_dict(again) == graph_to_dict(graph)
    report = infer_shapes(again)
    assert report.ok, [p.message for p in report.problems]
    assert report.nodes[again.node_by_name("head").id].output_shapes == [(None, 2)]
    rebuilt = build_model(again)
    assert [type(x).__name__ for x in rebuilt.layers] == [type(x).__name__ for x in model.layers]


def test_sequential_holding_a_nested_model():
    inp = keras.Input((3,), name="feat_in")
    features = keras.Model(inp, layers.Dense(4, name="feat_d")(inp), name="features")
    model = keras.Sequential(
        [keras.Input((3,), name="x"), features, layers.Dense(1, name="out")], name="stack"
    )
    graph = round_trip(model)
    block = node(graph, "features")
    assert block.spec_id == BLOCK_SPEC_ID and block.params == {}
    assert names(graph, graph.topological_order()) == ["x", "features", "out"]


def test_params_hold_only_real_choices():
    x = keras.Input((3,), name="x")
    plain = layers.Dense(4, name="plain")(x)
    wide = layers.Dense(2, dtype="float64", kernel_initializer="he_normal", name="wide")(plain)
    graph = round_trip(keras.Model(x, wide, name="choices"))
    assert node(graph, "plain").params == {"units": 4}
    wide_params = node(graph, "wide").params
    assert wide_params["dtype"]["config"]["name"] == "float64"
    assert wide_params["kernel_initializer"]["class_name"] == "HeNormal"


def test_vae_with_layerloom_layers_and_multi_output_encoder():
    from app.compiler.custom_layers import KLDivergence, Sampling

    image = keras.Input((8,), name="image")
    h = layers.Dense(6, activation="relu", name="enc_h")(image)
    z_mean = layers.Dense(2, name="z_mean")(h)
    z_log_var = layers.Dense(2, name="z_log_var")(h)
    z_mean, z_log_var = KLDivergence(name="kl")([z_mean, z_log_var])
    z = Sampling(seed=3, name="z")([z_mean, z_log_var])
    encoder = keras.Model(image, [z_mean, z_log_var, z], name="encoder")
    latent = keras.Input((2,), name="latent")
    decoder = keras.Model(latent, layers.Dense(8, name="recon")(latent), name="decoder")
    x = keras.Input((8,), name="x")
    vae = keras.Model(x, decoder(encoder(x)[2]), name="vae")
    graph = round_trip(vae)
    enc = node(graph, "encoder")
    assert ("encoder", 2, "decoder", node(graph, "decoder").subgraph.inputs[0], 0) in wires(graph)
    assert node(enc.subgraph, "z").spec_id == "layerloom.Sampling"
    assert node(enc.subgraph, "kl").spec_id == "layerloom.KLDivergence"
    assert {(w[0], w[1]) for w in wires(enc.subgraph) if w[2] == "z"} == {("kl", 0), ("kl", 1)}


def test_list_call_spread_over_named_ports():
    q = keras.Input((5, 4), name="q")
    v = keras.Input((7, 4), name="v")
    k = keras.Input((7, 4), name="k")
    two = layers.Attention(name="att2")([q, v])
    three = layers.Attention(name="att3")([q, v, k])
    graph = round_trip(keras.Model([q, v, k], [two, three], name="luong"))
    assert {(w[0], w[3]) for w in wires(graph) if w[2] == "att2"} == {
        ("q", "query"),
        ("v", "value"),
    }
    assert {(w[0], w[3]) for w in wires(graph) if w[2] == "att3"} == {
        ("q", "query"),
        ("v", "value"),
        ("k", "key"),
    }


def test_seq2seq_initial_state_round_trips():
    enc_in = keras.Input((5, 3), name="enc_in")
    _, h, c = layers.LSTM(4, return_state=True, name="encoder")(enc_in)
    dec_in = keras.Input((6, 3), name="dec_in")
    dec = layers.LSTM(4, return_sequences=True, name="decoder")(dec_in, initial_state=[h, c])
    model = keras.Model([enc_in, dec_in], dec, name="seq2seq")
    graph = round_trip(model)
    assert {("encoder", 1, "decoder"), ("encoder", 2, "decoder")} <= {w[:3] for w in wires(graph)}


def test_tensor_keyword_without_a_port_is_refused():
    q = keras.Input((4, 8), name="q")
    mask = keras.Input((4, 4), dtype="bool", name="mask")
    out = layers.MultiHeadAttention(2, 4, name="mha")(q, q, attention_mask=mask)
    model = keras.Model([q, mask], out)
    with pytest.raises(ImportModelError, match="'mha' gets a tensor as its 'attention_mask'"):
        import_model(model)
