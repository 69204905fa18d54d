"""build_model: a graph becomes a fresh Functional keras.Model (nested blocks, shared layers)."""

from __future__ import annotations

import keras

from app.compiler import keras_call as kc
from app.compiler.messages import keras_message, layer_error
from app.compiler.report import ShapeReport
from app.compiler.walk import Adder, LayerEntry, Scope, Walker
from app.errors import CompileError
from app.model.graph import ModelGraph
from app.model.node import Node


def build_model(graph: ModelGraph) -> keras.Model:
    """A new keras.Model for `graph`; CompileError naming the node if the graph has errors.

    Inputs follow graph.inputs, outputs graph.outputs.  Layers are new (independent of any
    ShapeEngine); stored node weights are set into them once they are built.
    """
    report = ShapeReport()
    walker = BuildWalker()
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
        raise CompileError(f"Model '{graph.name}': {keras_message(exc)}") from None
    for layer, weights in walker.weight_jobs:
        layer.set_weights(weights)
    return model


class BuildWalker(Walker):
    """The graph walker with real layers, each block wrapped into a nested keras.Model."""

    def __init__(self) -> None:
        super().__init__(build=True)

    def block_outputs(self, node, owner, spec, graph, by_port, report, inner, first):
        """Build the block's model on its first call (later calls share it) and call it."""
        entry = self.layers_now.get(inner.layer_path)
        outer = Adder(report, Scope(path=inner.path[:-1]))
        if entry is None:
            feeds = {port: ts[0] for port, ts in by_port.items()}
            inputs, outputs = self.walk_level(owner.subgraph, report, inner, feeds)
            if outputs is None or any(p.severity == "error" for p in report.problems[first:]):
                return None
            try:
                entry = LayerEntry((), self._block_model(owner, inputs, outputs, inner))
            except Exception as exc:  # noqa: BLE001 - Keras' refusal becomes a Problem
                return outer.fail(node, layer_error("Block", owner.name, exc))
            self.layers_now[inner.layer_path] = entry
            if owner.weights is not None and kc.weights_fit(entry.layer, owner.weights):
                self.weight_jobs.append((entry.layer, owner.weights))
        try:
            return kc.call_layer(entry.layer, spec, graph.ports(node.id), by_port, node.call_kwargs)
        except Exception as exc:  # noqa: BLE001
            return outer.fail(node, layer_error("Block", node.name, exc))

    def _block_model(self, owner: Node, inputs: list, outputs: list, inner: Scope) -> keras.Model:
        """keras.Sequential for a chain imported from a Sequential, else a Functional model."""
        sub = owner.subgraph
        chain = sub.sequential_chain() if owner.params.get("model_class") == "Sequential" else None
        if chain is not None:
            first = sub.node(sub.inputs[0])
            shape, dtype, sparse = kc.tensor_spec(inputs[0])
            layers = [kc.input_layer(first.name, shape[1:], dtype, None, sparse)]
            layers += [self.layers_now[(*inner.layer_path, nid)].layer for nid in chain]
            model = keras.Sequential(layers, name=owner.name)
        else:
            model = keras.Model(
                inputs=inputs[0] if len(inputs) == 1 else inputs,
                outputs=outputs[0] if len(outputs) == 1 else outputs,
                name=owner.name,
            )
        model.trainable = owner.trainable
        return model
