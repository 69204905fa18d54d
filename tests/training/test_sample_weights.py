"""Per-sample loss weights from a CSV column or an .npz array: they follow the split, reach fit
(and validation), are no model input, and generated scripts use them the same way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from script_checks import ruff_problems

from app.compiler import generate_code
from app.data import DataConfig, load_dataset
from app.data.dataset import DataError
from app.model import ModelGraph
from app.project import Project
from app.project.settings import DataSettings, TrainingSettings
from app.project.training_config import TrainingError
from app.training.headless import RunHooks, train_project


def _graph() -> ModelGraph:
    g = ModelGraph("reg")
    x = g.add_node("keras.Input", "x", params={"shape": [3]})
    d = g.add_node("keras.layers.Dense", "y", params={"units": 1})
    g.connect(x, d)
    g.set_outputs([d])
    return g


def _two_rules(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Even rows follow one linear rule, odd rows another: weights decide what is learnt."""
    x = np.random.default_rng(1).normal(size=(n, 3)).astype("float32")
    even = x @ np.array([1.0, -2.0, 0.5], "float32")
    odd = x @ np.array([-3.0, 1.0, 2.0], "float32")
    y = np.where(np.arange(n) % 2 == 0, even, odd).astype("float32")[:, None]
    return x, y


def _project(folder: Path, options: dict, **training) -> Project:
    data = {"source": "numpy", "options": options, "validation": "none"}
    settings = {"epochs": 25, "batch_size": 64, "learning_rate": 0.05, "shuffle": False}
    return Project(
        graph=_graph(),
        data=DataSettings.from_dict(data),
        training=TrainingSettings.from_dict({**settings, **training}),
        base_dir=folder,
    )


def _trained_kernel(project: Project, folder: Path) -> np.ndarray:
    hooks = RunHooks()
    rec = train_project(project, out_dir=folder / "runs", hooks=hooks)
    assert rec.status == "completed", rec.message
    return hooks.model.get_layer("y").get_weights()[0]


def test_zero_weights_train_as_if_those_samples_were_dropped(tmp_path: Path) -> None:
    x, y = _two_rules()
    w = (np.arange(len(x)) % 2 == 0).astype("float64")  # the odd rows weigh nothing
    np.savez(tmp_path / "all.npz", x=x, y=y, w=w)
    np.savez(tmp_path / "even.npz", x=x[::2], y=y[::2])
    weighted = _trained_kernel(_project(tmp_path, {"path": "all.npz", "weights": "w"}), tmp_path)
    dropped = _trained_kernel(_project(tmp_path, {"path": "even.npz"}), tmp_path)
    ignored = _trained_kernel(_project(tmp_path, {"path": "all.npz"}), tmp_path)
    # One full batch and Adam: the update does not depend on how many zero rows the mean has.
    assert np.allclose(weighted, dropped, atol=1e-4), (weighted.ravel(), dropped.ravel())
    assert not np.allclose(weighted, ignored, atol=0.05)  # the weights changed what was learnt


def test_weights_follow_the_split_and_the_sample_limit(tmp_path: Path) -> None:
    x = np.arange(50, dtype="float32").reshape(50, 1)
    np.savez(tmp_path / "d.npz", x=x, y=x * 2, w=x[:, 0] + 100)
    options = {"path": str(tmp_path / "d.npz"), "weights": "w"}
    ds = load_dataset(DataConfig(source="numpy", options=options, max_samples=40, seed=3))
    assert set(ds.x) == {"x"} and set(ds.y) == {"y"}  # not an input or a target
    assert np.array_equal(ds.sample_weight, ds.x["x"][:, 0] + 100)
    assert np.array_equal(ds.sample_weight_val, ds.x_val["x"][:, 0] + 100)
    assert len(ds.sample_weight) == 32 and len(ds.sample_weight_val) == 8


def test_a_csv_column_of_weights_is_no_feature(tmp_path: Path) -> None:
    rows = ["a,b,w,t", *[f"{i},{i % 3},{i % 2},{i * 0.5}" for i in range(20)]]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    options = {"path": str(tmp_path / "d.csv"), "target": "t", "weights": "w"}
    ds = load_dataset(DataConfig(source="csv", options=options, validation="none"))
    assert ds.feature_names == ["a", "b"]
    assert ds.x["x"].shape == (20, 2)
    assert ds.sample_weight.tolist() == [i % 2 for i in range(20)]


@pytest.mark.parametrize(
    ("column", "text", "message"),
    [
        ("nope", "1,2,3", "has no column 'nope'"),
        ("w", "1,2,heavy", "sample weight column 'w' of d.csv holds text"),
        ("w", "1,2,-1", "1 negative value"),
        ("w", "1,2,", "1 missing, NaN or infinite"),
        ("w", "0,0,0", "are all 0"),
        ("a", "1,2,3", "cannot also be a feature"),
    ],
)
def test_bad_csv_weights_are_refused_in_words(tmp_path: Path, column, text, message) -> None:
    rows = ["a,w,t", *[f"{i},{v},{i}" for i, v in enumerate(text.split(","))]]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    options = {"path": str(tmp_path / "d.csv"), "target": "t", "weights": column}
    if column == "a":
        options["features"] = ["a"]
    with pytest.raises(DataError, match=message):
        load_dataset(DataConfig(source="csv", options=options, validation="none"))


def test_an_npz_weighs_its_own_validation_samples(tmp_path: Path) -> None:
    x, x_val = np.arange(10, dtype="float32")[:, None], np.arange(4, dtype="float32")[:, None]
    np.savez(tmp_path / "d.npz", x=x, y=x, xv=x_val, yv=x_val, w=x[:, 0] + 1, wv=x_val[:, 0] + 7)
    options = {"path": str(tmp_path / "d.npz"), "x_val": ["xv"], "y_val": ["yv"], "weights": "w"}
    config = DataConfig(source="numpy", options=options, validation="source")
    assert load_dataset(config).sample_weight_val is None  # unweighted unless named
    options["weights_val"] = "wv"
    ds = load_dataset(config)
    assert np.array_equal(ds.sample_weight, x[:, 0] + 1)
    assert np.array_equal(ds.sample_weight_val, x_val[:, 0] + 7)
    assert set(ds.x_val) == {"x"}  # named as the training inputs, the weights no input
    for wrong, message in [
        ({"weights": ""}, "with sample weights of the training samples"),
        ({"x_val": [], "y_val": []}, "choose the validation arrays too"),
        ({"weights_val": "xv"}, "cannot also be"),
    ]:
        bad = DataConfig(source="numpy", options={**options, **wrong}, validation="none")
        with pytest.raises(DataError, match=message):
            load_dataset(bad)


def test_bad_array_weights_are_refused_in_words(tmp_path: Path) -> None:
    x = np.zeros((6, 2), "float32")
    for w, message in [
        (np.ones(5), "have 5 values for 6 samples"),
        (np.ones((6, 2)), r"one number per sample \(shape \(n,\)\)"),
        (np.ones(6, bool), "must be numbers"),
    ]:
        np.savez(tmp_path / "d.npz", x=x, y=x, w=w)
        options = {"path": str(tmp_path / "d.npz"), "weights": "w"}
        with pytest.raises(DataError, match=message):
            load_dataset(DataConfig(source="numpy", options=options, validation="none"))
    options = {"path": str(tmp_path / "d.npz"), "weights": "missing"}
    with pytest.raises(DataError, match="missing"):
        load_dataset(DataConfig(source="numpy", options=options, validation="none"))


def test_class_weights_and_sample_weights_together_are_refused(tmp_path: Path) -> None:
    x, _ = _two_rules()
    np.savez(tmp_path / "d.npz", x=x, y=(x[:, 0] > 0).astype("int64"), w=np.ones(len(x)))
    project = _project(
        tmp_path, {"path": "d.npz", "weights": "w"}, class_weight={"0": 1.0, "1": 2.0}
    )
    with pytest.raises(TrainingError, match="one or the other"):
        train_project(project, out_dir=tmp_path / "runs")
    assert "one or the other" in generate_code(project.graph, project)


def test_generated_script_trains_with_the_weights(tmp_path: Path) -> None:
    x, y = _two_rules()
    w = (np.arange(len(x)) % 2 == 0).astype("float64")
    np.savez(tmp_path / "all.npz", x=x, y=y, w=w)
    project = _project(tmp_path, {"path": "all.npz", "weights": "w"}, epochs=3)
    project.data = DataSettings.from_dict(
        {**project.data.to_dict(), "validation": "split", "validation_split": 0.25}
    )
    app_kernel = _trained_kernel(project, tmp_path)
    source = generate_code(project.graph, project)
    assert "sample_weight=sample_weight" in source
    assert ruff_problems(source) == ""
    script = source.replace(
        "    history = train(model, args.epochs)",
        "    history = train(model, args.epochs)\n"
        '    np.save("kernel.npy", model.get_layer("y").get_weights()[0])',
    )
    assert script != source
    (tmp_path / "s.py").write_text(script)
    done = subprocess.run(
        [sys.executable, "s.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "val_loss" in done.stdout
    assert np.allclose(np.load(tmp_path / "kernel.npy"), app_kernel, atol=1e-5)
