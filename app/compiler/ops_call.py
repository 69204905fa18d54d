"""keras.ops nodes and Keras-internal layers: build them on tensors, and read them from models.

An op node becomes one Operation (keras.src.ops.*) called on its tensors; its name is the
node's name, so an imported model rebuilds with the same operation names.  The generic
specs only ever load classes from keras.src.ops (Operations) and keras.src.applications
(layers): a project or model file cannot name a class from anywhere else.
Imports Keras: only the compiler imports this module, lazily.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from typing import Any

import keras

from app.errors import CompileError, ImportModelError, LayerLoomError
from app.keras_internals import APPLICATIONS_MODULE_PREFIX, OPS_MODULE_PREFIX
from app.model.node import Node
from app.nodes import REGISTRY, NodeSpec, PortSpec
from app.nodes.ops_specs import BY_OP_CLASS, KERAS_LAYER_SPEC_ID, KERAS_OP_SPEC_ID, VALUE_SUFFIX
from app.nodes.validate import validate_params

INPUT_MARK = "__input__"


# ----- loading classes safely --------------------------------------------------------------------
def check_config_data(config: Any, who: str) -> None:
    """Refuse nested objects a .keras file could not hold either (foreign modules, Lambda)."""
    from app.compiler.keras_file import check_config

    check_config({"config": config}, who)


def _load_class(module: Any, name: Any, prefix: str, base: type, what: str) -> type:
    if not isinstance(module, str) or not isinstance(name, str) or not module.startswith(prefix):
        raise CompileError(f"{what} must come from a module under {prefix[:-1]}, not {module!r}.")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise CompileError(f"{what}: {module}.{name} does not exist in this Keras.") from None
    if not isinstance(cls, type) or not issubclass(cls, base) or cls.__module__ != module:
        raise CompileError(f"{what}: {module}.{name} is not a Keras {base.__name__} class.")
    return cls


def operation_class(spec: NodeSpec, params: dict) -> type:
    """The Operation class an op node calls (curated: fixed; generic: checked params)."""
    if spec.id == KERAS_OP_SPEC_ID:
        cls = _load_class(params.get("module"), params.get("class_name"), OPS_MODULE_PREFIX,
                          keras.Operation, "An operation")  # fmt: skip
        if issubclass(cls, keras.layers.Layer):
            raise CompileError(f"{cls.__name__} is a layer, not an operation.")
        return cls
    module, _, name = spec.extra["op_class"].rpartition(".")
    return getattr(importlib.import_module(module), name)


def internal_layer_class(params: dict) -> type:
    """The keras.src.applications layer class of a KerasLayer node."""
    cls = _load_class(params.get("module"), params.get("class_name"),
                      APPLICATIONS_MODULE_PREFIX, keras.layers.Layer, "A Keras layer")  # fmt: skip
    if issubclass(cls, keras.Model):
        raise CompileError(f"{cls.__name__} is a model, not a layer.")
    return cls


# ----- building --------------------------------------------------------------------------------
class OpCall:
    """What a op node's 'layer' is: calls a fresh Operation on the node's tensors."""

    built = False  # no weights: count_params sees nothing to count

    def __init__(self, spec: NodeSpec, node: Node) -> None:
        self.spec = spec
        self.name = node.name
        self.params = {**spec.defaults(), **node.params}
        try:
            self.cls = operation_class(spec, self.params)
        except CompileError as exc:
            raise CompileError(f"{spec.class_name} '{node.name}': {exc.message}") from None

    def operation(self) -> Any:
        if self.spec.id == KERAS_OP_SPEC_ID:
            config = self.params.get("config") or {}
            if not isinstance(config, dict):
                raise CompileError("config must be a JSON object.")
            check_config_data(config, f"{self.spec.class_name} '{self.name}'")
            return self.cls.from_config({**config, "name": self.name})
        ports = {p.name for p in self.spec.inputs}
        init = {k: v for k, v in self.params.items() if k[: -len(VALUE_SUFFIX)] not in ports}
        return self.cls(**init, name=self.name)

    def __call__(self, ports: Sequence[PortSpec], by_port: dict[str, list]) -> Any:
        if self.spec.id == KERAS_OP_SPEC_ID:
            tensors = [t for p in ports for t in by_port.get(p.name, [])]
            args = _fill(self.params.get("args") or [], tensors)
            kwargs = _fill(self.params.get("kwargs") or {}, tensors)
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise CompileError("args must be a list and kwargs an object.")
            return self.operation()(*args, **kwargs)
        args = []
        for p in ports:
            tensors = by_port.get(p.name) or []
            if p.variadic:
                args.append(list(tensors))
            elif tensors:
                args.append(tensors[0])
            elif self.params.get(p.name + VALUE_SUFFIX) is not None:
                args.append(self.params[p.name + VALUE_SUFFIX])
            else:
                raise CompileError(f"input {p.name} is not connected and has no constant value.")
        if not any(isinstance(a, keras.KerasTensor) or isinstance(a, list) for a in args):
            raise CompileError("at least one input must be a connected tensor.")
        return self.operation()(*args)


def _fill(value: Any, tensors: list) -> Any:
    """A JSON call-argument structure with {"__input__": i} replaced by the i-th tensor."""
    if isinstance(value, dict):
        if set(value) == {INPUT_MARK}:
            i = value[INPUT_MARK]
            if not isinstance(i, int) or not 0 <= i < len(tensors):
                raise CompileError(f"argument refers to input {i!r}, which is not connected.")
            return tensors[i]
        return {k: _fill(v, tensors) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, tensors) for v in value]
    return value


def create_internal_layer(node: Node) -> Any:
    """A keras.src.applications layer rebuilt from its config."""
    spec = REGISTRY[KERAS_LAYER_SPEC_ID]
    params = {**spec.defaults(), **node.params}
    try:
        cls = internal_layer_class(params)
    except CompileError as exc:
        raise CompileError(f"KerasLayer '{node.name}': {exc.message}") from None
    config = params.get("config") or {}
    if not isinstance(config, dict):
        raise CompileError(f"KerasLayer '{node.name}': config must be a JSON object.")
    check_config_data(config, f"KerasLayer '{node.name}'")
    layer = cls.from_config({**config, "name": node.name, "trainable": node.trainable})
    if not node.trainable:
        layer.trainable = False
    return layer


# ----- importing -------------------------------------------------------------------------------
def is_internal_layer(layer: Any) -> bool:
    """True for a layer of keras.src.applications (LayerScale, CustomScaleLayer...)."""
    cls = type(layer)
    return cls.__module__.startswith(APPLICATIONS_MODULE_PREFIX) and not isinstance(
        layer, keras.Model
    )


def internal_layer_params(layer: Any) -> dict[str, Any]:
    """Params of a KerasLayer node: module, class and config (minus name/trainable)."""
    from app.compiler.import_params import json_value

    who = f"{type(layer).__name__} '{layer.name}'"
    config = dict(keras.saving.serialize_keras_object(layer).get("config") or {})
    for key in ("name", "trainable"):
        config.pop(key, None)
    policy = keras.dtype_policies.serialize(keras.config.dtype_policy())
    if json_value(config.get("dtype"), who) == json_value(policy, who):
        config.pop("dtype")
    params = {"module": type(layer).__module__, "class_name": type(layer).__name__,
              "config": json_value(config, who)}  # fmt: skip
    return _validated(REGISTRY[KERAS_LAYER_SPEC_ID], params, layer.name)


def read_op(op: Any, node: Any) -> tuple[str, dict[str, Any], list[tuple[str, int, Any]]]:
    """(spec id, params, links) of one Operation call in a model; links = (port, slot, tensor)."""
    cls = type(op)
    where = f"the operation '{op.name}' ({cls.__module__}.{cls.__name__})"
    if not isinstance(op, keras.Operation) or not cls.__module__.startswith(OPS_MODULE_PREFIX):
        raise ImportModelError(
            f"The model uses {where}, which is not a Keras layer or keras.ops operation."
        )
    try:
        config = dict(op.get_config())
    except Exception:  # noqa: BLE001 - an op Keras itself cannot describe
        raise ImportModelError(
            f"Cannot import {where}: Keras cannot describe its settings."
        ) from None
    config.pop("name", None)
    args, kwargs = tuple(node.arguments.args), dict(node.arguments.kwargs)
    spec_id = BY_OP_CLASS.get(f"{cls.__module__}.{cls.__name__}")
    if spec_id is not None:
        found = _curated(REGISTRY[spec_id], op, config, args, kwargs, where)
        if found is not None:
            return spec_id, found[0], found[1]
    return KERAS_OP_SPEC_ID, *_generic(op, config, args, kwargs, where)


def _curated(spec: NodeSpec, op: Any, config: dict, args: tuple, kwargs: dict, where: str):
    """(params, links) through the curated spec, or None if the call does not fit it."""
    from app.compiler.import_params import json_value

    try:
        bound = inspect.signature(op.call).bind(*args, **kwargs).arguments
    except TypeError:
        return None
    ports = {p.name: p for p in spec.inputs}
    if set(bound) - set(ports) or set(config) - {p.name for p in spec.params}:
        return None
    params: dict[str, Any] = {}
    defaults = spec.defaults()
    for key, value in json_value(config, where).items():
        if defaults.get(key) != value:
            params[key] = value
    links: list[tuple[str, int, Any]] = []
    for name, value in bound.items():
        port = ports[name]
        if port.variadic:
            items = list(value) if isinstance(value, list | tuple) else [value]
            if not all(isinstance(t, keras.KerasTensor) for t in items):
                return None
            links += [(name, i, t) for i, t in enumerate(items)]
        elif isinstance(value, keras.KerasTensor):
            links.append((name, 0, value))
        elif spec.param(name + VALUE_SUFFIX) is not None:
            params[name + VALUE_SUFFIX] = _constant(value, where)
        else:
            return None
    if not links:
        return None
    return _validated(spec, params, op.name), links


def _generic(op: Any, config: dict, args: tuple, kwargs: dict, where: str):
    """(params, links) of a KerasOp node: tensors become {"__input__": i} in the arguments."""
    from app.compiler.import_params import json_value

    links: list[tuple[str, int, Any]] = []

    def mark(value: Any) -> Any:
        if isinstance(value, keras.KerasTensor):
            links.append(("inputs", len(links), value))
            return {INPUT_MARK: len(links) - 1}
        if isinstance(value, list | tuple):
            return [mark(v) for v in value]
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        return _constant(value, where)

    marked_args, marked_kwargs = mark(list(args)), mark(kwargs)
    if not links:
        raise ImportModelError(f"Cannot import {where}: it takes no tensor from the model.")
    params = {
        "module": type(op).__module__,
        "class_name": type(op).__name__,
        "config": json_value(config, where),
        "args": marked_args,
        "kwargs": marked_kwargs,
    }
    return _validated(REGISTRY[KERAS_OP_SPEC_ID], params, op.name), links


def _constant(value: Any, where: str) -> Any:
    """A constant call argument as JSON (numpy scalars and small arrays included)."""
    import numpy as np

    from app.compiler.import_params import json_value

    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray) and value.size <= 4096:
        value = value.tolist()
    try:
        return json_value(value, where)
    except ImportModelError:
        raise ImportModelError(
            f"Cannot import {where}: one of its arguments is a constant that is not plain "
            f"data ({type(value).__name__})."
        ) from None


def _validated(spec: NodeSpec, params: dict, name: str) -> dict:
    try:
        return validate_params(spec, params, node_name=name)
    except LayerLoomError as exc:
        raise ImportModelError(f"Cannot import '{name}': {exc.message}") from None
