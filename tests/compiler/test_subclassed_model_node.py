"""A subclassed keras.Model (layers made in __init__, a call method) used as a CustomLayer node:
checked, counted, built, trained, saved, written into scripts, and read back from .keras files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from app.compiler import build_model, generate_code, import_model, infer_shapes
from app.compiler import custom_code as cc
from app.errors import CompileError, ImportModelError
from app.model import ModelGraph
from app.nodes.custom_layer_code import chosen_class, layer_classes
from app.project import Project, load_project, save_project
from app.project.settings import DataSettings, TrainingSettings
from app.training.headless import RunHooks, train_project

# The Keras guides' Classifier: a keras.Model subclass with its layers made in __init__.
CLASSIFIER = textwrap.dedent(
    """\
    class Scale(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 0.5


    class Classifier(keras.Model):
        def __init__(self, num_classes=3, **kwargs):
            super().__init__(**kwargs)
            self.num_classes = num_classes
            self.scale = Scale()
            self.dense1 = keras.layers.Dense(8, activation="relu")
            self.dense2 = keras.layers.Dense(num_classes, activation="softmax")

        def call(self, inputs):
            return self.dense2(self.dense1(self.scale(inputs)))

        def get_config(self):
            return {**super().get_config(), "num_classes": self.num_classes}
    """
)


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def classifier_graph() -> ModelGraph:
    """x(5) -> Classifier 'clf'(3 classes, softmax), the model's output."""
    g = ModelGraph("clf_model")
    x = g.add_node("keras.Input", "x", params={"shape": [5]})
    c = g.add_node(
        "layerloom.CustomLayer",
        "clf",
        params={"code": CLASSIFIER, "class_name": "Classifier", "config": {"num_classes": 3}},
    )
    g.connect(x, c)
    g.set_outputs([c])
    return g


def classifier_project(folder: Path) -> Project:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)  # classes 0..2, learnable
    np.savez(folder / "d.npz", x=x, y=y)
    data = {"source": "numpy", "options": {"path": "d.npz", "x": ["x"], "y": ["y"]}}
    return Project(
        graph=classifier_graph(),
        data=DataSettings.from_dict(data),
        training=TrainingSettings.from_dict({"epochs": 6, "batch_size": 16, "learning_rate": 0.02}),
        base_dir=folder,
    )


def test_the_model_class_is_the_one_a_custom_layer_picks() -> None:
    classes = layer_classes(CLASSIFIER)
    assert [(c.name, c.is_layer) for c in classes] == [("Scale", True), ("Classifier", True)]
    assert chosen_class(classes, None).name == "Classifier"
    assert classes[1].defaults == {"num_classes": 3}


def test_shapes_parameters_and_build_match_keras() -> None:
    g = classifier_graph()
    cc.trust_graph(g)
    report = infer_shapes(g)
    assert report.ok, report.problems
    clf = next(n for n in g.nodes() if n.name == "clf")
    assert report.nodes[clf.id].output_shapes == [(None, 3)]
    assert report.nodes[clf.id].params == (5 * 8 + 8) + (8 * 3 + 3)
    model = build_model(g)
    assert model.count_params() == report.total_params == 75
    assert type(model.get_layer("clf")).__name__ == "Classifier"


def test_untrusted_model_code_is_refused() -> None:
    with pytest.raises(CompileError, match="trust the project"):
        build_model(classifier_graph())


def test_it_trains_saves_and_loads_back(tmp_path: Path) -> None:
    project = classifier_project(tmp_path)
    cc.trust_graph(project.graph)
    hooks = RunHooks()
    rec = train_project(project, out_dir=tmp_path / "runs", hooks=hooks)
    assert rec.status == "completed", rec.message
    losses = [row["loss"] for row in hooks.history]
    assert losses[-1] < losses[0]
    assert "accuracy" in hooks.history[-1]  # the softmax output got a classification loss
    assert (Path(rec.path) / "final.keras").exists()
    save_project(project, tmp_path / "p.llproj")
    cc.forget_trust()
    back = load_project(tmp_path / "p.llproj")
    with pytest.raises(CompileError, match="trust the project"):
        build_model(back.graph)
    cc.trust_graph(back.graph)
    assert build_model(back.graph).count_params() == 75


def test_generated_script_builds_and_trains_it(tmp_path: Path) -> None:
    project = classifier_project(tmp_path)
    cc.trust_graph(project.graph)
    source = generate_code(project.graph, project)
    assert "class Classifier(keras.Model):" in source
    assert "Training is not written" not in source
    (tmp_path / "s.py").write_text(source)
    done = subprocess.run(
        [sys.executable, "s.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "accuracy:" in done.stdout


def test_a_keras_file_holding_it_imports_only_with_its_class_known(tmp_path: Path) -> None:
    g = classifier_graph()
    cc.trust_graph(g)
    model = build_model(g)
    with pytest.raises(ImportModelError, match="Classifier") as err:
        import_model(model)  # a class LayerLoom does not know: named, not read as a block
    assert "Functional and Sequential" not in err.value.message
    plain = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    assert len(import_model(plain)) == 2  # Sequential models still import as graphs


def test_its_run_and_export_open_as_a_graph_with_the_projects_class(tmp_path: Path) -> None:
    """Train -> the run's final.keras and an exported .keras -> open them with the project's
    class: a CustomLayer node of that class, the same predictions. Without the class, or with
    it untrusted, the file is refused in words and nothing runs."""
    from app.compiler.keras_file import load_keras_file
    from app.errors import UnsafeModelError
    from app.training.export import export_keras
    from app.training.run_model import project_defines, run_model_graph

    marker = tmp_path / "ran.txt"
    project = classifier_project(tmp_path)
    clf = next(n for n in project.graph.nodes() if n.name == "clf")
    clf.params["code"] = CLASSIFIER + f"\nopen({str(marker)!r}, 'a').write('ran')\n"
    cc.trust_graph(project.graph)
    hooks = RunHooks()
    rec = train_project(project, out_dir=tmp_path / "runs", hooks=hooks)
    assert rec.status == "completed", rec.message
    exported = export_keras(hooks.model, tmp_path / "exported.keras")
    x = np.random.default_rng(1).normal(size=(7, 5)).astype("float32")
    expected = np.asarray(hooks.model(x))
    for file in (Path(rec.path) / "final.keras", exported):
        with pytest.raises(UnsafeModelError, match="Classifier"):
            load_keras_file(file)  # LayerLoom alone does not know the class
        graph = run_model_graph(file, project)
        node = next(n for n in graph.nodes() if n.spec_id == "layerloom.CustomLayer")
        assert node.params["class_name"] == "Classifier"
        assert node.params["config"] == {"num_classes": 3}
        assert node.params["code"] == clf.params["code"]
        np.testing.assert_allclose(np.asarray(build_model(graph)(x)), expected, rtol=1e-5)

    # A fresh process' view: the project read back, its code not trusted yet.
    save_project(project, tmp_path / "p.llproj")
    cc.forget_trust()
    marker.unlink()
    back = load_project(tmp_path / "p.llproj")
    assert project_defines(back, ["Classifier"]) and not project_defines(back, ["Other"])
    with pytest.raises(CompileError, match="trust the project"):
        run_model_graph(exported, back)
    assert not marker.exists()
    other = Project(graph=ModelGraph("empty"))
    with pytest.raises(UnsafeModelError, match="no longer defines"):
        run_model_graph(exported, other)
