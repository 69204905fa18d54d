"""Models whose only loss is what their layers add with add_loss train as Keras trains them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from app.compiler import custom_code as cc
from app.model import ModelGraph
from app.project import Project
from app.project.settings import DataSettings, TrainingSettings
from app.project.training_config import TrainingError
from app.training.compile import adds_own_losses
from app.training.headless import RunHooks, train_project

# The Keras guides' ActivityRegularizationLayer: its add_loss term is the only loss.
ACTIVITY = textwrap.dedent(
    """\
    class ActivityRegularization(keras.layers.Layer):
        def __init__(self, rate=1e-2, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.sum(ops.square(inputs)))
            return inputs
    """
)


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def _inputs(n: int = 96) -> np.ndarray:
    return np.random.default_rng(3).normal(size=(n, 4)).astype("float32")


def _project(tmp_path: Path, code: str | None = ACTIVITY, losses: dict | None = None) -> Project:
    """x(4) -> Dense 'd'(3) -> [ActivityRegularization 'reg'], data with inputs only."""
    g = ModelGraph("reg")
    x = g.add_node("keras.Input", "x", params={"shape": [4]})
    last = g.add_node("keras.layers.Dense", "d", params={"units": 3})
    g.connect(x, last)
    if code is not None:
        reg = g.add_node(
            "layerloom.CustomLayer",
            "reg",
            params={"code": code, "class_name": "ActivityRegularization", "config": {"rate": 0.05}},
        )
        g.connect(last, reg)
        last = reg
    g.set_outputs([last])
    cc.trust_graph(g)
    np.savez(tmp_path / "x.npz", x=_inputs())
    data = {"source": "numpy", "options": {"path": str(tmp_path / "x.npz"), "x": ["x"]}}
    data["validation"] = "none"
    training = {"epochs": 4, "batch_size": 16, "seed": 7, "losses": losses or {}}
    return Project(
        graph=g, data=DataSettings.from_dict(data), training=TrainingSettings.from_dict(training)
    )


def _plain_keras_losses(epochs: int) -> list[float]:
    """The same model and data in plain Keras: compile without a loss, fit on x only."""
    exec_ns = {"keras": keras, "ops": keras.ops}
    exec(ACTIVITY, exec_ns)  # noqa: S102 - the test's own code
    keras.utils.set_random_seed(7)
    x = keras.Input((4,), name="x")
    d = keras.layers.Dense(3, name="d")(x)
    y = exec_ns["ActivityRegularization"](rate=0.05, name="reg")(d)
    model = keras.Model(x, y)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=None)
    history = model.fit(_inputs(), batch_size=16, epochs=epochs, shuffle=True, verbose=0)
    return history.history["loss"]


def test_a_model_with_only_add_loss_trains_on_inputs_alone_as_keras_does(tmp_path: Path) -> None:
    project = _project(tmp_path)
    history = _train(project, tmp_path)
    assert history[-1] < history[0]  # the add_loss term is what falls
    assert np.allclose(history, _plain_keras_losses(4), rtol=1e-4)


def test_no_loss_chosen_deliberately_still_trains_when_targets_exist(tmp_path: Path) -> None:
    project = _project(tmp_path, losses={"reg": "none"})
    np.savez(tmp_path / "x.npz", x=_inputs(), y=np.zeros((96, 3), "float32"))
    assert np.allclose(_train(project, tmp_path), _plain_keras_losses(4), rtol=1e-4)


def test_a_model_without_any_loss_is_refused_in_words(tmp_path: Path) -> None:
    project = _project(tmp_path, code=None)
    with pytest.raises(TrainingError, match="No output has a loss") as err:
        train_project(project, out_dir=tmp_path / "runs")
    assert "add_loss" in err.value.message
    assert not (tmp_path / "runs").exists()  # refused before any run folder


def test_looking_for_add_loss_terms_changes_no_state() -> None:
    x = keras.Input((4,))
    h = keras.layers.BatchNormalization()(x)
    model = keras.Model(x, keras.layers.ActivityRegularization(l2=0.1)(h))
    before = [w.copy() for w in model.get_weights()]
    assert adds_own_losses(model, _inputs(8) * 10 + 5)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    plain = keras.Model(x, keras.layers.BatchNormalization()(x))
    assert not adds_own_losses(plain, _inputs(8))
    assert adds_own_losses(  # a weight regularizer counts without a call
        keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_regularizer="l2")])
    )


def _train(project: Project, tmp_path: Path) -> list[float]:
    """The per-epoch training loss of a completed run of the project."""
    hooks = RunHooks()
    rec = train_project(project, out_dir=tmp_path / "runs", hooks=hooks)
    assert rec.status == "completed", rec.message
    return [row["loss"] for row in hooks.history]
