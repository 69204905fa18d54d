"""Pieces the project-code tests share: a tiny regression graph and a marker line that shows
whether untrusted code ran."""

from __future__ import annotations

import uuid
from pathlib import Path

from app.model import ModelGraph


def regression_graph() -> ModelGraph:
    """Input 'x' of 4 numbers -> Dense 'y' of 1 unit, the model's output."""
    g = ModelGraph("reg")
    x = g.add_node("keras.Input", "x", params={"shape": [4]})
    d = g.add_node("keras.layers.Dense", "y", params={"units": 1})
    g.connect(x, d)
    g.set_outputs([d])
    return g


def marker_line(marker: Path | None) -> str:
    """Code that writes `marker` when it runs; a unique line, so nothing in this process has
    trusted the text before. Empty without a marker."""
    return f"\nopen({str(marker)!r}, 'w').write({uuid.uuid4().hex!r})\n" if marker else ""


SCALE_LAYER = '''
class Scale(keras.layers.Layer):
    """x @ w with `units` outputs: a custom layer with weights and a config."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

    def call(self, inputs):
        return ops.matmul(inputs, self.w)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''


def custom_layer_graph(code: str = SCALE_LAYER, shape: int = 4, units: int = 1) -> ModelGraph:
    """Input 'x' -> CustomLayer 'scale' (class Scale from `code`) -> Dense 'y' of `units`."""
    g = ModelGraph("custom")
    x = g.add_node("keras.Input", "x", params={"shape": [shape]})
    c = g.add_node(
        "layerloom.CustomLayer",
        "scale",
        params={"code": code, "class_name": "Scale", "config": {"units": 3}},
    )
    d = g.add_node("keras.layers.Dense", "y", params={"units": units})
    g.connect(x, c)
    g.connect(c, d)
    g.set_outputs([d])
    return g


CATEGORICAL_TRUE_POSITIVES = '''
class CategoricalTruePositives(keras.metrics.Metric):
    """How many samples were classified right (the Keras guides' custom metric)."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)
'''


def marked_code(code: str, marker: Path) -> str:
    """`code` that appends to `marker` when it is run (top level) and in every function it
    defines, first thing in the body."""
    mark = f"open({str(marker)!r}, 'a').write('ran ' + {uuid.uuid4().hex!r})"
    out = [mark]
    for line in code.splitlines():
        out.append(line)
        stripped = line.lstrip()
        if stripped.startswith("def ") and stripped.rstrip().endswith(":"):
            indent = line[: len(line) - len(stripped)] + "    "
            out.append(indent + mark)
    return "\n".join(out) + "\n"


# How the training settings use an entry of each kind of project code; a kind not listed here is
# only held by the project (still never run untrusted).
CODE_USES = {
    "loss": lambda name: {"losses": {"y": name}},
    "metric": lambda name: {"losses": {"y": "mse"}, "metrics": {"y": [name]}},
    "callback": lambda name: {
        "losses": {"y": "mse"},
        "callbacks": [{"class_name": name, "params": {}, "code": True}],
    },
    "schedule": lambda name: {
        "losses": {"y": "mse"},
        "lr_schedule": {"class_name": name, "params": {}, "code": True},
    },
}
LAYER = "layer"  # the custom layer node: code too, though not a CODE_KINDS entry


def marked_project(kind: str, marker: Path):
    """A regression project whose code of `kind` (a CODE_KINDS key, or LAYER) writes `marker`
    whenever any of it runs; the training settings use that code."""
    from app.project import Project
    from app.project.project_code import new_entry

    if kind == LAYER:
        project = Project(name=kind, graph=custom_layer_graph(marked_code(SCALE_LAYER, marker)))
        settings = {"losses": {"y": "mse"}}
    else:
        project = Project(name=kind, graph=regression_graph())
        entry = new_entry(kind, f"my_{kind}")
        project.code = [type(entry)(kind, entry.name, marked_code(entry.source, marker))]
        settings = CODE_USES.get(kind, lambda name: {"losses": {"y": "mse"}})(entry.name)
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 32}, "validation": "split"}
    )
    project.training = project.training.from_dict({"epochs": 1, "batch_size": 16, **settings})
    return project


# A step of two sub-models with two optimizers, as the GAN example has: `first` and `second`
# are each trained by their own optimizer (compile arguments a_optimizer and b_optimizer), or,
# with compile(self, loss_fn), by optimizers the step makes itself.
TWO_OPTIMIZERS = """
import tensorflow as tf


class TwoOptimizers(keras.Model):
    def __init__(self, first, second):
        super().__init__()
        self.first, self.second = first, second
        self.a_loss = keras.metrics.Mean(name="a_loss")
        self.b_loss = keras.metrics.Mean(name="b_loss")

    @property
    def metrics(self):
        return [self.a_loss, self.b_loss]

    def compile(self, a_optimizer, b_optimizer, loss_fn):
        super().compile()
        self.a_optimizer, self.b_optimizer, self.loss_fn = a_optimizer, b_optimizer, loss_fn

    def train_step(self, data):
        data, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            a = self.first(data)
            a_loss = self.loss_fn(tf.zeros_like(a), a)
        grads = tape.gradient(a_loss, self.first.trainable_weights)
        self.a_optimizer.apply_gradients(zip(grads, self.first.trainable_weights))
        with tf.GradientTape() as tape:
            b = self.second(self.first(data))
            b_loss = self.loss_fn(tf.ones_like(b), b)
        grads = tape.gradient(b_loss, self.second.trainable_weights)
        self.b_optimizer.apply_gradients(zip(grads, self.second.trainable_weights))
        self.a_loss.update_state(a_loss)
        self.b_loss.update_state(b_loss)
        return {m.name: m.result() for m in self.metrics}
"""
OWN_OPTIMIZERS = TWO_OPTIMIZERS.replace(
    """    def compile(self, a_optimizer, b_optimizer, loss_fn):
        super().compile()
        self.a_optimizer, self.b_optimizer, self.loss_fn = a_optimizer, b_optimizer, loss_fn
""",
    """    def compile(self, loss_fn):
        super().compile()
        self.a_optimizer, self.b_optimizer = keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1)
        self.loss_fn = loss_fn
""",
)
# b_optimizer's rate halves with every step it takes.
HALVING = {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
           "config": {"initial_learning_rate": 0.01, "decay_steps": 1, "decay_rate": 0.5},
           "registered_name": None}  # fmt: skip


def two_optimizer_project(given: bool = True, epochs: int = 3):
    """x(4) -> block 'first' (Dense 3) -> block 'second' (Dense 1), trained by TwoOptimizers
    on 64 synthetic samples in batches of 16: with `given`, its compile gets a_optimizer (SGD,
    rate 0.1) and b_optimizer (Adam, rate HALVING); else the step makes its own."""
    from app.project import Project
    from app.project.project_code import CodeEntry

    g = ModelGraph("two")
    x = g.add_node("keras.Input", "x", params={"shape": [4]})
    blocks = []
    for name, units, width in (("first", 3, 4), ("second", 1, 3)):
        sub = ModelGraph(name)
        i = sub.add_node("keras.Input", "i", params={"shape": [width]})
        d = sub.add_node("keras.layers.Dense", "d", params={"units": units})
        sub.connect(i, d)
        sub.set_outputs([d])
        b = g.add_node("layerloom.Block", name, subgraph=sub)
        g.connect(blocks[-1] if blocks else x, b, port=sub.inputs[0])
        blocks.append(b)
    g.set_outputs([blocks[-1]])
    project = Project(name="two", graph=g)
    project.code = [CodeEntry("step", "TwoOptimizers", TWO_OPTIMIZERS if given else OWN_OPTIMIZERS)]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"num_samples": 64}, "validation": "none",
         "target": "inputs"}
    )  # fmt: skip
    compile_args = {"loss_fn": {"class_name": "MeanSquaredError", "config": {}}}
    if given:
        compile_args["a_optimizer"] = {"class_name": "SGD", "config": {"learning_rate": 0.1}}
        compile_args["b_optimizer"] = {"class_name": "Adam", "config": {"learning_rate": HALVING}}
    step = {"name": "TwoOptimizers", "models": {"first": "first", "second": "second"},
            "compile": compile_args}  # fmt: skip
    project.training = project.training.from_dict(
        {"epochs": epochs, "batch_size": 16, "step": step}
    )
    return project
