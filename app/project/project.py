"""The Project: a model graph with its data and training settings and the record of its runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.model import ModelGraph, graph_from_dict, graph_to_dict
from app.project.events import RUNS_CHANGED, ProjectEvent, ProjectEvents
from app.project.migrations import APP_TAG, FORMAT_VERSION
from app.project.project_code import CodeEntry, code_from_list
from app.project.run_folders import RUNS_SUFFIX, project_runs, runs_folder  # noqa: F401 (RUNS_SUFFIX: app.ui)
from app.project.runs import RunRecord
from app.project.settings import DataSettings, SettingsError, TrainingSettings

PROJECT_SUFFIX = ".llproj"
MAX_RUNS = 10_000


@dataclass
class Project:
    """Everything a .llproj file holds, plus where it lives.

    Attributes:
        name: shown in the title bar and used for exported files.
        graph: the model.
        data: DataSettings (an app.data DataConfig): source, options, validation, normalisation,
            seed, sample limit, target, input / output maps.
        training: TrainingSettings (an app.training TrainingConfig): optimizer, schedule, losses,
            loss weights and metrics per output, batch size, epochs, callbacks, ...
        code: project code (app.project.project_code CodeEntry: custom losses, metrics) that the
            training settings name; runs only once trusted (app.compiler.custom_code).
        runs: one plain dict per training run (RunRecord.to_dict()); paths of run folders inside
            the project folder are relative to it.  Kept as written (unknown keys survive).
        trusted_code: the user allowed custom code in this project to run.  Never read from the
            file (a file cannot vouch for itself); it starts False on every load.
        path: the file it was loaded from / saved to, or None if never saved.
        warnings: plain notes from loading (e.g. a missing weights file); not saved.
        base_dir: where relative data paths point while the project has no file (e.g. the
            examples folder for an example opened as an untitled copy); not saved.
        events: announces changes of the settings and runs (app.project.events) to views.
    """

    name: str = "Untitled"
    graph: ModelGraph = field(default_factory=ModelGraph)
    data: DataSettings = field(default_factory=DataSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    runs: list[dict[str, Any]] = field(default_factory=list)
    code: list[CodeEntry] = field(default_factory=list)
    trusted_code: bool = False
    path: Path | None = None
    warnings: list[str] = field(default_factory=list, compare=False)
    base_dir: Path | None = field(default=None, compare=False)
    events: ProjectEvents = field(default_factory=ProjectEvents, compare=False, repr=False)

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
            **({"code": [e.to_dict() for e in self.code]} if self.code else {}),
        }

    @property
    def runs_dir(self) -> Path:
        """Where this project's training runs go (the one rule: app.project.run_folders)."""
        return runs_folder(self)

    def data_config(self) -> Any:
        """The DataConfig to train with: relative data file paths resolved next to the file."""
        folder = Path(self.path).parent if self.path is not None else self.base_dir
        return self.data.resolved(folder)

    def add_run(self, record: RunRecord | dict[str, Any]) -> dict[str, Any]:
        """Append a run (RunRecord or its dict), replacing an earlier entry with the same id.

        A run folder inside the project's folder is stored relative to it, so the project and
        its runs can move together.
        """
        d = record.to_dict() if isinstance(record, RunRecord) else dict(record)
        if self.path is not None and isinstance(d.get("path"), str):
            folder = Path(self.path).parent.resolve()
            try:
                d["path"] = Path(d["path"]).resolve().relative_to(folder).as_posix()
            except ValueError:
                pass  # outside the project folder: keep it absolute
        self.runs = [r for r in self.runs if r.get("id") != d.get("id")] + [d]
        self.events.emit(ProjectEvent(RUNS_CHANGED))
        return d

    def remove_run(self, run_id: str) -> bool:
        """Forget the run with that id (its folder is left alone); False if there was none."""
        before = len(self.runs)
        self.runs = [r for r in self.runs if r.get("id") != run_id]
        if len(self.runs) != before:
            self.events.emit(ProjectEvent(RUNS_CHANGED))
        return len(self.runs) != before

    def run_records(self) -> list[RunRecord]:
        """The runs as RunRecords with absolute folder paths, oldest first: the recorded ones
        plus those found in the project's runs folder (run_folders.project_runs)."""
        return project_runs(self)

    def find_run(self, key: str) -> RunRecord | None:
        """The run whose id or folder name is `key` ("latest": the newest); None if none is."""
        records = self.run_records()
        if key == "latest":
            return max(records, key=lambda r: r.started, default=None)
        for rec in reversed(records):
            if key in (rec.id, Path(rec.path).name):
                return rec
        return None

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
    graph = graph_from_dict(doc["graph"], repair=True)  # one bad node costs only that node
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
        code=code_from_list(doc.get("code")),
        trusted_code=False,
        path=path,
    )
