"""Training with a project training step (the guide's CustomModel) through train_project vs the
same step class in a plain script. Prints figures; never fails.

    python benchmarks/bench_custom_step.py [--rounds 8] [--epochs 4] [--samples 4096]

Both sides train the same graph (64 -> Dense 64 relu -> Dense 10 softmax) on the same synthetic
data, batch size and compile settings with the CustomModel class of the custom_train_step
example: LayerLoom through train_project (project code run from trusted text, per-batch
forwarding, run folder, history, final model), the script by `CustomModel(inputs, outputs)`
and `fit` (no callbacks). Rounds alternate which side goes first. The ratio is pooled from
all epochs after the first (which traces the step), with a bootstrap 95% interval resampling
whole rounds (a round's runs share the machine's speed of the moment).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "resources" / "examples"))


def make_project(samples: int, epochs: int):
    from build_examples import CUSTOM_MODEL

    from app.model import ModelGraph
    from app.project import Project
    from app.project.project_code import CodeEntry

    g = ModelGraph("mlp")
    x = g.add_node("keras.Input", "x", params={"shape": [64]})
    h = g.add_node("keras.layers.Dense", "hidden", params={"units": 64, "activation": "relu"})
    y = g.add_node("keras.layers.Dense", "digit", params={"units": 10, "activation": "softmax"})
    g.connect(x, h)
    g.connect(h, y)
    g.set_outputs([y])
    project = Project(name="bench", graph=g, code=[CodeEntry("step", "CustomModel", CUSTOM_MODEL)])
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"num_samples": samples, "labels": "sparse"},
         "validation": "none"}
    )  # fmt: skip
    project.training = project.training.from_dict(
        {"epochs": epochs, "batch_size": 32, "losses": {"digit": "sparse_categorical_crossentropy"},
         "metrics": {"digit": ["accuracy"]}, "step": {"name": "CustomModel"}}
    )  # fmt: skip
    return project


def layerloom_run(project, runs: Path) -> list[float]:
    from app.training.headless import RunHooks, train_project

    times: list[float] = []
    hooks = RunHooks(on_epoch=lambda d: times.append(d["duration_s"]))
    train_project(project, out_dir=runs, hooks=hooks)
    return times


def script_run(project, epochs: int) -> list[float]:
    """What a script does: the class from the same text, CustomModel(inputs, outputs), fit."""
    import keras
    from bench_training import EpochClock

    from app.compiler import build_model
    from app.compiler.custom_code import code_object
    from app.data import DataConfig, fit_arrays, load_dataset
    from app.project.settings import settings_from_project
    from app.project.training_config import TrainingConfig

    data, training = settings_from_project(project)
    config = TrainingConfig.from_dict(training)
    keras.utils.set_random_seed(0)
    base = build_model(project.graph)
    ds = load_dataset(DataConfig.from_dict(data), base)
    cls = code_object(project.code[0])
    model = cls(inputs=base.input, outputs=base.output, name=base.name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y, _ = fit_arrays(model, ds)
    clock = EpochClock()
    model.fit(x, y, batch_size=config.batch_size, epochs=epochs, callbacks=[clock], verbose=0)
    return clock.times


def interval(ours: list[list[float]], theirs: list[list[float]], draws: int = 2000) -> str:
    import numpy as np

    rng = np.random.default_rng(0)
    n = len(ours)
    values = []
    for _ in range(draws):
        pick = rng.integers(0, n, n)
        a = np.median(np.concatenate([ours[i] for i in pick]))
        b = np.median(np.concatenate([theirs[i] for i in pick]))
        values.append(b / a)
    lo, hi = np.percentile(values, [2.5, 97.5])
    return f"{lo:.3f}-{hi:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=4096)
    args = parser.parse_args()
    from app.compiler.custom_code import trust_project_code
    from app.training.trainer import release_memory

    project = make_project(args.samples, args.epochs)
    trust_project_code(project.code)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = ("layerloom", "script") if r % 2 == 0 else ("script", "layerloom")
            for side in order:
                release_memory()
                t0 = time.perf_counter()
                if side == "layerloom":
                    times = layerloom_run(project, Path(tmp) / f"r{r}")
                    ours.append(times[1:])
                else:
                    times = script_run(project, args.epochs)
                    theirs.append(times[1:])
                print(
                    f"round {r + 1} {side:9s}: epochs after the first "
                    f"{statistics.median(times[1:]) * 1000:.0f} ms median, "
                    f"{time.perf_counter() - t0:.1f} s in all",
                    flush=True,
                )
    a = statistics.median([t for run in ours for t in run])
    b = statistics.median([t for run in theirs for t in run])
    print(
        f"\n{args.samples} samples, batch 32, {args.epochs} epochs, {args.rounds} rounds: "
        f"LayerLoom {args.samples / a:,.0f} samples/s, script {args.samples / b:,.0f} samples/s"
    )
    print(
        f"throughput ratio LayerLoom / script (pooled median epochs): {b / a:.3f}; "
        f"95% interval {interval(ours, theirs)}"
    )


if __name__ == "__main__":
    main()
