"""The "devices" training setting: this CPU, one GPU, or all GPUs under MirroredStrategy.

This machine has no GPU, so the strategy path runs over a CPU split into two logical devices,
in a child process (the split must happen before TensorFlow starts and lasts for the process).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.project import TrainingConfig, TrainingError, load_project
from app.project.commands import set_devices
from app.project.examples import example_path
from app.training.devices import NO_GPU, gpu_names, placement_for

CHILD = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
    from app.project import load_project
    from app.training.headless import RunHooks, train_project

    events = []
    hooks = RunHooks(on_event=events.append)
    rec = train_project(
        load_project(sys.argv[1]), epochs=2, max_samples=160, hooks=hooks, devices=sys.argv[2]
    )
    model = hooks.model
    print(json.dumps({
        "status": rec.status,
        "epochs_done": rec.epochs_done,
        "path": rec.path,
        "history": hooks.history,
        "replicas": model.distribute_strategy.num_replicas_in_sync,
        "strategy": type(model.distribute_strategy).__name__,
        "mirrored": sorted({type(v.value).__name__ for v in model.trainable_variables}),
        "devices": [e["message"] for e in events if e["kind"] == "devices"],
    }))
    """
)


def _train_in_child(tmp_path, devices):
    project = tmp_path / "digits.llproj"
    shutil.copy(example_path("digits_mlp"), project)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(project), devices],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_all_devices_trains_under_a_mirrored_strategy_over_two_logical_devices(tmp_path):
    out = _train_in_child(tmp_path, "all")
    assert out["strategy"] == "MirroredStrategy" and out["replicas"] == 2
    assert out["mirrored"] == ["MirroredVariable"]  # the model was built in the scope
    assert out["devices"] == [
        f"Training on 2 devices with MirroredStrategy (/device:CPU:0, /device:CPU:1); {NO_GPU}."
    ]
    assert out["status"] == "completed" and out["epochs_done"] == 2
    assert len(out["history"]) == 2
    assert all(math.isfinite(row["loss"]) for row in out["history"])
    assert out["history"][1]["loss"] < out["history"][0]["loss"]
    folder = Path(out["path"])
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "completed" and run["epochs_done"] == 2
    assert {"best.keras", "final.keras", "history.csv"} <= {p.name for p in folder.iterdir()}
    settings = json.loads((folder / "settings.json").read_text())
    assert settings["training"]["devices"] == "all"


def test_one_device_on_the_same_split_machine_trains_without_a_strategy(tmp_path):
    out = _train_in_child(tmp_path, "cpu")
    assert out["replicas"] == 1 and out["mirrored"] == ["ResourceVariable"]
    assert out["devices"] == ["Training on /device:CPU:0."]
    assert out["status"] == "completed"


@pytest.mark.skipif(bool(gpu_names()), reason="this machine has a GPU")
def test_without_a_gpu_the_gpu_settings_say_so_and_use_the_cpu():
    for setting in ("gpu", "all"):
        placement = placement_for(setting)
        assert placement.strategy is None and placement.devices == ["/device:CPU:0"]
        assert placement.note == NO_GPU
    assert placement_for("cpu").note == ""


def test_the_setting_is_checked_saved_and_undoable(tmp_path):
    assert TrainingConfig().devices == "gpu"
    with pytest.raises(TrainingError, match="Unknown devices 'tpu'"):
        TrainingConfig.from_dict({"devices": "tpu"})
    path = tmp_path / "p.llproj"
    shutil.copy(example_path("digits_mlp"), path)
    project = load_project(path)
    inverse = set_devices(project, "all").apply(project)
    assert project.training.devices == "all"
    from app.project import save_project

    save_project(project, path)
    assert load_project(path).training.devices == "all"
    inverse.apply(project)
    assert project.training.devices == "gpu"


def test_the_cli_takes_devices_and_says_where_it_trains(tmp_path, capsys):
    from app.cli import main

    path = tmp_path / "p.llproj"
    shutil.copy(example_path("digits_mlp"), path)
    assert (
        main(["train", str(path), "--epochs", "1", "--max-samples", "100", "--devices", "cpu"]) == 0
    )
    assert "Training on /device:CPU:0.\n" in capsys.readouterr().err
    assert main(["train", str(path), "--devices", "tpu"]) == 2
    assert "invalid choice: 'tpu'" in capsys.readouterr().err
