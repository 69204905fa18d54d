"""Generated scripts read data with the registry's own reading functions, pasted in: every source
gives a call a script can hold, and the script reads what the app reads."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from script_checks import ruff_problems

from app.compiler import custom_code, generate_code
from app.compiler.codegen_expr import literal
from app.compiler.codegen_source import CustomSource
from app.data import SOURCES, DataSource, load_dataset
from app.data.source import ReaderCall
from app.model import ModelGraph
from app.project import DataSettings, Project, TrainingSettings

keras = pytest.importorskip("keras")


def dense_graph(width: int, units: int = 3, activation: str = "softmax") -> ModelGraph:
    g = ModelGraph("reader")
    x = g.add_node("keras.Input", "x", {"shape": [width]})
    out = g.add_node("keras.layers.Dense", "y", {"units": units, "activation": activation})
    g.connect(x, out)
    g.set_outputs([out])
    return g


def script_data(project: Project) -> tuple[str, tuple]:
    """The generated script (ruff-clean, no `app` import) and what its load_data() returns."""
    source = generate_code(project.graph, project)
    assert "Training is not written" not in source, source
    assert ruff_problems(source) == ""
    assert "import app" not in source and "from app" not in source
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - the code under test
    return source, namespace["load_data"]()


def assert_same(got: Any, want: Any) -> None:
    np.testing.assert_allclose(np.asarray(got, "float64"), np.asarray(want, "float64"), rtol=1e-6)


# ----- a new source is one registry entry ------------------------------------------------------


def read_squares(count: int, offset: float = 0.0) -> dict[str, Any]:
    """Numbers 0..count-1 (plus offset) as inputs, their squares' parity as classes."""
    x = np.arange(count, dtype=np.float32)[:, None] + offset
    return {"x": {"x": x}, "y": {"y": (np.arange(count) ** 2 % 2).astype(np.int64)}}


class SquaresSource(DataSource):
    """A source that exists only in this test."""

    id = "test.squares"
    title = "Squares"
    kind = "file"
    options: ClassVar = ()

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        return ReaderCall(read_squares, {"count": options["count"], "offset": 0.5})


def test_a_new_data_source_is_one_registry_entry():
    SOURCES.register(SquaresSource())
    try:
        data = DataSettings("test.squares", {"count": 40}, validation_split=0.25, seed=3)
        project = Project("Squares", dense_graph(1, 2), data, TrainingSettings())
        source, ((x, y), (x_val, y_val)) = script_data(project)
        assert "def read_squares(count: int, offset: float = 0.0)" in source
        assert "data = read_squares(count=40, offset=0.5)" in source
        want = load_dataset(project.data_config())
        for got, arr in ((x, want.x["x"]), (y, want.y["y"]), (x_val, want.x_val["x"])):
            assert_same(got, arr)
        assert_same(y_val, want.y_val["y"])
    finally:
        del SOURCES.sources["test.squares"]


# ----- every registered source ------------------------------------------------------------------


def _options(source_id: str, tmp_path) -> dict[str, Any]:
    return {
        "csv": {"path": str(tmp_path / "t.csv")},
        "numpy": {"path": str(tmp_path / "t.npz")},
        "image_folder": {"path": str(tmp_path)},
        "text_folder": {"path": str(tmp_path)},
    }.get(source_id, {})


def test_every_source_reads_with_a_function_a_script_can_hold(tmp_path):
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    for src in SOURCES:
        call = src.reader({**_options(src.id, tmp_path), "seed": 1}, model)
        for value in call.kwargs.values():
            literal(value)  # plain data: raises for anything a script cannot spell
        pasted = CustomSource([call.function])
        assert not [m for m, _, _ in pasted.imports if m.split(".")[0] == "app"], src.id
        code = "\n\n".join("\n".join(lines) for lines in pasted.definitions())
        namespace: dict = {}
        exec(compile(code, src.id, "exec"), namespace)  # noqa: S102 - defines functions only
        assert callable(namespace[call.function.__name__]), src.id


def test_numpy_arrays_with_their_own_validation_set(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "arrays" / ("a_rather_long_folder_name_for_a_path_to_wrap" * 2) / "d.npz"
    path.parent.mkdir(parents=True)
    np.savez(path, a=rng.normal(size=(30, 4)), lab=rng.integers(0, 3, 30),
             va=rng.normal(size=(8, 4)), vl=rng.integers(0, 3, 8))  # fmt: skip
    options = {"path": str(path), "x": ["a"], "y": ["lab"], "x_val": ["va"], "y_val": ["vl"]}
    data = DataSettings("numpy", options, validation="source", normalization="minmax")
    project = Project("Arrays", dense_graph(4), data, TrainingSettings())
    source, ((x, y), (x_val, y_val)) = script_data(project)
    assert len(str(path)) > 100 and "    path = (\n" in source  # split over lines
    want = load_dataset(project.data_config())
    for got, arr in ((x, want.x["a"]), (y, want.y["lab"]), (x_val, want.x_val["a"])):
        assert_same(got, arr)
    assert_same(y_val, want.y_val["lab"])


def test_npz_default_targets_are_read_only_when_the_file_has_them(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "xy.npz", x=rng.normal(size=(20, 4)), y=rng.integers(0, 3, 20))
    np.savez(tmp_path / "x.npz", x=rng.normal(size=(20, 4)))
    for name, y_names in (("xy.npz", ("y",)), ("x.npz", ())):
        call = SOURCES["numpy"].reader({"path": str(tmp_path / name)})
        assert call.y_names == y_names
        assert tuple(call.run()["y"]) == y_names
    call = SOURCES["numpy"].reader({"path": str(tmp_path / "xy.npz"), "y": []})
    assert call.y_names == () and call.run()["y"] == {}  # chosen: no targets


def test_image_folder_script_reads_the_same_images(tmp_path):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    for cls, value in (("cats", 30), ("dogs", 220)):
        (tmp_path / "pics" / cls).mkdir(parents=True)
        for i in range(5):
            img = np.clip(value + rng.integers(-20, 20, (9, 7, 3)), 0, 255).astype("uint8")
            (tmp_path / "pics" / cls / f"{i}.png").write_bytes(tf.io.encode_png(img).numpy())
    g = ModelGraph("pics")
    x = g.add_node("keras.Input", "x", {"shape": [6, 6, 1]})
    flat = g.add_node("keras.layers.Flatten", "flat")
    out = g.add_node("keras.layers.Dense", "y", {"units": 2, "activation": "softmax"})
    g.connect(x, flat)
    g.connect(flat, out)
    g.set_outputs([out])
    options = {"path": str(tmp_path / "pics"), "image_size": [6, 6], "color_mode": "grayscale"}
    data = DataSettings("image_folder", options, validation_split=0.2, seed=2)
    project = Project("Pictures", g, data, TrainingSettings())
    _, ((x, y), (x_val, y_val)) = script_data(project)
    want = load_dataset(project.data_config())
    for got, arr in ((x, want.x["x"]), (y, want.y["y"]), (x_val, want.x_val["x"])):
        assert_same(got, arr)
    assert_same(y_val, want.y_val["y"])


def test_text_script_reads_the_same_strings_and_feeds_them_as_tf_strings(tmp_path):
    import tensorflow as tf

    rows = [
        f"ticket {i} about {'refund login parcel'.split()[i % 3]},{'abc'[i % 3]}" for i in range(12)
    ]
    (tmp_path / "t.csv").write_text("text,team\n" + "\n".join(rows) + "\n", encoding="utf-8")
    g = ModelGraph("texts")
    x = g.add_node("keras.Input", "text", {"shape": [], "dtype": "string"})
    vec = g.add_node("keras.layers.TextVectorization", "vec",
                     {"vocabulary": ["refund", "login", "parcel"], "output_mode": "multi_hot"})  # fmt: skip
    out = g.add_node("keras.layers.Dense", "team", {"units": 3, "activation": "softmax"})
    g.connect(x, vec)
    g.connect(vec, out)
    g.set_outputs([out])
    data = DataSettings("csv", {"path": str(tmp_path / "t.csv"), "target": "team"},
                        validation_split=0.25, seed=4)  # fmt: skip
    project = Project("Texts", g, data, TrainingSettings())
    source, ((x, y), (x_val, y_val)) = script_data(project)
    assert "import tensorflow as tf" in source
    want = load_dataset(project.data_config())
    assert isinstance(x, tf.Tensor) and x.dtype == tf.string
    assert [v.decode() for v in x.numpy()] == want.x["text"].tolist()
    assert [v.decode() for v in x_val.numpy()] == want.x_val["text"].tolist()
    assert_same(y, want.y["team"])


def test_a_name_the_reader_needs_that_project_code_took_is_reported(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,kind\n1,2,x\n3,4,y\n5,6,x\n", encoding="utf-8")
    code = (
        "class MISSING(keras.layers.Layer):\n    def call(self, inputs):\n        return inputs\n"
    )
    g = ModelGraph("clash")
    x = g.add_node("keras.Input", "x", {"shape": [2]})
    c = g.add_node("layerloom.CustomLayer", "same", {"code": code, "class_name": "MISSING",
                                                     "config": {}})  # fmt: skip
    out = g.add_node("keras.layers.Dense", "y", {"units": 2})
    g.connect(x, c)
    g.connect(c, out)
    g.set_outputs([out])
    data = DataSettings("csv", {"path": str(tmp_path / "t.csv")})
    custom_code.trust(code)
    try:
        source = generate_code(g, Project("Clash", g, data, TrainingSettings()))
    finally:
        custom_code.forget_trust()
    assert "# Training is not written: The project's code already uses the name 'MISSING'" in (
        source
    )
    assert ruff_problems(source) == ""
