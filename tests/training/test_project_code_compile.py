"""compile_model with project code: Loss subclasses, function metrics, and errors in words."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from app.compiler import custom_code as cc
from app.compiler.keras_file import ProjectCodeModelError, load_checked_model
from app.project import TrainingConfig, TrainingError
from app.project.project_code import CodeEntry
from app.training.compile import compile_model

HUBERISH = """
class Huberish(keras.losses.Loss):
    def __init__(self, delta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.delta = delta

    def call(self, y_true, y_pred):
        err = ops.abs(y_true - y_pred)
        return ops.mean(ops.where(err < self.delta, 0.5 * err**2, err - 0.5), axis=-1)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}
"""
MAX_ERROR = (
    "def max_error(y_true, y_pred):\n    return ops.max(ops.abs(y_true - y_pred), axis=-1)\n"
)


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def _model() -> keras.Model:
    x = keras.Input((3,), name="x")
    return keras.Model(x, keras.layers.Dense(1, name="y")(x))


def _config(loss: str, metrics: list[str]) -> TrainingConfig:
    return TrainingConfig.from_dict({"losses": {"y": loss}, "metrics": {"y": metrics}})


def test_loss_subclass_and_function_metric_train_save_and_load(tmp_path):
    code = [CodeEntry("loss", "Huberish", HUBERISH), CodeEntry("metric", "max_error", MAX_ERROR)]
    cc.trust_project_code(code)
    model = _model()
    compile_model(model, _config("Huberish", ["max_error", "mae"]), code=code)
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    history = model.fit(x, y, epochs=1, verbose=0)
    assert {"loss", "max_error", "mae"} <= set(history.history)
    path = tmp_path / "best.keras"
    model.save(path)
    with pytest.raises(ProjectCodeModelError) as info:  # the file names code it does not hold
        load_checked_model(path, compile=True)
    assert set(info.value.class_names) == {"Huberish", "max_error"}
    objects = cc.project_custom_objects(code)
    loaded = load_checked_model(path, compile=True, custom_objects=objects)
    assert type(loaded.loss).__name__ == "Huberish" and loaded.loss.delta == 1.0
    assert np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (
            CodeEntry("loss", "l", "def other(y_true, y_pred):\n    return y_pred\n"),
            "defines nothing",
        ),
        (CodeEntry("loss", "l", "l = 3\n"), "defines a value of type int"),
        (
            CodeEntry("loss", "l", "x = 1 / 0\ndef l(a, b):\n    return b\n"),
            "line 1: ZeroDivisionError",
        ),
        (
            CodeEntry("loss", "l", "class l(keras.metrics.Metric):\n    pass\n"),
            "keras.losses.Loss subclass or a function (y_true, y_pred); it defines a subclass of Metric",
        ),
    ],
)
def test_bad_code_is_refused_naming_output_and_code(entry, words):
    cc.trust_project_code([entry])
    with pytest.raises(TrainingError, match="The loss of output 'y': Loss 'l'") as info:
        compile_model(_model(), _config("l", []), code=[entry])
    assert words in info.value.message


def test_untrusted_code_is_refused_and_unknown_names_stay_unknown(tmp_path):
    marker = tmp_path / "ran"
    entry = CodeEntry("metric", "m", f"open({str(marker)!r}, 'w')\ndef m(a, b):\n    return b\n")
    with pytest.raises(TrainingError, match="Metric 'm' is code from this project; trust"):
        compile_model(_model(), _config("mse", ["m"]), code=[entry])
    assert not marker.exists()
    with pytest.raises(TrainingError, match="Unknown metric 'nope' for output 'y'"):
        compile_model(_model(), _config("mse", ["nope"]), code=[entry])
    # Keras' own names come first: a project entry cannot take over "mae".
    cc.trust_project_code([CodeEntry("metric", "mae", "def mae(a, b):\n    return b\n")])
    model = _model()
    compile_model(model, _config("mse", ["mae"]), code=[CodeEntry("metric", "mae", "x")])
