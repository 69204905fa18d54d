"""The training-step examples (the guide's CustomModel, the GAN, the subclassed VAE) through the
command line: train --trust-code, evaluate and export the run, and the generated script runs."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from app.cli import main
from app.project.examples import example_path, examples_dir

STEP_EXAMPLES = {  # example -> the keys its step logs
    "custom_train_step": {"loss", "accuracy"},
    "gan": {"d_loss", "g_loss"},
    "vae_step": {"loss", "reconstruction_loss", "kl_loss"},
}


@pytest.mark.parametrize("name", list(STEP_EXAMPLES))
def test_step_example_trains_evaluates_exports_and_its_script_runs(name, tmp_path, capsys):
    path = tmp_path / f"{name}.llproj"
    shutil.copy(example_path(name), path)  # a copy keeps its runs next to it
    data = examples_dir() / "data"
    shutil.copytree(data, tmp_path / "data")
    p = str(path)
    assert main(["train", p, "--trust-code", "--epochs", "1", "--max-samples", "128"]) == 0, (
        capsys.readouterr()
    )
    out = capsys.readouterr().out
    keys = STEP_EXAMPLES[name]
    assert all(f"val_{k}" in out for k in keys if "loss" in k), out
    assert main(["evaluate", p, "--run", "latest", "--trust-code", "--max-samples", "128"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {k}: " in out for k in keys), out
    target = tmp_path / "m.keras"
    assert main(["export", p, "--run", "latest", "-o", str(target)]) == 0, capsys.readouterr()
    assert target.is_file()
    script = tmp_path / "s.py"
    assert main(["codegen", p, "-o", str(script)]) == 0, capsys.readouterr()
    done = subprocess.run(
        [sys.executable, str(script), "--epochs", "1"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert all(f"{k}: " in done.stdout for k in keys), done.stdout[-2000:]
