"""The Evaluation panel after a run with a training step of sub-models (the guides' GAN): the
metrics are what the step's test_step returns, as `layerloom evaluate --run` prints them, and
the panel says in words why there is no confusion matrix instead of asking for a trained model."""

from __future__ import annotations

import re

import numpy as np
import pytest

from app.cli import main
from app.compiler import custom_code as cc
from app.model import ModelGraph
from app.project import Project, save_project
from app.project.project_code import CodeEntry
from app.ui.window_parts import EVALUATION_TAB, TRAINING_TAB

pytest.importorskip("keras")
TIMEOUT_MS = 120_000

# A GAN as the guide writes it, as small as it gets; the latent vectors are the first two
# features of each sample (no randomness), so two evaluations of one model agree.
TINY_GAN = """
import tensorflow as tf


class TinyGAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim=2):
        super().__init__()
        self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    def gan_losses(self, real):
        z = real[:, : self.latent_dim]
        fake = self.generator(z)
        ones, zeros = ops.ones((ops.shape(real)[0], 1)), ops.zeros((ops.shape(real)[0], 1))
        d_loss = self.loss_fn(ones, self.discriminator(real)) + self.loss_fn(
            zeros, self.discriminator(fake)
        )
        g_loss = self.loss_fn(ones, self.discriminator(fake))
        return d_loss, g_loss

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape(persistent=True) as tape:
            d_loss, g_loss = self.gan_losses(real)
        d_w, g_w = self.discriminator.trainable_weights, self.generator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_w), d_w))
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_w), g_w))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        d_loss, g_loss = self.gan_losses(real)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}
"""


def gan_graph() -> ModelGraph:
    """latent(2) -> block 'generator' (Dense 4) -> block 'discriminator' (Dense 1)."""
    g = ModelGraph("tiny_gan")
    z = g.add_node("keras.Input", "latent", params={"shape": [2]})
    prev = z
    for name, units, width in (("generator", 4, 2), ("discriminator", 1, 4)):
        sub = ModelGraph(name)
        i = sub.add_node("keras.Input", "i", params={"shape": [width]})
        d = sub.add_node("keras.layers.Dense", "d", params={"units": units})
        sub.connect(i, d)
        sub.set_outputs([d])
        b = g.add_node("layerloom.Block", name, subgraph=sub)
        g.connect(prev, b, port=sub.inputs[0])
        prev = b
    g.set_outputs([prev])
    return g


def gan_project(path) -> str:
    """The tiny GAN on 80 samples of 4 numbers (no targets), as the GAN example's data."""
    rng = np.random.default_rng(0)
    np.savez(path.parent / "real.npz", samples=rng.normal(size=(80, 4)).astype("float32"))
    project = Project(name="tiny_gan", graph=gan_graph())
    project.code = [CodeEntry("step", "TinyGAN", TINY_GAN)]
    project.data = project.data.from_dict(
        {"source": "numpy", "options": {"path": "real.npz", "x": ["samples"], "y": []},
         "validation": "split", "validation_split": 0.25}
    )  # fmt: skip
    sgd = {"class_name": "SGD", "config": {"learning_rate": 0.05}}
    project.training = project.training.from_dict(
        {"epochs": 1, "batch_size": 16,
         "step": {"name": "TinyGAN", "models": {"generator": "generator",
                                                "discriminator": "discriminator"},
                  "args": {"latent_dim": 2},
                  "compile": {"d_optimizer": sgd, "g_optimizer": sgd,
                              "loss_fn": {"class_name": "BinaryCrossentropy",
                                          "config": {"from_logits": True}}}}}
    )  # fmt: skip
    save_project(project, path)
    return str(path)


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def test_a_gan_run_is_evaluated_by_its_test_step_as_the_cli_does(
    window, qtbot, tmp_path, errors, capsys
) -> None:
    path = gan_project(tmp_path / "gan.llproj")
    assert window.open_path(path)
    window.trust_banner.trust_all()
    training = window.panels.show(TRAINING_TAB)
    training.ask = lambda title, question: True
    training.show_error = lambda title, message: errors.append((title, message))
    assert training.start()
    qtbot.waitUntil(lambda: not training.is_running, timeout=TIMEOUT_MS)
    assert training.last_result["status"] == "completed", (training.last_result, errors)

    evaluation = window.panels.show(EVALUATION_TAB)
    qtbot.waitUntil(
        lambda: evaluation.model is not None and evaluation.dataset is not None, timeout=TIMEOUT_MS
    )
    qtbot.waitUntil(lambda: not evaluation.runner.busy, timeout=TIMEOUT_MS)
    if evaluation.result is None:
        assert evaluation.evaluate(), evaluation.message.text()
    qtbot.waitUntil(
        lambda: evaluation.result is not None and not evaluation.runner.busy, timeout=TIMEOUT_MS
    )
    assert "failed" not in evaluation.message.text(), evaluation.message.text()
    metrics = evaluation.result["metrics"]
    assert set(metrics) == {"d_loss", "g_loss"}, evaluation.result
    shown = {evaluation.metrics.item(r, 0).text() for r in range(evaluation.metrics.rowCount())}
    assert shown == {"d_loss", "g_loss"}
    # No request for a trained model; the missing confusion matrix is explained.
    assert "not been trained" not in evaluation.message.text()
    assert evaluation.confusion.isHidden()
    assert "training step 'TinyGAN' trains sub-models" in evaluation.cm_placeholder.text()
    # The graph's model takes latent vectors, not the data: said, not attempted.
    assert "No predictions to preview: Input 'latent'" in evaluation.message.text()
    # Its generator makes 4 numbers, no image: there are no samples to draw.
    assert evaluation.generator is None
    assert not evaluation.samples.isTabVisible(evaluation.gen_tab)

    # The same numbers as the command line's evaluation of the run's saved model.
    capsys.readouterr()
    assert main(["evaluate", path, "--run", "latest", "--trust-code"]) == 0
    printed = dict(re.findall(r"  (\w+): ([-\d.]+)", capsys.readouterr().out))
    for key in ("d_loss", "g_loss"):
        assert metrics[key] == pytest.approx(float(printed[key]), abs=1e-4), (key, printed)
    assert not errors
