"""compile_model: optimizer, schedule, losses, loss weights and metrics from a TrainingConfig."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from app.project.training_config import NO_LOSS, TrainingConfig, TrainingError

SKIP_OPTIMIZERS = {"Optimizer", "LossScaleOptimizer", "MultiOptimizer", "OptimizerMap"}


def optimizer_names() -> list[str]:
    """Every keras.optimizers class a user can pick."""
    import keras

    return sorted(
        n
        for n, c in vars(keras.optimizers).items()
        if inspect.isclass(c)
        and issubclass(c, keras.optimizers.Optimizer)
        and n not in SKIP_OPTIMIZERS
    )


def build_optimizer(config: TrainingConfig) -> Any:
    """The keras optimizer (with its learning-rate schedule) the config names."""
    import keras

    names = {n.lower(): n for n in optimizer_names()}
    name = names.get(config.optimizer.lower())
    if name is None:
        raise TrainingError(
            f"Unknown optimizer '{config.optimizer}'. Keras offers {', '.join(names.values())}."
        )
    lr: Any = config.learning_rate
    if config.lr_schedule:
        sched_name = config.lr_schedule["class_name"]
        params = dict(config.lr_schedule.get("params", {}))
        cls = getattr(keras.optimizers.schedules, sched_name)
        if sched_name != "PiecewiseConstantDecay":
            params.setdefault("initial_learning_rate", config.learning_rate)
        try:
            lr = cls(**params)
        except (TypeError, ValueError) as exc:
            raise TrainingError(
                f"The learning-rate schedule {sched_name} does not accept these "
                f"settings ({', '.join(params)}): {_first_line(exc)}"
            ) from exc
    try:
        return getattr(keras.optimizers, name)(learning_rate=lr, **config.optimizer_params)
    except (TypeError, ValueError) as exc:
        raise TrainingError(
            f"Optimizer {name} does not accept these settings "
            f"({', '.join(config.optimizer_params) or 'learning_rate'}): "
            f"{_first_line(exc)}"
        ) from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def default_losses(
    model: Any, dataset: Any = None, output_map: dict | None = None
) -> dict[str, str]:
    """A loss per output that fits its activation and targets; "none" for outputs without targets."""
    from app.data.compat import resolve_names
    from app.data.synthetic import output_activation

    ymap = {}
    if dataset is not None:
        ymap = resolve_names("Output", list(model.output_names), dataset.y, output_map or {}, [])
    out = {}
    for name, t in zip(model.output_names, model.outputs):
        y = dataset.y.get(ymap.get(name)) if dataset is not None and name in ymap else None
        if dataset is not None and y is None:
            out[name] = "none"
            continue
        act = output_activation(model, t)
        units = t.shape[-1]
        sparse = y is None or y.ndim < len(t.shape) or (y.shape[-1] == 1 and units != 1)
        if act == "softmax" and units != 1:
            out[name] = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
        elif act == "sigmoid":
            out[name] = "binary_crossentropy"
        elif (
            dataset is not None
            and dataset.task == "classification"
            and units
            and units > 1
            and sparse
            and y is not None
            and np.issubdtype(y.dtype, np.integer)
        ):
            out[name] = "sparse_categorical_crossentropy"  # on logits: see loss_object
        else:
            out[name] = "mean_squared_error"
    return out


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


def resolved_losses(
    model: Any, config: TrainingConfig, dataset: Any = None, output_map: dict | None = None
) -> dict[str, str]:
    """The loss each output trains with: the config's choice, else the default."""
    unknown = [k for k in config.losses if k not in model.output_names]
    if unknown and not (len(config.losses) == 1 and len(model.output_names) == 1):
        raise TrainingError(
            f"The training settings name a loss for '{unknown[0]}', which is not "
            f"an output of the model (outputs: {', '.join(model.output_names)})."
        )
    if len(model.output_names) == 1 and len(config.losses) == 1:
        return {model.output_names[0]: next(iter(config.losses.values()))}
    defaults = default_losses(model, dataset, output_map)
    return {n: config.losses.get(n, defaults[n]) for n in model.output_names}


def _per_output(model: Any, values: dict[str, Any]) -> Any:
    """Dict / list / single value, matching how the model's outputs are structured."""
    names = list(model.output_names)
    if isinstance(getattr(model, "_outputs_struct", None), dict):
        return {n: values.get(n) for n in names}
    if len(names) == 1:
        return values.get(names[0])
    return [values.get(n) for n in names]


def _loss_class(name: str) -> Any:
    """The keras.losses class for a snake_case or CamelCase loss name, or None."""
    import keras

    key = name.replace("_", "").lower()
    aliases = {
        "mse": "meansquarederror",
        "mae": "meanabsoluteerror",
        "mape": "meanabsolutepercentageerror",
        "msle": "meansquaredlogarithmicerror",
        "kld": "kldivergence",
        "kldivergence": "kldivergence",
    }
    key = aliases.get(key, key)
    for cname, cls in vars(keras.losses).items():
        if inspect.isclass(cls) and issubclass(cls, keras.losses.Loss) and cname.lower() == key:
            return cls
    return None


def loss_settings(name: str, params: dict | None, activation: str) -> tuple[Any, dict]:
    """(keras.losses class or None, constructor settings) of a loss on an output.

    Crossentropy on an output without softmax/sigmoid means the output gives logits, so
    from_logits=True is set unless the settings say otherwise. Empty settings mean the loss is
    passed by name; settings for a loss without a class raise TrainingError.
    """
    params = dict(params or {})
    cls = _loss_class(name)
    if (
        cls is not None
        and "crossentropy" in name.replace("_", "").lower()
        and activation not in ("softmax", "sigmoid")
        and "from_logits" not in params
    ):
        params["from_logits"] = True
    if params and cls is None:
        raise TrainingError(f"The loss '{name}' takes no settings here.")
    return cls, params


def loss_object(name: str, params: dict | None, activation: str) -> Any:
    """The loss for compile: its name, or a configured instance (see loss_settings)."""
    cls, params = loss_settings(name, params, activation)
    if not params:
        return name
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise TrainingError(
            f"The loss {cls.__name__} does not accept these settings "
            f"({', '.join(params)}): {_first_line(exc)}"
        ) from exc


def compile_model(
    model: Any, config: TrainingConfig, dataset: Any = None, output_map: dict | None = None
) -> dict[str, str]:
    """model.compile from the config; returns the loss used per output. TrainingError on bad names."""
    import keras

    from app.data.synthetic import output_activation

    losses = resolved_losses(model, config, dataset, output_map)
    for name, loss in losses.items():
        if loss in NO_LOSS:
            continue
        try:
            keras.losses.get(loss)
        except (ValueError, TypeError):
            raise TrainingError(f"Unknown loss '{loss}' for output '{name}'.") from None
    metrics = dict(config.metrics)
    if len(model.output_names) == 1 and len(metrics) == 1:
        metrics = {model.output_names[0]: next(iter(metrics.values()))}
    if not config.metrics:
        metrics = default_metrics(losses)
    for name, names in metrics.items():
        if name not in model.output_names:
            raise TrainingError(
                f"The training settings name metrics for '{name}', which is not "
                f"an output of the model."
            )
        for m in names:
            if m in ("accuracy", "acc"):
                continue
            try:
                keras.metrics.get(m)
            except (ValueError, TypeError):
                raise TrainingError(f"Unknown metric '{m}' for output '{name}'.") from None
    if all(v in NO_LOSS for v in losses.values()) and not model.losses:
        raise TrainingError(
            "No output has a loss and the model adds none of its own; choose a "
            "loss for at least one output."
        )
    acts = {n: output_activation(model, t) for n, t in zip(model.output_names, model.outputs)}
    loss_arg = _per_output(
        model,
        {
            n: None if v in NO_LOSS else loss_object(v, config.loss_params.get(n), acts[n])
            for n, v in losses.items()
        },
    )
    weights = None
    if config.loss_weights:
        weights = _per_output(
            model, {n: float(config.loss_weights.get(n, 1.0)) for n in model.output_names}
        )
    metric_arg = _per_output(model, {n: list(metrics.get(n, [])) for n in model.output_names})
    if not any(metrics.values()):
        metric_arg = None
    try:
        model.compile(
            optimizer=build_optimizer(config),
            loss=loss_arg,
            loss_weights=weights,
            metrics=metric_arg,
            jit_compile=config.jit_compile,
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise TrainingError(f"The model could not be compiled: {_first_line(exc)}") from exc
    return losses
