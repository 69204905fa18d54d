"""Class weights per output: Keras' class_weight for one output, sample weights for several."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from app.data import DataError, Dataset
from app.project import TrainingConfig, TrainingError
from app.training import Trainer
from app.training.class_weights import class_sample_weights, labels_of, sample_weights


def test_labels_come_from_integers_binary_floats_and_one_hot_rows():
    assert labels_of(np.array([2, 0, 1]), "y").tolist() == [2, 0, 1]
    assert labels_of(np.array([[0.0], [1.0]]), "y").tolist() == [0, 1]
    assert labels_of(np.eye(3)[[2, 2, 0]], "y").tolist() == [2, 2, 0]
    with pytest.raises(DataError, match="one class per sample"):
        labels_of(np.zeros((4, 5), dtype="int64"), "seq")  # a label per time step


def test_classes_not_listed_weigh_one():
    w = sample_weights(np.array([0, 1, 2, 1]), {1: 3.0}, "y")
    assert w.dtype == np.float32 and w.tolist() == [1.0, 3.0, 1.0, 3.0]


def test_sample_weights_follow_the_structure_of_the_targets():
    y = {"a": np.array([0, 1]), "b": np.array([1, 1])}
    sw = class_sample_weights(y, ["a", "b"], {"a": {1: 5.0}})
    assert sw["a"].tolist() == [1.0, 5.0] and sw["b"].tolist() == [1.0, 1.0]
    sw = class_sample_weights([np.array([0, 1]), None], ["a", "b"], {"a": {0: 2.0}})
    assert sw[0].tolist() == [2.0, 1.0] and sw[1] is None


def test_config_reads_flat_and_per_output_weights():
    flat = TrainingConfig.from_dict({"class_weight": {"0": 1, "1": 2}})
    assert flat.class_weights_by_output(["y"]) == {"y": {0: 1.0, 1: 2.0}}
    with pytest.raises(TrainingError, match="which output"):
        flat.class_weights_by_output(["a", "b"])
    nested = TrainingConfig.from_dict({"class_weight": {"a": {"1": 4}, "b": {}}})
    assert nested.class_weights_by_output(["a", "b"]) == {"a": {1: 4.0}}
    with pytest.raises(TrainingError, match="'c'"):
        TrainingConfig.from_dict({"class_weight": {"c": {"1": 4}}}).class_weights_by_output(["a"])
    with pytest.raises(TrainingError, match="whole numbers"):
        TrainingConfig.from_dict({"class_weight": {"a": {"one": 4}}})


def _two_heads() -> keras.Model:
    x = keras.Input((6,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="h")(x)
    a = keras.layers.Dense(3, activation="softmax", name="a")(h)
    b = keras.layers.Dense(2, activation="softmax", name="b")(h)
    return keras.Model(x, [a, b])


def _two_head_data() -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype("float32")
    return Dataset(
        x={"x": x},
        y={"a": rng.integers(0, 3, 96), "b": rng.integers(0, 2, 96)},
        task="classification",
    )


def test_a_two_output_model_trains_with_class_weights_on_one_output(runs):
    epochs = []
    # Every class of output "a" weighs 0: its loss vanishes, while "b" trains as usual.
    cfg = TrainingConfig(epochs=1, class_weight={"a": {"0": 0.0, "1": 0.0, "2": 0.0}})
    rec = Trainer(_two_heads(), _two_head_data(), cfg, runs, on_epoch=epochs.append).run()
    assert rec.status == "completed", rec.message
    logs = epochs[0]["logs"]
    assert logs["a_loss"] == 0.0 and logs["b_loss"] > 0.1


def test_flat_weights_on_a_two_output_model_fail_in_words(runs):
    cfg = TrainingConfig(epochs=1, class_weight={"0": 2.0})
    with pytest.raises(TrainingError, match="which output"):
        Trainer(_two_heads(), _two_head_data(), cfg, runs).run()


def test_a_single_output_model_uses_keras_class_weight(digits, runs, mlp):
    # Class 0 weighs 0 everywhere: the model never learns it, every other digit it does.
    cfg = TrainingConfig(epochs=8, batch_size=32, class_weight={"digit": {"0": 0.0}})
    trainer = Trainer(mlp(), digits, cfg, runs)
    assert trainer.run().status == "completed"
    x, y = digits.x_val["x"], digits.y_val["y"]
    pred = trainer.model.predict(x, verbose=0).argmax(-1)
    assert (pred[y == 0] == 0).mean() < 0.5
    assert (pred[y != 0] == y[y != 0]).mean() > 0.7
