"""Reading and writing .llproj files: validated, migrated, atomic; no tracebacks for users.

A save that holds imported weights writes two files, and a kill at any moment must leave one
whole version (a project file and the weights it was saved with). The order:

1. the weights go to a new sidecar, `<project>.<16 hex of its sha256>.weights.npz` (temp file,
   fsync, rename): a new name, so no sidecar that the current project file names is touched;
2. the project file, which names that sidecar and holds its sha256, replaces the old one
   atomically: before this step the old file and its old sidecar are on disk, after it the
   new file and its new sidecar;
3. what earlier saves left is deleted: their sidecars (the one the old file named, files of
   killed saves) and temps of killed saves, all written before this save began. (Temps go
   already before step 1, so saves killed one after another do not pile them up.)

Loading follows the sidecar the project file names (files of older versions name none and
use `<project>.weights.npz`) and checks its sha256. Opening a project also deletes leftovers
older than STALE_SECONDS (unless its weights failed to load: then every file stays for the
user), so a user who only opens still gets them cleared away; the age keeps it off the files
of a save another process may be making right now.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from app.errors import GraphError, LayerLoomError, ProjectFileError
from app.project.atomic import STALE_SECONDS, atomic_path
from app.project.migrations import APP_TAG, FORMAT_VERSION, detect_version, migrate
from app.project.project import Project, project_from_dict
from app.project.settings import SettingsError
from app.project.weights import (
    Sidecar,
    WeightsFileError,
    collect_weights,
    named_sidecar,
    read_weights,
    remove_leftovers,
    remove_temps,
    write_sidecar,
)

MAX_PROJECT_BYTES = 50 * 1024 * 1024
MAX_NESTING = 200


def save_project(project: Project, path: str | os.PathLike | None = None) -> Path:
    """Write the project (and its weights sidecar) atomically; sets and returns project.path.

    The order of the writes (module docstring) leaves one whole version after a kill at any
    moment; a failed save leaves the previous files intact.
    """
    target = Path(path) if path is not None else project.path
    if target is None:
        raise ProjectFileError("Choose a file name to save the project.")
    target = Path(target)
    where = f"Could not save '{target.name}'"
    if not target.parent.is_dir():
        raise ProjectFileError(
            f"{where}: the folder '{target.parent}' does not exist.", path=str(target)
        )
    started = time.time()
    sidecar: Sidecar | None = None
    remove_temps(target, before=started)  # first: a save killed in turn cannot pile them up
    try:
        doc = project.to_dict()
        manifest, arrays = collect_weights(project.graph)
        if arrays:
            sidecar = write_sidecar(target, arrays)
            doc["weights"] = {
                "file": sidecar.path.name,
                "sha256": sidecar.digest,
                "manifest": manifest,
            }
        with atomic_path(target, suffix=".json") as json_tmp:
            with open(json_tmp, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1, ensure_ascii=False, allow_nan=False)
                fh.write("\n")
    except (TypeError, ValueError, WeightsFileError) as exc:
        if sidecar is not None:
            sidecar.discard()
        raise ProjectFileError(
            f"{where}: the project holds a value that cannot be written to a file ({exc}).",
            path=str(target),
        ) from None
    except OSError as exc:
        if sidecar is not None:
            sidecar.discard()
        raise ProjectFileError(f"{where}: {exc.strerror or exc}.", path=str(target)) from None
    remove_leftovers(target, sidecar.path if sidecar else None, before=started)
    project.path = target
    return target


def load_project(path: str | os.PathLike) -> Project:
    """Read, check and migrate a project file; ProjectFileError in plain words if it is bad."""
    p = Path(path)
    doc = read_json(p)
    project = project_from_document(doc, f"'{p.name}'", path=p)
    weights = doc.get("weights")
    sidecar = None
    if weights is not None:
        try:
            if not isinstance(weights, dict):
                raise WeightsFileError("the weights entry is malformed")
            sidecar = named_sidecar(p, weights.get("file"))
            read_weights(sidecar, weights.get("manifest"), project.graph, weights.get("sha256"))
        except WeightsFileError as exc:
            project.warnings.append(
                f"Imported weights were not restored: {exc}. The layers start from new weights."
            )
    if not project.warnings:  # weights that did not load: leave every file for the user
        remove_leftovers(p, sidecar, before=time.time() - STALE_SECONDS)
    return project


def project_from_document(doc: Any, name: str = "the project", path: Path | None = None) -> Project:
    """A Project from parsed project JSON of any supported version (files, autosave snapshots).

    `name` is how messages refer to the source ("'model.llproj'", "the autosaved copy").
    Raises ProjectFileError with a plain message; never anything else.
    """
    where = str(path) if path is not None else None
    try:
        doc = check_document(doc, name, where)
        project = project_from_dict(doc, path=path)
        _note_damage(project, name)
        return project
    except SettingsError as exc:
        raise ProjectFileError(f"{name} has invalid settings: {exc.message}", path=where) from None
    except ProjectFileError:
        raise
    except GraphError as exc:
        raise ProjectFileError(
            f"The model in {name} is invalid: {exc.message}", path=where
        ) from None
    except LayerLoomError as exc:
        raise ProjectFileError(f"Could not open {name}: {exc.message}", path=where) from None
    except RecursionError:
        raise ProjectFileError(
            f"Could not open {name}: its content is nested too deeply.", path=where
        ) from None
    except Exception as exc:  # hostile content must never reach the user as a traceback
        raise ProjectFileError(
            f"Could not open {name}: unexpected content ({type(exc).__name__}: {exc}).",
            path=where,
        ) from None


def _note_damage(project: Project, name: str) -> None:
    """One warning for the whole project if reading repaired parts of its graph."""
    count = sum(len(notes) for _, level in project.graph.walk() for notes in level.damage.values())
    if count:
        places = "1 place" if count == 1 else f"{count} places"
        project.warnings.append(
            f"{name} is damaged in {places}: what was damaged in its layers and connections was "
            "reset or left out, and the Problems panel lists it."
        )


def read_json(p: Path) -> Any:
    """The file's parsed JSON (size, encoding and syntax checked; content not yet)."""
    name = p.name
    if not p.exists():
        raise ProjectFileError(f"Could not open '{name}': the file does not exist.", path=str(p))
    if p.is_dir():
        raise ProjectFileError(
            f"Could not open '{name}': it is a folder, not a project file.", path=str(p)
        )
    try:
        size = p.stat().st_size
        if size > MAX_PROJECT_BYTES:
            raise ProjectFileError(
                f"Could not open '{name}': the file is {size / 1048576:.0f} MB; project files "
                f"larger than {MAX_PROJECT_BYTES // 1048576} MB are refused.",
                path=str(p),
            )
        raw = p.read_bytes()[: MAX_PROJECT_BYTES + 1]
    except OSError as exc:
        raise ProjectFileError(
            f"Could not read '{name}': {exc.strerror or exc}.", path=str(p)
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectFileError(
            f"'{name}' is not a LayerLoom project: it is not a text (JSON) file.", path=str(p)
        ) from None
    if not text.strip():
        raise ProjectFileError(f"Could not open '{name}': the file is empty.", path=str(p))
    try:
        doc = json.loads(text)
    except RecursionError:
        raise ProjectFileError(
            f"Could not open '{name}': its content is nested too deeply.", path=str(p)
        ) from None
    except json.JSONDecodeError as exc:
        # An unterminated string runs to the end of the text: the file was cut inside it.
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "the file is cut short (incomplete JSON)" if cut else "the file is not valid JSON"
        raise ProjectFileError(
            f"Could not open '{name}': {what} (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            path=str(p),
        ) from None
    return doc


def check_document(doc: Any, name: str, path: str | None = None) -> dict[str, Any]:
    """`doc` checked to be a LayerLoom project and migrated to the current format."""
    if _depth(doc) > MAX_NESTING:
        raise ProjectFileError(
            f"Could not open {name}: its content is nested too deeply.", path=path
        )
    if not isinstance(doc, dict) or ("app" in doc and doc["app"] != APP_TAG):
        raise ProjectFileError(f"{name} is not a LayerLoom project.", path=path)
    version = detect_version(doc)
    if version is None or version < 0:
        raise ProjectFileError(
            f"{name} is not a LayerLoom project (it has no valid format version).", path=path
        )
    if version > FORMAT_VERSION:
        raise ProjectFileError(
            f"{name} was saved by a newer LayerLoom (file format {version}); this version reads "
            f"format {FORMAT_VERSION} and older. Please update LayerLoom.",
            path=path,
        )
    if version < FORMAT_VERSION:
        doc = migrate(doc, version)
    return doc


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion (hostile files nest thousands deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d)
            if d > MAX_NESTING:
                return d
            stack.extend((x, d + 1) for x in v)
    return deepest
