"""k-fold cross-validation as scripts write it by hand: scikit-learn's KFold, a new model per
fold, each fold's inputs standardised with its own training statistics."""

import json

import keras
import numpy as np
from keras import layers
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(2)
x = (rng.normal(size=(150, 6)) * [1.0, 5.0, 0.5, 2.0, 10.0, 1.0] + 3.0).astype("float32")
y = (x[:, :3] @ np.array([0.4, -0.1, 2.0]) + 0.05 * x[:, 4])[:, None].astype("float32")


def make_model():
    inputs = keras.Input(shape=(6,), name="features")
    hidden = layers.Dense(16, activation="relu", name="hidden")(inputs)
    return keras.Model(inputs, layers.Dense(1, name="target")(hidden), name="kfold_regressor")


histories = []
for train, val in KFold(n_splits=3).split(x):
    keras.utils.set_random_seed(4)
    scaler = StandardScaler().fit(x[train])
    model = make_model()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    if not histories:
        print("PARAMS", model.count_params())
    history = model.fit(
        scaler.transform(x[train]),
        y[train],
        batch_size=20,
        epochs=3,
        shuffle=False,
        validation_data=(scaler.transform(x[val]), y[val]),
    )
    histories.append(history.history)
print("HISTORY", json.dumps(histories[0]))
print("FOLDS", json.dumps(histories))
