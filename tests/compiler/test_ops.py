"""keras.ops calls on symbolic tensors and Keras-internal layers: import, shapes, build, code."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers, ops

from app.compiler import build_model, generate_code, import_model, infer_shapes, load_keras_file
from app.errors import CompileError, ImportModelError, UnsafeModelError
from app.model import ModelGraph
from app.nodes import REGISTRY


def ops_model() -> keras.Model:
    """The guides' style of functional code: operators and keras.ops on layer outputs."""
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    h = layers.Dense(4, name="dense")(a)
    s = h + b
    half = s * 0.5
    mean = ops.mean(half, axis=1)
    joined = ops.concatenate([a, b], axis=-1)
    flipped = 2.0 - joined
    out = layers.Dense(3, name="head")(flipped)
    return keras.Model([a, b], [half, mean, out], name="with_ops")


def _structure(model: keras.Model) -> list:
    """Every operation's name, class and inbound connectivity, from the model's config."""
    entries = model.get_config()["layers"]
    return [
        (e["name"], e["module"], e["class_name"], json.dumps(e["inbound_nodes"], sort_keys=True))
        for e in sorted(entries, key=lambda e: e["name"])
    ]


def _inputs(n: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.random((n, 4), dtype=np.float32) for _ in range(2)]


def _same_outputs(m1: keras.Model, m2: keras.Model, xs) -> None:
    for y1, y2 in zip(m1.predict(xs, verbose=0), m2.predict(xs, verbose=0), strict=True):
        np.testing.assert_allclose(y1, y2, rtol=1e-5, atol=1e-6)


def test_operations_import_as_op_nodes_with_their_constants():
    graph = import_model(ops_model())
    nodes = {n.spec_id.rsplit(".", 1)[-1]: n for n in graph.nodes()}  # op names count up
    assert nodes["add"].spec_id == "keras.ops.add" and nodes["add"].params == {}
    assert nodes["multiply"].params == {"x2_value": 0.5}
    assert nodes["mean"].spec_id == "keras.ops.mean" and nodes["mean"].params == {"axis": 1}
    assert nodes["concatenate"].params == {}  # axis=-1 is the spec default
    assert nodes["subtract"].params == {"x1_value": 2.0}
    ports = {e.port for e in graph.in_edges(nodes["subtract"].id)}
    assert ports == {"x2"}  # the constant stands in for x1
    slots = [(e.port, e.slot) for e in graph.in_edges(nodes["concatenate"].id)]
    assert slots == [("xs", 0), ("xs", 1)]


def test_ops_model_round_trips_with_same_structure_and_outputs():
    model = ops_model()
    graph = import_model(model)
    report = infer_shapes(graph)
    assert report.ok, report.problems
    assert report.total_params == model.count_params()
    mean = next(n for n in graph.nodes() if n.spec_id == "keras.ops.mean")
    assert report.nodes[mean.id].output_shapes == [(None,)]
    rebuilt = build_model(graph)
    assert _structure(rebuilt) == _structure(model)
    assert rebuilt.count_params() == model.count_params()
    _same_outputs(model, rebuilt, _inputs())


def test_generated_code_calls_keras_ops_and_builds_the_same_model():
    model = ops_model()
    source = generate_code(import_model(model))
    assert re.search(r"= keras\.ops\.multiply\(add\w*, 0\.5\)\n", source)
    assert re.search(r"= keras\.ops\.mean\(multiply\w*, axis=1\)\n", source)
    assert re.search(r"= keras\.ops\.subtract\(2\.0, concatenate\w*\)\n", source)
    namespace: dict = {}
    exec(
        compile(source.replace('if __name__ == "__main__":', "if False:"), "gen", "exec"), namespace
    )
    made = namespace["model"]
    assert made.count_params() == model.count_params()
    for layer in model.layers:
        made.get_layer(layer.name).set_weights(layer.get_weights())
    _same_outputs(model, made, _inputs())


def test_op_nodes_added_on_the_canvas():
    g = ModelGraph("canvas")
    x = g.add_node("keras.Input", "x", params={"shape": [6]})
    y = g.add_node("keras.Input", "y", params={"shape": [6]})
    mul = g.add_node("keras.ops.multiply", "scaled", params={"x2_value": 3})
    add = g.add_node("keras.ops.add", "summed")
    cat = g.add_node("keras.ops.concatenate", "joined")
    red = g.add_node("keras.ops.sum", "total", params={"axis": -1, "keepdims": True})
    g.connect(x, mul, port="x1")
    g.connect(mul, add, port="x1")
    g.connect(y, add, port="x2")
    g.connect(add, cat)
    g.connect(x, cat)
    g.connect(cat, red)
    g.set_outputs([red, cat])
    report = infer_shapes(g)
    assert report.ok, report.problems
    assert report.nodes[cat].output_shapes == [(None, 12)]
    assert report.nodes[red].output_shapes == [(None, 1)]
    model = build_model(g)
    xs = [np.ones((2, 6), np.float32), np.full((2, 6), 2.0, np.float32)]
    total, _ = model.predict(xs, verbose=0)
    np.testing.assert_allclose(total, np.full((2, 1), 6 * 5.0 + 6 * 1.0))


def test_unconnected_operand_without_constant_is_a_plain_problem():
    g = ModelGraph("m")
    x = g.add_node("keras.Input", "x", params={"shape": [3]})
    mul = g.add_node("keras.ops.multiply", "times")
    g.connect(x, mul, port="x1")
    g.set_outputs([mul])
    report = infer_shapes(g)
    assert not report.ok
    assert "multiply 'times'" in report.problems[0].message
    assert "x2 is not connected" in report.problems[0].message
    with pytest.raises(CompileError):
        build_model(g)


def test_operation_without_curated_spec_uses_the_generic_op_node():
    a = keras.Input((5,), name="a")
    out = ops.cumsum(layers.Dense(5, name="d")(a), axis=1)
    model = keras.Model(a, out)
    graph = import_model(model)
    node = next(n for n in graph.nodes() if n.spec_id == "layerloom.KerasOp")
    assert node.params["module"] == "keras.src.ops.numpy"
    assert node.params["class_name"] == "Cumsum"
    assert node.params["args"] == [{"__input__": 0}]
    rebuilt = build_model(graph)
    assert _structure(rebuilt) == _structure(model)
    x = np.random.default_rng(1).random((2, 5), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), rebuilt.predict(x, verbose=0))
    source = generate_code(graph)
    assert "keras.saving.deserialize_keras_object(" in source
    namespace: dict = {}
    exec(
        compile(source.replace('if __name__ == "__main__":', "if False:"), "gen", "exec"), namespace
    )
    assert namespace["model"].output.shape == (None, 5)


@pytest.mark.parametrize(
    ("spec_id", "params", "message"),
    [
        ("layerloom.KerasOp", {"module": "os", "class_name": "system"}, "keras.src.ops"),
        (
            "layerloom.KerasOp",
            {"module": "keras.src.layers.core.lambda_layer", "class_name": "Lambda"},
            "keras.src.ops",
        ),
        (
            "layerloom.KerasLayer",
            {"module": "keras.src.layers.core.lambda_layer", "class_name": "Lambda"},
            "keras.src.applications",
        ),
        (
            "layerloom.KerasLayer",
            {"module": "subprocess", "class_name": "Popen", "config": {}},
            "keras.src.applications",
        ),
        (
            "layerloom.KerasLayer",
            {
                "module": "keras.src.applications.convnext",
                "class_name": "LayerScale",
                "config": {
                    "init_values": {"module": "builtins", "class_name": "function",
                                    "config": "eval", "registered_name": None},
                    "projection_dim": 3,
                },
            },
            "not from Keras",
        ),
    ],
)  # fmt: skip
def test_generic_nodes_load_classes_only_from_keras(spec_id, params, message):
    g = ModelGraph("m")
    x = g.add_node("keras.Input", "x", params={"shape": [3]})
    node = g.add_node(spec_id, "suspect", params={**REGISTRY[spec_id].defaults(), **params})
    g.connect(x, node)
    g.set_outputs([node])
    report = infer_shapes(g)
    assert not report.ok
    assert "'suspect'" in report.problems[0].message
    assert message in report.problems[0].message


def test_operation_class_from_outside_keras_is_refused():
    from keras.src.ops.operation import Operation

    class Twice(Operation):
        def call(self, x):
            return x * 2

        def compute_output_spec(self, x):
            return keras.KerasTensor(x.shape, x.dtype)

    a = keras.Input((3,), name="a")
    model = keras.Model(a, Twice(name="twice")(layers.Dense(3, name="d")(a)))
    with pytest.raises(ImportModelError, match="'twice'.*not a Keras layer or keras.ops"):
        import_model(model)


def test_saved_ops_model_loads_and_a_foreign_op_module_is_refused(tmp_path: Path):
    model = ops_model()
    path = tmp_path / "ops.keras"
    model.save(path)
    graph = load_keras_file(path)
    _same_outputs(model, build_model(graph), _inputs())

    bad = tmp_path / "evil.keras"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                for entry in config["config"]["layers"]:
                    if entry["class_name"] == "Add":
                        entry["module"] = "evil_ops"
                data = json.dumps(config).encode()
            zout.writestr(info.filename, data)
    with pytest.raises(UnsafeModelError, match=r"'add\w*' \(Add\).*module 'evil_ops'"):
        load_keras_file(bad)


def test_internal_layer_spec_builds_on_the_canvas():
    g = ModelGraph("m")
    x = g.add_node("keras.Input", "x", params={"shape": [8]})
    scale = g.add_node("layerloom.KerasLayer", "scale")
    g.connect(x, scale)
    g.set_outputs([scale])
    report = infer_shapes(g)
    assert report.ok, report.problems
    assert report.total_params == 8
    model = build_model(g)
    assert type(model.get_layer("scale")).__name__ == "LayerScale"


def _op_specs():
    return [s for s in REGISTRY.values() if s.kind in ("op", "keras_layer")]


@pytest.mark.parametrize("spec", _op_specs(), ids=lambda s: s.id)
def test_every_op_spec_builds_from_its_defaults(spec):
    """Dropped on the canvas with its example inputs, each op node infers, builds and writes."""
    g = ModelGraph("one")
    node = g.add_node(spec.id, "op_node")
    for i, (shape, dtype) in enumerate(spec.extra["example_inputs"]):
        src = g.add_node("keras.Input", f"in{i}", params={"shape": shape, "dtype": dtype})
        g.connect(src, node, port=spec.inputs[min(i, len(spec.inputs) - 1)].name)
    g.set_outputs([node])
    report = infer_shapes(g)
    assert report.ok, report.problems
    model = build_model(g)
    assert tuple(model.output.shape) == report.nodes[node].output_shapes[0]
    namespace: dict = {}
    source = generate_code(g)
    exec(
        compile(source.replace('if __name__ == "__main__":', "if False:"), "gen", "exec"), namespace
    )
    assert tuple(namespace["model"].output.shape) == tuple(model.output.shape)
