"""compile_model: optimizer, schedule, losses, loss weights and (weighted) metrics from a
TrainingConfig."""

from __future__ import annotations

from typing import Any

from app.compiler.custom_code import code_object
from app.compiler.training_rules import (
    loss_settings,
    optimizer_class_name,
    resolved_losses,
)
from app.errors import CompileError
from app.keras_internals import outputs_are_dict
from app.project.project_code import CodeEntry, find_entry
from app.project.training_config import (
    NO_LOSS,
    TrainingConfig,
    TrainingError,
    resolved_metrics,
    resolved_weighted_metrics,
)


def build_optimizer(config: TrainingConfig, code: list[CodeEntry] | None = None) -> Any:
    """The keras optimizer (with its learning-rate schedule) the config names; a project code
    schedule comes from `code` (a function one is applied by make_callbacks, not here)."""
    import keras

    name = optimizer_class_name(config.optimizer)
    lr: Any = config.learning_rate
    if config.lr_schedule and config.lr_schedule.get("code"):
        lr = code_schedule(config, code)
        if callable(lr) and not isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
            lr = config.learning_rate  # a function (epoch, lr): LearningRateScheduler sets it
    elif config.lr_schedule:
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


def code_schedule(config: TrainingConfig, code: list[CodeEntry] | None) -> Any:
    """The project code schedule the config names: a function (epoch, lr) as it is, or an
    instance of its LearningRateSchedule class made with the schedule's settings."""
    sched = config.lr_schedule or {}
    name, params = sched.get("class_name", ""), dict(sched.get("params", {}))
    entry = find_entry(code or [], name, "schedule")
    if entry is None:
        raise TrainingError(f"The learning-rate schedule '{name}' is not in the project code.")
    try:
        obj = code_object(entry)
    except CompileError as exc:
        raise TrainingError(f"The learning-rate schedule: {exc.message}") from None
    if not isinstance(obj, type):
        if params:
            raise TrainingError(
                f"The schedule {name} is a function (epoch, lr); it takes no settings "
                f"({', '.join(params)})."
            )
        return obj
    try:
        return obj(**params)
    except Exception as exc:  # noqa: BLE001 - user code fails in any way
        raise TrainingError(
            f"The learning-rate schedule {name}({', '.join(params)}) failed: {_first_line(exc)}"
        ) from None


def adds_own_losses(model: Any, x_sample: Any = None) -> bool:
    """True if the model has losses of its own: weight regularizers, or layers that call
    add_loss when the model runs on `x_sample` (a few samples of its inputs).

    Keras keeps add_loss terms only from a real call, not from building the model, so it is
    called once as fit would (training=True) inside a StatelessScope: nothing it updates
    (BatchNormalization statistics, seed generators) reaches the model's variables.
    """
    import keras

    if model.losses:
        return True
    if x_sample is None:
        return False
    with keras.StatelessScope(collect_losses=True) as scope:
        model(x_sample, training=True)
    return bool(scope.losses)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _per_output(model: Any, values: dict[str, Any]) -> Any:
    """Dict / list / single value, matching how the model's outputs are structured."""
    names = list(model.output_names)
    if outputs_are_dict(model):
        return {n: values.get(n) for n in names}
    if len(names) == 1:
        return values.get(names[0])
    return [values.get(n) for n in names]


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


def _project_object(code: list[CodeEntry] | None, kind: str, name: str, output: str) -> Any:
    """The project code object a loss/metric name picks; TrainingError naming output and code."""
    entry = find_entry(code or [], name, kind)
    if entry is None:
        raise TrainingError(f"Unknown {kind} '{name}' for output '{output}'.")
    try:
        return code_object(entry)
    except CompileError as exc:
        raise TrainingError(f"The {kind} of output '{output}': {exc.message}") from None


def _instance(obj: Any) -> Any:
    """What compile takes: a function as it is, a Loss/Metric class as a fresh instance."""
    if not isinstance(obj, type):
        return obj
    try:
        return obj()
    except Exception as exc:  # noqa: BLE001 - user code fails in any way
        raise TrainingError(f"{obj.__name__}() failed: {_first_line(exc)}") from None


def compile_model(
    model: Any,
    config: TrainingConfig,
    dataset: Any = None,
    output_map: dict | None = None,
    code: list[CodeEntry] | None = None,
) -> dict[str, str]:
    """model.compile from the config; returns the loss used per output. TrainingError on bad names.

    A loss or metric name is Keras' own first, else the project `code` entry of that name.
    """
    import keras

    from app.data.synthetic import output_activation

    losses = resolved_losses(model, config, dataset, output_map)
    custom: dict[str, Any] = {}  # project code objects by name
    for name, loss in losses.items():
        if loss in NO_LOSS:
            continue
        try:
            keras.losses.get(loss)
        except (ValueError, TypeError):
            custom[loss] = _project_object(code, "loss", loss, name)
    metrics = resolved_metrics(list(model.output_names), config, losses)
    weighted = resolved_weighted_metrics(list(model.output_names), config)
    for what, given in (("metrics", metrics), ("weighted metrics", weighted)):
        for name, names in given.items():
            if name not in model.output_names:
                raise TrainingError(
                    f"The training settings name {what} for '{name}', which is not "
                    f"an output of the model."
                )
            for m in names:
                if m in ("accuracy", "acc"):
                    continue
                try:
                    keras.metrics.get(m)
                except (ValueError, TypeError):
                    custom[m] = _project_object(code, "metric", m, name)
    acts = {n: output_activation(model, t) for n, t in zip(model.output_names, model.outputs)}
    loss_arg = _per_output(
        model,
        {
            n: None
            if v in NO_LOSS
            else _instance(custom[v])
            if v in custom
            else loss_object(v, config.loss_params.get(n), acts[n])
            for n, v in losses.items()
        },
    )
    weights = None
    if config.loss_weights:
        weights = _per_output(
            model, {n: float(config.loss_weights.get(n, 1.0)) for n in model.output_names}
        )
    metric_arg, weighted_arg = (
        None
        if not any(given.values())
        else _per_output(
            model,
            {
                n: [_instance(custom[m]) if m in custom else m for m in given.get(n, [])]
                for n in model.output_names
            },
        )
        for given in (metrics, weighted)
    )
    try:
        model.compile(
            optimizer=build_optimizer(config, code),
            loss=loss_arg,
            loss_weights=weights,
            metrics=metric_arg,
            weighted_metrics=weighted_arg,
            jit_compile=config.jit_compile,
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise TrainingError(f"The model could not be compiled: {_first_line(exc)}") from exc
    return losses
