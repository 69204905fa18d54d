"""Functional regression weighted per sample: half the samples weigh 0 (their targets are
noise), with a validation split that Keras weighs as it splits the samples."""

import json

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(11)

rng = np.random.default_rng(11)
n = 240
features = rng.normal(size=(n, 5)).astype("float32")
target = (features @ np.array([0.5, -1.0, 0.25, 2.0, 0.0], dtype="float32"))[:, None]
weight = np.ones(n, dtype="float32")
weight[::2] = 0.0  # every other sample does not count ...
target[::2] = rng.normal(scale=20.0, size=(n // 2, 1))  # ... and its target is noise
weight[1::4] = 2.5  # and some count more

inputs = keras.Input(shape=(5,), name="features")
hidden = layers.Dense(12, activation="relu", name="hidden")(inputs)
value = layers.Dense(1, name="value")(hidden)
model = keras.Model(inputs, value, name="weighted")
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.02),
    loss="mse",
    metrics=["mean_absolute_error"],
)
print("PARAMS", model.count_params())
history = model.fit(
    features,
    target,
    sample_weight=weight,
    batch_size=16,
    epochs=3,
    validation_split=0.25,
)
print("HISTORY", json.dumps(history.history))
