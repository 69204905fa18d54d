"""A node is one layer call; an edge carries one tensor from an output to an input slot."""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.model.graph import ModelGraph

# Keras 3 layer names: no "/" (it separates name scopes) and no spaces.
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def is_valid_name(name: str) -> bool:
    """True if `name` can be a Keras layer / input / model name."""
    return isinstance(name, str) and bool(_NAME_RE.match(name)) and len(name) <= 128


def new_id() -> str:
    """A fresh stable node id."""
    return uuid.uuid4().hex


def snake_case(class_name: str) -> str:
    """Keras' default layer name for a class: "Conv2D" -> "conv2d", "MaxPooling2D" -> "max_pooling2d"."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


@dataclass
class Node:
    """One layer call in a ModelGraph.

    Attributes:
        id: stable unique id (uuid hex).
        spec_id: registry key of the node type, e.g. "keras.layers.Dense".
        name: Keras layer name, unique within its graph.
        params: constructor arguments that differ from or override the spec defaults.
        position: canvas position (x, y) of the node's top-left corner.
        trainable: False freezes the layer.
        shared_with: id of another node whose layer this call reuses (shared weights); the
            owner's params apply and this node's params are ignored.
        subgraph: for blocks, the nested graph compiled to a keras.Model.
        call_kwargs: non-tensor keyword arguments of the call (e.g. training=False).
        weights: weight arrays kept from an imported model (not part of equality).
    """

    id: str
    spec_id: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    trainable: bool = True
    shared_with: str | None = None
    subgraph: ModelGraph | None = None
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    weights: list | None = field(default=None, compare=False, repr=False)

    def copy(self) -> Node:
        """A deep copy (params, sub-graph and weights lists are not shared)."""
        return Node(
            id=self.id,
            spec_id=self.spec_id,
            name=self.name,
            params=copy.deepcopy(self.params),
            position=tuple(self.position),
            trainable=self.trainable,
            shared_with=self.shared_with,
            subgraph=self.subgraph.copy() if self.subgraph is not None else None,
            call_kwargs=copy.deepcopy(self.call_kwargs),
            weights=list(self.weights) if self.weights is not None else None,
        )


@dataclass(frozen=True, order=True)
class Edge:
    """A tensor from output `src_index` of node `src` into slot `slot` of port `port` of `dst`.

    Non-variadic ports have one slot, 0.  Variadic ports (merge layers) take slots 0, 1, ...
    and pass the tensors to Keras in slot order.
    """

    src: str
    src_index: int
    dst: str
    port: str
    slot: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "src_index": self.src_index,
            "dst": self.dst,
            "port": self.port,
            "slot": self.slot,
        }


@dataclass(frozen=True, order=True)
class OutputRef:
    """A model output: output `index` of node `node`."""

    node: str
    index: int = 0
