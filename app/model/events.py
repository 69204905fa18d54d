"""Change events a ModelGraph emits; views and shape inference subscribe to them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.model.node import Edge

NODE_ADDED = "node_added"
NODE_REMOVED = "node_removed"
NODE_CHANGED = "node_changed"
EDGE_ADDED = "edge_added"
EDGE_REMOVED = "edge_removed"
OUTPUTS_CHANGED = "outputs_changed"
INPUTS_CHANGED = "inputs_changed"
RESET = "reset"


@dataclass(frozen=True)
class GraphEvent:
    """What changed: `kind` plus the node or edge it concerns; `fields` lists changed node fields."""

    kind: str
    node_id: str | None = None
    edge: Edge | None = None
    fields: tuple[str, ...] = field(default=())


class EventEmitter:
    """A plain list of callbacks; a failing callback does not stop the others."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[GraphEvent], None]] = []

    def connect(self, callback: Callable[[GraphEvent], None]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[GraphEvent], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, event: GraphEvent) -> None:
        errors = []
        for cb in list(self._callbacks):
            try:
                cb(event)
            except Exception as exc:  # a broken view must not corrupt the model
                errors.append(exc)
        if errors:
            raise errors[0]
