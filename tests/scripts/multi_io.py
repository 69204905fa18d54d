"""Functional model with two inputs and two outputs, a loss and a loss weight per output."""

import json

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(7)

rng = np.random.default_rng(7)
n = 256
numbers = rng.normal(size=(n, 6)).astype("float32")
tokens = rng.integers(0, 50, size=(n, 5))
score = (numbers[:, :1] * 0.5 + 0.1).astype("float32")
group = (numbers[:, 1] > 0).astype("int64") + (tokens[:, 0] > 25).astype("int64")

numbers_in = keras.Input(shape=(6,), name="numbers")
tokens_in = keras.Input(shape=(5,), name="tokens")
embedded = layers.Embedding(50, 4, name="embed")(tokens_in)
pooled = layers.GlobalAveragePooling1D(name="pool")(embedded)
joined = layers.Concatenate(name="join")([numbers_in, pooled])
hidden = layers.Dense(16, activation="relu", name="hidden")(joined)
score_out = layers.Dense(1, name="score")(hidden)
group_out = layers.Dense(3, activation="softmax", name="group")(hidden)
model = keras.Model([numbers_in, tokens_in], [score_out, group_out], name="two_heads")

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss={"score": "mse", "group": "sparse_categorical_crossentropy"},
    loss_weights={"score": 1.0, "group": 0.5},
    metrics={"score": ["mean_absolute_error"], "group": ["accuracy"]},
)
print("PARAMS", model.count_params())
history = model.fit(
    {"numbers": numbers, "tokens": tokens},
    {"score": score, "group": group},
    batch_size=32,
    epochs=3,
    validation_split=0.25,
)
print("HISTORY", json.dumps(history.history))
