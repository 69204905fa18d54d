"""Checks parameter values against their ParamSpecs and normalises them to JSON-ready values."""

from __future__ import annotations

import json
import math
from typing import Any

from app.errors import ParamError
from app.nodes.spec import NodeSpec, ParamSpec

DTYPES = (
    "float32", "float16", "bfloat16", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool", "string", "complex64", "complex128",
    "mixed_float16", "mixed_bfloat16",
)  # fmt: skip


def validate_params(spec: NodeSpec, params: dict[str, Any], node_name: str = "") -> dict[str, Any]:
    """Return a normalised copy of `params`; raise ParamError naming the layer and param."""
    if not isinstance(params, dict):
        raise ParamError(f"{_who(spec, node_name)}: parameters must be a mapping.")
    out: dict[str, Any] = {}
    for key, value in params.items():
        ps = spec.param(key)
        try:
            out[key] = validate_value(ps, value) if ps is not None else _json_value(value)
        except ValueError as exc:
            raise ParamError(f"{_who(spec, node_name)}: {key} {exc}") from None
    return out


def validate_value(ps: ParamSpec, value: Any) -> Any:
    """The normalised value, or ValueError with the end of a sentence ("must be ...")."""
    if value is None:
        if ps.optional or ps.default is None:
            return None
        raise ValueError("must be set")
    kind = ps.kind
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            raise ValueError(f"must be a whole number, got {value!r}")
        value = int(value)
        _check_range(ps, value)
        return value
    if kind == "float":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"must be a number, got {value!r}")
        value = float(value)
        _check_range(ps, value)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value
    if kind == "choice":
        if value not in ps.choices:
            allowed = ", ".join(repr(c) for c in ps.choices)
            raise ValueError(f"must be one of {allowed}, got {value!r}")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise ValueError(f"must be text, got {value!r}")
        return value
    if kind == "int_tuple":
        items = (
            [value] * (ps.length or 1)
            if isinstance(value, int) and not isinstance(value, bool)
            else value
        )
        if not isinstance(items, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in items
        ):
            raise ValueError(f"must be a whole number or a list of whole numbers, got {value!r}")
        if ps.length is not None and len(items) != ps.length:
            raise ValueError(f"must have {ps.length} values, got {len(items)}")
        for v in items:
            _check_range(ps, v)
        return list(items)
    if kind == "shape":
        items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(items, list | tuple) or not all(
            v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in items
        ):
            raise ValueError(f"must be a list of sizes (whole numbers or None), got {value!r}")
        if any(v is not None and (v == 0 or v < -1) for v in items):
            raise ValueError(f"sizes must be positive (or -1 / None), got {list(items)!r}")
        return list(items)
    if kind == "dtype":
        if isinstance(value, dict):
            return _json_value(value)
        if value not in DTYPES:
            raise ValueError(f"must be a dtype such as 'float32' or 'int32', got {value!r}")
        return value
    if kind in ("activation", "initializer", "regularizer", "constraint"):
        if not isinstance(value, str | dict):
            raise ValueError(f"must be a name or a Keras config, got {value!r}")
        return _json_value(value)
    if kind == "layer":
        if not isinstance(value, dict) or "class_name" not in value:
            raise ValueError("must be a Keras layer config with a class_name")
        return _json_value(value)
    return _json_value(value)


def _check_range(ps: ParamSpec, v: float) -> None:
    if ps.minimum is not None and v < ps.minimum:
        raise ValueError(f"must be >= {_num(ps.minimum)}, got {v}")
    if ps.maximum is not None and v > ps.maximum:
        raise ValueError(f"must be <= {_num(ps.maximum)}, got {v}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _json_value(value: Any) -> Any:
    """A deep copy of `value` as plain JSON types (tuples become lists)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise ValueError(f"must be plain data (numbers, text, lists), got {value!r}") from None


def _who(spec: NodeSpec, name: str) -> str:
    return f"{spec.class_name} '{name}'" if name else spec.class_name
