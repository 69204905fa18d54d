"""A project training step (a keras.Model subclass with train_step / test_step): made around the
graph's model, compiled, fed, saved, and checked before anything runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from code_projects import marker_line, regression_graph

from app.cli import main
from app.compiler.custom_code import forget_trust, trust_project_code
from app.model import ModelGraph
from app.project import Project, load_project, save_project
from app.project.project_code import CODE_KINDS, CodeEntry, new_entry
from app.project.training_config import TrainingConfig, TrainingError
from app.training.headless import RunHooks, train_project

# A step of two sub-models (the shape of the guides' GAN and VAE), as small as it gets:
# `first` learns to map x to 0, `second` is kept as it is and reports its own mean.
TWO_PART = """
import tensorflow as tf


class TwoPart(keras.Model):
    def __init__(self, first, second, scale=1.0):
        super().__init__()
        self.first, self.second, self.scale = first, second, scale
        self.a_loss = keras.metrics.Mean(name="a_loss")
        self.b_mean = keras.metrics.Mean(name="b_mean")

    @property
    def metrics(self):
        return [self.a_loss, self.b_mean]

    def compile(self, a_optimizer, loss_fn):
        super().compile()
        self.a_optimizer, self.loss_fn = a_optimizer, loss_fn

    def train_step(self, data):
        data, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            out = self.first(data)
            loss = self.scale * self.loss_fn(tf.zeros_like(out), out)
        grads = tape.gradient(loss, self.first.trainable_weights)
        self.a_optimizer.apply_gradients(zip(grads, self.first.trainable_weights))
        self.a_loss.update_state(loss)
        self.b_mean.update_state(ops.mean(self.second(self.first(data))))
        return {m.name: m.result() for m in self.metrics}
"""


def two_block_graph() -> ModelGraph:
    """x(4) -> block 'first' (Dense 3) -> block 'second' (Dense 1)."""
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
    return g


def step_settings(g: ModelGraph, **extra) -> dict:
    first = next(n.id for n in g.nodes() if n.name == "first")
    return {
        "name": "TwoPart",
        "models": {"first": first, "second": "second"},
        "args": {"scale": 2.0},
        "compile": {
            "a_optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.1}},
            "loss_fn": {"class_name": "MeanSquaredError", "config": {}},
        },
        **extra,
    }


def two_part_project(tmp_path, marker=None, **training) -> Project:
    g = two_block_graph()
    project = Project(name="two", graph=g)
    project.code = [CodeEntry("step", "TwoPart", TWO_PART + marker_line(marker))]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"num_samples": 64}, "validation": "none",
         "target": "inputs"}
    )  # fmt: skip
    project.training = project.training.from_dict(
        {"epochs": 3, "batch_size": 16, "step": step_settings(g), **training}
    )
    path = tmp_path / "two.llproj"
    save_project(project, path)
    return load_project(path)


def regression_project(step: dict | None, jit: bool = False) -> Project:
    """96 training and 32 validation samples: whole batches of 16, as the guide's step
    averages the loss per batch while fit's own weighs each batch by its size."""
    project = Project(name="reg", graph=regression_graph())
    project.code = [new_entry("step", "CustomModel")]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"num_samples": 128}, "validation": "split",
         "validation_split": 0.25}
    )  # fmt: skip
    project.training = project.training.from_dict(
        {"epochs": 3, "batch_size": 16, "losses": {"y": "mse"}, "metrics": {"y": ["mae"]},
         "jit_compile": jit, "step": step}
    )  # fmt: skip
    return project


def test_the_step_kind_is_offered_with_a_template_that_defines_the_class():
    kind = CODE_KINDS["step"]
    assert kind.label == "Training step" and kind.keras_bases == ("Model",)
    assert not kind.functions and not kind.saved_in_models
    assert "compute_loss" in new_entry("step", "MyStep").source


@pytest.mark.parametrize("jit", [False, True])
def test_the_guides_custom_model_trains_exactly_as_plain_fit(tmp_path, jit):
    plain = regression_project(None, jit)
    trust_project_code(plain.code)
    a = train_project(plain, out_dir=tmp_path / "plain")
    hooks = RunHooks()
    project = regression_project({"name": "CustomModel"}, jit)
    b = train_project(project, out_dir=tmp_path / "step", hooks=hooks)
    assert b.status == "completed", b.message
    # The run leaves the graph's plain model, compiled as the settings say (evaluation uses it).
    assert type(hooks.model).__name__ == "Functional" and hooks.model.compiled
    for key in ("loss", "mae", "val_loss", "val_mae"):
        assert b.final_metrics[key] == pytest.approx(a.final_metrics[key], rel=1e-5), key
    assert math.isfinite(a.final_metrics["loss"])


def test_a_step_of_blocks_trains_the_graphs_own_blocks_and_logs_its_keys(tmp_path):
    project = two_part_project(tmp_path)
    trust_project_code(project.code)
    epochs = []
    hooks = RunHooks(on_epoch=epochs.append)
    record = train_project(project, out_dir=tmp_path / "runs", hooks=hooks)
    assert record.status == "completed", record.message
    assert [sorted(e["logs"]) for e in epochs][0] == ["a_loss", "b_mean"]  # its own optimizer
    losses = [e["logs"]["a_loss"] for e in epochs]
    assert losses[-1] < losses[0]
    assert set(record.best_metrics) >= {"a_loss", "b_mean"}
    # The run keeps the graph's plain model, holding the weights the step trained.
    import keras

    saved = keras.saving.load_model(f"{record.path}/final.keras", compile=False)
    assert type(saved) is keras.Model or type(saved).__name__ == "Functional"
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(saved.get_layer("first")(x), hooks.model.get_layer("first")(x))
    run = json.loads((tmp_path / "runs" / record.path.split("/")[-1] / "run.json").read_text())
    assert run["final_metrics"]["a_loss"] == pytest.approx(losses[-1])


def test_stop_ends_a_step_run_after_the_batch(tmp_path):
    project = two_part_project(tmp_path, epochs=50)
    trust_project_code(project.code)
    hooks = RunHooks()
    hooks.on_batch = lambda d: hooks.control.stop() if d["step"] >= 1 else None
    record = train_project(project, out_dir=tmp_path / "runs", hooks=hooks)
    assert record.status == "stopped" and record.epochs_done <= 1
    assert record.final_model == "final.keras"


def test_untrusted_step_code_never_runs(tmp_path, capsys):
    forget_trust()
    marker = tmp_path / "ran.txt"
    project = two_part_project(tmp_path, marker)
    path = str(project.path)
    for args in (["validate", path], ["summary", path],
                 ["codegen", path, "-o", str(tmp_path / "s.py")]):  # fmt: skip
        main(args)
        assert not marker.exists(), args
    assert main(["train", path]) != 0
    assert "TwoPart' is code from this project" in capsys.readouterr().err
    assert not marker.exists() and not list(tmp_path.rglob("run.json"))
    assert main(["train", path, "--trust-code"]) == 0, capsys.readouterr()
    assert marker.exists()
    forget_trust()  # as in a new process
    assert main(["evaluate", path, "--run", "latest", "--split", "train"]) != 0
    assert "--trust-code on the command line" in capsys.readouterr().err


def test_the_setting_is_checked_and_kept_out_of_files_without_a_step(tmp_path):
    assert "step" not in TrainingConfig().to_dict()
    g = two_block_graph()
    cfg = TrainingConfig.from_dict({"step": step_settings(g)})
    assert cfg.step["code"] is True and cfg.step["args"] == {"scale": 2.0}
    assert TrainingConfig.from_dict(cfg.to_dict()) == cfg
    bad = [
        ("GAN", "must be a mapping"),
        ({"name": "not a name"}, "must name a class"),
        ({"name": "S", "eval": "1"}, "unknown setting"),
        ({"name": "S", "models": {"a": 3}}, "must be text"),
        ({"name": "S", "models": {"a": "b"}, "args": {"a": 1}}, "both a block and a value"),
        ({"name": "S", "args": {"x": float("nan")}}, "not finite"),
        ({"name": "S", "compile": {"1x": 1}}, "not a Python name"),
    ]
    for step, words in bad:
        with pytest.raises(TrainingError, match=words):
            TrainingConfig.from_dict({"step": step})


def test_step_errors_are_told_in_words(tmp_path):
    project = two_part_project(tmp_path)
    trust_project_code(project.code)
    cases = [
        ({"models": {"first": "nowhere"}}, "takes block 'nowhere'"),
        ({"models": {"first": "first"}}, "needs 'second'"),
        ({"args": {"scale": 1.0, "colour": 1}}, "takes no parameter 'colour'"),
        ({"compile": {"a_optimizer": {"class_name": "Nope"}, "loss_fn": "mse"}},
         "knows no optimizer, loss or metric 'Nope'"),
    ]  # fmt: skip
    g = project.graph
    for change, words in cases:
        step = {**step_settings(g), **change}
        if "models" in change and "second" not in change["models"]:
            step["models"] = change["models"]
        project.training = project.training.from_dict({**project.training.to_dict(), "step": step})
        with pytest.raises(TrainingError, match=words):
            train_project(project, out_dir=tmp_path / "runs")
    broken = CodeEntry("step", "TwoPart", TWO_PART.replace("self.second, self.scale", "nope"))
    project.code = [broken]
    trust_project_code(project.code)
    project.training = project.training.from_dict(
        {**project.training.to_dict(), "step": step_settings(g)}
    )
    with pytest.raises(TrainingError, match=r"Training step 'TwoPart': line \d+"):
        train_project(project, out_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_a_step_of_blocks_without_test_step_refuses_validation_data(tmp_path):
    project = two_part_project(tmp_path)
    trust_project_code(project.code)
    project.data = project.data.from_dict(
        {**project.data.to_dict(), "validation": "split", "validation_split": 0.25}
    )
    with pytest.raises(TrainingError, match="has no test_step"):
        train_project(project, out_dir=tmp_path / "runs")


# A step of sub-models that weighs each sample's loss by its sample weight, as Keras' own
# train_step does: `first` learns to map x to its targets, on the samples that weigh.
WEIGHTED_STEP = """
import tensorflow as tf


class Weighted(keras.Model):
    def __init__(self, first, second):
        super().__init__()
        self.first, self.second = first, second
        self.tracker = keras.metrics.Mean(name="w_loss")

    @property
    def metrics(self):
        return [self.tracker]

    def weighted_loss(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        per_sample = ops.mean(ops.square(self.first(x) - y), axis=-1)
        if sw is not None:
            per_sample = per_sample * ops.reshape(ops.cast(sw, "float32"), (-1,))
        return ops.mean(per_sample)

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self.weighted_loss(data)
        grads = tape.gradient(loss, self.first.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.first.trainable_weights))
        self.tracker.update_state(loss)
        return {"w_loss": self.tracker.result()}

    def test_step(self, data):
        self.tracker.update_state(self.weighted_loss(data))
        return {"w_loss": self.tracker.result()}
"""


def _weighted_step_project(folder, weights: bool, targets: bool = True) -> Project:
    """x(4) -> first -> second, step Weighted, on d.npz (x, y of 3, weights w); 1/4 held out."""
    g = two_block_graph()
    p = Project(name="weighted", graph=g, base_dir=folder)
    p.code = [CodeEntry("step", "Weighted", WEIGHTED_STEP)]
    options = {"path": "d.npz", "x": ["x"], "y": ["y"] if targets else []}
    if weights:
        options["weights"] = "w"
    p.data = p.data.from_dict(
        {"source": "numpy", "options": options, "validation": "split", "validation_split": 0.25}
    )
    first = next(n.id for n in g.nodes() if n.name == "first")
    p.training = p.training.from_dict(
        {"epochs": 3, "batch_size": 16, "optimizer": "SGD", "learning_rate": 0.05,
         "shuffle": False, "step": {"name": "Weighted",
                                    "models": {"first": first, "second": "second"}}}
    )  # fmt: skip
    return p


def _weighted_data(folder) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = np.stack([x[:, 0], -x[:, 1], x[:, 2] + x[:, 3]], axis=1)
    y[1::2] = -3.0 * y[1::2]  # the odd rows follow another rule
    w = (np.arange(64) % 2 == 0).astype("float64")  # and weigh nothing
    np.savez(folder / "d.npz", x=x, y=y.astype("float32"), w=w)


def test_a_step_of_sub_models_gets_sample_weights_in_the_app_and_in_its_script(tmp_path):
    """The data's sample weights reach the step's train_step (and its validation) in a run,
    and the generated script fits with them the same way: the same trained weights."""
    import subprocess
    import sys

    from app.compiler import generate_code

    _weighted_data(tmp_path)

    def kernel(p: Project) -> np.ndarray:
        trust_project_code(p.code)
        hooks = RunHooks()
        rec = train_project(p, out_dir=tmp_path / "runs", hooks=hooks)
        assert rec.status == "completed", rec.message
        assert "val_w_loss" in rec.final_metrics
        return hooks.model.get_layer("first").get_layer("d").get_weights()[0]

    weighted = _weighted_step_project(tmp_path, weights=True)
    app_kernel = kernel(weighted)
    unweighted = kernel(_weighted_step_project(tmp_path, weights=False))
    assert not np.allclose(app_kernel, unweighted, atol=1e-3)  # the weights count

    source = generate_code(weighted.graph, weighted)
    assert "sample_weight=sample_weight" in source
    script = source.replace(
        "    history = train(model, args.epochs)",
        "    history = train(model, args.epochs)\n"
        '    np.save("kernel.npy", model.get_layer("first").get_layer("d").get_weights()[0])',
    )
    assert script != source
    (tmp_path / "s.py").write_text(script)
    done = subprocess.run(
        [sys.executable, "s.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "val_w_loss" in done.stdout
    np.testing.assert_allclose(np.load(tmp_path / "kernel.npy"), app_kernel, atol=1e-5)


def test_sample_weights_for_a_step_of_sub_models_without_targets_are_refused_alike(tmp_path):
    """Keras hands a train_step no sample weights without targets: a run and the generated
    script both say so, rather than train as if there were none."""
    from app.compiler import generate_code

    _weighted_data(tmp_path)
    project = _weighted_step_project(tmp_path, weights=True, targets=False)
    trust_project_code(project.code)
    with pytest.raises(TrainingError, match="takes data without targets.*Remove the weights"):
        train_project(project, out_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()  # refused before any run folder
    source = generate_code(project.graph, project)  # the script says so where training goes
    said = " ".join(line.strip().lstrip("# ") for line in source.splitlines())
    assert "Training is not written: The data has sample weights" in said
    assert "takes data without targets" in said and "step.fit" not in source
