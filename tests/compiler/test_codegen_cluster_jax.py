"""`layerloom codegen P --cluster jax`: a keras.distribution (DataParallel) script on JAX, run
here as two processes on localhost with the KERAS_DISTRIBUTION_* variables."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from script_checks import free_ports, ruff_problems

from app.cli import main
from app.project import load_project, save_project
from app.project.examples import example_path

TIMEOUT = 300  # seconds for both processes on a loaded machine


def _small_digits(tmp_path: Path) -> Path:
    project = load_project(example_path("digits_mlp"))
    project.data = dataclasses.replace(project.data, max_samples=200)
    target = tmp_path / "digits.llproj"
    save_project(project, target)
    return target


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERAS_DISTRIBUTION_")}
    return {**env, "TF_CPP_MIN_LOG_LEVEL": "2", **extra}


def test_the_script_sets_the_jax_backend_before_keras_and_is_ruff_clean(tmp_path, capsys):
    assert main(["codegen", str(_small_digits(tmp_path)), "--cluster", "jax"]) == 0
    text = capsys.readouterr().out
    backend = text.index('os.environ["KERAS_BACKEND"] = "jax"')
    assert backend < text.index("import keras")
    assert text.count("import os\n") == 1
    assert "keras.distribution.initialize()" in text
    assert "keras.distribution.DataParallel(" in text and "model.fit(" in text
    assert ruff_problems(text) == ""


def test_the_help_of_cluster_names_both_kinds():
    from app.cli import build_parser

    codegen = build_parser()._subparsers._group_actions[0].choices["codegen"]
    (cluster,) = [a for a in codegen._actions if "--cluster" in a.option_strings]
    assert cluster.choices == ["tf", "jax"]
    assert "TF_CONFIG" in cluster.help and "KERAS_DISTRIBUTION_" in cluster.help


def test_two_processes_train_to_the_same_weights(tmp_path):
    pytest.importorskip("jax", reason="the jax extra: pip install 'layerloom[jax]'")
    script = tmp_path / "train.py"
    assert (
        main(["codegen", str(_small_digits(tmp_path)), "--cluster", "jax", "-o", str(script)]) == 0
    )
    (port,) = free_ports(1)
    procs = []
    for index in range(2):
        env = _env(
            KERAS_DISTRIBUTION_JOB_ADDRESSES=f"localhost:{port}",
            KERAS_DISTRIBUTION_NUM_PROCESSES="2",
            KERAS_DISTRIBUTION_PROCESS_ID=str(index),
        )
        cmd = [sys.executable, str(script), "--epochs", "2", "--save", "out/model.keras"]
        cmd += ["--process-weights", f"process{index}.npz"]
        log = open(tmp_path / f"process{index}.log", "w")  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=log), log))
    try:
        codes = [p.wait(timeout=TIMEOUT) for p, _ in procs]
    finally:
        for p, log in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()
    logs = [(tmp_path / f"process{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], logs

    # Process 0 prints the epochs and keeps the model; process 1 keeps no file.
    epochs = [ln for ln in logs[0].splitlines() if ln.startswith("Epoch ")]
    assert epochs == ["Epoch 1/2", "Epoch 2/2"]
    # 160 training samples, 80 per process: 5 steps of 16 (the global batch of 32 halved).
    assert "5/5 - " in logs[0] and "val_accuracy:" in logs[0]
    assert "Epoch " not in logs[1]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["model.keras"]

    w0, w1 = np.load(tmp_path / "process0.npz"), np.load(tmp_path / "process1.npz")
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
        env=_env(),
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
    [
        ("kfold_diabetes", "k-fold"),
        ("custom_train_step", "own training step"),
        ("ticket_classifier", "text (string) input"),
    ],
)
def test_what_the_jax_script_cannot_run_is_refused(tmp_path, capsys, example, words):
    out = tmp_path / "train.py"
    code = main(["codegen", str(example_path(example)), "--cluster", "jax", "-o", str(out)])
    assert code == 2
    assert words in capsys.readouterr().err
    assert not out.exists()


def test_project_code_that_imports_tensorflow_is_refused(tmp_path, capsys):
    from app.project.project_code import CodeEntry

    project = load_project(example_path("digits_mlp"))
    loss = "import tensorflow as tf\n\n\ndef my_loss(y_true, y_pred):\n    return tf.reduce_mean(y_pred)\n"
    project.code = [*project.code, CodeEntry("loss", "my_loss", loss)]
    path = tmp_path / "p.llproj"
    save_project(project, path)
    assert main(["codegen", str(path), "--cluster", "jax"]) == 2
    err = capsys.readouterr().err
    assert "'my_loss' imports TensorFlow" in err
    # The same project is written for TensorFlow's cluster and for one machine.
    assert main(["codegen", str(path), "--cluster", "tf"]) == 0
    assert main(["codegen", str(path)]) == 0


def _two_outputs_project(tmp_path: Path) -> Path:
    """Synthetic data for a model with two outputs, one of them weighted per class."""
    from app.model import ModelGraph
    from app.project import DataSettings, Project, TrainingSettings

    g = ModelGraph("two_heads")
    x = g.add_node("keras.Input", "features", {"shape": [5]})
    h = g.add_node("keras.layers.Dense", "hidden", {"units": 8, "activation": "relu"})
    kind = g.add_node("keras.layers.Dense", "kind", {"units": 3, "activation": "softmax"})
    score = g.add_node("keras.layers.Dense", "score", {"units": 1})
    g.connect(x, h)
    g.connect(h, kind)
    g.connect(h, score)
    g.set_outputs([kind, score])
    data = DataSettings("synthetic", {"num_samples": 100}, validation_split=0.2)
    training = TrainingSettings.from_dict(
        {"batch_size": 16, "epochs": 1, "seed": 3, "class_weight": {"kind": {"0": 3.0}}}
    )
    path = tmp_path / "two.llproj"
    save_project(Project("Two heads", g, data, training), path)
    return path


def test_without_the_variables_it_trains_in_one_process_with_per_output_class_weights(tmp_path):
    """One process takes every sample (whole batches); the class weights of one output of two
    become sample weights, which are sharded with the samples."""
    pytest.importorskip("jax", reason="the jax extra: pip install 'layerloom[jax]'")
    script = tmp_path / "train.py"
    assert (
        main(
            ["codegen", str(_two_outputs_project(tmp_path)), "--cluster", "jax", "-o", str(script)]
        )
        == 0
    )
    text = script.read_text()
    assert "sample_weight=sample_weight" in text and "class_weight=" not in text
    assert ruff_problems(text) == ""
    done = subprocess.run(
        [sys.executable, str(script), "--epochs", "2", "--save", "model.keras"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # 80 training samples in batches of 16: 5 steps; 20 for validation: one whole batch.
    assert "5/5 - " in done.stdout and "val_kind_loss:" in done.stdout
    assert "Saved model.keras" in done.stdout and (tmp_path / "model.keras").is_file()


def test_every_example_is_written_as_a_valid_script_or_refused_in_words(tmp_path, capsys):
    """`from __future__` (the VAE's pasted code) stays first; the backend comes next."""
    from app.project.examples import list_examples

    written = []
    for name, _title, path in list_examples():
        out = tmp_path / f"{name}.py"
        code = main(["codegen", str(path), "--cluster", "jax", "-o", str(out)])
        err = capsys.readouterr().err
        if code == 2:
            assert not out.exists() and "error: The " in err, (name, err)
            continue
        assert code == 0, (name, err)
        text = out.read_text()
        compile(text, str(out), "exec")  # a syntax error (a late __future__ import) fails here
        assert ruff_problems(text) == "", name
        written.append(name)
    assert {"digits_mlp", "vae", "custom_training_code"} <= set(written)
    # Callbacks that write no files run in every process; the others are named as left out.
    text = (tmp_path / "custom_training_code.py").read_text()
    assert "callbacks = [keras.callbacks.LearningRateScheduler(step_decay)]" in text
    assert "Left out: LossHistory" in text
    text = (tmp_path / "digits_mlp.py").read_text()
    assert "ModelCheckpoint(" not in text and "Left out: ModelCheckpoint" in text
