"""Reading and writing .llproj files: validated, migrated, atomic; no tracebacks for users."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from app.errors import GraphError, LayerLoomError, ProjectFileError
from app.project.atomic import atomic_path
from app.project.migrations import APP_TAG, FORMAT_VERSION, detect_version, migrate
from app.project.project import Project, project_from_dict
from app.project.settings import SettingsError
from app.project.weights import (
    WeightsFileError,
    collect_weights,
    file_digest,
    read_weights,
    sidecar_path,
    write_npz,
)

MAX_PROJECT_BYTES = 50 * 1024 * 1024
MAX_NESTING = 200


def save_project(project: Project, path: str | os.PathLike | None = None) -> Path:
    """Write the project (and its weights sidecar) atomically; sets and returns project.path.

    Both files are written to temp files next to the targets first; the targets are replaced
    only when everything was written, so a failed save leaves the previous files intact.
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
    sidecar = sidecar_path(target)
    try:
        doc = project.to_dict()
        manifest, arrays = collect_weights(project.graph)
        with contextlib.ExitStack() as stack:
            if arrays:
                npz_tmp = stack.enter_context(atomic_path(sidecar, suffix=".npz"))
                with open(npz_tmp, "wb") as fh:
                    write_npz(fh, arrays)
                doc["weights"] = {
                    "file": sidecar.name,
                    "sha256": file_digest(npz_tmp),
                    "manifest": manifest,
                }
            # Entered last, so it is replaced last: the JSON never names a sidecar not yet in place.
            json_tmp = stack.enter_context(atomic_path(target, suffix=".json"))
            with open(json_tmp, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1, ensure_ascii=False, allow_nan=False)
                fh.write("\n")
    except (TypeError, ValueError, WeightsFileError) as exc:
        raise ProjectFileError(
            f"{where}: the project holds a value that cannot be written to a file ({exc}).",
            path=str(target),
        ) from None
    except OSError as exc:
        raise ProjectFileError(f"{where}: {exc.strerror or exc}.", path=str(target)) from None
    if not arrays:
        with contextlib.suppress(OSError):
            sidecar.unlink()  # weights of an earlier save that no longer apply
    project.path = target
    return target


def load_project(path: str | os.PathLike) -> Project:
    """Read, check and migrate a project file; ProjectFileError in plain words if it is bad."""
    p = Path(path)
    doc = read_json(p)
    project = project_from_document(doc, f"'{p.name}'", path=p)
    weights = doc.get("weights")
    if weights is not None:
        try:
            if not isinstance(weights, dict):
                raise WeightsFileError("the weights entry is malformed")
            read_weights(
                sidecar_path(p), weights.get("manifest"), project.graph, weights.get("sha256")
            )
        except WeightsFileError as exc:
            project.warnings.append(
                f"Imported weights were not restored: {exc}. The layers start from new weights."
            )
    return project


def project_from_document(doc: Any, name: str = "the project", path: Path | None = None) -> Project:
    """A Project from parsed project JSON of any supported version (files, autosave snapshots).

    `name` is how messages refer to the source ("'model.llproj'", "the autosaved copy").
    Raises ProjectFileError with a plain message; never anything else.
    """
    where = str(path) if path is not None else None
    try:
        doc = check_document(doc, name, where)
        return project_from_dict(doc, path=path)
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
