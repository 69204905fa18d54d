"""Generated scripts load the project's data, compile, fit with callbacks: they reproduce a run."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from script_checks import ruff_problems

from app.compiler import build_model, generate_code
from app.model import ModelGraph
from app.project import DataSettings, Project, TrainingSettings, load_project, save_project
from app.project.examples import example_path, list_examples


def run_main(source: str, folder) -> dict[str, float]:
    """Run the script as a program (isolated, in `folder`); the metrics it prints."""
    script = folder / "train_model.py"
    script.write_text(source)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-I", str(script)], cwd=folder, capture_output=True,
                          text=True, timeout=300, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Total params" in done.stdout  # model.summary()
    return {m[1]: float(m[2]) for m in re.finditer(r"^(\w+): ([-\d.e]+)$", done.stdout, re.M)}


def build_only(source: str):
    namespace: dict = {"__name__": "generated_model"}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - the code under test
    return namespace["model"]


def test_digits_script_trains_like_layerloom(tmp_path):
    from app.training import train_project

    project = load_project(example_path("digits_mlp"))
    project.training.epochs = 2
    source = generate_code(project.graph, project)
    assert ruff_problems(source) == ""
    assert "from sklearn import datasets" in source and "import app" not in source
    assert "keras.callbacks.ModelCheckpoint(" in source
    assert build_only(source).count_params() == build_model(project.graph).count_params()

    printed = run_main(source, tmp_path)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(printed)
    assert (tmp_path / "training_output" / "best.keras").is_file()
    # The same data, split, seed and settings: the script reproduces LayerLoom's run.
    record = train_project(project, out_dir=tmp_path / "runs")
    for key in ("loss", "val_loss", "val_accuracy"):
        assert printed[key] == pytest.approx(record.final_metrics[key], abs=2e-3), key


def _tabular_graph() -> ModelGraph:
    g = ModelGraph("tabular")
    x = g.add_node("keras.Input", "features", {"shape": [5]})
    h = g.add_node("keras.layers.Dense", "hidden", {"units": 8, "activation": "relu"})
    kind = g.add_node("keras.layers.Dense", "kind", {"units": 3})  # logits: from_logits=True
    g.connect(x, h)
    g.connect(h, kind)
    g.set_outputs([kind])
    return g


def _write_csv(path) -> None:
    rng = np.random.default_rng(1)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["a", "b", "colour", "c", "kind"])
        for i in range(120):
            colour = ["red", "green", ""][i % 3]
            a = "" if i == 7 else f"{rng.normal():.3f}"
            w.writerow([a, f"{rng.normal():.3f}", colour, i % 5, ["x", "y", "z"][i % 3]])


def test_every_setting_is_written_and_the_script_runs(tmp_path):
    _write_csv(tmp_path / "table.csv")
    data = DataSettings("csv", {"path": "table.csv", "target": "kind"}, normalization="standard",
                        max_samples=100, validation_split=0.25, seed=4)  # fmt: skip
    cb = [
        {"class_name": "EarlyStopping", "params": {"patience": 2, "monitor": "val_loss"}},
        {"class_name": "ModelCheckpoint", "params": {"monitor": "val_accuracy"}},
        {"class_name": "LearningRateScheduler", "params": {"table": {"0": 0.02, "2": 0.005}}},
        {"class_name": "CSVLogger", "params": {}},
        {"class_name": "TensorBoard", "params": {}},
        {"class_name": "TerminateOnNaN", "params": {}},
        {"class_name": "ReduceLROnPlateau", "params": {"patience": 1}, "enabled": False},
    ]
    training = TrainingSettings.from_dict({
        "optimizer": "adamw", "learning_rate": 0.01, "optimizer_params": {"weight_decay": 0.001},
        "metrics": {"kind": ["accuracy"]}, "batch_size": 16, "epochs": 3, "seed": 2,
        "class_weight": {"0": 1.0, "1": 2.0, "2": 1.0}, "shuffle": False, "callbacks": cb,
    })  # fmt: skip
    project = Project("Tabular", _tabular_graph(), data, training)
    save_project(project, tmp_path / "tabular.llproj")
    source = generate_code(project.graph, project)
    assert ruff_problems(source) == ""
    for text in (
        "keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.001)",
        "keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
        "read_csv_table(",
        str(tmp_path / "table.csv"),
        "if n > 100:",
        "scale = arr.std(axis=axes, keepdims=True)",
        "class_weight={0: 1.0, 1: 2.0, 2: 1.0}",
        "shuffle=False",
        'keras.callbacks.EarlyStopping(patience=2, monitor="val_loss", mode="min")',
        "keras.callbacks.LearningRateScheduler(learning_rate_table)",
        'if importlib.util.find_spec("tensorboard") is not None:',
        "keras.callbacks.TerminateOnNaN()",
        "keras.utils.set_random_seed(2)",
    ):
        assert text in source, text
    assert "ReduceLROnPlateau" not in source  # disabled
    flat = " ".join(source.split())  # calls may be wrapped over lines
    assert 'monitor="val_accuracy", mode="max", save_best_only=True' in flat
    (tmp_path / "run").mkdir()
    printed = run_main(source, tmp_path / "run")
    assert printed["learning_rate"] == pytest.approx(0.005)  # the table's step at epoch 2
    assert (tmp_path / "run" / "training_output" / "training_log.csv").is_file()

    # The data the script prepares is the data LayerLoom prepares.
    from app.data import load_dataset

    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102
    (x, y), (xv, yv) = namespace["load_data"]()
    ds = load_dataset(project.data_config())
    np.testing.assert_allclose(x, ds.x["x"], rtol=1e-6)
    np.testing.assert_array_equal(y, ds.y["y"])
    np.testing.assert_allclose(xv, ds.x_val["x"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(yv, ds.y_val["y"])


@pytest.mark.parametrize("name", [n for n, _, _ in list_examples()])
def test_example_scripts_prepare_the_same_data_as_layerloom(name):
    """read_data / load_data of every example (synthetic, NumPy, bundled) against app.data."""
    from app.compiler.codegen_step import StepCode
    from app.data import load_dataset
    from app.data.compat import fit_arrays
    from app.training.step_model import step_arrays

    project = load_project(example_path(name))
    source = generate_code(project.graph, project)
    assert ruff_problems(source) == ""
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102
    model = namespace["model"]
    (x, y), val = namespace["load_data"]()
    ds = load_dataset(project.data_config(), model)
    step = project.training.step and StepCode(project.training, project.code, project.graph, model)
    if not step or step.functional:
        ex, ey, (evx, evy) = fit_arrays(model, ds, project.data.input_map, project.data.output_map)
    else:  # a training step of sub-models takes the data's arrays as they are
        (ex, ey), (evx, evy) = step_arrays(ds), step_arrays(ds, "val")
        assert ey is None and y is None and len(val) == 1  # the GAN and VAE need no targets
        val = (val[0], None)
    for got, want in ((x, ex), (y, ey), (val[0], evx), (val[1], evy)):
        if want is None:
            continue
        if isinstance(want, dict):
            assert set(got) == set(want)
            got, want = [got[k] for k in want], list(want.values())
        if not isinstance(want, list):
            got, want = [got], [want]
        for g, w in zip(got, want, strict=True):
            if getattr(w, "dtype", None) is not None and str(w.dtype) == "<dtype: 'string'>":
                assert g.numpy().tolist() == w.numpy().tolist()  # the same texts, as tf.string
                continue
            np.testing.assert_allclose(np.asarray(g, dtype="float64"),
                                       np.asarray(w, dtype="float64"), rtol=1e-6)  # fmt: skip


def test_settings_that_cannot_be_written_leave_a_comment():
    g = ModelGraph("two")
    a = g.add_node("keras.Input", "a", {"shape": [3]})
    b = g.add_node("keras.Input", "b", {"shape": [3]})
    cat = g.add_node("keras.layers.Concatenate", "cat")
    g.connect(a, cat)
    g.connect(b, cat)
    out = g.add_node("keras.layers.Dense", "out", {"units": 1})
    g.connect(cat, out)
    g.set_outputs([out])
    # Digits give one array "x"; the model has two inputs: the script says so, builds anyway.
    project = Project("Two", g, DataSettings("sklearn.digits"), TrainingSettings())
    source = generate_code(g, project)
    assert "# Training is not written: Input 'a' has no data: the data has 'x'; map" in source
    assert "def train(" not in source and ruff_problems(source) == ""
    assert build_only(source).count_params() == build_model(g).count_params()
    empty = generate_code(g, Project("Two", g))
    assert "# Training is not written: The project has no data source yet" in empty
    assert ruff_problems(empty) == ""


def test_a_script_that_does_not_train_takes_epochs_and_says_nothing_is_trained(tmp_path):
    """Every script of a project takes --epochs N; one whose training cannot be written (here:
    no data source yet) runs with it, builds the model and says why nothing is trained."""
    g = ModelGraph("plain")
    x = g.add_node("keras.Input", "x", {"shape": [3]})
    out = g.add_node("keras.layers.Dense", "out", {"units": 2})
    g.connect(x, out)
    g.set_outputs([out])
    source = generate_code(g, Project("Plain", g))
    assert ruff_problems(source) == ""
    (tmp_path / "s.py").write_text(source)
    done = subprocess.run(
        [sys.executable, "s.py", "--epochs", "1"], cwd=tmp_path, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Total params: 8" in done.stdout
    told = "--epochs 1: Nothing is trained. Training is not written: The project has no data"
    assert told in done.stdout, done.stdout[-1000:]
    bad = subprocess.run(
        [sys.executable, "s.py", "--epochs", "many"], cwd=tmp_path, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert bad.returncode == 2 and "--epochs" in bad.stderr  # parsed, not ignored


def test_class_weights_of_one_output_of_two_become_sample_weights(tmp_path):
    from app.training import train_project

    project = load_project(example_path("ticket_classifier"))
    project.training.epochs = 1
    project.training.class_weight = {"department": {"0": 3.0, "2": 0.5}}
    source = generate_code(project.graph, project)
    assert ruff_problems(source) == ""
    assert "class_weight=" not in source  # Keras' class_weight takes one output only
    assert "sample_weight=sample_weight" in source
    assert '{"department": {0: 3.0, 2: 0.5}}' in source
    printed = run_main(source, tmp_path)
    record = train_project(project, out_dir=tmp_path / "runs")
    for key in ("loss", "department_loss", "val_loss"):
        assert printed[key] == pytest.approx(record.final_metrics[key], rel=1e-3, abs=2e-3), key
    # ... and the weights change training: without them the department loss differs.
    project.training.class_weight = None
    plain = train_project(project, out_dir=tmp_path / "runs")
    assert plain.final_metrics["department_loss"] != pytest.approx(
        record.final_metrics["department_loss"], rel=1e-3
    )


@pytest.mark.parametrize(
    ("monitor", "mode"), [("val_r2_score", "max"), ("val_head_loss", "min"), ("val_auc", "max")]
)
def test_script_callbacks_watch_in_the_direction_training_does(monitor, mode):
    """Generated EarlyStopping/ModelCheckpoint get the mode the app's callbacks get (one rule,
    app.compiler.metric_goals), also for names Keras' "auto" cannot tell (val_head_loss)."""
    from app.compiler.metric_goals import monitor_mode

    cb = [
        {"class_name": "EarlyStopping", "params": {"monitor": monitor}},
        {"class_name": "ModelCheckpoint", "params": {"monitor": monitor}},
    ]
    training = TrainingSettings.from_dict({"callbacks": cb})
    data = DataSettings("synthetic", {}, validation_split=0.2)
    project = Project("Goals", _tabular_graph(), data, training)
    source = generate_code(project.graph, project)
    assert monitor_mode(monitor) == mode
    assert f'keras.callbacks.EarlyStopping(monitor="{monitor}", mode="{mode}")' in source
    flat = " ".join(source.split())  # calls may be wrapped over lines
    assert f'monitor="{monitor}", mode="{mode}", save_best_only=True' in flat
