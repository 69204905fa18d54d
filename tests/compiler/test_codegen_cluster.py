"""`layerloom codegen P --cluster tf`: a MultiWorkerMirroredStrategy script, run here as two
worker processes on localhost with TF_CONFIG."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from script_checks import free_ports

from app.cli import main
from app.project import load_project, save_project
from app.project.examples import example_path

TIMEOUT = 300  # seconds for both workers on a loaded machine


def _small_digits(tmp_path: Path) -> Path:
    project = load_project(example_path("digits_mlp"))
    project.data = dataclasses.replace(project.data, max_samples=200)
    target = tmp_path / "digits.llproj"
    save_project(project, target)
    return target


def test_two_workers_train_to_the_same_weights(tmp_path, capsys):
    script = tmp_path / "train.py"
    assert (
        main(["codegen", str(_small_digits(tmp_path)), "--cluster", "tf", "-o", str(script)]) == 0
    )
    text = script.read_text()
    assert "tf.distribute.MultiWorkerMirroredStrategy()" in text
    assert "model.fit(" not in text and "strategy.run(" in text

    hosts = [f"localhost:{p}" for p in free_ports(2)]
    procs = []
    for index in range(2):
        config = {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(config), "TF_CPP_MIN_LOG_LEVEL": "2"}
        cmd = [sys.executable, str(script), "--epochs", "2", "--save", "out/model.keras"]
        cmd += ["--worker-weights", f"worker{index}.npz"]
        log = open(tmp_path / f"worker{index}.log", "w")  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=log), log))
    try:
        codes = [p.wait(timeout=TIMEOUT) for p, _ in procs]
    finally:
        for p, log in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()
    logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], logs

    # The chief (worker 0) prints the epochs and keeps the model; worker 1 keeps no file.
    epochs = [ln for ln in logs[0].splitlines() if ln.startswith("Epoch ")]
    assert [ln.split()[1] for ln in epochs] == ["1/2", "2/2"]
    assert "loss:" in epochs[0] and "accuracy:" in epochs[0]
    assert "Epoch " not in logs[1]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["model.keras"]

    w0, w1 = np.load(tmp_path / "worker0.npz"), np.load(tmp_path / "worker1.npz")
    assert len(w0.files) == 4
    for k in w0.files:
        np.testing.assert_array_equal(w0[k], w1[k])

    import keras

    saved = keras.saving.load_model(tmp_path / "out" / "model.keras")
    for mine, k in zip(saved.get_weights(), w0.files, strict=True):
        np.testing.assert_array_equal(mine, w0[k])
    # Trained: the weights moved from the script's starting point (same seed, no training).
    start = subprocess.run(
        [sys.executable, "-c", _START_WEIGHTS.format(script=str(script))],
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert start.returncode == 0, start.stderr
    first = np.load(tmp_path / "start.npz")
    assert not np.array_equal(first[first.files[0]], w0[w0.files[0]])


_START_WEIGHTS = """
import runpy, numpy as np
ns = runpy.run_path({script!r}, run_name="not_main")
np.savez("start.npz", *ns["model"].get_weights())
"""


@pytest.mark.parametrize(
    ("example", "words"),
    [("kfold_diabetes", "k-fold"), ("custom_train_step", "own training step")],
)
def test_what_a_custom_loop_cannot_do_is_refused(tmp_path, capsys, example, words):
    out = tmp_path / "train.py"
    code = main(["codegen", str(example_path(example)), "--cluster", "tf", "-o", str(out)])
    assert code == 2
    assert words in capsys.readouterr().err
    assert not out.exists()


def test_a_project_without_data_is_refused(tmp_path, capsys):
    from app.project.settings import DataSettings

    project = load_project(example_path("digits_mlp"))
    project.data = DataSettings()
    path = tmp_path / "p.llproj"
    save_project(project, path)
    assert main(["codegen", str(path), "--cluster", "tf"]) == 2
    assert "data" in capsys.readouterr().err
