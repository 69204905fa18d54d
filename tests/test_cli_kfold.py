"""`layerloom train` with k-fold cross-validation on the bundled example: grouped runs, the
printed mean ± std, and evaluate/export of `--run latest` (the last fold)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from app.cli import main
from app.project import load_project
from app.project.examples import example_path
from app.project.runs import read_history


@pytest.fixture
def kfold(tmp_path):
    path = tmp_path / "kfold.llproj"
    shutil.copy(example_path("kfold_diabetes"), path)
    return path


def test_train_makes_k_grouped_runs_and_prints_their_mean_and_std(kfold, capsys):
    assert main(["train", str(kfold), "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    project = load_project(kfold)
    recs = project.run_records()
    k = project.data.folds
    assert k == 5 and len(recs) == k
    assert sorted(r.fold for r in recs) == list(range(k))
    assert len({r.group for r in recs}) == 1 and all(r.folds == k for r in recs)
    for i in range(k):
        assert f"Fold {i + 1}/{k}: run " in out
    assert f"{k}/{k} folds completed" in out
    finals = [read_history(r.path)[-1] for r in recs]
    for key in ("loss", "val_loss", "val_mean_absolute_error"):
        values = np.array([row[key] for row in finals])
        m = re.search(rf"final {key}: (\S+) ± (\S+)", out)
        assert m, out
        assert float(m[1]) == pytest.approx(values.mean(), abs=1e-4)
        assert float(m[2]) == pytest.approx(values.std(), abs=1e-4)
    assert f"Added the {k} runs to kfold.llproj." in out

    last = max(recs, key=lambda r: r.fold)
    assert main(["evaluate", str(kfold)]) == 0
    out = capsys.readouterr().out
    assert f"run {last.id} is fold {k}/{k}".replace("/", " of ") in out
    # judged on the part the last fold held out: its validation loss, as training logged it
    n_val = int(re.search(r"on (\d+) validation samples", out)[1])
    assert n_val == 442 // k
    val_loss = float(re.search(r"  loss: (\S+)", out)[1])
    assert val_loss == pytest.approx(finals[last.fold]["val_loss"], rel=1e-3)

    target = kfold.parent / "m.keras"
    assert main(["export", str(kfold), "--run", "latest", "-o", str(target)]) == 0
    assert f"fold {k} of {k}" in capsys.readouterr().out and target.is_file()


def test_folds_option_overrides_the_project(kfold, capsys):
    assert main(["train", str(kfold), "--epochs", "1", "--folds", "2", "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "Fold 2/2: run" in out and "Fold 3/" not in out and "2/2 folds completed" in out
    assert main(["train", str(kfold), "--folds", "1"]) == 2
    assert "k-fold needs at least 2 folds" in capsys.readouterr().err


def test_generated_script_folds_are_the_apps_and_it_cross_validates(kfold, tmp_path):
    import inspect
    import runpy
    import subprocess
    import sys

    from app.data import load_dataset
    from app.data.folds import fold_indices

    script = tmp_path / "s.py"
    assert main(["codegen", str(kfold), "-o", str(script)]) == 0
    text = script.read_text()
    assert inspect.getsource(fold_indices) in text  # the app's split function, pasted
    project = load_project(kfold)
    module = runpy.run_path(str(script))  # not "__main__": defines, builds, does not train
    for fold in range(project.data.folds):
        (x, y), (x_val, y_val) = module["load_data"](fold)
        ds = load_dataset(project.data_config(), fold=fold, shuffle=project.training.shuffle)
        assert np.array_equal(y_val, ds.y_val["y"]) and np.array_equal(y, ds.y["y"])
        assert np.allclose(x_val, ds.x_val["x"], atol=1e-6)
    proc = subprocess.run(
        [sys.executable, str(script), "--epochs", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = re.findall(r"Fold (\d)/5: loss (\S+) .* val_loss (\S+)", proc.stdout)
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5]
    val_losses = np.array([float(r[2]) for r in rows])
    m = re.search(r"^val_loss: (\S+) ± (\S+)$", proc.stdout, re.M)
    assert float(m[1]) == pytest.approx(val_losses.mean(), abs=1e-3)
    assert float(m[2]) == pytest.approx(val_losses.std(), abs=1e-3)
    assert "Epoch 2/" not in proc.stdout  # --epochs 1
