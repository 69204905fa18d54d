"""Layer configs -> node params: what from_config needs, minus what the spec already says."""

from __future__ import annotations

import functools
import inspect
import json
from typing import Any

from app.errors import ImportModelError, LayerLoomError
from app.nodes import INPUT_SPEC_ID, REGISTRY, NodeSpec
from app.nodes.validate import validate_params

_DROPPED_CONFIG_KEYS = ("name", "trainable")  # node.name and node.trainable hold these


def layer_params(spec: NodeSpec, layer: Any) -> dict[str, Any]:
    """The layer's serialized config minus name/trainable and values equal to spec defaults."""
    import keras

    who = f"{type(layer).__name__} '{layer.name}'"
    config = keras.saving.serialize_keras_object(layer).get("config") or {}
    config = json_value(config, who)
    defaults = json_value(spec.defaults(), who)
    # A layer following the global dtype policy gets it again when rebuilt: leave it out, so
    # the node shows only real choices (a float32 layer in a mixed-precision model is kept).
    policy = json_value(keras.dtype_policies.serialize(keras.config.dtype_policy()), who)
    if config.get("dtype") == policy:
        config.pop("dtype")
    init = _constructor_defaults(type(layer))
    params = {}
    for k, v in config.items():
        if k in _DROPPED_CONFIG_KEYS:
            continue
        if k in defaults and _same_as_default(spec, k, defaults[k], v):
            continue  # build_model passes the spec default
        if k not in defaults and k in init and init[k] == v:
            continue  # build_model passes nothing: the constructor default applies
        params[k] = v
    try:
        return validate_params(spec, params, node_name=layer.name)
    except LayerLoomError as exc:
        raise ImportModelError(f"Cannot import {who}: {exc.message}") from None


_CANONICAL: dict[tuple[str, str], Any] = {}


def _same_as_default(spec: NodeSpec, name: str, default: Any, value: Any) -> bool:
    """True if `value` is the spec default, also when Keras spells a named default as a dict."""
    if default == value:
        return True
    ps = spec.param(name)
    if ps is not None and ps.kind == "activation" and default is None and value == "linear":
        return True
    if ps is None or not isinstance(default, str) or not isinstance(value, dict):
        return False
    key = (ps.kind, default)
    if key not in _CANONICAL:
        import keras

        module = {
            "initializer": keras.initializers,
            "regularizer": keras.regularizers,
            "constraint": keras.constraints,
        }.get(ps.kind)
        try:
            _CANONICAL[key] = (
                json_value(module.serialize(module.get(default)), name) if module else None
            )
        except Exception:  # an odd spec default: just keep the value
            _CANONICAL[key] = None
    return _CANONICAL[key] == value


@functools.cache
def _constructor_defaults(cls: type) -> dict[str, Any]:
    """Keyword defaults of a layer class' __init__ that are plain data."""
    try:
        params = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return {}
    out = {}
    for p in params:
        if p.default is inspect.Parameter.empty:
            continue
        try:
            out[p.name] = json.loads(json.dumps(p.default))
        except (TypeError, ValueError):
            continue
    return out


def input_params(layer: Any) -> dict[str, Any]:
    cfg = layer.get_config()
    if cfg.get("ragged") or cfg.get("optional"):
        raise ImportModelError(
            f"Input '{layer.name}' is ragged or optional; LayerLoom cannot hold it."
        )
    batch_shape = list(cfg.get("batch_shape") or [None])
    dtype = cfg.get("dtype", "float32")
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name", "float32")
    params: dict[str, Any] = {"shape": batch_shape[1:]}
    if batch_shape[0] is not None:
        params["batch_size"] = int(batch_shape[0])
    if str(dtype) != "float32":
        params["dtype"] = str(dtype)
    if cfg.get("sparse"):
        params["sparse"] = True
    spec = REGISTRY[INPUT_SPEC_ID]
    try:
        return validate_params(spec, params, node_name=layer.name)
    except LayerLoomError as exc:
        raise ImportModelError(f"Cannot import Input '{layer.name}': {exc.message}") from None


def json_value(value: Any, who: str) -> Any:
    """`value` as plain JSON data (tuples become lists), or an ImportModelError."""
    try:
        return json.loads(json.dumps(value, allow_nan=True))
    except (TypeError, ValueError):
        raise ImportModelError(f"{who}: a setting is not plain data ({value!r:.80}).") from None


def custom_layer_params(layer: Any, code: str) -> dict[str, Any]:
    """A CustomLayer node's params for a layer of the user's own class: its code, class name and
    the arguments its get_config adds to keras.layers.Layer's own (name, trainable, dtype)."""
    import keras

    who = f"{type(layer).__name__} '{layer.name}'"
    try:
        config = dict(layer.get_config())
    except Exception as exc:  # noqa: BLE001 - the user's get_config fails in any way
        raise ImportModelError(f"Cannot import {who}: its get_config failed: {exc}") from None
    base = set(keras.layers.Layer().get_config())
    policy = json_value(keras.dtype_policies.serialize(keras.config.dtype_policy()), who)
    extra = {k: v for k, v in config.items() if k not in base}
    dtype = json_value(config.get("dtype"), who) if "dtype" in config else None
    if dtype is not None and dtype != policy:
        extra["dtype"] = dtype
    return {
        "code": code,
        "class_name": type(layer).__name__,
        "config": json_value(extra, who),
    }
