"""Functional regression weighted per sample, whose metrics are reported both unweighted
(metrics) and weighted by the sample weights (weighted_metrics, one of them the same metric:
Keras names that one weighted_...)."""

import json

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(13)

rng = np.random.default_rng(13)
n = 200
features = rng.normal(size=(n, 4)).astype("float32")
target = (features @ np.array([1.0, -0.5, 0.0, 1.5], dtype="float32"))[:, None]
target[::3] += rng.normal(scale=5.0, size=(len(target[::3]), 1)).astype("float32")
weight = np.where(np.arange(n) % 3 == 0, 0.1, 2.0).astype("float32")

inputs = keras.Input(shape=(4,), name="features")
hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
value = layers.Dense(1, name="value")(hidden)
model = keras.Model(inputs, value, name="weighted_metrics")
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.02),
    loss="mse",
    metrics=["mean_absolute_error"],
    weighted_metrics=["mean_absolute_error", "mean_squared_error"],
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
