"""The Project: a model graph with its data and training settings and the record of its runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.model import ModelGraph, graph_from_dict, graph_to_dict
from app.project.migrations import APP_TAG, FORMAT_VERSION
from app.project.settings import DataSettings, SettingsError, TrainingSettings

PROJECT_SUFFIX = ".llproj"
MAX_RUNS = 10_000


@dataclass
class Project:
    """Everything a .llproj file holds, plus where it lives.

    Attributes:
        name: shown in the title bar and used for exported files.
        graph: the model.
        data: dataset source and its options.
        training: optimizer, losses, metrics, batch size, epochs, ...
        runs: one plain dict per finished training run (RunRecord.to_dict()).
        trusted_code: the user allowed custom code in this project to run.  Never read from the
            file (a file cannot vouch for itself); it starts False on every load.
        path: the file it was loaded from / saved to, or None if never saved.
        warnings: plain notes from loading (e.g. a missing weights file); not saved.
    """

    name: str = "Untitled"
    graph: ModelGraph = field(default_factory=ModelGraph)
    data: DataSettings = field(default_factory=DataSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    runs: list[dict[str, Any]] = field(default_factory=list)
    trusted_code: bool = False
    path: Path | None = None
    warnings: list[str] = field(default_factory=list, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The file content (current format, without weights) as plain data."""
        return {
            "app": APP_TAG,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "graph": graph_to_dict(self.graph),
            "data": self.data.to_dict(),
            "training": self.training.to_dict(),
            "runs": list(self.runs),
        }

    def has_weights(self) -> bool:
        """True if any node (also inside blocks) carries imported weights."""
        return any(n.weights is not None for _, g in self.graph.walk() for n in g.nodes())


def project_from_dict(doc: dict[str, Any], path: Path | None = None) -> Project:
    """Build a Project from current-format plain data; ValueError/GraphError in plain words."""
    name = doc.get("name", "Untitled")
    if not isinstance(name, str) or len(name) > 1000:
        raise SettingsError("The project name must be text.")
    if "graph" not in doc:
        raise SettingsError("The project has no model graph.")
    graph = graph_from_dict(doc["graph"])
    runs = doc.get("runs", [])
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise SettingsError("The list of training runs must be a list of records.")
    if len(runs) > MAX_RUNS:
        raise SettingsError(f"The project lists more than {MAX_RUNS} training runs.")
    return Project(
        name=name,
        graph=graph,
        data=DataSettings.from_dict(doc.get("data", {})),
        training=TrainingSettings.from_dict(doc.get("training", {})),
        runs=[dict(r) for r in runs],
        trusted_code=False,
        path=path,
    )
