"""Script text of keras.ops nodes (`keras.ops.mean(x, axis=1)`) and of Keras-internal layers."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from app.compiler.codegen_expr import Atom, Call, DictDisplay, Expr, Seq, literal
from app.model.graph import ModelGraph
from app.model.node import Node
from app.nodes import NodeSpec
from app.nodes.ops_specs import KERAS_OP_SPEC_ID, VALUE_SUFFIX

DESERIALIZE = "keras.saving.deserialize_keras_object"


def op_expr(graph: ModelGraph, node: Node, spec: NodeSpec, ref: Callable[[str, int], Atom]) -> Expr:
    """`keras.ops.<fn>(tensors..., param=value)`, or a deserialized Operation called on tensors."""
    params = {**spec.defaults(), **node.params}
    edges = graph.in_edges(node.id)
    if spec.id == KERAS_OP_SPEC_ID:
        tensors = [ref(e.src, e.src_index) for e in edges]
        data = {"module": params["module"], "class_name": params["class_name"],
                "config": {**(params.get("config") or {}), "name": node.name}}  # fmt: skip
        args = _with_tensors(params.get("args") or [], tensors)
        kwargs = params.get("kwargs") or {}
        return Call(
            Call(Atom(DESERIALIZE), [literal(data)]),
            list(args.items) if isinstance(args, Seq) else [args],
            [(k, _with_tensors(v, tensors)) for k, v in kwargs.items()],
        )
    ports = {p.name for p in spec.inputs}
    args: list[Expr] = []
    for port in spec.inputs:
        got = [ref(e.src, e.src_index) for e in edges if e.port == port.name]
        if port.variadic:
            args.append(Seq(got))
        elif got:
            args.append(got[0])
        else:
            args.append(literal(params.get(port.name + VALUE_SUFFIX)))
    defaults = _function_defaults(spec.class_name)
    kwargs: list[tuple[str, Expr]] = []
    for p in spec.params:
        if p.name.endswith(VALUE_SUFFIX) and p.name[: -len(VALUE_SUFFIX)] in ports:
            continue
        value = params.get(p.name)
        if p.name in defaults and defaults[p.name] == value:
            continue
        kwargs.append((p.name, literal(value, tuples=p.kind == "int_tuple")))
    return Call(Atom(f"keras.ops.{spec.class_name}"), args, kwargs)


def internal_layer_expr(owner: Node, spec: NodeSpec) -> Expr:
    """`keras.saving.deserialize_keras_object({...})`: a layer keras.layers does not export."""
    params = {**spec.defaults(), **owner.params}
    data = {
        "module": params["module"],
        "class_name": params["class_name"],
        "config": {
            **(params.get("config") or {}),
            "name": owner.name,
            "trainable": owner.trainable,
        },  # fmt: skip
    }
    return Call(Atom(DESERIALIZE), [literal(data)])


def _function_defaults(fn: str) -> dict[str, Any]:
    try:
        func = getattr(importlib.import_module("keras.ops"), fn)
        params = inspect.signature(func).parameters.values()
    except (AttributeError, TypeError, ValueError):
        return {}
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def _with_tensors(value: Any, tensors: list[Atom]) -> Expr:
    """A JSON argument structure as an expression, {"__input__": i} becoming tensor i."""
    if isinstance(value, dict):
        if set(value) == {"__input__"} and isinstance(value["__input__"], int):
            i = value["__input__"]
            return tensors[i] if 0 <= i < len(tensors) else Atom("None")
        return DictDisplay([(literal(k), _with_tensors(v, tensors)) for k, v in value.items()])
    if isinstance(value, list):
        return Seq([_with_tensors(v, tensors) for v in value])
    return literal(value)
