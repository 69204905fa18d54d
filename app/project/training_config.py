"""TrainingConfig: the JSON-safe training settings of a project (optimizer, losses, callbacks...).

Plain data with its checks, no Keras: app.compiler writes it into scripts and app.training
compiles and fits with it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from app.errors import LayerLoomError
from app.project.callback_specs import CALLBACK_SPECS

SCHEDULES = (
    "ExponentialDecay",
    "CosineDecay",
    "PiecewiseConstantDecay",
    "InverseTimeDecay",
    "PolynomialDecay",
    "CosineDecayRestarts",
)
DTYPE_POLICIES = ("float32", "mixed_float16", "mixed_bfloat16", "float64")
# Where training runs: this CPU, one GPU (TensorFlow's first; the CPU without one), or all GPUs
# under tf.distribute.MirroredStrategy, the batch size being the global batch.
DEVICES = {"cpu": "This CPU", "gpu": "One GPU", "all": "All GPUs"}
NO_LOSS = ("", "none", None)


class TrainingError(LayerLoomError):
    """Training could not start or failed; the message says why in plain words."""


@dataclass
class CallbackConfig:
    """One callback: a key of CALLBACK_SPECS, or (code=True) the name of a project code callback,
    with its constructor params (keyword arguments of a project callback) and on/off."""

    class_name: str
    params: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    code: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not self.code:
            del d["code"]  # files of Keras' callbacks stay as they were
        return d

    @classmethod
    def from_dict(cls, data: Any) -> CallbackConfig:
        name = data.get("class_name") if isinstance(data, dict) else data
        code = isinstance(data, dict) and data.get("code") is True
        if not (
            isinstance(name, str) and (name.isidentifier() if code else name in CALLBACK_SPECS)
        ):
            raise TrainingError(
                f"Unknown callback {name!r:.60}; LayerLoom offers {', '.join(CALLBACK_SPECS)} "
                f"and the project's code callbacks."
            )
        params = data.get("params", {})
        if not isinstance(params, dict):
            raise TrainingError(f"The settings of callback {name} must be a mapping.")
        return cls(name, dict(params), bool(data.get("enabled", True)), code)


@dataclass
class TrainingConfig:
    """How fit runs. Per-output settings are keyed by model output name.

    Attributes:
        optimizer: a keras.optimizers class name ("Adam", "SGD", "AdamW", ...).
        learning_rate: initial learning rate (the schedule's initial rate when one is set).
        optimizer_params: other constructor params (momentum, weight_decay, beta_1, ...).
        lr_schedule: None or {"class_name": one of SCHEDULES, "params": {...}}; with "code": True
            the name of a project code schedule (a LearningRateSchedule subclass, made with
            params, or a function (epoch, lr) used through LearningRateScheduler).
        losses: output name -> keras.losses name; "none" trains that output with no loss. Outputs
            not listed get a loss that matches their activation and targets (see default_losses).
        loss_weights: output name -> weight (default 1).
        loss_params: output name -> loss constructor settings ({"from_logits": true, ...}).
        metrics: output name -> keras.metrics names.
        weighted_metrics: output name -> keras.metrics names weighted by the sample weights and
            class weights (compile's weighted_metrics); the plain metrics are not.
        class_weight: output name -> {class id (as text, JSON keys) -> weight}. The older flat
            form {class id -> weight} is read as the weights of a single-output model.
        dtype_policy: "float32", "mixed_float16", ...
        callbacks: list of CallbackConfig.
        step: None (Keras' own fit) or the project's training step (see check_step): its code
            name, the blocks its __init__ takes ("models"), other arguments ("args") and the
            arguments of its own compile ("compile"), all plain JSON.
        devices: a key of DEVICES: "cpu", "gpu" (one) or "all" (every GPU, MirroredStrategy;
            batch_size is then the global batch, split between them).
    """

    optimizer: str = "Adam"
    learning_rate: float = 1e-3
    optimizer_params: dict[str, Any] = field(default_factory=dict)
    lr_schedule: dict[str, Any] | None = None
    losses: dict[str, str] = field(default_factory=dict)
    loss_weights: dict[str, float] = field(default_factory=dict)
    loss_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, list[str]] = field(default_factory=dict)
    weighted_metrics: dict[str, list[str]] = field(default_factory=dict)
    batch_size: int = 32
    epochs: int = 10
    class_weight: dict[str, Any] | None = None
    jit_compile: bool = False
    seed: int | None = 0
    shuffle: bool = True
    dtype_policy: str = "float32"
    callbacks: list[CallbackConfig] = field(default_factory=list)
    step: dict[str, Any] | None = None
    devices: str = "gpu"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data."""
        d = asdict(self)
        d["callbacks"] = [c.to_dict() for c in self.callbacks]
        if self.step is None:
            del d["step"]  # files without a training step stay as they were
        if not self.weighted_metrics:
            del d["weighted_metrics"]  # nor do files without weighted metrics
        return d

    @classmethod
    def from_dict(cls, data: Any) -> TrainingConfig:
        """Read plain data; missing keys take defaults; TrainingError names a bad value."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise TrainingError("The training settings must be a mapping.")
        b = cls()
        g = data.get
        sched = g("lr_schedule")
        if sched is not None and not (
            isinstance(sched, dict)
            and isinstance(name := sched.get("class_name"), str)
            and (name.isidentifier() if sched.get("code") is True else name in SCHEDULES)
            and isinstance(sched.get("params", {}), dict)
        ):
            raise TrainingError(
                f"The learning-rate schedule must be one of {', '.join(SCHEDULES)} or a "
                f"schedule of the project code, with a mapping of settings."
            )
        cw = _class_weights(g("class_weight"))
        seed = g("seed", b.seed)
        policy = g("dtype_policy", b.dtype_policy)
        devices = g("devices", b.devices)
        if devices not in DEVICES:
            raise TrainingError(
                f"Unknown devices {devices!r:.40}; use {', '.join(DEVICES)} "
                "(this CPU, one GPU, all GPUs)."
            )
        if policy not in DTYPE_POLICIES:
            raise TrainingError(
                f"Unknown dtype policy {policy!r}; use {', '.join(DTYPE_POLICIES)}."
            )
        return cls(
            optimizer=_text(g("optimizer", b.optimizer), "optimizer"),
            learning_rate=_num(g("learning_rate", b.learning_rate), "learning rate", 0, 1e12),
            optimizer_params=dict(_map(g("optimizer_params", {}), "optimizer settings")),
            lr_schedule=None
            if sched is None
            else {
                "class_name": sched["class_name"],
                "params": dict(sched.get("params", {})),
                **({"code": True} if sched.get("code") is True else {}),
            },
            losses={
                _text(k, "output name"): _text(v or "none", f"loss of '{k}'")
                for k, v in _map(g("losses", {}), "losses").items()
            },
            loss_weights={
                _text(k, "output name"): _num(v, f"loss weight of '{k}'", 0, 1e9)
                for k, v in _map(g("loss_weights", {}), "loss weights").items()
            },
            loss_params={
                _text(k, "output name"): dict(_map(v, f"loss settings of '{k}'"))
                for k, v in _map(g("loss_params", {}), "loss settings").items()
            },
            metrics={
                _text(k, "output name"): [_text(m, f"metric of '{k}'") for m in _seq(v)]
                for k, v in _map(g("metrics", {}), "metrics").items()
            },
            weighted_metrics={
                _text(k, "output name"): [_text(m, f"weighted metric of '{k}'") for m in _seq(v)]
                for k, v in _map(g("weighted_metrics", {}), "weighted metrics").items()
            },
            batch_size=_int(g("batch_size", b.batch_size), "batch size", 1, 1 << 24),
            epochs=_int(g("epochs", b.epochs), "number of epochs", 1, 1 << 24),
            class_weight=cw,
            jit_compile=bool(g("jit_compile", b.jit_compile)),
            seed=None if seed is None else _int(seed, "random seed", 0, 2**32 - 1),
            shuffle=bool(g("shuffle", b.shuffle)),
            dtype_policy=policy,
            callbacks=[CallbackConfig.from_dict(c) for c in _seq(g("callbacks", []))],
            step=check_step(g("step")),
            devices=devices,
        )

    def class_weights_by_output(self, outputs: list[str]) -> dict[str, dict[int, float]]:
        """{output: {class id: weight}} for a model with these outputs; TrainingError in words
        when the weights name an output the model lacks or do not say which output they are
        for."""
        cw = self.class_weight
        if not cw:
            return {}
        if not all(isinstance(v, dict) for v in cw.values()):  # the flat, single-output form
            if len(outputs) != 1:
                raise TrainingError(
                    f"The class weights do not say which output they are for, and the model has "
                    f"{len(outputs)} outputs; set them per output."
                )
            cw = {outputs[0]: cw}
        unknown = [name for name in cw if name not in outputs]
        if unknown:
            raise TrainingError(
                f"Class weights are set for output '{unknown[0]}', which the model "
                f"does not have (its outputs: {', '.join(outputs)})."
            )
        return {
            name: {int(k): float(v) for k, v in weights.items()}
            for name, weights in cw.items()
            if weights
        }

    def callback(self, class_name: str) -> CallbackConfig | None:
        """The enabled callback of that class, if any."""
        return next(
            (c for c in self.callbacks if c.class_name == class_name and c.enabled and not c.code),
            None,
        )

    def problems(self) -> list[str]:
        """Settings that contradict each other, in words."""
        out = []
        if self.lr_schedule:
            for name in (n for n, spec in CALLBACK_SPECS.items() if spec.sets_learning_rate):
                if self.callback(name):
                    out.append(
                        f"{name} cannot change the learning rate while a "
                        f"{self.lr_schedule['class_name']} schedule sets it; use one."
                    )
        return out


STEP_KEYS = ("name", "code", "models", "args", "compile")
WHOLE_MODEL = "model"  # a "models" value: the whole graph's model instead of a block


def check_step(step: Any) -> dict[str, Any] | None:
    """The training-step setting as plain data, or None; TrainingError names what is wrong.

    {"name": <project code step>, "code": true, "models": {__init__ parameter: block id or
    name, or "model"}, "args": {parameter: JSON value}, "compile": {parameter: JSON value}}.
    A compile value that is a mapping with "class_name" is made by Keras (an optimizer, loss
    or metric) when the step is built; nothing else is evaluated.
    """
    if step is None:
        return None
    if not isinstance(step, dict):
        raise TrainingError("The training step must be a mapping with the name of its code.")
    unknown = [k for k in step if k not in STEP_KEYS]
    if unknown:
        raise TrainingError(
            f"The training step has an unknown setting {unknown[0]!r:.40}; it takes "
            f"{', '.join(STEP_KEYS)}."
        )
    name = step.get("name")
    if not (isinstance(name, str) and name.isidentifier()):
        raise TrainingError(
            f"The training step must name a class of the project code, not {name!r:.40}."
        )
    models = {
        _text(k, "step parameter"): _text(v, f"block of step parameter '{k}'")
        for k, v in _map(step.get("models", {}), "step's models").items()
    }
    args = dict(_map(step.get("args", {}), "step's arguments"))
    compile_args = dict(_map(step.get("compile", {}), "step's compile arguments"))
    for k in (*args, *compile_args):
        if not (isinstance(k, str) and k.isidentifier()):
            raise TrainingError(f"The training step's argument {k!r:.40} is not a Python name.")
    both = set(models) & set(args)
    if both:
        raise TrainingError(
            f"The step parameter '{sorted(both)[0]}' is given both a block and a value."
        )
    _check_json(args, "step's arguments")
    _check_json(compile_args, "step's compile arguments")
    return {"name": name, "code": True, "models": models, "args": args, "compile": compile_args}


def _check_json(value: Any, what: str, depth: int = 0) -> None:
    """TrainingError unless `value` is plain JSON (no deeper than 20 levels)."""
    if depth > 20:
        raise TrainingError(f"The {what} are nested too deeply.")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TrainingError(f"The {what} must have text keys, not {k!r:.40}.")
            _check_json(v, what, depth + 1)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_json(v, what, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise TrainingError(f"The {what} hold a number that is not finite.")
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise TrainingError(f"The {what} must be plain JSON values, not {type(value).__name__}.")


def default_metrics(losses: dict[str, str]) -> dict[str, list[str]]:
    """accuracy for classification losses, mean absolute error for regression ones."""
    out = {}
    for name, loss in losses.items():
        if loss in NO_LOSS:
            out[name] = []
        elif "crossentropy" in loss or "hinge" in loss:
            out[name] = ["accuracy"]
        else:
            out[name] = ["mean_absolute_error"]
    return out


def resolved_metrics(
    output_names: list[str], config: TrainingConfig, losses: dict[str, str]
) -> dict[str, list[str]]:
    """The metrics each output reports: the config's (a single-output model takes its one entry
    whatever its key), else default_metrics of the losses each output trains with."""
    if not config.metrics:
        return default_metrics(losses)
    metrics = dict(config.metrics)
    if len(output_names) == 1 and len(metrics) == 1:
        metrics = {output_names[0]: next(iter(metrics.values()))}
    return metrics


def resolved_weighted_metrics(
    output_names: list[str], config: TrainingConfig
) -> dict[str, list[str]]:
    """The weighted metrics each output reports (a single-output model takes its one entry
    whatever its key); no defaults."""
    metrics = {k: list(v) for k, v in config.weighted_metrics.items()}
    if len(output_names) == 1 and len(metrics) == 1:
        metrics = {output_names[0]: next(iter(metrics.values()))}
    return metrics


def learning_rate_steps(table: dict[Any, Any]) -> list[tuple[int, float]]:
    """The LearningRateScheduler table {first epoch: rate} as sorted (epoch, rate) steps."""
    try:
        steps = sorted((int(k), float(v)) for k, v in table.items())
    except (TypeError, ValueError, AttributeError):
        raise TrainingError("The learning-rate table must map epoch numbers to rates.") from None
    if not steps:
        raise TrainingError("The learning-rate table is empty; add at least one epoch and rate.")
    return steps


def _class_ids(weights: Any, what: str) -> dict[str, float]:
    out = {}
    for k, v in _map(weights, what).items():
        try:
            key = str(int(str(k)))
        except ValueError:
            raise TrainingError(
                f"Classes in the {what} must be whole numbers, not {k!r:.40}."
            ) from None
        out[key] = _num(v, f"class weight of class {k}", 0, 1e9)
    return out


def _class_weights(cw: Any) -> dict[str, Any] | None:
    """Flat {class: weight} or per output {output: {class: weight}}, validated."""
    if cw is None:
        return None
    cw = _map(cw, "class weights")
    if cw and all(isinstance(v, dict) for v in cw.values()):
        return {
            _text(name, "output name"): _class_ids(w, f"class weights of '{name}'")
            for name, w in cw.items()
        }
    return _class_ids(cw, "class weights")


def _map(v: Any, what: str) -> dict:
    if not isinstance(v, dict):
        raise TrainingError(f"The {what} must be a mapping.")
    return v


def _seq(v: Any) -> list:
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list | tuple):
        raise TrainingError(f"Expected a list, got {v!r:.40}.")
    return list(v)


def _text(v: Any, what: str) -> str:
    if not isinstance(v, str) or len(v) > 200:
        raise TrainingError(f"The {what} must be text, got {v!r:.40}.")
    return v


def _int(v: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise TrainingError(f"The {what} must be a whole number from {lo} to {hi}, got {v!r:.40}.")
    return v


def _num(v: Any, what: str, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise TrainingError(f"The {what} must be a number, got {v!r:.40}.")
    if not lo <= v <= hi:
        raise TrainingError(f"The {what} must be between {lo:g} and {hi:g}, got {v:g}.")
    return float(v)
