"""`layerloom import SCRIPT.py`: a trusted Keras script becomes a project that trains as the
script does (same graph, parameter count, settings, code and metrics for the same epochs)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.compiler.custom_code import forget_trust
from app.project import load_project
from app.project.runs import is_rate_column

SCRIPTS = Path(__file__).parent / "scripts"


def run_script(script: Path) -> tuple[int, dict[str, list[float]]]:
    """(parameter count, fit history) the script prints when run as it is."""
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = {
        ln.split(" ", 1)[0]: ln.split(" ", 1)[1] for ln in done.stdout.splitlines() if " " in ln
    }
    return int(lines["PARAMS"]), json.loads(lines["HISTORY"])


def last_row(run_folder: Path) -> dict[str, float]:
    with open(run_folder / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: float(v) for k, v in rows[-1].items() if k not in ("epoch", "learning_rate")}


def test_an_untrusted_script_is_refused_and_never_runs(tmp_path, capsys):
    marker = tmp_path / "ran.txt"
    script = tmp_path / "s.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    target = tmp_path / "p.llproj"
    assert main(["import", str(script), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "s.py is a Python script" in err and "--trust-code on the command line" in err, err
    assert not marker.exists() and not target.exists()


def test_a_script_that_never_fits_says_so(tmp_path, capsys):
    script = tmp_path / "nofit.py"
    script.write_text("import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\n")
    assert main(["import", str(script), "-o", str(tmp_path / "p.llproj"), "--trust-code"]) == 2
    err = capsys.readouterr().err
    assert "without calling fit()" in err, err


@pytest.mark.parametrize(
    "name",
    [
        "multi_io",
        "sequential_cnn",
        "custom_code",
        "functional_train_step",
        "vae_train_step",
        "gan_two_optimizers",
        "sample_weights",
        "sample_weights_validation",
        "weighted_metrics",
    ],
)
def test_imported_script_trains_as_the_script_does(name, tmp_path, capsys):
    script = SCRIPTS / f"{name}.py"
    params, history = run_script(script)
    target = tmp_path / f"{name}.llproj"
    assert main(["import", str(script), "-o", str(target), "--trust-code"]) == 0, (
        capsys.readouterr()
    )
    out = capsys.readouterr().out
    assert f"-> {target}" in out and f"{name}_data.npz" in out, out
    assert (tmp_path / f"{name}_data.npz").is_file()

    forget_trust()  # a new session: the saved project's code needs trust again
    assert main(["summary", str(target), "--trust-code"]) == 0
    summary = capsys.readouterr().out
    assert f"Total params: {params:,}" in summary, summary

    assert main(["train", str(target), "--trust-code"]) == 0, capsys.readouterr()
    capsys.readouterr()
    project = load_project(target)
    run = project.find_run("latest")
    # the script's own metric names (learning rates, one per optimizer of a step, are no metric)
    got = {k: v for k, v in last_row(Path(run.path)).items() if not is_rate_column(k)}
    want = {k: v[-1] for k, v in history.items() if not is_rate_column(k)}
    assert set(got) == set(want)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=2e-3, abs=2e-4), (key, got, want)
    assert len(next(iter(history.values()))) == project.training.epochs


def test_a_kfold_script_imports_as_kfold_and_every_fold_trains_as_the_script_does(tmp_path, capsys):
    """scikit-learn's KFold loop (unshuffled, each fold standardised with its own statistics)
    becomes k-fold validation over the whole data set; each fold's run ends with the
    metrics of the script's fit for that fold."""
    script = SCRIPTS / "kfold_sklearn.py"
    done = subprocess.run(
        [sys.executable, str(script)], cwd=script.parent, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    folds = json.loads(next(ln for ln in done.stdout.splitlines() if ln.startswith("FOLDS "))[6:])
    target = tmp_path / "kfold.llproj"
    assert main(["import", str(script), "-o", str(target), "--trust-code"]) == 0
    out = capsys.readouterr().out
    assert "note:" not in out, out  # the script's folds are LayerLoom's
    project = load_project(target)
    data = project.data
    assert (data.validation, data.folds, data.normalization) == ("kfold", 3, "standard")
    assert "x_val" not in data.options and project.training.shuffle is False

    assert main(["train", str(target), "--trust-code"]) == 0, capsys.readouterr()
    capsys.readouterr()
    recs = load_project(target).run_records()
    assert sorted(r.fold for r in recs) == [0, 1, 2]
    for rec in recs:
        got = last_row(Path(rec.path))
        want = {k: v[-1] for k, v in folds[rec.fold].items()}
        assert set(got) == set(want)
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=2e-3, abs=2e-4), (rec.fold, key, got)


def test_folds_cut_otherwise_than_layerloom_cuts_them_are_said(tmp_path, capsys):
    script = tmp_path / "strat.py"
    script.write_text(
        "import keras\nimport numpy as np\n"
        "from sklearn.model_selection import StratifiedKFold\n"
        "x = np.arange(60, dtype='float32').reshape(30, 2)\n"
        "y = np.arange(30) % 2\n"
        "for tr, va in StratifiedKFold(3, shuffle=True, random_state=9).split(x, y):\n"
        "    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])\n"
        "    m.compile(loss='sparse_categorical_crossentropy')\n"
        "    m.fit(x[tr], y[tr], validation_data=(x[va], y[va]))\n"
    )
    target = tmp_path / "p.llproj"
    assert main(["import", str(script), "-o", str(target), "--trust-code"]) == 0
    out = capsys.readouterr().out
    assert "StratifiedKFold cuts the samples shuffled into 3 folds" in out, out
    assert "not stratified" in out and "fit() is called in a loop" not in out
    data = load_project(target).data
    assert (data.validation, data.folds, data.seed, data.normalization) == ("kfold", 3, 9, "none")
    arrays = np.load(tmp_path / "p_data.npz")
    assert np.array_equal(arrays[data.options["x"][0]], np.arange(60).reshape(30, 2))  # in order


def test_a_fit_in_a_loop_without_known_folds_is_said(tmp_path, capsys):
    script = tmp_path / "loop.py"
    script.write_text(
        "import keras\nimport numpy as np\n"
        "x, y = np.zeros((20, 3), 'float32'), np.zeros((20, 1), 'float32')\n"
        "for part in range(2):\n"
        "    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
        "    m.compile(loss='mse')\n"
        "    m.fit(x[part::2], y[part::2], validation_data=(x[1 - part::2], y[1 - part::2]))\n"
    )
    assert main(["import", str(script), "-o", str(tmp_path / "p.llproj"), "--trust-code"]) == 0
    out = capsys.readouterr().out
    assert "fit() is called in a loop (line 7)" in out and "not recognised" in out, out
    assert load_project(tmp_path / "p.llproj").data.validation == "source"


def test_a_functional_model_of_a_train_step_class_keeps_the_class_as_its_step(tmp_path, capsys):
    target = tmp_path / "p.llproj"
    script = SCRIPTS / "functional_train_step.py"
    assert main(["import", str(script), "-o", str(target), "--trust-code"]) == 0
    out = capsys.readouterr().out
    assert "not kept" not in out, out
    project = load_project(target)
    assert project.training.step == {
        "name": "CustomModel",
        "code": True,
        "models": {},
        "args": {},
        "compile": {},
    }
    (entry,) = project.code
    assert (entry.kind, entry.name) == ("step", "CustomModel")
    assert entry.source.startswith("import tensorflow as tf\n") and "def train_step" in entry.source
    assert [n.name for n in project.graph.nodes()] == ["features", "hidden", "value"]


@pytest.mark.parametrize(
    ("name", "blocks", "args", "compile_args"),
    [
        ("vae_train_step", ["encoder", "decoder"], {}, {}),
        (
            "gan_two_optimizers",
            ["generator", "discriminator"],
            {"latent_dim": 8},
            {
                "d_optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.0003}},
                "g_optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.0003}},
                "loss_fn": {"class_name": "BinaryCrossentropy", "config": {"from_logits": True}},
            },
        ),
    ],
)
def test_a_step_of_sub_models_draws_them_as_blocks(name, blocks, args, compile_args, tmp_path):
    """The GAN / VAE of the guide: the sub-models given to the step's __init__ become blocks,
    chained where one's output fits the next one's input, and the step names them."""
    from app.compiler.script_import import import_script
    from app.model.grouping import block_names

    result = import_script(SCRIPTS / f"{name}.py", tmp_path / "data.npz")
    assert result.problems == [], result.problems
    project = result.project
    graph = project.graph
    top = [n for n in graph.nodes() if n.spec_id != "keras.Input"]
    assert [n.name for n in top] == blocks
    ids = {n.name: n.id for n in top}
    (link,) = [e for e in graph.edges() if e.src == ids[blocks[0]]]
    assert link.dst == ids[blocks[1]]
    assert link.src_index == (2 if name.startswith("vae") else 0)  # the VAE's decoder takes z
    step = project.training.step
    assert {k: block_names(graph)[v] for k, v in step["models"].items()} == {b: b for b in blocks}
    assert step["args"] == args and step["compile"] == compile_args
    (entry,) = project.code
    assert (entry.kind, entry.name) == ("step", name.split("_")[0].upper())
