"""User-written layers (CustomLayer code, Lambda expressions): never run untrusted, built when trusted."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from app.compiler import build_model, generate_code, infer_shapes
from app.compiler import custom_code as cc
from app.errors import CompileError
from app.model import ModelGraph
from app.nodes import REGISTRY
from app.nodes.custom_code_specs import DEFAULT_CODE
from app.project import Project, load_project, save_project

SCALE = textwrap.dedent(
    """\
    class Scale(keras.layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

        def call(self, inputs):
            return ops.matmul(inputs, self.w)

        def get_config(self):
            return {**super().get_config(), "units": self.units}
    """
)


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def code_graph(code: str = SCALE, class_name: str = "Scale", units: int = 3,
               expression: str | None = None) -> tuple[ModelGraph, dict[str, str]]:  # fmt: skip
    """x(5) -> CustomLayer -> [Lambda] -> Dense(2)."""
    g = ModelGraph("custom")
    ids = {"x": g.add_node("keras.Input", "x", params={"shape": [5]})}
    ids["c"] = g.add_node(
        "layerloom.CustomLayer",
        "scale",
        params={"code": code, "class_name": class_name, "config": {"units": units}},
    )
    g.connect(ids["x"], ids["c"])
    last = ids["c"]
    if expression is not None:
        ids["l"] = g.add_node("layerloom.Lambda", "lam", params={"expression": expression})
        g.connect(last, ids["l"])
        last = ids["l"]
    ids["d"] = g.add_node("keras.layers.Dense", "out", params={"units": 2})
    g.connect(last, ids["d"])
    g.set_outputs([ids["d"]])
    return g, ids


def test_specs_are_in_the_custom_category() -> None:
    names = {s.class_name for s in REGISTRY.by_category()["Custom"]}
    assert {"CustomLayer", "Lambda"} <= names
    assert REGISTRY["layerloom.CustomLayer"].kind == "custom_code"


def test_untrusted_code_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    evil = f"open({str(marker)!r}, 'w').write('ran')\n" + SCALE
    g, ids = code_graph(evil)
    report = infer_shapes(g)
    assert not marker.exists()
    msg = f"Layer 'scale' runs custom code from this project; {cc.HOW_TO_TRUST}"
    assert [p.message for p in report.errors()] == [msg]
    assert report.nodes[ids["c"]].error == msg
    assert report.nodes[ids["x"]].output_shapes == [(None, 5)]  # the rest is still checked
    with pytest.raises(CompileError, match="trust the project") as err:
        build_model(g)
    assert err.value.node_id == ids["c"]
    with pytest.raises(CompileError):
        cc.load_custom_class(evil, "Scale", "scale")
    with pytest.raises(CompileError):
        generate_code(g)
    assert not marker.exists()
    assert cc.untrusted_code_nodes(g) == [ids["c"]]
    # Trusting it runs it (once) and the problem goes away, even through an incremental engine.
    from app.compiler.infer import ShapeEngine

    engine = ShapeEngine()
    assert not engine.run(g).ok
    assert cc.trust_graph(g) == 1
    assert engine.run(g).ok and marker.exists()
    assert cc.untrusted_code_nodes(g) == []


def test_trusted_layer_builds_counts_params_and_trains() -> None:
    g, ids = code_graph(units=3, expression="ops.abs(x) * 2.0")
    cc.trust_graph(g)
    report = infer_shapes(g)
    assert report.ok, report.problems
    assert report.nodes[ids["c"]].output_shapes == [(None, 3)]
    assert report.nodes[ids["c"]].params == 5 * 3
    assert report.nodes[ids["l"]].output_shapes == [(None, 3)]
    assert report.total_params == 15 + 3 * 2 + 2
    model = build_model(g)
    assert [layer.name for layer in model.layers] == ["x", "scale", "lam", "out"]
    assert model.count_params() == report.total_params
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 5), "float32"), np.zeros((4, 2), "float32")
    before = model.get_layer("scale").get_weights()[0].copy()
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert not np.allclose(before, model.get_layer("scale").get_weights()[0])


def test_default_code_is_trusted_and_builds() -> None:
    g = ModelGraph("d")
    x = g.add_node("keras.Input", "x", params={"shape": [6]})
    c = g.add_node("layerloom.CustomLayer", "linear")
    lam = g.add_node("layerloom.Lambda", "lam")
    g.connect(x, c)
    g.connect(c, lam)
    g.set_outputs([lam])
    assert cc.is_trusted(DEFAULT_CODE) and cc.untrusted_code_nodes(g) == []
    report = infer_shapes(g)
    assert report.ok, report.problems
    assert report.nodes[c].output_shapes == [(None, 32)]
    assert report.nodes[c].params == 6 * 32 + 32


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("class Scale(keras.layers.Layer):\n    def call(self, x)\n        return x\n",
         "Custom layer 'scale': line 2: SyntaxError: expected ':'"),
        ("import os\nfoo\n", "Custom layer 'scale': line 2: NameError: name 'foo' is not defined"),
        ("x = 1\n", "Custom layer 'scale': the code defines no class 'Scale'"),
        ("class Other(keras.layers.Layer):\n    pass\n",
         "Custom layer 'scale': the code defines no class 'Scale' (it defines Other: set "
         "class_name to one)"),
        ("Scale = 3\n", "Custom layer 'scale': 'Scale' is not a subclass of keras.layers.Layer"),
        ("class Scale(keras.layers.Layer):\n    def __init__(self, units):\n"
         "        super().__init__()\n",
         "Custom layer 'scale': its __init__ must take **kwargs"),
        ("class Scale(keras.layers.Layer):\n    def __init__(self, units, **kw):\n"
         "        super().__init__(**kw)\n\n    def call(self, x):\n        return foo + x\n",
         "Custom layer 'scale': line 6: NameError: name 'foo' is not defined"),
    ],
)  # fmt: skip
def test_errors_in_code_are_plain_with_line_numbers(code: str, message: str) -> None:
    g, ids = code_graph(code)
    cc.trust(code)
    report = infer_shapes(g)
    assert report.nodes[ids["c"]].error.startswith(message), report.nodes[ids["c"]].error
    assert "Traceback" not in report.nodes[ids["c"]].error
    with pytest.raises(CompileError, match="^Custom layer 'scale': "):
        build_model(g)


def test_lambda_expression_and_its_errors() -> None:
    g = ModelGraph("lam")
    a = g.add_node("keras.Input", "a", params={"shape": [3]})
    b = g.add_node("keras.Input", "b", params={"shape": [3]})
    cat = g.add_node(
        "layerloom.Lambda", "cat", params={"expression": "ops.concatenate(x, axis=-1)"}
    )
    g.connect(a, cat)
    g.connect(b, cat)
    g.set_outputs([cat])
    cc.trust_graph(g)
    report = infer_shapes(g)
    assert report.ok and report.nodes[cat].output_shapes == [(None, 6)]
    model = build_model(g)
    out = model.predict([np.ones((2, 3)), np.zeros((2, 3))], verbose=0)
    np.testing.assert_allclose(out, [[1, 1, 1, 0, 0, 0]] * 2)
    for expr, msg in [
        ("x +", "Lambda 'cat': line 1: SyntaxError"),
        ("ops.nope(x)", "Lambda 'cat': line 1: AttributeError"),
    ]:
        g.set_params(cat, expression=expr)
        cc.trust(expr)
        error = infer_shapes(g).nodes[cat].error
        assert error.startswith(msg), error


def test_lambda_may_name_its_argument_inputs() -> None:
    g = ModelGraph("lam")
    a = g.add_node("keras.Input", "a", params={"shape": [3]})
    b = g.add_node("keras.Input", "b", params={"shape": [3]})
    lam = g.add_node("layerloom.Lambda", "diff", params={"expression": "inputs[0] - inputs[1]"})
    g.connect(a, lam)
    g.connect(b, lam)
    g.set_outputs([lam])
    cc.trust_graph(g)
    out = build_model(g).predict([np.ones((1, 3)), np.ones((1, 3)) * 3], verbose=0)
    np.testing.assert_allclose(out, [[-2, -2, -2]])
    assert 'layers.Lambda(lambda inputs: inputs[0] - inputs[1], name="diff")' in generate_code(g)


def test_lambda_output_shape_param() -> None:
    g = ModelGraph("lam")
    a = g.add_node("keras.Input", "a", params={"shape": [4]})
    lam = g.add_node(
        "layerloom.Lambda", "half", params={"expression": "x[:, :2]", "output_shape": [2]}
    )
    g.connect(a, lam)
    g.set_outputs([lam])
    cc.trust_graph(g)
    assert build_model(g).output_shape == (None, 2)


def test_generated_script_runs_standalone_and_matches(tmp_path: Path) -> None:
    g, _ = code_graph(units=3, expression="x * 2.0")
    # a second layer with the same code: its class is written once
    extra = g.add_node(
        "layerloom.CustomLayer", "scale_2",
        params={"code": SCALE, "class_name": "Scale", "config": {"units": 2}},
    )  # fmt: skip
    g.connect(g.node_by_name("lam").id, extra)
    g.set_outputs([g.node_by_name("out").id, extra])
    cc.trust_graph(g)
    script = generate_code(g)
    assert script.count("class Scale(keras.layers.Layer):") == 1
    assert SCALE.strip().splitlines()[3] in script  # the user's source, verbatim
    assert 'Scale(units=3, name="scale")' in script
    assert 'layers.Lambda(lambda x: x * 2.0, name="lam")' in script
    model = build_model(g)
    path = tmp_path / "model_script.py"
    path.write_text(
        script
        + "\nimport json\n"
        + "print('RESULT', json.dumps([model.count_params(), "
        + "[l.name for l in model.layers], [list(o.shape) for o in model.outputs]]))\n"
    )
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=240, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    import json

    count, names, shapes = json.loads(line[len("RESULT ") :])
    assert count == model.count_params()
    assert names == [layer.name for layer in model.layers]
    assert shapes == [list(o.shape) for o in model.outputs]


def test_saving_a_model_with_a_custom_layer(tmp_path: Path) -> None:
    from app.compiler import load_keras_file
    from app.compiler.keras_file import ProjectCodeModelError
    from app.errors import UnsafeModelError

    g, _ = code_graph()
    cc.trust_graph(g)
    model = build_model(g)
    path = tmp_path / "m.keras"
    model.save(path)
    # Reopening as a project graph stays strict: the file alone cannot vouch for the code, and
    # the refusal says LayerLoom wrote it and where the code is.
    with pytest.raises(ProjectCodeModelError) as refused:
        load_keras_file(path)
    assert refused.value.class_names == ["Scale"]
    assert str(refused.value).startswith(
        "m.keras was saved by LayerLoom from a project with custom layer code (Scale). That "
        "code is kept in the project, not in the .keras file"
    )
    assert isinstance(refused.value, UnsafeModelError) and refused.value.path == str(path)


def test_project_keeps_code_and_loads_it_untrusted(tmp_path: Path) -> None:
    g, ids = code_graph(expression="x + 1.0")
    cc.trust_graph(g)
    path = tmp_path / "p.llproj"
    save_project(Project(name="p", graph=g), path)
    cc.forget_trust()
    loaded = load_project(path)
    assert loaded.graph.node(ids["c"]).params["code"] == SCALE
    assert loaded.graph.node(ids["l"]).params["expression"] == "x + 1.0"
    assert not loaded.trusted_code
    assert sorted(cc.untrusted_code_nodes(loaded.graph)) == sorted([ids["c"], ids["l"]])
    report = infer_shapes(loaded.graph)
    assert [p.node_id for p in report.errors()] == [ids["c"]]  # the Lambda after it waits
    assert report.nodes[ids["l"]].waiting


def test_code_inside_a_block_is_found_and_trusted() -> None:
    g, ids = code_graph()
    g.group([ids["c"], ids["d"]], name="inner")
    assert cc.untrusted_code_nodes(g) == [ids["c"]]
    report = infer_shapes(g)
    assert any("trust the project" in p.message for p in report.errors())
    cc.trust_graph(g)
    assert infer_shapes(g).ok
