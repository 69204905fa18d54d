"""Where a project's training runs go, and which runs it has: the one rule for the CLI and GUI.

- a saved project: <project folder>/<file stem>_runs/, next to the file, moving with it;
- a bundled example (its file, or the unsaved copy the editor opens): <user data>/LayerLoom/
  example_runs/<example file stem>/, since the examples folder is read-only once installed;
- any other unsaved project: <user data>/LayerLoom/unsaved_runs/.

The user data folder is platformdirs' user_data_dir("LayerLoom"). A project's runs are the
ones it records plus, in its own runs folder (saved projects and examples), every run.json
found there: a run finished after the last save is not lost. The shared unsaved_runs folder is
not scanned, so a new document does not list other documents' runs.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

from app.project.examples import example_runs_dir, examples_dir, is_example
from app.project.runs import RunRecord, read_run_file, scan_run_folders, settled
from app.project.training_config import TrainingError

if TYPE_CHECKING:
    from app.project.project import Project

RUNS_SUFFIX = "_runs"
UNSAVED_RUNS = "unsaved_runs"


def user_data_dir() -> Path:
    """<platform user data folder>/LayerLoom (e.g. ~/.local/share/LayerLoom on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("LayerLoom", appauthor=False))


def runs_folder(project: Project) -> Path:
    """Where the project's next training run goes (see the module docstring)."""
    if project.path is not None:
        path = Path(project.path)
        if is_example(path):
            return example_runs_dir(path)
        return path.parent / f"{path.stem}{RUNS_SUFFIX}"
    example = _example_copy_stem(project)
    if example is not None:
        return example_runs_dir(example)
    return user_data_dir() / UNSAVED_RUNS


def scanned_folder(project: Project) -> Path | None:
    """The runs folder whose run.json files belong to this project (None: unsaved, shared)."""
    if project.path is None and _example_copy_stem(project) is None:
        return None
    return runs_folder(project)


def project_runs(project: Project) -> list[RunRecord]:
    """The project's runs, oldest first: its records plus the runs found in its own folder,
    one per id; a run folder's run.json (written last, by the run itself) wins over the
    project's copy of it."""
    by_id: dict[str, RunRecord] = {}
    for rec in _recorded(project):
        by_id[rec.id] = _fresh(rec)
    folder = scanned_folder(project)
    if folder is not None:
        for rec in scan_run_folders(folder):
            by_id[rec.id] = rec
    return sorted(by_id.values(), key=lambda r: (r.started, Path(r.path).name))


def _recorded(project: Project) -> list[RunRecord]:
    out = []
    for d in project.runs:
        try:
            rec = RunRecord.from_dict(d)
        except (TrainingError, TypeError, ValueError):
            continue
        p = Path(rec.path)
        if not p.is_absolute() and project.path is not None:
            rec.path = str(Path(project.path).parent / p)
        out.append(rec)
    return out


def _fresh(rec: RunRecord) -> RunRecord:
    """The run folder's own record of `rec` if it has one with the same id, else `rec` (a
    "running" one whose process has ended read as interrupted, as folders' records are)."""
    try:
        found = read_run_file(rec.path)
    except TrainingError:
        return settled(rec)
    return found if found.id == rec.id else settled(rec)


def _example_copy_stem(project: Project) -> str | None:
    """The bundled example an unsaved project was opened from (its data lives there), if any."""
    base = project.base_dir
    if base is None:
        return None
    try:
        if Path(base).resolve() != examples_dir():
            return None
    except OSError:
        return None
    return _example_stems_by_name().get(project.name)


@functools.lru_cache(maxsize=1)
def _example_stems_by_name() -> dict[str, str]:
    """Project name -> file stem of every bundled example (read once)."""
    out = {}
    for f in sorted(examples_dir().glob("*.llproj")):
        try:
            name = json.loads(f.read_text(encoding="utf-8")).get("name")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(name, str):
            out.setdefault(name, f.stem)
    return out
