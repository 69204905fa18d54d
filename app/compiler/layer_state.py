"""The state a live preprocessing layer learned (adapt()) or was given, as node params.

Keras keeps an adapted Normalization's statistics in weights that only `load_own_variables`
turns into the mean and variance it uses, and a lookup's vocabulary in a table that `.keras`
files keep as an asset. Neither survives `from_config` plus `set_weights`, so an imported or
adapted layer hands its state over as the constructor params that rebuild it exactly
(app/nodes/learned_state.py lists them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.keras_internals import lookup_idf_weights
from app.model.graph import ModelGraph
from app.model.node import Node
from app.nodes import REGISTRY, NodeSpec
from app.nodes.learned_state import lacks_state, learns_state

# Keras records the size of a vocabulary it was given; the vocabulary itself says it.
DERIVED_CONFIG_KEYS = ("vocabulary_size",)


def learned_params(spec: NodeSpec, layer: Any) -> dict[str, Any]:
    """The layer's learned state as params ({} if it has none, e.g. never adapted)."""
    if not learns_state(spec):
        return {}
    kind = spec.class_name
    if kind == "Normalization":
        return _normalization(layer)
    if kind == "Discretization":
        edges = getattr(layer, "bin_boundaries", None)
        return {"bin_boundaries": _floats(edges)} if edges is not None else {}
    return _lookup(layer)


def _normalization(layer: Any) -> dict[str, Any]:
    if layer.input_mean is not None:
        return {"mean": _floats(layer.input_mean), "variance": _floats(layer.input_variance)}
    if not layer.built or not hasattr(layer, "adapt_mean"):
        return {}
    mean = np.asarray(layer.adapt_mean.numpy())
    variance = np.asarray(layer.adapt_variance.numpy())
    if not mean.any() and np.all(variance == 1):
        return {}  # the initial values: never adapted (an identity layer either way)
    return {"mean": mean.tolist(), "variance": variance.tolist()}


def _lookup(layer: Any) -> dict[str, Any]:
    """StringLookup, IntegerLookup, TextVectorization: vocabulary (and idf weights)."""
    tokens = layer.get_vocabulary(include_special_tokens=False)
    if len(tokens) == 0:
        return {}
    if layer.get_config().get("output_mode") != "tf_idf":
        return {"vocabulary": _tokens(tokens)}
    # With the special tokens the idf weights of the OOV (and mask) entries stay exactly the
    # ones Keras computed; without them Keras would recompute them as an average.
    vocabulary = layer.get_vocabulary(include_special_tokens=True)
    idf = np.asarray(lookup_idf_weights(layer), dtype=np.float64)[: len(vocabulary)]
    return {"vocabulary": _tokens(vocabulary), "idf_weights": idf.tolist()}


def _tokens(tokens: Any) -> list:
    return [_token(t) for t in tokens]


def _token(t: Any) -> str | int:
    if isinstance(t, bytes):
        return t.decode("utf-8", "replace")
    return str(t) if isinstance(t, str) else int(t)


def _floats(value: Any) -> Any:
    return np.asarray(value, dtype=np.float64).tolist()


def nodes_to_adapt(graph: ModelGraph) -> list[Node]:
    """Nodes that need state and have none, inside blocks too, in the order they are adapted
    (a node that shares another's layer learns nothing of its own)."""
    return [node for _, node in adapt_order(graph)]


def adapt_order(
    graph: ModelGraph, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Node]]:
    """(path of block ids, node) for every node without the state it needs, in the order
    adapt() must see them: each level in topological order, a block's content where the block
    is called (what comes after a block sees what the block's adapted layers compute)."""
    out: list[tuple[tuple[str, ...], Node]] = []
    for nid in graph.topological_order():
        node = graph.node(nid)
        if node.shared_with is not None:
            continue  # its layer (a block's content too) is the owner's
        if lacks_state(REGISTRY.get(node.spec_id), node.params):
            out.append((path, node))
        if node.subgraph is not None:
            out += adapt_order(node.subgraph, (*path, nid))
    return out


def level_at(graph: ModelGraph, path: tuple[str, ...]) -> ModelGraph:
    """The (nested) graph the block ids of `path` lead to."""
    for block_id in path:
        sub = graph.node(block_id).subgraph
        if sub is None:
            raise KeyError(block_id)
        graph = sub
    return graph


def path_of(graph: ModelGraph, node_id: str) -> tuple[str, ...] | None:
    """The block ids leading to the level that holds `node_id` (() for the top level)."""
    for path, level in graph.walk():
        if node_id in level:
            return path
    return None
