"""What shape inference tells the user: per-node results and a list of problems."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.model.node import Edge


@dataclass
class NodeResult:
    """Keras' answer for one node: output shapes/dtypes, weights count, or why there is none.

    `waiting` means an upstream node has an error, so this node has no shape yet (and no
    error of its own).
    """

    output_shapes: list[tuple] = field(default_factory=list)
    output_dtypes: list[str] = field(default_factory=list)
    params: int = 0
    trainable_params: int = 0
    error: str | None = None
    waiting: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.waiting


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the graph, attached to a node (and edge) where possible.

    `path` lists the ids of the blocks that contain the node (empty at the top level).
    """

    message: str
    node_id: str | None = None
    edge: Edge | None = None
    severity: str = "error"
    path: tuple[str, ...] = ()


@dataclass
class ShapeReport:
    """Results for every node (inner block nodes included) and the graph's problems."""

    nodes: dict[str, NodeResult] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    @property
    def ok(self) -> bool:
        """True if no problem is an error (warnings allowed)."""
        return not self.errors()

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def problems_for(self, node_id: str) -> list[Problem]:
        """Problems attached to one node."""
        return [p for p in self.problems if p.node_id == node_id]
