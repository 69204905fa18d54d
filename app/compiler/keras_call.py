"""Node -> Keras: create the layer (or Input) of a node and call it on tensors per its spec.

Shared by shape inference and build_model so both see exactly the same Keras behaviour.
Imports Keras: only the compiler imports this module, lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from app.model.node import Node
from app.nodes import NodeSpec, PortSpec


def layer_config(spec: NodeSpec, node: Node) -> dict[str, Any]:
    """The from_config dict of a node: spec defaults, the node's params, its name and trainable.

    A few layers (SpatialDropout*, Discretization) take no `trainable` keyword; their spec
    says so with extra["trainable_kwarg"] = False.
    """
    config = {**spec.defaults(), **node.params, "name": node.name, "trainable": node.trainable}
    if spec.extra.get("trainable_kwarg") is False:
        del config["trainable"]
    return config


def create_layer(spec: NodeSpec, node: Node) -> keras.layers.Layer:
    """A new, unbuilt Keras layer for `node` (from_config, so nested configs deserialize)."""
    if spec.kind == "custom_code":  # user code: runs only once trusted
        from app.compiler.custom_code import create_code_layer

        return create_code_layer(spec, node)
    if spec.kind == "op":  # a keras.ops call: an Operation made afresh on every call
        from app.compiler.ops_call import OpCall

        return OpCall(spec, node)
    if spec.kind == "keras_layer":  # a Keras-internal layer (keras.src.applications)
        from app.compiler.ops_call import create_internal_layer

        return create_internal_layer(node)
    layer = spec.keras_class().from_config(layer_config(spec, node))
    if not node.trainable:
        layer.trainable = False
    return layer


def create_input(
    name: str, shape: Sequence[int | None], dtype: Any, batch_size: int | None, sparse: bool
) -> keras.KerasTensor:
    """A symbolic model input."""
    return keras.Input(
        shape=tuple(shape), dtype=dtype, batch_size=batch_size, sparse=bool(sparse), name=name
    )


def input_layer(
    name: str, shape: Sequence[int | None], dtype: Any, batch_size: int | None, sparse: bool
) -> keras.layers.InputLayer:
    """An InputLayer (the first layer of a Sequential block)."""
    return keras.layers.InputLayer(
        shape=tuple(shape), dtype=dtype, batch_size=batch_size, sparse=bool(sparse), name=name
    )


def call_layer(
    layer: Any,
    spec: NodeSpec,
    ports: Sequence[PortSpec],
    by_port: dict[str, list],
    call_kwargs: dict[str, Any] | None = None,
) -> list:
    """Call `layer` on the tensors of each port following spec.call_style; returns all outputs.

    "single": the one tensor; "list": every port's tensors as one list (port then slot
    order); "args": ports positionally, or by PortSpec.keyword.  Blocks (Keras models)
    take their inputs as one tensor or a list in port order, and so do custom code layers.
    """
    kwargs = dict(call_kwargs or {})
    if spec.kind == "op":
        return flatten_outputs(layer(ports, by_port))
    if spec.kind in ("block", "custom_code", "keras_layer"):
        xs = [t for p in ports for t in by_port.get(p.name, [])]
        out = layer(xs[0] if len(xs) == 1 else xs, **kwargs)
    elif spec.call_style == "list":
        out = layer([t for p in ports for t in by_port.get(p.name, [])], **kwargs)
    elif spec.call_style == "args":
        args: list = []
        for p in ports:
            tensors = by_port.get(p.name) or []
            value = (tensors if p.variadic else tensors[0]) if tensors else None
            if p.keyword:
                if value is not None:
                    kwargs[p.keyword] = value
            else:
                args.append(value)
        while args and args[-1] is None:
            args.pop()
        out = layer(*args, **kwargs)
    else:
        first = next((ts[0] for p in ports for ts in [by_port.get(p.name)] if ts), None)
        out = layer(first, **kwargs)
    return flatten_outputs(out)


def flatten_outputs(out: Any) -> list:
    """A layer's outputs as a list (LSTM states, attention scores, model outputs)."""
    if isinstance(out, dict):
        return list(out.values())
    if isinstance(out, list | tuple):
        return list(out)
    return [out]


def tensor_spec(t: Any) -> tuple:
    """What matters about a symbolic tensor for the next layer: shape, dtype, sparseness."""
    return (tuple(t.shape), str(t.dtype), bool(getattr(t, "sparse", False)))


def count_params(layer: Any, frozen: bool = False) -> tuple[int, int]:
    """(all, trainable) weight counts of a built layer, from variable shapes only."""
    if not getattr(layer, "built", False):
        return 0, 0
    total = sum(int(np.prod(w.shape)) for w in layer.weights)
    trainable = 0 if frozen else sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    return total, trainable


def weights_fit(layer: Any, weights: Sequence) -> bool:
    """True if stored weight arrays have exactly the shapes of the layer's variables."""
    shapes = [tuple(w.shape) for w in layer.weights]
    return shapes == [tuple(np.shape(a)) for a in weights]
