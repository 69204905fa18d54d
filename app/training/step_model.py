"""The project's training step: a keras.Model subclass (train_step / test_step) made around the
graph's model, compiled, and what fit feeds it.

Two shapes of step, as in the Keras guide "customizing what happens in fit":
- Keras' own __init__ (the guide's CustomModel): the class is made from the graph's inputs and
  outputs (Keras 3 makes it a Functional model of that class), compiled from the training
  settings as any model.
- its own __init__ (the GAN, the subclassed VAE): each parameter named in the setting's "models"
  gets the built sub-model of that block (the very object inside the graph's model, so the
  graph's model holds the trained weights), "model" the whole graph's model, "args" the rest;
  then its own compile with the setting's "compile" arguments, or a compile with the training
  settings' optimizer.
Compile values are plain JSON; a mapping with "class_name" is made by Keras' own getters.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from app.compiler.custom_code import code_object, digest, plain_error
from app.errors import CompileError
from app.project.project_code import CodeEntry, find_entry
from app.project.training_config import WHOLE_MODEL, TrainingConfig, TrainingError

_GETTERS = {"optimizers": "optimizer", "losses": "loss", "metrics": "metric"}


@dataclass
class StepModel:
    """A made step: `model` is what fit runs, `graph_model` the graph's plain Functional model
    (what run files keep), `functional` True when the step is the graph's model of that class."""

    model: Any
    graph_model: Any
    functional: bool
    name: str
    # A step with its own compile: its compile arguments that are optimizers, by argument name
    # (the GAN's d_optimizer and g_optimizer), the very objects it trains with.
    optimizers: dict[str, Any] = field(default_factory=dict)

    @property
    def own_compile(self) -> bool:
        return _overrides(type(self.model), "compile")

    @property
    def own_test_step(self) -> bool:
        return _overrides(type(self.model), "test_step")


def step_entry(config: TrainingConfig, code: list[CodeEntry] | None) -> CodeEntry:
    """The project code entry the config's step names; TrainingError if there is none."""
    name = (config.step or {}).get("name", "")
    entry = find_entry(code or [], name, "step")
    if entry is None:
        raise TrainingError(f"The training step '{name}' is not in the project code (any more).")
    return entry


def step_class(config: TrainingConfig, code: list[CodeEntry] | None) -> type:
    """The (trusted) step class; TrainingError in words (untrusted, broken, wrong kind)."""
    entry = step_entry(config, code)
    try:
        return code_object(entry)
    except CompileError as exc:
        raise TrainingError(exc.message) from None


def has_own_init(cls: type) -> bool:
    """True if the step class (or a base of it below keras.Model) defines __init__."""
    return _overrides(cls, "__init__")


def _overrides(cls: type, method: str) -> bool:
    import keras

    for klass in cls.__mro__:
        if klass is keras.Model or klass.__module__.startswith("keras"):
            return False
        if method in vars(klass):
            return True
    return False


def init_parameters(cls: type) -> list[str]:
    """The named parameters of the step's own __init__ (what "models" and "args" fill)."""
    if not has_own_init(cls):
        return []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in params if p.kind in kinds]


def find_block(model: Any, name: str) -> Any:
    """The nested model (block) called `name` inside `model`, searched depth first; None."""
    import keras

    for layer in getattr(model, "layers", []):
        if layer.name == name and isinstance(layer, keras.Model):
            return layer
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            found = find_block(layer, name)
            if found is not None:
                return found
    return None


def make_step(
    graph_model: Any,
    config: TrainingConfig,
    code: list[CodeEntry] | None,
    blocks: dict[str, str] | None = None,
) -> StepModel:
    """The step model around the built (or loaded) graph model, not compiled yet.

    `blocks` maps block node ids (and names) to block names, so "models" may name a block by id.
    """
    step = config.step or {}
    cls = step_class(config, code)
    who = f"Training step '{cls.__name__}'"
    entry = step_entry(config, code)
    if not has_own_init(cls):
        extra = [k for k in (*step.get("models", {}), *step.get("args", {}))]
        if extra:
            raise TrainingError(
                f"{who} has Keras' own __init__ (it is made from the model's inputs and "
                f"outputs); it takes no parameter '{extra[0]}'."
            )
        try:
            model = cls(inputs=graph_model.input, outputs=graph_model.output, name=graph_model.name)
        except Exception as exc:  # noqa: BLE001 - user code fails in any way
            raise TrainingError(plain_error(who, exc, digest(entry.source))) from None
        return StepModel(model, graph_model, True, cls.__name__)
    params = init_parameters(cls)
    kwargs: dict[str, Any] = {}
    for param, block in step.get("models", {}).items():
        if param not in params:
            raise TrainingError(f"{who}: its __init__ takes no parameter '{param}'.")
        kwargs[param] = _sub_model(graph_model, block, blocks or {}, who, param)
    takes_any = any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        for p in inspect.signature(cls.__init__).parameters.values()
    )
    for arg in step.get("args", {}):
        if arg not in params and not takes_any:
            raise TrainingError(f"{who}: its __init__ takes no parameter '{arg}'.")
    kwargs.update(step.get("args", {}))
    missing = [p for p in _required(cls) if p not in kwargs]
    if missing:
        raise TrainingError(
            f"{who}: its __init__ needs {', '.join(repr(m) for m in missing)}; choose a block "
            f"(or the whole model) or a value for each in the training step settings."
        )
    try:
        model = cls(**kwargs)
    except Exception as exc:  # noqa: BLE001
        raise TrainingError(plain_error(who, exc, digest(entry.source))) from None
    return StepModel(model, graph_model, False, cls.__name__)


def _required(cls: type) -> list[str]:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in params if p.kind in kinds and p.default is inspect.Parameter.empty]


def _sub_model(graph_model: Any, block: str, blocks: dict[str, str], who: str, param: str) -> Any:
    if block == WHOLE_MODEL:
        return graph_model
    name = blocks.get(block, block)
    found = find_block(graph_model, name)
    if found is None:
        raise TrainingError(
            f"{who}: parameter '{param}' takes block '{name}', which the model does not have."
        )
    return found


def resolve_value(param: str, value: Any, code: list[CodeEntry] | None = None) -> Any:
    """A compile argument from plain JSON: {"class_name", "config"} made by Keras' own getter
    (the one the parameter's name points at, else the first that knows it, else project code);
    lists resolved item by item; anything else as it is."""
    if isinstance(value, list):
        return [resolve_value(param, v, code) for v in value]
    if not (isinstance(value, dict) and isinstance(value.get("class_name"), str)):
        return value
    import keras

    hinted = [g for g, word in _GETTERS.items() if word in param.lower()]
    order = hinted + [g for g in _GETTERS if g not in hinted]
    errors = []
    for getter in order:
        try:
            return getattr(keras, getter).get(dict(value))
        except (ValueError, TypeError) as exc:
            errors.append(exc)
    entry = find_entry(code or [], value["class_name"])
    if entry is not None and entry.kind in ("loss", "metric"):
        try:
            obj = code_object(entry)
        except CompileError as exc:
            raise TrainingError(exc.message) from None
        if not isinstance(obj, type):
            return obj
        try:
            return obj(**dict(value.get("config") or {}))
        except Exception as exc:  # noqa: BLE001
            raise TrainingError(f"{entry.name}() for '{param}' failed: {exc}") from None
    raise TrainingError(
        f"The step's compile argument '{param}': Keras knows no optimizer, loss or metric "
        f"{value['class_name']!r} with these settings ({_first(errors)})."
    )


def _first(errors: list[BaseException]) -> str:
    for exc in errors:
        text = str(exc).strip().splitlines()
        if text:
            return text[0][:200]
    return "unknown"


def compile_step(
    made: StepModel,
    config: TrainingConfig,
    code: list[CodeEntry] | None,
    dataset: Any = None,
    output_map: dict | None = None,
) -> dict[str, str]:
    """Compile the step: its own compile with the setting's arguments, else the training
    settings' compile (a Functional step: losses, metrics; a step of sub-models: the optimizer).
    jit_compile follows the settings. Returns the loss used per output ({} if none)."""
    from app.training.compile import build_optimizer, compile_model

    step = config.step or {}
    args = {k: resolve_value(k, v, code) for k, v in step.get("compile", {}).items()}
    who = f"Training step '{made.name}'"
    if made.own_compile:
        import keras

        made.optimizers = {k: v for k, v in args.items() if isinstance(v, keras.Optimizer)}
        try:
            made.model.compile(**args)
        except Exception as exc:  # noqa: BLE001
            entry = step_entry(config, code)
            raise TrainingError(plain_error(f"{who}.compile", exc, digest(entry.source))) from None
        made.model.jit_compile = config.jit_compile
        return {}
    if made.functional:
        if args:
            raise TrainingError(
                f"{who} has no compile of its own: the training settings compile it, so it "
                f"takes no compile arguments ({', '.join(args)})."
            )
        return compile_model(made.model, config, dataset, output_map, code)
    kwargs = {"optimizer": build_optimizer(config, code), "jit_compile": config.jit_compile}
    kwargs.update(args)
    try:
        made.model.compile(**kwargs)
    except (ValueError, TypeError) as exc:
        raise TrainingError(f"{who} could not be compiled: {exc}") from None
    return {}


def step_arrays(dataset: Any, split: str = "train") -> tuple[Any, Any]:
    """(x, y) a step of sub-models is fed: the data's arrays as they are (one array alone, else
    a dict by name); y None when the data has no targets."""
    xs, ys = (dataset.x, dataset.y) if split == "train" else (dataset.x_val, dataset.y_val)
    if xs is None:
        return None, None

    def one(arrays: dict | None) -> Any:
        if not arrays:
            return None
        arrays = {k: _float32(v) for k, v in arrays.items()}
        return next(iter(arrays.values())) if len(arrays) == 1 else arrays

    return one(xs), one(ys)


def _float32(arr: Any) -> Any:
    """float16 / float64 / bool arrays as float32 (what the graph's layers compute in)."""
    import numpy as np

    if arr.dtype in (np.float16, np.float64, np.bool_):
        return arr.astype(np.float32)
    return arr


@dataclass(frozen=True)
class RunStep:
    """What evaluating a model of a project with a training step takes from the project: its
    training settings, its code and its block names (taken on the GUI thread, read on a worker)."""

    config: TrainingConfig
    code: tuple[CodeEntry, ...]
    blocks: dict[str, str]

    @property
    def name(self) -> str:
        return (self.config.step or {}).get("name", "")

    def of_sub_models(self) -> bool:
        """True when the step's own __init__ takes sub-models (the GAN, the VAE): its test_step
        gives the metrics and the graph's model is no classifier of the data."""
        return has_own_init(step_class(self.config, list(self.code)))

    def sub_models(self, graph_model: Any) -> dict[str, Any]:
        """The sub-models the step is made with around `graph_model`, by parameter name: the
        very block objects inside it (so they hold the run's trained weights); the whole model
        for a parameter that takes it. TrainingError when a named block is gone."""
        who = f"Training step '{self.name}'"
        return {
            param: _sub_model(graph_model, block, self.blocks, who, param)
            for param, block in (self.config.step or {}).get("models", {}).items()
        }

    def evaluate(self, graph_model: Any, dataset: Any, split: str = "val", **maps: Any) -> dict:
        """evaluate_with_step with these settings (what `layerloom evaluate --run` prints)."""
        return evaluate_with_step(
            graph_model, self.config, list(self.code), dataset, split, self.blocks, **maps
        )


def run_step(project: Any) -> RunStep | None:
    """The RunStep of `project`, or None when it trains with Keras' own fit."""
    from app.model.grouping import block_names

    if not project.training.step:
        return None
    return RunStep(project.training, tuple(project.code), block_names(project.graph))


def evaluate_with_step(
    graph_model: Any,
    config: TrainingConfig,
    code: list[CodeEntry] | None,
    dataset: Any,
    split: str = "val",
    blocks: dict[str, str] | None = None,
    input_map: dict | None = None,
    output_map: dict | None = None,
) -> dict[str, float]:
    """The step's test_step metrics on a split of the data, the step made around `graph_model`
    (a run's saved plain model) and compiled as for training."""
    from app.training.evaluate import evaluate

    made = make_step(graph_model, config, code, blocks)
    compile_step(made, config, code, dataset, output_map)
    if made.functional:
        return evaluate(made.model, dataset, split, input_map, output_map)
    if not made.own_test_step:
        raise TrainingError(
            f"Training step '{made.name}' has no test_step, so it cannot be evaluated."
        )
    x, y = step_arrays(dataset, "val" if split == "val" else "train")
    if x is None:
        raise TrainingError("There is no validation data to evaluate on; use the training data.")
    try:
        res = made.model.evaluate(x, y, batch_size=config.batch_size, verbose=0, return_dict=True)
    except Exception as exc:  # noqa: BLE001 - an error inside the user's test_step
        entry = step_entry(config, code)
        raise TrainingError(
            plain_error(f"Training step '{made.name}'.test_step", exc, digest(entry.source))
        ) from None
    return {k: float(v) for k, v in res.items()}
