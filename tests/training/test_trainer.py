"""The Trainer on real Keras: accuracy, stop, pause/resume, NaN, errors, data checks."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from app.data import DataConfig, DataError, Dataset, load_dataset
from app.data.synthetic import synthetic_dataset
from app.project import TrainingConfig, TrainingError
from app.project.runs import read_history
from app.training import Trainer


def test_digits_mlp_reaches_90_percent(digits, runs, mlp):
    epochs, batches = [], []
    trainer = Trainer(
        mlp(),
        digits,
        TrainingConfig(epochs=8, learning_rate=3e-3),
        runs,
        on_batch=batches.append,
        on_epoch=epochs.append,
    )
    t0 = time.perf_counter()
    rec = trainer.run()
    took = time.perf_counter() - t0
    assert rec.status == "completed" and rec.epochs_done == 8
    assert rec.best_metrics["val_accuracy"] >= 0.9, rec.best_metrics
    assert took < 60
    b = batches[-1]
    assert b["epoch"] == 7 and b["batch"] == b["steps_per_epoch"] - 1 == 44
    assert b["samples_per_s"] > 0 and b["eta_s"] == pytest.approx(0)
    assert b["lr"] == pytest.approx(3e-3) and isinstance(b["logs"]["loss"], float)
    assert len(batches) == 8 * 45 and len(epochs) == 8
    assert set(epochs[0]["logs"]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}


def _stop_after(trainer, step_event, seen):
    step_event.wait(30)
    trainer.stop()
    seen["at_stop"] = seen["step"]  # read after stop(): only the batch in flight may follow


def test_stop_from_another_thread_within_one_batch(digits, runs, mlp):
    model = mlp()
    before = [w.copy() for w in model.get_weights()]
    seen = {"step": 0}
    reached = threading.Event()

    def on_batch(d):
        seen["step"] = d["step"]
        if d["step"] == 20:
            reached.set()
            time.sleep(0.2)  # let the stopper thread call stop() before the next batch

    trainer = Trainer(
        model, digits, TrainingConfig(epochs=100, batch_size=8), runs, on_batch=on_batch
    )
    stopper = threading.Thread(target=_stop_after, args=(trainer, reached, seen))
    stopper.start()
    rec = trainer.run()
    stopper.join()
    assert rec.status == "stopped"
    assert seen["step"] - seen["at_stop"] <= 1  # at most the batch already running
    assert rec.epochs_done <= 1
    after = model.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))  # the model is kept
    loaded = keras.saving.load_model(f"{rec.path}/final.keras")
    np.testing.assert_allclose(loaded.get_weights()[0], after[0])


def test_pause_and_resume(digits, runs, mlp):
    steps, events = [], []
    trainer = None

    def on_batch(d):
        steps.append((time.perf_counter(), d["step"]))
        if d["step"] == 5:
            trainer.pause()

    def resumer():
        while not trainer.paused:
            time.sleep(0.01)
        time.sleep(0.5)
        events.append({"kind": "check", "steps": len(steps)})
        trainer.resume()

    trainer = Trainer(
        mlp(), digits, TrainingConfig(epochs=1), runs, on_batch=on_batch, on_event=events.append
    )
    th = threading.Thread(target=resumer)
    th.start()
    rec = trainer.run()
    th.join()
    kinds = [e["kind"] for e in events]
    assert kinds.index("paused") < kinds.index("check") < kinds.index("resumed")
    assert next(e for e in events if e["kind"] == "check")["steps"] == 5  # nothing ran meanwhile
    gap = steps[5][0] - steps[4][0]
    assert gap >= 0.45
    assert rec.status == "completed" and len(steps) == 45


def test_an_epoch_cut_short_by_stop_is_not_recorded_as_an_epoch(digits, runs, mlp):
    """Stop in the middle of epoch 2: the run records epoch 1 only (history, epochs, last and
    best metrics, best model), not the means of the few batches epoch 2 ran nor a validation
    it cut after one batch; the final model keeps the weights trained so far."""
    from app.project import CallbackConfig

    epochs = []
    model = mlp()

    def on_batch(d):
        if d["epoch"] == 1 and d["batch"] == 3:
            trainer.stop()

    cfg = TrainingConfig(
        epochs=5,
        batch_size=16,
        callbacks=[CallbackConfig("ModelCheckpoint", {"monitor": "val_loss"})],
    )
    trainer = Trainer(model, digits, cfg, runs, on_batch=on_batch, on_epoch=epochs.append)
    rec = trainer.run()
    assert rec.status == "stopped"
    assert [e["epoch"] for e in epochs] == [0] and [r["epoch"] for r in trainer.history] == [1]
    first = {k: v for k, v in trainer.history[0].items() if k != "epoch"}
    assert rec.epochs_done == 1 and rec.final_metrics == first
    assert rec.best_metrics == {
        **{k: v for k, v in first.items() if k != "learning_rate"},
        "best_epoch": 1.0,
    }
    folder = Path(rec.path)
    assert [r["epoch"] for r in read_history(folder)] == [1]
    assert json.loads((folder / "run.json").read_text())["epochs_done"] == 1
    best = keras.saving.load_model(folder / "best.keras")
    final = keras.saving.load_model(folder / "final.keras")
    # best.keras is epoch 1's model; final.keras has the batches of epoch 2 on top of it.
    assert not np.array_equal(best.get_weights()[0], final.get_weights()[0])
    np.testing.assert_allclose(final.get_weights()[0], model.get_weights()[0])


def test_nan_loss_reports_a_message_and_stops(runs):
    rng = np.random.default_rng(0)
    ds = Dataset(
        x={"x": rng.normal(size=(256, 4)).astype("float32") * 100},
        y={"y": rng.normal(size=(256, 1)).astype("float32") * 100},
        task="regression",
    )
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(1)(keras.layers.Dense(16)(inp)))
    events = []
    cfg = TrainingConfig(optimizer="SGD", learning_rate=1e10, epochs=20, losses={"y": "mse"})
    rec = Trainer(model, ds, cfg, runs, on_event=events.append).run()
    assert rec.status == "failed" and rec.epochs_done <= 1
    assert "The loss became NaN" in rec.message and "smaller learning rate" in rec.message
    assert any(e["kind"] == "nan" for e in events)
    assert json.loads(open(f"{rec.path}/run.json").read())["status"] == "failed"


def test_shape_mismatch_is_refused_before_training(runs, mlp):
    images = load_dataset(DataConfig(source="sklearn.digits_images"))
    batches = []
    trainer = Trainer(mlp(), images, TrainingConfig(epochs=1), runs, on_batch=batches.append)
    with pytest.raises(DataError, match=r"Input 'digits' expects shape \(None, 64\)"):
        trainer.run()
    # Refused before the run folder is made: no failed run is left behind.
    assert batches == [] and trainer.record is None
    assert not runs.exists() or list(runs.iterdir()) == []


class Explodes(keras.layers.Layer):
    """Fails at run time on the 3rd training batch, like a layer with a real bug."""

    def build(self, input_shape):
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, x, training=False):
        import tensorflow as tf

        if training:
            self.calls.assign_add(1.0)
            tf.debugging.assert_less(self.calls, 3.0, message="layer 'explodes' gave up")
        return x


def test_exception_in_a_layer_becomes_a_plain_training_error(digits, runs):
    x = keras.Input((64,), name="digits")
    out = keras.layers.Dense(10, activation="softmax", name="digit")(Explodes(name="explodes")(x))
    trainer = Trainer(keras.Model(x, out), digits, TrainingConfig(epochs=1), runs)
    with pytest.raises(TrainingError) as info:
        trainer.run()
    assert "layer 'explodes' gave up" in info.value.message
    assert "Traceback" not in info.value.message and info.value.message.startswith(
        "Training failed"
    )
    assert trainer.record.status == "failed"


def test_synthetic_data_trains_a_three_input_two_output_model(runs, ticket_model):
    model = ticket_model()
    ds = load_dataset(DataConfig(source="synthetic", options={"num_samples": 128}), model)
    events = []
    cfg = TrainingConfig(epochs=1, loss_weights={"priority": 1.0, "department": 0.5})
    rec = Trainer(model, ds, cfg, runs, on_epoch=events.append).run()
    assert rec.status == "completed"
    logs = events[0]["logs"]
    assert {"priority_loss", "department_loss", "department_accuracy", "val_loss"} <= set(logs)
    assert synthetic_dataset(model, 4).x.keys() == {"title", "body", "tags"}


def test_output_without_loss_needs_no_targets(runs):
    inp = keras.Input((4,), name="x")
    h = keras.layers.Dense(3, name="code")(inp)
    recon = keras.layers.Dense(4, name="recon")(h)
    model = keras.Model(inp, [recon, h])
    rng = np.random.default_rng(0)
    data = rng.normal(size=(64, 4)).astype("float32")
    ds = Dataset(x={"x": data}, y={"recon": data}, task="reconstruction")
    rec = Trainer(
        model, ds, TrainingConfig(epochs=1, losses={"recon": "mse", "code": "none"}), runs
    ).run()
    assert rec.status == "completed"


def test_runs_in_a_worker_thread_and_stops_from_the_caller(digits, runs, mlp):
    first_epoch = threading.Event()
    result = {}
    trainer = Trainer(
        mlp(),
        digits,
        TrainingConfig(epochs=200, seed=3),
        runs,
        on_epoch=lambda d: first_epoch.set(),
    )

    def work():
        result["record"] = trainer.run()

    worker = threading.Thread(target=work)
    worker.start()
    assert first_epoch.wait(60)
    trainer.stop()
    worker.join(30)
    assert not worker.is_alive()
    assert result["record"].status == "stopped" and result["record"].epochs_done < 200


def test_conv_autoencoder_and_vae_train_on_their_inputs(runs):
    from app.compiler.custom_layers import KLDivergence, Sampling

    ds = load_dataset(DataConfig(source="sklearn.digits_images", target="inputs", max_samples=256))
    x = keras.Input((8, 8, 1), name="image")
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    out = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="recon")(h)
    rec = Trainer(keras.Model(x, out), ds, TrainingConfig(epochs=1), runs).run()
    assert rec.status == "completed" and "val_loss" in rec.final_metrics

    x = keras.Input((8, 8, 1), name="image")
    f = keras.layers.Flatten()(x)
    z_mean = keras.layers.Dense(2, name="z_mean")(f)
    z_log_var = keras.layers.Dense(2, name="z_log_var")(f)
    z_mean, z_log_var = KLDivergence(name="kl")([z_mean, z_log_var])
    z = Sampling(name="z")([z_mean, z_log_var])
    dec = keras.layers.Reshape((8, 8, 1), name="decoded")(
        keras.layers.Dense(64, activation="sigmoid")(z)
    )
    vae = keras.Model(x, dec)
    events = []
    rec = Trainer(
        vae,
        ds,
        TrainingConfig(epochs=2, losses={"decoded": "binary_crossentropy"}),
        runs,
        on_epoch=events.append,
    ).run()
    assert rec.status == "completed" and rec.final_model == "final.keras"
    assert np.isfinite(events[-1]["logs"]["loss"])


def test_a_model_builder_runs_after_seeding(digits, runs, mlp):
    models = []

    def build():
        models.append(mlp())
        return models[-1]

    for _ in range(2):
        Trainer(build, digits, TrainingConfig(epochs=1, seed=11), runs).run()
    np.testing.assert_allclose(models[0].get_weights()[0], models[1].get_weights()[0], atol=1e-5)


def test_a_run_leaves_no_traced_graphs_in_tensorflows_gradient_registry(digits, runs, mlp):
    from app.training.tf_leaks import custom_gradient_names

    before = custom_gradient_names()
    during: list[int] = []
    rec = Trainer(
        mlp(),
        digits,
        TrainingConfig(epochs=1),
        runs,
        on_epoch=lambda d: during.append(len(custom_gradient_names())),
    ).run()
    assert rec.status == "completed"
    assert during and during[0] > len(before)  # the traced train step registered gradients
    assert custom_gradient_names() == before  # ... and they went with the run
