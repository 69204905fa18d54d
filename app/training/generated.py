"""What a training step's generator makes: the step's sub-model that maps a latent vector (an
input the data does not feed) to a sample of the data's shape (the GAN's generator, the VAE's
decoder), and a grid's worth of its outputs for random normal latent vectors of a seed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Generator:
    """`model` (the very sub-model object the step was made with) takes latent vectors of
    `latent_dim` numbers; `name` is the step's parameter that takes it."""

    name: str
    model: Any
    latent_dim: int


def _shape(tensor: Any) -> tuple:
    return tuple(tensor.shape[1:])


def image_like(shape: tuple) -> bool:
    """H×W or H×W×C (C 1, 3 or 4) with both sides at least 4."""
    if len(shape) == 3 and shape[-1] not in (1, 3, 4):
        return False
    return len(shape) in (2, 3) and all(isinstance(s, int) and s >= 4 for s in shape[:2])


def find_generator(sub_models: dict[str, Any], sample_shapes: list[tuple]) -> Generator | None:
    """The first sub-model with one input, a latent vector of a shape no data array has (the data
    does not feed it), and one output of the data's (first array's) sample shape, image-like.

    `sample_shapes`: the shapes of one sample of each of the data's input arrays."""
    if not sample_shapes or not image_like(tuple(sample_shapes[0])):
        return None
    target = tuple(sample_shapes[0])
    fed = {tuple(s) for s in sample_shapes}
    for name, model in sub_models.items():
        inputs, outputs = list(getattr(model, "inputs", None) or []), list(model.outputs or [])
        if len(inputs) != 1 or len(outputs) != 1:
            continue
        latent = _shape(inputs[0])
        if len(latent) != 1 or not isinstance(latent[0], int) or latent in fed:
            continue
        if not str(inputs[0].dtype).startswith("float"):
            continue
        if _shape(outputs[0]) == target:
            return Generator(name, model, latent[0])
    return None


def latents(latent_dim: int, count: int, seed: int) -> np.ndarray:
    """`count` random normal latent vectors, the same for the same seed."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, latent_dim)).astype(np.float32)


def generate(generator: Generator, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(latent vectors, the generator's outputs for them) for `seed`."""
    z = latents(generator.latent_dim, count, seed)
    return z, np.asarray(generator.model.predict(z, verbose=0))
