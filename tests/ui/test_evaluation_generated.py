"""The Evaluation panel after a run with a GAN-style step on images: the step's generator (the
sub-model that takes a latent vector the data does not feed and makes a sample of the data's
shape) is shown as a grid of its outputs for random normal latent vectors of a fixed seed, and
"New samples" draws another seed; the run's trained generator makes them."""

from __future__ import annotations

import numpy as np
import pytest

from app.compiler import custom_code as cc
from app.model import ModelGraph
from app.project import Project, save_project
from app.project.project_code import CodeEntry
from app.training.generated import latents
from app.ui.data.views import array_to_qimage
from app.ui.window_parts import EVALUATION_TAB, TRAINING_TAB

pytest.importorskip("keras")
TIMEOUT_MS = 120_000
LATENT = 3

# A GAN on 8×8 images as the guide writes it, as small as it gets.
IMAGE_GAN = """
import tensorflow as tf


class ImageGAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim=3):
        super().__init__()
        self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seeds = keras.random.SeedGenerator(1)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    def gan_losses(self, real):
        n = ops.shape(real)[0]
        fake = self.generator(keras.random.normal((n, self.latent_dim), seed=self.seeds))
        ones, zeros = ops.ones((n, 1)), ops.zeros((n, 1))
        d_loss = self.loss_fn(ones, self.discriminator(real)) + self.loss_fn(
            zeros, self.discriminator(fake)
        )
        return d_loss, self.loss_fn(ones, self.discriminator(fake))

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


def image_gan_graph() -> ModelGraph:
    """latent(3) -> block 'generator' (Dense 64, Reshape 8×8×1) -> block 'discriminator'."""
    g = ModelGraph("image_gan")
    z = g.add_node("keras.Input", "latent", params={"shape": [LATENT]})
    gen = ModelGraph("generator")
    i = gen.add_node("keras.Input", "z", params={"shape": [LATENT]})
    d = gen.add_node("keras.layers.Dense", "d", params={"units": 64, "activation": "sigmoid"})
    r = gen.add_node("keras.layers.Reshape", "r", params={"target_shape": [8, 8, 1]})
    gen.connect(i, d)
    gen.connect(d, r)
    gen.set_outputs([r])
    disc = ModelGraph("discriminator")
    i = disc.add_node("keras.Input", "image", params={"shape": [8, 8, 1]})
    f = disc.add_node("keras.layers.Flatten", "f")
    d = disc.add_node("keras.layers.Dense", "d", params={"units": 1})
    disc.connect(i, f)
    disc.connect(f, d)
    disc.set_outputs([d])
    bg = g.add_node("layerloom.Block", "generator", subgraph=gen)
    g.connect(z, bg, port=gen.inputs[0])
    bd = g.add_node("layerloom.Block", "discriminator", subgraph=disc)
    g.connect(bg, bd, port=disc.inputs[0])
    g.set_outputs([bd])
    return g


def image_gan_project(path) -> str:
    rng = np.random.default_rng(0)
    np.savez(path.parent / "real.npz", images=rng.uniform(size=(64, 8, 8, 1)).astype("float32"))
    project = Project(name="image_gan", graph=image_gan_graph())
    project.code = [CodeEntry("step", "ImageGAN", IMAGE_GAN)]
    project.data = project.data.from_dict(
        {"source": "numpy", "options": {"path": "real.npz", "x": ["images"], "y": []},
         "validation": "split", "validation_split": 0.25}
    )  # fmt: skip
    sgd = {"class_name": "SGD", "config": {"learning_rate": 0.05}}
    project.training = project.training.from_dict(
        {"epochs": 1, "batch_size": 16,
         "step": {"name": "ImageGAN", "models": {"generator": "generator",
                                                 "discriminator": "discriminator"},
                  "args": {"latent_dim": LATENT},
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


def _pixels(image) -> np.ndarray:
    return np.array(
        [
            [image.pixelColor(x, y).red() for x in range(image.width())]
            for y in range(image.height())
        ]
    )


def test_a_gan_run_shows_its_generators_samples(window, qtbot, tmp_path, errors) -> None:
    path = image_gan_project(tmp_path / "gan.llproj")
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
    assert set(evaluation.result["metrics"]) == {"d_loss", "g_loss"}
    # The generator is the run's trained block, not a copy.
    generator = evaluation.model.get_layer("generator")
    assert evaluation.generator.model is generator
    # The samples replace the "nothing to preview" note and are the shown tab.
    assert "No predictions to preview" not in evaluation.message.text()
    assert evaluation.samples.currentIndex() == evaluation.gen_tab
    assert evaluation.samples.isTabVisible(evaluation.gen_tab)
    assert evaluation.gen_grid.count == 16
    shown = evaluation.generated
    assert shown["seed"] == 0
    expected = generator.predict(latents(LATENT, 16, 0), verbose=0)
    assert shown["images"].shape == (16, 8, 8, 1)
    np.testing.assert_allclose(shown["images"], expected, rtol=1e-5, atol=1e-6)
    # The tiles are those images, as drawn (sigmoid outputs in 0..1 are shown unscaled).
    tiles = evaluation.gen_grid._items
    for (images, _caption, _colour), sample in zip(tiles, expected):
        np.testing.assert_array_equal(_pixels(images[0]), _pixels(array_to_qimage(sample)))
        assert np.abs(_pixels(images[0]) - np.round(sample[..., 0] * 255)).max() <= 1

    # New samples: the next seed's latent vectors, on the worker.
    first = shown["images"]
    assert evaluation.new_samples()
    qtbot.waitUntil(lambda: evaluation.generated["seed"] == 1, timeout=TIMEOUT_MS)
    again = generator.predict(latents(LATENT, 16, 1), verbose=0)
    np.testing.assert_allclose(evaluation.generated["images"], again, rtol=1e-5, atol=1e-6)
    assert not np.allclose(evaluation.generated["images"], first)
    assert evaluation.gen_grid.count == 16

    # PNG export of the grid.
    qtbot.waitUntil(lambda: not evaluation.runner.busy, timeout=TIMEOUT_MS)
    out = tmp_path / "samples.png"
    assert evaluation.export_samples(out), evaluation.message.text()
    from PySide6.QtGui import QImage

    assert not QImage(str(out)).isNull()
    assert not errors
