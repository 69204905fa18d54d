"""Which project a .keras file came from, where LayerLoom can know it.

A .keras file with custom layer code cannot open on its own (the code stays in the project), so
the app offers the project instead.  Two things are known: a run's model sits in
<folder>/<stem>_runs/<run>/ next to <folder>/<stem>.llproj, and File > Export records in the
settings which saved project each exported .keras file came from.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

from app.project import PROJECT_SUFFIX
from app.project.project import RUNS_SUFFIX

EXPORTS_KEY = "exports/keras_origins"
MAX_REMEMBERED = 100


def _exports() -> dict[str, str]:
    value = QSettings().value(EXPORTS_KEY, {})
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def remember_export(keras_path: str | os.PathLike, project_path: str | os.PathLike) -> None:
    """Record that `keras_path` was exported from the saved project at `project_path`."""
    key = str(Path(keras_path).resolve())
    records = {k: v for k, v in _exports().items() if k != key}
    records[key] = str(Path(project_path).resolve())
    kept = dict(list(records.items())[-MAX_REMEMBERED:])  # the newest, in insertion order
    QSettings().setValue(EXPORTS_KEY, kept)


def origin_project(keras_path: str | os.PathLike) -> Path | None:
    """The existing project file `keras_path` came from, or None if it is not known."""
    path = Path(keras_path).resolve()
    recorded = _exports().get(str(path))
    if recorded is not None and Path(recorded).is_file():
        return Path(recorded)
    runs = path.parent.parent
    if runs.name.endswith(RUNS_SUFFIX) and len(runs.name) > len(RUNS_SUFFIX):
        project = runs.parent / f"{runs.name[: -len(RUNS_SUFFIX)]}{PROJECT_SUFFIX}"
        if project.is_file():
            return project
    return None
