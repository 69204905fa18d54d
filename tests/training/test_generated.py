"""Finding a training step's generator among its sub-models, and what it makes for a seed."""

from __future__ import annotations

import numpy as np
import pytest

from app.training.generated import find_generator, generate, image_like, latents

keras = pytest.importorskip("keras")


def _model(in_shape, layers, name):
    x = inp = keras.Input(in_shape)
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, x, name=name)


def test_the_sub_model_from_a_latent_vector_to_a_data_sample_is_the_generator() -> None:
    disc = _model((8, 8, 1), [keras.layers.Flatten(), keras.layers.Dense(1)], "disc")
    gen = _model((5,), [keras.layers.Dense(64), keras.layers.Reshape((8, 8, 1))], "gen")
    found = find_generator({"discriminator": disc, "generator": gen}, [(8, 8, 1)])
    assert found is not None and found.model is gen and found.latent_dim == 5
    assert found.name == "generator"
    z, images = generate(found, 4, seed=7)
    np.testing.assert_array_equal(z, latents(5, 4, 7))
    np.testing.assert_allclose(images, gen.predict(z, verbose=0), rtol=1e-6)
    assert not np.allclose(latents(5, 4, 7), latents(5, 4, 8))


def test_no_generator_when_the_data_feeds_it_or_the_samples_are_no_images() -> None:
    # An encoder-decoder pair on vectors: the data is no image.
    dec = _model((2,), [keras.layers.Dense(16)], "dec")
    assert find_generator({"decoder": dec}, [(16,)]) is None
    # A model whose input the data feeds (its vectors are the data's samples) is no generator.
    flat = _model((64,), [keras.layers.Reshape((8, 8, 1))], "flat")
    assert find_generator({"m": flat}, [(8, 8, 1), (64,)]) is None
    # Output of another shape than the data's samples.
    gen = _model((3,), [keras.layers.Dense(36), keras.layers.Reshape((6, 6, 1))], "gen")
    assert find_generator({"generator": gen}, [(8, 8, 1)]) is None


def test_image_like_shapes() -> None:
    assert image_like((28, 28)) and image_like((28, 28, 1)) and image_like((8, 8, 3))
    assert not image_like((28,)) and not image_like((2, 28, 1)) and not image_like((8, 8, 7))
