"""The rules compile_model and the generated script share: which optimizers exist, the loss each
output trains with (chosen or by default), and how a loss name and its settings become a Keras
loss.  One function per rule, so a trained model and its script cannot disagree."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from app.project.training_config import TrainingConfig, TrainingError

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


def optimizer_class_name(name: str) -> str:
    """The keras.optimizers class a (case-insensitive) optimizer name means; TrainingError if none."""
    names = {n.lower(): n for n in optimizer_names()}
    found = names.get(name.lower())
    if found is None:
        raise TrainingError(
            f"Unknown optimizer '{name}'. Keras offers {', '.join(names.values())}."
        )
    return found


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


LOSS_ALIASES = {
    "mse": "meansquarederror",
    "mae": "meanabsoluteerror",
    "mape": "meanabsolutepercentageerror",
    "msle": "meansquaredlogarithmicerror",
    "kld": "kldivergence",
    "kldivergence": "kldivergence",
}


def loss_key(name: str) -> str:
    """One key for every spelling of a Keras loss: snake_case, CamelCase or its alias
    ("mse", "mean_squared_error" and "MeanSquaredError" give the same key)."""
    key = name.replace("_", "").lower()
    return LOSS_ALIASES.get(key, key)


def loss_class(name: str) -> Any:
    """The keras.losses class for a snake_case or CamelCase loss name, or None."""
    import keras

    key = loss_key(name)
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
    cls = loss_class(name)
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


def step_sample_weights_problem(step_name: str, has_targets: bool) -> str | None:
    """Why a training step of sub-models cannot take the data's sample weights, or None.

    Keras hands a train_step (and test_step) sample weights only together with targets:
    fit(x, sample_weight=w) without y drops them silently. A run and its script refuse alike.
    """
    if has_targets:
        return None
    return (
        f"The data has sample weights, but training step '{step_name}' takes data without "
        f"targets, and Keras hands a train_step sample weights only together with targets "
        f"(without them fit drops the weights). Remove the weights from the data settings, "
        f"or give the data targets."
    )
