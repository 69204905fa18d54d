"""RunControl: stop and pause of a training run from any thread (no Keras import)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from app.errors import LayerLoomError

Listener = Callable[[dict[str, Any]], None] | None


class RunStopped(LayerLoomError):
    """Stop came before training started: no run folder was made."""


class RunControl:
    """Stop and pause of one training run; every method is safe from any thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()

    def stop(self) -> None:
        """Stop after the current batch (or before training starts)."""
        self._stop.set()
        self._resume.set()

    def pause(self) -> None:
        """Hold training before the next batch."""
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def wait_while_paused(self, poll_s: float = 0.1) -> None:
        """Block while paused; returns at once when resumed or stopped."""
        while not self._resume.wait(poll_s):
            if self._stop.is_set():
                return
