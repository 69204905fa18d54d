"""'Fit model to data' on a model that fits its data already, as a Keras script gives it: a
regression output beside a classifier, a Dense without an activation, a loss by its Keras
alias. Nothing is offered for what is already right."""

from __future__ import annotations

import numpy as np

from app.data import Dataset, suggest_model_settings
from app.model import ModelGraph
from app.ui.data.fit_model import fit_command


def _two_heads() -> ModelGraph:
    """multi_io.py as imported: a score (Dense(1), no activation, "mse") and a group (softmax)."""
    g = ModelGraph("two_heads")
    numbers = g.add_node("keras.Input", "numbers", {"shape": [6]})
    hidden = g.add_node("keras.layers.Dense", "hidden", {"units": 16, "activation": "relu"})
    score = g.add_node("keras.layers.Dense", "score", {"units": 1})
    group = g.add_node("keras.layers.Dense", "group", {"units": 3, "activation": "softmax"})
    g.connect(numbers, hidden)
    g.connect(hidden, score)
    g.connect(hidden, group)
    g.set_outputs([score, group])
    return g


def _data() -> Dataset:
    rng = np.random.default_rng(0)
    numbers = rng.normal(size=(64, 6)).astype("float32")
    return Dataset(
        x={"numbers": numbers},
        y={"score": numbers[:, :1] * 3.0, "group": rng.integers(0, 3, size=64)},
        task="classification",  # one output has classes
        class_names={"group": ["0", "1", "2"]},
    )


def test_a_model_that_fits_its_data_is_offered_nothing():
    losses = {"score": "mse", "group": "sparse_categorical_crossentropy"}
    cmd, new_losses, words = fit_command(
        _two_heads(), suggest_model_settings(_data()), losses, "classification"
    )
    assert cmd is None and not new_losses, words


def test_a_classifier_loss_named_by_its_keras_class_is_kept_and_a_wrong_one_is_not():
    suggestion = suggest_model_settings(_data())
    same = {"score": "mean_squared_error", "group": "SparseCategoricalCrossentropy"}
    assert fit_command(_two_heads(), suggestion, same, "classification")[1] == {}
    wrong = {"score": "mse", "group": "binary_crossentropy"}
    _, new_losses, words = fit_command(_two_heads(), suggestion, wrong, "classification")
    assert new_losses == {"group": "sparse_categorical_crossentropy"}, words


def test_an_output_without_an_activation_is_changed_only_when_one_is_wanted():
    data = _data()
    data.y["score"] = np.clip(data.y["score"], 0.0, 1.0)  # a share: a sigmoid is wanted
    cmd, _, words = fit_command(
        _two_heads(), suggest_model_settings(data), {"score": "mse"}, "classification"
    )
    assert cmd is not None and "Dense 'score': activation sigmoid." in words
