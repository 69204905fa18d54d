"""generate_code: the script builds the same model as build_model, reads well and is ruff-clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from script_checks import ruff_problems

from app.compiler.build import build_model
from app.compiler.codegen import generate_code
from app.model import ModelGraph

keras = pytest.importorskip("keras")

INPUT, BLOCK = "keras.Input", "layerloom.Block"
DENSE = "keras.layers.Dense"
EXAMPLES = sorted((Path(__file__).parents[2] / "resources" / "examples").glob("*.llproj"))


# ----- graphs ------------------------------------------------------------------------------------


def chain(g: ModelGraph, src: str, *layers: tuple) -> str:
    """Add (spec, name, params) layers one after another from `src`; returns the last id."""
    for spec, name, params in layers:
        nid = g.add_node(spec, name, params)
        g.connect(src, nid)
        src = nid
    return src


def serialized(class_name: str, **config) -> dict:
    """A Keras layer config as keras.saving.serialize_keras_object writes it."""
    return {"module": "keras.layers", "class_name": class_name, "config": config,
            "registered_name": None}  # fmt: skip


def digits_mlp() -> ModelGraph:
    g = ModelGraph("digits_mlp")
    x = g.add_node(INPUT, "digits", {"shape": [64]})
    hidden = chain(
        g,
        x,
        (DENSE, "dense", {"units": 64, "activation": "relu"}),
        (
            DENSE,
            "dense_1",
            {
                "units": 32,
                "activation": "relu",
                "kernel_initializer": {
                    "module": "keras.initializers",
                    "class_name": "HeNormal",
                    "config": {"seed": 1},
                    "registered_name": None,
                },
                "kernel_regularizer": {
                    "module": "keras.regularizers",
                    "class_name": "L2",
                    "config": {"l2": 0.01},
                    "registered_name": None,
                },
            },
        ),
        ("keras.layers.Dropout", "dropout", {"rate": 0.5}),
    )
    out = g.add_node(DENSE, "predictions", {"units": 10, "activation": "softmax"}, trainable=False)
    g.connect(hidden, out)
    g.set_outputs([out])
    return g


def cnn() -> ModelGraph:
    g = ModelGraph("digits_cnn")
    x = g.add_node(INPUT, "img", {"shape": [12, 12, 1]})
    out = chain(
        g,
        x,
        ("keras.layers.Conv2D", "conv",
         {"filters": 8, "kernel_size": [3, 3], "activation": "relu", "padding": "same"}),
        ("keras.layers.MaxPooling2D", "pool", {"pool_size": [2, 2]}),
        ("keras.layers.Conv2D", "conv_2", {"filters": 4, "kernel_size": [3, 2], "strides": [2, 2]}),
        ("keras.layers.BatchNormalization", "bn", {"momentum": 0.9}),
        ("keras.layers.Flatten", "flatten", {}),
        (DENSE, "digit", {"units": 10, "activation": "softmax"}),
    )  # fmt: skip
    g.set_outputs([out])
    return g


def ticket_model() -> ModelGraph:
    """Multi-input, multi-output: two texts through Embedding+LSTM, tags, two heads."""
    g = ModelGraph("ticket_model")
    title = g.add_node(INPUT, "title", {"shape": [None], "dtype": "int32"})
    body = g.add_node(INPUT, "body", {"shape": [None], "dtype": "int32"})
    tags = g.add_node(INPUT, "tags", {"shape": [12]})
    emb = "keras.layers.Embedding"
    t = chain(g, title, (emb, "title_emb", {"input_dim": 100, "output_dim": 8}),
              ("keras.layers.LSTM", "title_lstm", {"units": 8}))  # fmt: skip
    b = chain(g, body, (emb, "body_emb", {"input_dim": 100, "output_dim": 8, "mask_zero": True}),
              ("keras.layers.LSTM", "body_lstm", {"units": 4}))  # fmt: skip
    cat = g.add_node("keras.layers.Concatenate", "features")
    for src in (t, b, tags):
        g.connect(src, cat)
    prio = g.add_node(DENSE, "priority", {"units": 1, "activation": "sigmoid"})
    dept = g.add_node(DENSE, "department", {"units": 4, "activation": "softmax"})
    g.connect(cat, prio)
    g.connect(cat, dept)
    g.set_outputs([prio, dept])
    return g


def shared_embedding() -> ModelGraph:
    g = ModelGraph("shared_embedding")
    a = g.add_node(INPUT, "text_a", {"shape": [None], "dtype": "int32"})
    b = g.add_node(INPUT, "text_b", {"shape": [None], "dtype": "int32"})
    emb = g.add_node(
        "keras.layers.Embedding", "shared_embedding", {"input_dim": 50, "output_dim": 8}
    )
    emb_b = g.add_node("keras.layers.Embedding", "shared_embedding_b", shared_with=emb)
    g.connect(a, emb)
    g.connect(b, emb_b)
    pools = []
    for src, name in ((emb, "pool_a"), (emb_b, "pool_b")):
        pools.append(chain(g, src, ("keras.layers.GlobalAveragePooling1D", name, {})))
    cat = g.add_node("keras.layers.Concatenate", "concatenate")
    for p in pools:
        g.connect(p, cat)
    out = chain(g, cat, (DENSE, "same_topic", {"units": 1, "activation": "sigmoid"}))
    g.set_outputs([out])
    return g


def _sub(name: str, shape: list | None, *layers: tuple, outputs: int = 1) -> ModelGraph:
    sub = ModelGraph(name)
    x = sub.add_node(INPUT, f"{name}_in", {"shape": shape})
    last = chain(sub, x, *layers)
    sub.set_outputs([last])
    return sub


def nested_blocks() -> ModelGraph:
    """Encoder / decoder blocks, a frozen one, a Sequential one, shape-less block Inputs, a
    block with two outputs, and a block called twice (shared)."""
    g = ModelGraph("autoencoder")
    x = g.add_node(INPUT, "img", {"shape": [16]})
    enc_sub = _sub("encoder", [16], (DENSE, "dense", {"units": 8, "activation": "relu"}),
                   (DENSE, "code", {"units": 4}))  # fmt: skip
    enc = g.add_node(BLOCK, "encoder", subgraph=enc_sub)
    g.connect(x, enc, port=g.node(enc).subgraph.inputs[0])
    g.update_node(enc, call_kwargs={"training": False})
    dec_sub = _sub("decoder", None, (DENSE, "dense", {"units": 16, "activation": "sigmoid"}))
    dec = g.add_node(BLOCK, "decoder", subgraph=dec_sub, trainable=False)
    g.connect(enc, dec, port=g.node(dec).subgraph.inputs[0])
    head = _sub("head", None, (DENSE, "h1", {"units": 6}),
                ("keras.layers.Dropout", "drop", {"rate": 0.1}))  # fmt: skip
    seq = g.add_node(BLOCK, "head", {"model_class": "Sequential"}, subgraph=head)
    g.connect(enc, seq, port=g.node(seq).subgraph.inputs[0])
    # A block with two outputs.
    two = ModelGraph("two_heads")
    tin = two.add_node(INPUT, "two_in", {"shape": [4]})
    h1 = chain(two, tin, (DENSE, "left", {"units": 3}))
    h2 = chain(two, tin, (DENSE, "right", {"units": 2}))
    two.set_outputs([h1, h2])
    tb = g.add_node(BLOCK, "two_heads", subgraph=two)
    g.connect(enc, tb, port=two.inputs[0])
    # The same sub-model called a second time on another tensor.
    x2 = g.add_node(INPUT, "img_2", {"shape": [16]})
    enc2 = g.add_node(BLOCK, "encoder_again", shared_with=enc)
    g.connect(x2, enc2, port=g.node(enc).subgraph.inputs[0])
    g.set_outputs([dec, seq, (tb, 1), (tb, 0), enc2])
    return g


def wrappers() -> ModelGraph:
    g = ModelGraph("wrappers")
    x = g.add_node(INPUT, "seq", {"shape": [10, 8]})
    # Wrapped layers are named: an unnamed one gets a process-dependent Keras auto-name.
    lstm = serialized("LSTM", units=16, return_sequences=True, name="lstm")
    gru = serialized("GRU", units=8, name="gru")
    dense = serialized("Dense", units=4, activation="tanh", name="step_dense")
    out = chain(
        g,
        x,
        ("keras.layers.Bidirectional", "bi_lstm", {"layer": lstm}),
        ("keras.layers.TimeDistributed", "per_step", {"layer": dense}),
        ("keras.layers.Bidirectional", "bi_gru", {"layer": gru, "merge_mode": "sum"}),
        (DENSE, "score", {"units": 1}),
    )
    g.set_outputs([out])
    return g


def attention() -> ModelGraph:
    """MultiHeadAttention with query/value/key, Attention on a list, LSTM states by index."""
    g = ModelGraph("attention")
    q = g.add_node(INPUT, "query", {"shape": [6, 16]})
    v = g.add_node(INPUT, "value", {"shape": [9, 16]})
    mha = g.add_node("keras.layers.MultiHeadAttention", "mha", {"num_heads": 2, "key_dim": 8})
    g.connect(q, mha, port="query")
    g.connect(v, mha, port="value")
    g.connect(v, mha, port="key")
    att = g.add_node("keras.layers.Attention", "att", {"use_scale": True})
    g.connect(q, att, port="query")
    g.connect(v, att, port="value")
    lstm = g.add_node("keras.layers.LSTM", "lstm", {"units": 5, "return_state": True})
    g.connect(mha, lstm)
    h = g.add_node(DENSE, "from_h", {"units": 2})
    g.connect(lstm, h, src_index=1)
    g.set_outputs([(lstm, 0), h, att, (lstm, 2)])
    return g


def vae() -> ModelGraph:
    """The guides' VAE with LayerLoom's custom layers (KLDivergence adds the loss)."""
    g = ModelGraph("vae")
    x = g.add_node(INPUT, "encoder_input", {"shape": [20]})
    enc = ModelGraph("encoder")
    ei = enc.add_node(INPUT, "original", {"shape": [20]})
    hid = chain(enc, ei, (DENSE, "dense", {"units": 8, "activation": "relu"}))
    zm = chain(enc, hid, (DENSE, "z_mean", {"units": 2}))
    zv = chain(enc, hid, (DENSE, "z_log_var", {"units": 2}))
    enc.set_outputs([zm, zv])
    e = g.add_node(BLOCK, "encoder", subgraph=enc)
    g.connect(x, e, port=enc.inputs[0])
    kl = g.add_node("layerloom.KLDivergence", "kl", {"weight": 0.5})
    g.connect(e, kl, port="z_mean", src_index=0)
    g.connect(e, kl, port="z_log_var", src_index=1)
    z = g.add_node("layerloom.Sampling", "z", {"seed": 3})
    g.connect(kl, z, port="z_mean", src_index=0)
    g.connect(kl, z, port="z_log_var", src_index=1)
    dec_sub = _sub("decoder", [2], (DENSE, "dense", {"units": 8, "activation": "relu"}),
                   (DENSE, "reconstruction", {"units": 20, "activation": "sigmoid"}))  # fmt: skip
    dec = g.add_node(BLOCK, "decoder", subgraph=dec_sub)
    g.connect(z, dec, port=g.node(dec).subgraph.inputs[0])
    g.set_outputs([dec])
    return g


def awkward_names() -> ModelGraph:
    """Layer names that are not Python identifiers or clash with what the script uses."""
    g = ModelGraph("names-model")
    x = g.add_node(INPUT, "input", {"shape": [4]})
    out = chain(g, x, (DENSE, "layers", {"units": 3}), (DENSE, "my-dense.1", {"units": 3}),
                (DENSE, "lambda", {"units": 3}), (DENSE, "keras", {"units": 3}),
                (DENSE, "model", {"units": 2}))  # fmt: skip
    g.set_outputs([out])
    return g


GRAPHS = {
    "digits_mlp": digits_mlp,
    "cnn": cnn,
    "ticket": ticket_model,
    "shared_embedding": shared_embedding,
    "nested_blocks": nested_blocks,
    "wrappers": wrappers,
    "attention": attention,
    "vae": vae,
    "awkward_names": awkward_names,
}


# ----- checks ------------------------------------------------------------------------------------


def run_script(source: str) -> keras.Model:
    namespace: dict = {"__name__": "generated_model"}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - the code under test
    return namespace["model"]


def connectivity(model) -> list:
    """Per layer and call: which layer / call / output each input tensor came from."""
    names = {layer.name for layer in model.layers}
    out = []
    for layer in model.layers:
        calls = []
        for node in layer._inbound_nodes:
            tensors = []
            for t in node.input_tensors:
                op, index, pos = t._keras_history
                # Masks come from auto-named ops (not_equal_3); only layers are compared by name.
                tensors.append((op.name if op.name in names else type(op).__name__, index, pos))
            calls.append(tensors)
        out.append((layer.name, calls))
    return out


def layer_config(layer) -> dict:
    """layer.get_config(), with build state of wrapped layers as JSON (a layer deserialized
    from a config holds its input_shape as a list, a freshly built one as a tuple)."""

    def fix(value):
        if isinstance(value, dict):
            # LayerLoom's own layers (Sampling) inside a block: the script pastes the class,
            # so it lives in the script's module.
            pasted = str(value.get("registered_name") or "").startswith("layerloom>")
            return {
                k: json.loads(json.dumps(v)) if k == "build_config" else fix(v)
                for k, v in value.items()
                if not (pasted and k == "module")
            }
        if isinstance(value, list | tuple):
            return type(value)(fix(v) for v in value)
        return value

    return fix(layer.get_config())


def model_config(model) -> dict:
    """model.get_config() with auto-named ops (mask computations) renamed by their order."""
    config = layer_config(model)
    names = {layer.name for layer in model.layers}
    ops = [entry["name"] for entry in config["layers"] if entry["name"] not in names]
    rename = {name: f"<op {i}>" for i, name in enumerate(ops)}

    def fix(value):
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(fix(v) for v in value)
        return rename.get(value, value) if isinstance(value, str) else value

    return same_custom_module(fix(config))


def same_custom_module(value):
    """LayerLoom layers pasted into a script live in that script's module; Keras finds them by
    their registered name ("layerloom>Sampling"), which is the same.  Blank out the module."""
    if isinstance(value, dict):
        if str(value.get("registered_name")).startswith("layerloom>"):
            value = {**value, "module": "<layerloom>"}
        return {k: same_custom_module(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(same_custom_module(v) for v in value)
    return value


def assert_same_model(made, built) -> None:
    assert [type(layer).__name__ for layer in made.layers] == [
        type(layer).__name__ for layer in built.layers
    ]
    assert [layer.name for layer in made.layers] == [layer.name for layer in built.layers]
    for a, b in zip(made.layers, built.layers, strict=True):
        assert layer_config(a) == layer_config(b), a.name
        assert a.trainable == b.trainable, a.name
    assert connectivity(made) == connectivity(built)
    assert [t.name for t in made.inputs] == [t.name for t in built.inputs]
    assert [t._keras_history.operation.name for t in made.outputs] == [
        t._keras_history.operation.name for t in built.outputs
    ]
    assert made.name == built.name
    assert model_config(made) == model_config(built)
    assert made.count_params() == built.count_params()
    assert len(made.trainable_weights) == len(built.trainable_weights)


# ----- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GRAPHS))
def test_script_builds_the_same_model_as_build_model(name):
    graph = GRAPHS[name]()
    source = generate_code(graph)
    assert_same_model(run_script(source), build_model(graph))
    assert ruff_problems(source) == ""
    assert "import app" not in source and "from app" not in source


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_projects_round_trip_through_code(path):
    from app.project import load_project

    project = load_project(path)
    source = generate_code(project.graph, project)
    assert_same_model(run_script(source), build_model(project.graph))
    assert ruff_problems(source) == ""


def test_script_reads_like_the_keras_guides():
    source = generate_code(digits_mlp())
    assert "import keras\nfrom keras import layers\n" in source
    assert 'digits = keras.Input(shape=(64,), name="digits")\n' in source
    assert 'dense = layers.Dense(64, activation="relu", name="dense")(digits)\n' in source
    assert "kernel_initializer=keras.initializers.HeNormal(seed=1)" in source
    assert "kernel_regularizer=keras.regularizers.L2()," in source  # l2=0.01 is its default
    assert 'layers.Dropout(0.5, name="dropout")(dense_1)' in source
    assert 'layers.Dense(10, activation="softmax", trainable=False, name="predictions")' in source
    assert 'model = keras.Model(inputs=digits, outputs=predictions, name="digits_mlp")' in source
    assert source.rstrip().endswith('if __name__ == "__main__":\n    model.summary()')
    # Defaults are left out.
    assert "use_bias" not in source and "bias_initializer" not in source


def test_conv_arguments_are_written_as_the_guides_write_them():
    source = generate_code(cnn())
    assert 'layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")' in source
    assert 'layers.MaxPooling2D(name="pool")(conv)' in source
    assert 'layers.Conv2D(4, (3, 2), strides=2, name="conv_2")' in source


def test_structures_read_naturally():
    ticket = generate_code(ticket_model())
    assert 'title = keras.Input(shape=(None,), dtype="int32", name="title")' in ticket
    assert 'layers.Concatenate(name="features")([title_lstm, body_lstm, tags])' in ticket
    assert "outputs=[priority, department]" in ticket
    shared = generate_code(shared_embedding())
    assert 'shared_embedding = layers.Embedding(50, 8, name="shared_embedding")\n' in shared
    assert "shared_embedding(text_a)" in shared and "shared_embedding(text_b)" in shared
    assert shared.count("layers.Embedding(") == 1
    nested = generate_code(nested_blocks())
    assert "def build_encoder():" in nested and "encoder = build_encoder()" in nested
    assert "encoder(img, training=False)" in nested
    assert "decoder.trainable = False" in nested
    assert "keras.Sequential(" in nested and "layers.InputLayer(" in nested
    assert nested.count("encoder = build_encoder()") == 1  # a shared block is built once
    assert "left, right = two_heads(" in nested
    wrapped = generate_code(wrappers())
    assert (
        'layers.Bidirectional(\n    layers.LSTM(16, return_sequences=True, name="lstm"),' in wrapped
    )
    assert 'layers.Bidirectional(layers.GRU(8, name="gru"), merge_mode="sum"' in wrapped
    assert 'layers.TimeDistributed(\n    layers.Dense(4, activation="tanh"' in wrapped
    att = generate_code(attention())
    assert "(query, value, key=value)" in att
    assert 'layers.Attention(use_scale=True, name="att")([query, value])' in att
    assert "lstm[1]" in att and "outputs=[lstm[0], from_h, att, lstm[2]]" in att


def test_custom_layers_are_embedded_and_the_script_runs_alone(tmp_path):
    """The VAE script defines Sampling/KLDivergence itself and runs in a fresh interpreter."""
    graph = vae()
    source = generate_code(graph)
    assert "class Sampling(keras.layers.Layer):" in source
    assert "class KLDivergence(keras.layers.Layer):" in source
    assert '@keras.saving.register_keras_serializable(package="layerloom")' in source
    assert "from keras import layers, ops" in source
    script = tmp_path / "vae_model.py"
    script.write_text(
        source + "\nimport json\nprint(json.dumps(model.get_config(), default=list))\n"
        "print(len(model.losses), flush=True)\n",
        encoding="utf-8",
    )
    env = {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-I", str(script)], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    built = build_model(graph)
    expected = json.loads(json.dumps(built.get_config(), default=list))
    assert same_custom_module(json.loads(lines[-1])) == same_custom_module(expected)
    assert 'Model: "vae"' in done.stdout


def test_same_graph_gives_the_same_text():
    graph = nested_blocks()
    first = generate_code(graph)
    assert generate_code(graph) == first
    assert generate_code(graph.copy()) == first


def test_imported_full_configs_are_written_short():
    """Params holding a layer's complete get_config() still give the short constructor."""
    layer = keras.layers.Dense(64, activation="relu", name="dense")
    params = {k: v for k, v in layer.get_config().items() if k not in ("name", "trainable")}
    g = ModelGraph("imported")
    x = g.add_node(INPUT, "x", {"shape": [8]})
    d = g.add_node(DENSE, "dense", params)
    g.connect(x, d)
    g.set_outputs([d])
    source = generate_code(g)
    assert 'dense = layers.Dense(64, activation="relu", name="dense")(x)' in source
    assert_same_model(run_script(source), build_model(g))


def test_awkward_layer_names_become_safe_variables():
    source = generate_code(awkward_names())
    assert 'name="my-dense.1"' in source
    for bad in ("\nlayers = ", "\nkeras = ", "\nlambda = ", "\nmodel = layers"):
        assert bad not in source
    model = run_script(source)
    assert [layer.name for layer in model.layers][-1] == "model"


def test_project_training_settings_become_compile_and_fit():
    from app.project import DataSettings, Project, TrainingSettings

    training = TrainingSettings(
        optimizer="sgd",
        learning_rate=0.05,
        losses={"predictions": "sparse_categorical_crossentropy"},
        metrics={"predictions": ["accuracy"]},
        epochs=3,
    )
    project = Project("Digits", digits_mlp(), DataSettings("sklearn.digits"), training)
    source = generate_code(project.graph, project)
    assert "optimizer=keras.optimizers.SGD(learning_rate=0.05)," in source
    assert 'loss="sparse_categorical_crossentropy"' in source
    assert "def train(model, epochs=3):" in source  # the project's epochs, unless --epochs N
    assert (
        "return model.fit(x, y, batch_size=32, epochs=epochs, validation_data=validation)" in source
    )
    assert 'parser.add_argument("--epochs", type=int, default=3' in source
    assert ruff_problems(source) == ""
    run_script(source)  # not __main__: builds the model, does not train


def test_imported_models_are_written_short_and_rebuild_the_same():
    """import_model keeps complete Keras configs; the script still uses plain constructors."""
    from app.compiler.importer import import_model

    layers = keras.layers
    x = keras.Input((10, 8), name="x")
    seq = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
    att = layers.MultiHeadAttention(2, 4)(seq, seq)
    norm = layers.LayerNormalization()(att)
    conv = layers.Conv1D(3, 2, padding="causal", dilation_rate=2)(norm)
    pooled = layers.GlobalMaxPooling1D()(conv)
    init = keras.initializers.RandomNormal(stddev=0.02, seed=4)
    dense = layers.Dense(6, activation="gelu", kernel_initializer=init)(pooled)
    head = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dropout(0.1)], name="head")
    out = layers.MaxPooling1D(pool_size=3, strides=2)(layers.Reshape((6, 1))(dense))
    model = keras.Model(x, [head(dense), out], name="imported")
    graph = import_model(model)
    source = generate_code(graph)
    assert "from_config" not in source and "deserialize_keras_object" not in source
    assert 'layers.LSTM(4, return_sequences=True, zero_output_for_mask=True, name="lstm' in source
    assert "keras.initializers.RandomNormal(seed=4, stddev=0.02)" in source
    assert 'layers.MaxPooling1D(pool_size=3, strides=2, name="max_pooling1d' in source
    assert "trained weights are not part of it" in source  # import_model keeps weights
    assert "keras.Sequential(" in source
    assert_same_model(run_script(source), build_model(graph))
    assert ruff_problems(source) == ""


def test_graph_with_an_error_gives_a_plain_compile_error():
    from app.errors import CompileError

    g = digits_mlp()
    dense = g.node_by_name("dense")
    g.set_params(dense.id, units=64)
    bad = g.add_node("keras.layers.Conv2D", "conv", {"filters": 2})
    g.connect(g.node_by_name("dropout").id, bad)
    g.set_outputs([*g.outputs, bad])
    with pytest.raises(CompileError) as err:
        generate_code(g)
    assert "conv" in str(err.value) and err.value.node_id == bad
    assert "Traceback" not in str(err.value)


def test_layers_that_lead_to_no_output_are_left_out_like_build_model():
    g = digits_mlp()
    spare = g.add_node(DENSE, "spare", {"units": 3})
    g.connect(g.node_by_name("dense").id, spare)
    source = generate_code(g)
    assert "spare" not in source
    assert_same_model(run_script(source), build_model(g))


def test_user_data_never_becomes_code():
    """Names and values are written as literals; a call argument that is no name is refused."""
    from app.errors import CompileError

    g = digits_mlp()
    g.name = 'digits"""\nimport os'
    source = generate_code(g)
    assert "\nimport os" not in source
    assert run_script(source).name == g.name
    g = digits_mlp()
    g.update_node(g.node_by_name("dropout").id, call_kwargs={"training=True, x": 1})
    with pytest.raises(CompileError):
        generate_code(g)


def test_wrapper_with_the_default_unnamed_layer():
    """An unnamed wrapped layer is written unnamed: Keras names it when the script runs."""
    g = ModelGraph("default_wrapper")
    x = g.add_node(INPUT, "seq", {"shape": [5, 3]})
    bi = chain(g, x, ("keras.layers.Bidirectional", "bi", {}))
    g.set_outputs([bi])
    source = generate_code(g)
    assert 'bi = layers.Bidirectional(layers.LSTM(32), name="bi")(seq)' in source
    made, built = run_script(source), build_model(g)
    assert made.count_params() == built.count_params()
    cfg_made, cfg_built = made.layers[1].get_config(), built.layers[1].get_config()
    for cfg in (cfg_made, cfg_built):
        for key in ("layer", "backward_layer"):
            cfg[key]["config"].pop("name")
    assert layer_config_json(cfg_made) == layer_config_json(cfg_built)


def layer_config_json(config: dict) -> object:
    return json.loads(json.dumps(config, default=list))
