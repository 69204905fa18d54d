"""The guide's CustomModel: a Functional model whose class overrides train_step."""

import json

import keras
import numpy as np
import tensorflow as tf
from keras import layers


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)
x = rng.normal(size=(256, 8)).astype("float32")
y = (x[:, :2].sum(axis=1, keepdims=True) * 0.5).astype("float32")

inputs = keras.Input(shape=(8,), name="features")
hidden = layers.Dense(16, activation="relu", name="hidden")(inputs)
outputs = layers.Dense(1, name="value")(hidden)
model = CustomModel(inputs, outputs, name="custom")
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
print("PARAMS", model.count_params())
history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False)
print("HISTORY", json.dumps(history.history))
