"""Change events a Project emits about its settings and runs; panels subscribe to them."""

from __future__ import annotations

from dataclasses import dataclass

from app.model.events import EventEmitter

DATA_CHANGED = "data_changed"
TRAINING_CHANGED = "training_changed"
RUNS_CHANGED = "runs_changed"
CODE_CHANGED = "code_changed"


@dataclass(frozen=True)
class ProjectEvent:
    """What changed in the project: `kind` (one of the constants above)."""

    kind: str


class ProjectEvents(EventEmitter):
    """Subscribers to a project's ProjectEvents; a failing one does not stop the others."""
