"""Generated scripts place training as the project's "devices" setting says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from script_checks import ruff_problems

from app.compiler import generate_code
from app.project import load_project
from app.project.commands import set_devices, set_training
from app.project.examples import example_path

# Splits the CPU into two logical devices, then runs the script as a program.
SPLIT_AND_RUN = textwrap.dedent(
    """
    import json, runpy, sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
    script = sys.argv[1]
    sys.argv = [script, "--epochs", "1"]
    space = runpy.run_path(script, run_name="__main__")
    model = space["model"]
    print(json.dumps({
        "replicas": model.distribute_strategy.num_replicas_in_sync,
        "variables": sorted({type(v.value).__name__ for v in model.trainable_variables}),
    }))
    """
)


def _script(devices: str, **training) -> str:
    project = load_project(example_path("digits_mlp"))
    set_devices(project, devices).apply(project)
    if training:
        set_training(project, **training).apply(project)
    return generate_code(project.graph, project)


def test_an_all_devices_script_trains_under_a_mirrored_strategy(tmp_path):
    source = _script("all")
    assert ruff_problems(source) == ""
    assert "strategy = tf.distribute.MirroredStrategy(" in source
    assert "with strategy.scope():\n    model = build_model()" in source
    script = tmp_path / "train_model.py"
    script.write_text(source)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", SPLIT_AND_RUN, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "val_accuracy: " in done.stdout
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"replicas": 2, "variables": ["MirroredVariable"]}


def test_cpu_and_one_gpu_scripts(tmp_path):
    cpu = _script("cpu")
    assert ruff_problems(cpu) == ""
    assert 'tf.config.set_visible_devices([], "GPU")  # devices: this CPU' in cpu
    assert "strategy" not in cpu
    one = _script("gpu")
    assert "tensorflow" not in one and "strategy" not in one


def test_a_k_fold_script_builds_each_fold_in_the_strategy(tmp_path):
    project = load_project(example_path("kfold_diabetes"))
    set_devices(project, "all").apply(project)
    source = generate_code(project.graph, project)
    assert ruff_problems(source) == ""
    assert "        with strategy.scope():\n            fold_model = build_model()" in source
