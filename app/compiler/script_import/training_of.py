"""A script's compile and fit arguments (as runner.py described them) -> TrainingSettings.

The inverse of app.compiler.codegen_training: what a generated script writes comes back as the
settings it was written from (a ModelCheckpoint into training_output/best.keras is the project's
best-model checkpoint, a crossentropy loss with from_logits on a logits output is the default,
...).  What has no project setting is said in `notes`, never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.compiler.codegen_training import OUTPUT_DIR
from app.compiler.metric_goals import monitor_mode
from app.compiler.training_rules import loss_class, loss_settings
from app.project.callback_specs import CALLBACK_SPECS
from app.project.settings import TrainingSettings
from app.project.training_config import SCHEDULES, CallbackConfig, TrainingError, check_step

_LOSS_CONFIG_DROPPED = ("name", "reduction", "dtype")


@dataclass
class TrainingOf:
    """The settings read from a script, the code entries they name and what was not kept."""

    training: TrainingSettings
    code_kinds: dict[str, str] = field(default_factory=dict)  # code name -> project code kind
    notes: list[str] = field(default_factory=list)


def training_of(result: dict[str, Any], model: Any) -> TrainingOf:
    """TrainingSettings from runner.py's result for the built (imported) `model`."""
    out = TrainingOf(TrainingSettings())
    t = out.training
    outputs = output_names(model)
    seed = result.get("seed")
    t.seed = seed if isinstance(seed, int) and 0 <= seed < 2**32 else None
    if t.seed is None:
        out.notes.append(
            "The script sets no seed (keras.utils.set_random_seed); the project trains unseeded."
        )
    step = _step(result.get("step"), out)
    of_blocks = step is not None and bool(step["models"])
    comp = result.get("compile")
    if not isinstance(comp, dict):
        if step is None or not step["compile"]:
            out.notes.append(
                "The model was not compiled before fit; LayerLoom's defaults are used."
            )
    else:
        _optimizer(comp.get("optimizer"), out)
        if of_blocks:  # the step computes its own losses; compile gives it the optimizer
            given = [k for k in ("loss", "metrics", "weighted_metrics", "loss_weights")
                     if comp.get(k)]  # fmt: skip
            if given:
                out.notes.append(
                    f"compile({', '.join(given)}) of training step '{step['name']}' is not kept: "
                    "it computes its own losses."
                )
        else:
            _losses(comp.get("loss"), model, outputs, out)
            _metrics(comp.get("metrics"), comp.get("weighted_metrics"), outputs, out)
            weights = _per_output(comp.get("loss_weights"), outputs, raw=True)
            t.loss_weights = {k: float(v) for k, v in weights.items() if isinstance(v, int | float)}
        t.jit_compile = comp.get("jit_compile") is True
    _fit(result.get("fit") or {}, outputs, out)
    return out


def _step(step: Any, out: TrainingOf) -> dict[str, Any] | None:
    """The training step the script's model class is (its "models" still name blocks by name;
    the caller turns them into node ids)."""
    if not isinstance(step, dict):
        return None
    try:
        checked = check_step({k: v for k, v in step.items() if k in ("name", "models", "args",
                                                                       "compile")})  # fmt: skip
    except TrainingError as exc:
        out.notes.append(f"The training step is not kept: {exc}")
        return None
    if checked is None:
        return None
    out.training.step = checked
    out.code_kinds[checked["name"]] = "step"
    return checked


def output_names(model: Any) -> list[str]:
    """The names of the model's outputs (a Sequential model's: its last layer's)."""
    from app.keras_internals import keras_history

    try:
        return list(model.output_names)
    except AttributeError:
        return [keras_history(t)[0].name for t in model.outputs]


# ----- compile -----------------------------------------------------------------------------------
def _optimizer(opt: Any, out: TrainingOf) -> None:
    t = out.training
    if not isinstance(opt, dict):
        return
    t.optimizer = str(opt.get("class_name") or "Adam")
    config = dict(opt.get("config") or {})
    defaults = dict(opt.get("defaults") or {})
    sched = opt.get("schedule")
    if isinstance(sched, dict):
        params = dict(sched.get("config") or {})
        params.pop("name", None)
        if sched.get("code"):
            t.lr_schedule = {"class_name": sched["code"], "params": params, "code": True}
            out.code_kinds[sched["code"]] = "schedule"
        elif sched.get("class_name") in SCHEDULES:
            if "initial_learning_rate" in params:
                t.learning_rate = _f32(params.pop("initial_learning_rate"))
            t.lr_schedule = {"class_name": sched["class_name"], "params": params}
        else:
            out.notes.append(
                f"The learning-rate schedule {sched.get('class_name')} is not one LayerLoom "
                "offers; the initial learning rate is used."
            )
    elif isinstance(config.get("learning_rate"), int | float):
        t.learning_rate = _f32(config["learning_rate"])
    params = {}
    for k, v in config.items():
        if k in ("name", "learning_rate") or (k in defaults and defaults[k] == v):
            continue
        params[k] = _f32(v) if isinstance(v, float) else v
    t.optimizer_params = params


def _losses(loss: Any, model: Any, outputs: list[str], out: TrainingOf) -> None:
    from app.data.synthetic import output_activation

    acts = {n: output_activation(model, o) for n, o in zip(outputs, model.outputs)}
    per = _per_output(loss, outputs)
    t = out.training
    for name in outputs:
        item = per.get(name)
        if item is None:
            t.losses[name] = "none"
            continue
        if "code" in item:
            if item["code"]:
                t.losses[name] = item["code"]
                out.code_kinds[item["code"]] = "loss"
            continue
        if "name" in item:
            t.losses[name] = str(item["name"])
            continue
        if "keras_class" in item:
            cls_name = item["keras_class"]
            loss_name = _snake(cls_name)
            cls = loss_class(loss_name)
            if cls is None:
                out.notes.append(f"The loss {cls_name} of '{name}' is not kept.")
                continue
            params = _changed(item.get("config") or {}, _defaults(cls), _LOSS_CONFIG_DROPPED)
            implied = dict(params)
            implied.pop("from_logits", None)
            _cls, with_rule = loss_settings(loss_name, implied, acts[name])
            if with_rule == params:  # from_logits as LayerLoom sets it for this output
                params = implied
            t.losses[name] = loss_name
            if params:
                t.loss_params[name] = params
            continue
        out.notes.append(f"The loss of '{name}' ({item.get('unknown', '?')}) is not kept.")


def _metrics(metrics: Any, weighted: Any, outputs: list[str], out: TrainingOf) -> None:
    t = out.training
    t.metrics = _metric_names(_per_output(metrics, outputs, many=True), outputs, out)
    if weighted:
        names = _metric_names(_per_output(weighted, outputs, many=True), outputs, out)
        t.weighted_metrics = {k: v for k, v in names.items() if v}


def _metric_names(
    per: dict[str, list[dict]], outputs: list[str], out: TrainingOf
) -> dict[str, list[str]]:
    """{output: metric names} from {output: [described metrics]}; the code ones noted."""
    by_output: dict[str, list[str]] = {}
    for name in outputs:
        names: list[str] = []
        for item in per.get(name, []):
            if "name" in item:
                names.append(str(item["name"]))
            elif "code" in item:
                if item["code"]:
                    names.append(item["code"])
                    out.code_kinds[item["code"]] = "metric"
            elif "keras_class" in item:
                names.append(_metric_name(item, out))
            else:
                out.notes.append(f"A metric of '{name}' ({item.get('unknown', '?')}) is not kept.")
        by_output[name] = names
    return by_output


def _metric_name(item: dict[str, Any], out: TrainingOf) -> str:
    import keras

    name = str(item.get("obj_name") or _snake(item["keras_class"]))
    for candidate in (name, item["keras_class"]):
        try:
            keras.metrics.get(candidate)
            return candidate
        except (ValueError, TypeError):
            continue
    out.notes.append(f"The metric {item['keras_class']} is kept by name only.")
    return name


def _per_output(value: Any, outputs: list[str], many: bool = False, raw: bool = False) -> dict:
    """{output: item} (many: {output: [items]}) from a structure as given to compile."""
    if value is None:
        return {}
    if raw:  # loss_weights: plain numbers in a dict or list
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        if isinstance(value, list):
            return dict(zip(outputs, value))
        return {}
    if "dict" in value:
        d = value["dict"]
        if many:
            return {k: _as_list(v) for k, v in d.items()}
        return dict(d)
    if "list" in value:
        items = value["list"]
        if many:
            if (
                len(outputs) > 1
                and len(items) == len(outputs)
                and all(isinstance(i, dict) and "list" in i for i in items)
            ):
                return {n: _as_list(i) for n, i in zip(outputs, items)}
            return {n: [i for i in items if "list" not in i] for n in outputs}
        if len(items) == len(outputs):
            return dict(zip(outputs, items))
        return {}
    return {n: ([value] if many else value) for n in outputs}


def _as_list(value: Any) -> list:
    if isinstance(value, dict) and "list" in value:
        return list(value["list"])
    return [value] if value is not None else []


# ----- fit ---------------------------------------------------------------------------------------
def _fit(fit: dict[str, Any], outputs: list[str], out: TrainingOf) -> None:
    t = out.training
    epochs = fit.get("epochs", 1)
    t.epochs = epochs if isinstance(epochs, int) and epochs >= 1 else 1
    batch = fit.get("batch_size")
    t.batch_size = batch if isinstance(batch, int) and batch >= 1 else 32
    t.shuffle = fit.get("shuffle", True) is not False
    cw = fit.get("class_weight")
    if isinstance(cw, dict) and cw:
        t.class_weight = {str(k): float(v) for k, v in cw.items()}
    if fit.get("initial_epoch"):
        out.notes.append(f"fit(initial_epoch={fit['initial_epoch']}) is not kept.")
    for cb in fit.get("callbacks") or []:
        _callback(cb, out)


def _callback(cb: dict[str, Any], out: TrainingOf) -> None:
    t = out.training
    if not isinstance(cb, dict):
        return
    if cb.get("code"):
        t.callbacks.append(CallbackConfig(cb["code"], dict(cb.get("params") or {}), code=True))
        out.code_kinds[cb["code"]] = "callback"
        return
    name = cb.get("class_name")
    module = str(cb.get("module") or "")
    params = dict(cb.get("params") or {})
    if name == "LearningRateScheduler" and cb.get("schedule_code"):
        t.lr_schedule = {"class_name": cb["schedule_code"], "params": {}, "code": True}
        out.code_kinds[cb["schedule_code"]] = "schedule"
        return
    spec = CALLBACK_SPECS.get(name) if module.startswith("keras") else None
    if spec is None or name == "LearningRateScheduler":
        out.notes.append(f"The callback {name} is not one LayerLoom offers; it is left out.")
        return
    for option in spec.options:
        if option.run_file:
            value = params.pop(option.keras_argument, None)
            rel = _in_output(value)
            if rel is not None and rel != option.default:
                params[option.param] = rel
    if spec.monitors:
        monitor = params.get("monitor", "val_loss")
        if params.get("mode") == monitor_mode(monitor, "auto"):
            params.pop("mode")
    if spec.keeps_best_model:
        if params.pop("save_best_only", False) is not True:
            out.notes.append(
                f"{name}: LayerLoom keeps the best model only (save_best_only); the run folder "
                "holds it."
            )
        params.pop("mode", None) if params.get("mode") == "auto" else None
    t.callbacks.append(CallbackConfig(name, params))


def _in_output(value: Any) -> str | None:
    """A path as a run-folder name: training_output/best.keras -> best.keras."""
    if not isinstance(value, str) or not value:
        return None
    parts = [p for p in re.split(r"[\\/]+", value) if p not in ("", ".")]
    if parts and parts[0] == OUTPUT_DIR:
        parts = parts[1:]
    return "/".join(parts) if parts else None


# ----- small helpers -----------------------------------------------------------------------------
def _snake(class_name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _defaults(cls: type) -> dict[str, Any]:
    try:
        return dict(cls().get_config())
    except Exception:  # noqa: BLE001
        return {}


def _changed(config: dict, defaults: dict, dropped: tuple[str, ...]) -> dict[str, Any]:
    return {
        k: v
        for k, v in config.items()
        if k not in dropped and not (k in defaults and defaults[k] == v)
    }


def _f32(value: Any) -> Any:
    """A float read back from a float32 variable, as the short decimal it was written as."""
    import numpy as np

    if not isinstance(value, float):
        return value
    return float(repr(np.float32(value)).removeprefix("np.float32(").removesuffix(")"))
