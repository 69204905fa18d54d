"""Sequential classifier weighted per sample, its validation data weighted too:
validation_data=(x, y, sample_weight). Half the samples weigh 0 and have random labels."""

import json

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(5)

rng = np.random.default_rng(5)


def make(n):
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    w = np.ones(n, dtype="float32")
    w[n // 2 :] = 0.0
    y[n // 2 :] = rng.integers(0, 2, size=n - n // 2)
    return x, y, w


x, y, w = make(200)
x_val, y_val, w_val = make(80)

model = keras.Sequential(
    [
        keras.Input(shape=(4,), name="x"),
        layers.Dense(8, activation="relu", name="hidden"),
        layers.Dense(2, activation="softmax", name="label"),
    ],
    name="weighted_classifier",
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
print("PARAMS", model.count_params())
history = model.fit(
    x,
    y,
    sample_weight=w,
    batch_size=20,
    epochs=3,
    validation_data=(x_val, y_val, w_val),
)
print("HISTORY", json.dumps(history.history))
