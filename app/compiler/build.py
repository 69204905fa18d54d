"""build_model: a graph becomes a fresh Functional keras.Model (nested blocks, shared layers)."""

from __future__ import annotations

import keras

from app.compiler.report import ShapeReport
from app.compiler.walk import Scope, Walker
from app.errors import CompileError
from app.model.graph import ModelGraph


def build_model(graph: ModelGraph) -> keras.Model:
    """A new keras.Model for `graph`; CompileError naming the node if the graph has errors.

    Inputs follow graph.inputs, outputs graph.outputs.  Layers are new (independent of any
    ShapeEngine); stored node weights are set into them once they are built.
    """
    report = ShapeReport()
    walker = Walker(build=True)
    inputs, outputs = walker.walk_level(graph, report, Scope())
    errors = report.errors()
    if errors:
        raise CompileError(errors[0].message, node_id=errors[0].node_id)
    if outputs is None or not inputs or any(t is None for t in inputs):
        raise CompileError("The model has no complete path from its inputs to its outputs.")
    try:
        model = keras.Model(
            inputs=inputs[0] if len(inputs) == 1 else inputs,
            outputs=outputs[0] if len(outputs) == 1 else outputs,
            name=graph.name,
        )
    except Exception as exc:  # noqa: BLE001 - Keras' refusal, told plainly
        from app.compiler.messages import keras_message

        raise CompileError(f"Model '{graph.name}': {keras_message(exc)}") from None
    for layer, weights in walker.weight_jobs:
        layer.set_weights(weights)
    return model
