"""ONNX export: a Keras model converted by tf2onnx (the optional `layerloom[onnx]` extra).

The conversion traces the model with an input signature built from its inputs (names, dtypes,
shapes with a free batch size), so a model that was never called converts too. tf2onnx keeps
going past TensorFlow ops that ONNX has no operator for and leaves them in the file, where no
runtime can run them; such a model is refused here in words, naming the ops and the layers that
hold them, and nothing is written.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from app.project.atomic import atomic_write_bytes
from app.training.export import ExportError, onnx_missing

ONNX_OPSET = 17
# Operator domains an ONNX runtime knows besides the standard one (onnxruntime's own ops).
_RUNTIME_DOMAINS = {"com.microsoft"}


def write_onnx(model: Any, path: str | Path) -> Path:
    """The model as an .onnx file (opset ONNX_OPSET), written atomically."""
    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise ExportError(f"An ONNX file must end with .onnx, not '{path.name}'.", path=str(path))
    why = onnx_missing()
    if why:
        raise ExportError(why + ".", path=str(path))
    inputs = list(getattr(model, "inputs", None) or [])
    if not inputs:
        raise ExportError(
            "The model has no inputs to trace, so it cannot be converted to ONNX.", path=str(path)
        )
    text = [_tensor_name(t) for t in inputs if str(t.dtype) == "string"]
    if text:
        raise ExportError(
            f"This model takes text ({', '.join(text)}); ONNX has no operators for its text "
            "layers (TextVectorization, StringLookup) without runtime extensions. The file was "
            "not written. Export .keras or a SavedModel instead: both take raw strings.",
            path=str(path),
        )
    proto = _convert(model, inputs, path)
    unsupported = unsupported_nodes(proto)
    if unsupported:
        raise ExportError(_unsupported_message(model, unsupported), path=str(path))
    try:
        import onnx

        onnx.checker.check_model(proto)
        data = proto.SerializeToString()
    except Exception as exc:  # a model over 2 GB, or a graph the checker refuses
        raise ExportError(
            f"The converted ONNX model is not valid: {_first_line(exc)}", path=str(path)
        ) from exc
    atomic_write_bytes(path, data)
    return path


def input_signature(inputs: list[Any]) -> list[Any]:
    """tf.TensorSpecs for the model's inputs: their names and dtypes, any batch size."""
    import tensorflow as tf

    return [
        tf.TensorSpec((None, *tuple(t.shape)[1:]), str(t.dtype), name=_tensor_name(t))
        for t in inputs
    ]


def _tensor_name(tensor: Any) -> str:
    return str(getattr(tensor, "name", "") or "input").split(":")[0]


def _convert(model: Any, inputs: list[Any], path: Path) -> Any:
    import tf2onnx

    quiet = [logging.getLogger(n) for n in ("tf2onnx", "tensorflow")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.CRITICAL)
    try:
        proto, _ = tf2onnx.convert.from_keras(
            model, input_signature=input_signature(inputs), opset=ONNX_OPSET
        )
    except Exception as exc:
        raise ExportError(
            f"The ONNX conversion failed: {_first_line(exc)}", path=str(path)
        ) from exc
    finally:
        for lg, level in zip(quiet, levels):
            lg.setLevel(level)
    return proto


def unsupported_nodes(proto: Any) -> list[Any]:
    """The nodes of an ONNX model (subgraphs too) that no standard ONNX runtime can run: ops
    tf2onnx left as TensorFlow ops, and ops of custom domains."""
    import onnx

    found = []
    for node in _nodes(proto.graph):
        if node.domain in ("", "ai.onnx"):
            if not onnx.defs.has(node.op_type):
                found.append(node)
        elif node.domain not in _RUNTIME_DOMAINS:
            found.append(node)
    return found


def _nodes(graph: Any):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _nodes(attr.g)
            for sub in attr.graphs:
                yield from _nodes(sub)


def _unsupported_message(model: Any, nodes: list[Any]) -> str:
    ops = sorted({n.op_type for n in nodes})
    layers = sorted({name for n in nodes for name in _layers_of(model, n.name)})
    where = f" in layer{'s' if len(layers) > 1 else ''} {', '.join(layers)}" if layers else ""
    return (
        f"ONNX has no operator for the TensorFlow op{'s' if len(ops) > 1 else ''} "
        f"{', '.join(ops)}{where}, so no ONNX runtime could run this model. The file was not "
        "written. Replace that layer, or export .keras or a SavedModel instead."
    )


def _layers_of(model: Any, node_name: str) -> list[str]:
    """The model's layers a converted node's name may come from. TensorFlow makes scope names
    unique by adding "_N", so a scope "dense_1" may be layer "dense" or "dense_1": both are named."""
    names = {layer.name for layer in getattr(model, "layers", [])}
    found = []
    for segment in node_name.split("/")[1:-1]:
        found += [n for n in names if re.fullmatch(re.escape(n) + r"(_\d+)*", segment)]
        if found:
            break
    return found


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return (lines[0] if lines else type(exc).__name__)[:400]
