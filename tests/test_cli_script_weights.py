"""Generated scripts carry the project's imported weights: `codegen -o s.py` writes
`s.weights.h5` next to it and the script loads it, so its model predicts what the app's model
predicts before training, and fine-tuning can go on outside the app."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np

from app.cli import main
from app.compiler import build_model, import_model
from app.project import Project, load_project, save_project
from tests.script_checks import ruff_problems

PREDICT = """
import runpy, sys
import numpy as np
ns = runpy.run_path(sys.argv[1])  # not as __main__: builds the model, does not train
np.save(sys.argv[3], ns["model"].predict(np.load(sys.argv[2]), verbose=0))
"""


def imported_project(tmp_path) -> Project:
    """A small model imported with its weights (as from a .keras file), with training settings."""
    keras.utils.set_random_seed(3)
    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="hidden")(x)
    y = keras.layers.Dense(1, name="y")(h)
    project = Project(name="imported", graph=import_model(keras.Model(x, y)))
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 32}, "validation": "split"}
    )
    project.training = project.training.from_dict(
        {"epochs": 3, "batch_size": 16, "losses": {"y": "mse"}}
    )
    path = tmp_path / "imported.llproj"
    save_project(project, path)
    return load_project(path)


def test_the_script_loads_the_weights_and_predicts_as_the_app(tmp_path, capsys):
    project = imported_project(tmp_path)
    assert all(n.weights is not None for n in project.graph.nodes() if n.name != "x")
    out = tmp_path / "out"
    out.mkdir()
    script = out / "s.py"
    assert main(["codegen", str(project.path), "-o", str(script)]) == 0, capsys.readouterr()
    weights = out / "s.weights.h5"
    assert weights.is_file() and f"Wrote {weights}" in capsys.readouterr().out
    source = script.read_text()
    assert '"s.weights.h5"' in source and "new weights" not in source
    assert ruff_problems(source) == ""
    assert sorted(p.name for p in out.iterdir()) == ["s.py", "s.weights.h5"]  # no temp left

    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    run = [sys.executable, "-c", PREDICT, str(script), str(tmp_path / "x.npy"), str(tmp_path / "p.npy")]  # fmt: skip
    done = subprocess.run(run, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = build_model(project.graph).predict(x, verbose=0)
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, rtol=1e-5, atol=1e-6)

    done = subprocess.run(  # fine-tuning from the carried weights, from anywhere
        [sys.executable, str(script), "--epochs", "1"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "val_loss:" in done.stdout


def test_a_project_without_weights_writes_the_script_alone(tmp_path, capsys):
    from code_projects import regression_graph

    project = Project(name="fresh", graph=regression_graph())
    save_project(project, tmp_path / "fresh.llproj")
    assert main(["codegen", str(tmp_path / "fresh.llproj"), "-o", str(tmp_path / "s.py")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".llproj") == ["s.py"]
    assert "load_weights" not in (tmp_path / "s.py").read_text()
