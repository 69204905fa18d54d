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
