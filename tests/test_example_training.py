"""Every bundled example trains with its own data and training settings, offline."""

from __future__ import annotations

import math
import time

import pytest

from app.project import load_project
from app.project.examples import example_path, list_examples
from app.training import train_project

NAMES = [name for name, _, _ in list_examples()]


@pytest.mark.parametrize("name", NAMES)
def test_example_trains_one_epoch_on_a_few_samples(name, tmp_path):
    from app.compiler.custom_code import trust_project_code

    project = load_project(example_path(name))
    assert project.data.source and (project.training.losses or project.training.step)
    trust_project_code(project.code)  # as the user does for an example with training code
    record = train_project(project, epochs=1, out_dir=tmp_path, max_samples=64)
    assert record.status == "completed", record.message
    assert record.epochs_done == 1
    losses = [k for k in record.final_metrics if k.endswith("loss") and not k.startswith("val_")]
    assert losses and all(math.isfinite(record.final_metrics[k]) for k in losses)
    assert all(math.isfinite(record.final_metrics[f"val_{k}"]) for k in losses)


@pytest.mark.parametrize("name", ["digits_mlp", "digits_cnn"])
def test_digits_examples_reach_95_percent_with_their_own_settings(name, tmp_path):
    project = load_project(example_path(name))
    assert project.training.epochs == 20 and project.training.batch_size == 32
    assert project.data.validation_split == 0.2
    start = time.perf_counter()
    record = train_project(project, out_dir=tmp_path)
    seconds = time.perf_counter() - start
    print(f"{name}: best val_accuracy {record.best_metrics['val_accuracy']:.3f} in {seconds:.1f} s")
    assert record.status == "completed"
    assert record.best_metrics["val_accuracy"] >= 0.95
    assert record.best_model == "best.keras"


def test_autoencoders_train_x_to_x_and_the_vae_adds_kl(tmp_path):
    from app.compiler import build_model
    from app.data import load_dataset
    from app.project.settings import settings_from_project

    for name in ("conv_autoencoder", "vae"):
        project = load_project(example_path(name))
        data, _ = settings_from_project(project)
        assert data["target"] == "inputs" and data["source"] == "numpy"
        dataset = load_dataset(data)
        (x,) = dataset.x.values()
        (y,) = dataset.y.values()
        assert y.shape == x.shape and float(y.max()) == 1.0  # reconstruction of 0..1 pixels
        record = train_project(project, epochs=3, out_dir=tmp_path / name, max_samples=400)
        losses = [row["loss"] for row in _history(record)]
        assert losses[-1] < losses[0], (name, losses)
    model = build_model(load_project(example_path("vae")).graph)
    model(x[:4])
    assert len(model.losses) == 1  # the KL term rides along with the reconstruction loss


def _history(record):
    from app.project.runs import read_history

    return read_history(record.path)
