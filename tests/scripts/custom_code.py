"""A custom Layer, a custom Metric, a custom loss function and a custom Callback."""

import json

import keras
import numpy as np
from keras import ops

keras.utils.set_random_seed(11)

SCALE = 2.0


class Scaled(keras.layers.Layer):
    """x * w + b per feature, times a constant."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="b")

    def call(self, inputs):
        return (inputs * self.w + self.b) * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RunningRMSE(keras.metrics.Metric):
    def __init__(self, name="rmse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable((), initializer="zeros", name="total")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        err = ops.square(ops.cast(y_true, "float32") - ops.cast(y_pred, "float32"))
        self.total.assign_add(ops.sum(err))
        self.count.assign_add(ops.cast(ops.size(err), "float32"))

    def result(self):
        return ops.sqrt(ops.divide_no_nan(self.total, self.count))

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


def heavy_mse(y_true, y_pred):
    weight = 1.0 + (SCALE - 1.0) * ops.cast(y_true > 0, y_pred.dtype)
    return ops.mean(weight * ops.square(y_true - y_pred), axis=-1)


class LossHistory(keras.callbacks.Callback):
    def __init__(self, every=1):
        super().__init__()
        self.every = every

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_epoch_end(self, epoch, logs=None):
        if epoch % self.every == 0:
            self.losses.append((logs or {}).get("loss"))


rng = np.random.default_rng(11)
x = rng.normal(size=(200, 4)).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32")).astype("float32")

inputs = keras.Input(shape=(4,), name="features")
h = Scaled(factor=0.5, name="scaled")(inputs)
h = keras.layers.Dense(8, activation="tanh", name="hidden")(h)
outputs = keras.layers.Dense(1, name="value")(h)
model = keras.Model(inputs, outputs, name="custom_bits")
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    loss=heavy_mse,
    metrics=[RunningRMSE()],
)
print("PARAMS", model.count_params())
history = model.fit(
    x, y, batch_size=20, epochs=3, validation_split=0.2, callbacks=[LossHistory(every=2)]
)
print("HISTORY", json.dumps(history.history))
