"""Change events a ModelGraph emits; views and shape inference subscribe to them.

A subscriber that raises is logged and skipped: by the time an event is emitted the model has
changed, so raising would leave an edit applied but missing from the undo history. Tests make
such failures loud with `set_error_handler` (tests/conftest.py fails the test that caused one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from app.model.node import Edge

NODE_ADDED = "node_added"
NODE_REMOVED = "node_removed"
NODE_CHANGED = "node_changed"
EDGE_ADDED = "edge_added"
EDGE_REMOVED = "edge_removed"
OUTPUTS_CHANGED = "outputs_changed"
INPUTS_CHANGED = "inputs_changed"
RESET = "reset"

_log = logging.getLogger(__name__)

E = TypeVar("E")

ErrorHandler = Callable[[Callable[[Any], None], Any, Exception], None]
"""handler(callback, event, exception), called for each subscriber that raised."""

_error_handler: ErrorHandler | None = None


def set_error_handler(handler: ErrorHandler | None) -> ErrorHandler | None:
    """Install `handler`, told of every failing subscriber after it is logged; returns the old one.

    Meant for tests and diagnostics: the handler observes, it cannot make `emit` raise.
    """
    global _error_handler
    previous, _error_handler = _error_handler, handler
    return previous


def callback_name(callback: Callable[..., Any]) -> str:
    """A readable name for a subscriber: `module.Class.method` where Python knows it."""
    qualname = getattr(callback, "__qualname__", None)
    if qualname is None:
        return repr(callback)
    module = getattr(callback, "__module__", None)
    return f"{module}.{qualname}" if module else qualname


@dataclass(frozen=True)
class GraphEvent:
    """What changed: `kind` plus the node or edge it concerns; `fields` lists changed node fields."""

    kind: str
    node_id: str | None = None
    edge: Edge | None = None
    fields: tuple[str, ...] = field(default=())


class EventEmitter(Generic[E]):
    """A plain list of callbacks; a failing callback is logged and does not stop the others."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[E], None]] = []

    def connect(self, callback: Callable[[E], None]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[E], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, event: E) -> None:
        """Call every subscriber with `event`; never raises, since the change has already happened."""
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception as exc:
                _report_failure(callback, event, exc)


def _report_failure(callback: Callable[[Any], None], event: Any, exc: Exception) -> None:
    _log.exception("Subscriber %s failed on %r", callback_name(callback), event, exc_info=exc)
    handler = _error_handler
    if handler is None:
        return
    try:
        handler(callback, event, exc)
    except Exception:  # an observer of failures must not turn them back into raised errors
        _log.exception("Subscriber error handler %s failed", callback_name(handler))
