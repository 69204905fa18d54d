"""Sequential CNN on synthetic 12x12 images, with an early-stopping callback."""

import json

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(3)

rng = np.random.default_rng(3)
images = rng.random((240, 12, 12, 1)).astype("float32")
labels = (images[:, :6].mean(axis=(1, 2, 3)) > images[:, 6:].mean(axis=(1, 2, 3))).astype("int64")
val_images = rng.random((60, 12, 12, 1)).astype("float32")
val_labels = (
    val_images[:, :6].mean(axis=(1, 2, 3)) > val_images[:, 6:].mean(axis=(1, 2, 3))
).astype("int64")

model = keras.Sequential(
    [
        keras.Input(shape=(12, 12, 1), name="image"),
        layers.Conv2D(8, 3, activation="relu", name="conv"),
        layers.MaxPooling2D(name="pool"),
        layers.Flatten(name="flat"),
        layers.Dropout(0.25, name="drop"),
        layers.Dense(2, activation="softmax", name="label"),
    ],
    name="small_cnn",
)
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
print("PARAMS", model.count_params())
history = model.fit(
    images,
    labels,
    batch_size=16,
    epochs=3,
    validation_data=(val_images, val_labels),
    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)],
)
print("HISTORY", json.dumps(history.history))
