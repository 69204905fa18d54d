"""LayerLoom's own Keras layers, registered so saved models load back (package "layerloom").

They make the variational autoencoder of the Keras guides a plain Functional graph:
encoder -> (z_mean, z_log_var) -> KLDivergence -> Sampling -> decoder.
"""

from __future__ import annotations

import keras
from keras import ops

from app.keras_internals import register_custom_name


@keras.saving.register_keras_serializable(package="layerloom")
class Sampling(keras.layers.Layer):
    """Draws z = z_mean + exp(z_log_var / 2) * epsilon (the VAE reparameterisation trick)."""

    def __init__(self, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="layerloom")
class KLDivergence(keras.layers.Layer):
    """Adds weight * KL(N(z_mean, exp(z_log_var)) || N(0, 1)) to the model's losses.

    Passes (z_mean, z_log_var) through unchanged, so it sits on the path to the outputs
    and Keras calls it (and adds its loss) on every forward pass.
    """

    def __init__(self, weight: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.weight = weight

    def call(self, inputs):
        z_mean, z_log_var = inputs
        kl = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1.0)
        self.add_loss(self.weight * kl)
        return [z_mean, z_log_var]

    def compute_output_shape(self, input_shape):
        return [input_shape[0], input_shape[1]]

    def get_config(self) -> dict:
        return {**super().get_config(), "weight": self.weight}


LAYERLOOM_LAYERS = {"layerloom>Sampling": Sampling, "layerloom>KLDivergence": KLDivergence}


def ensure_registered() -> dict[str, type]:
    """Make Keras' registry map LayerLoom's names to these classes (a script run in the same
    process may have registered copies under the same names); returns the name -> class map."""
    for name, cls in LAYERLOOM_LAYERS.items():
        register_custom_name(name, cls)
    return LAYERLOOM_LAYERS
