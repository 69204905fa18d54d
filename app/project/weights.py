"""Weights of imported layers (node.weights) in a `<project>.<digest>.weights.npz` sidecar.

The project JSON lists which node owns which arrays and names its sidecar; the sidecar holds
only numbered arrays ("w0", "w1", ...), read back with allow_pickle=False so a hostile file
cannot run code. Each save writes a new sidecar, named by the first 16 hex digits of its
sha256, before the JSON that names it (see app/project/fileio.py for the order of a save).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.model import ModelGraph
from app.project.atomic import (
    fitted_name,
    fsync_dir,
    name_limit,
    new_temp_file,
    remove_files_matching,
    remove_stale_temps,
    set_mode_like,
)

WEIGHTS_SUFFIX = ".weights.npz"
_TAG_HEX = 16
MAX_WEIGHTS_BYTES = 8 << 30  # uncompressed size we agree to read
MAX_ARRAYS = 100_000


class WeightsFileError(ValueError):
    """The weights sidecar is missing, corrupt or does not match the project."""


def sidecar_path(project_path: str | Path) -> Path:
    """`model.llproj` -> `model.llproj.weights.npz`: the one sidecar name of older versions."""
    p = Path(project_path)
    return p.with_name(p.name + WEIGHTS_SUFFIX)


def _sidecar_stem(project_path: Path) -> str:
    room = name_limit(project_path.parent) - 1 - _TAG_HEX - len(WEIGHTS_SUFFIX)
    return fitted_name(project_path.name, room)


def sidecar_for(project_path: str | Path, digest: str) -> Path:
    """`model.llproj` + digest -> `model.llproj.<16 hex>.weights.npz` (a long project name is
    shortened, so the sidecar's name stays within the file system's limit)."""
    p = Path(project_path)
    return p.with_name(f"{_sidecar_stem(p)}.{digest[:_TAG_HEX]}{WEIGHTS_SUFFIX}")


def sidecar_pattern(project_path: str | Path) -> re.Pattern[str]:
    """The names of every sidecar `sidecar_for` gives this project (and no other project)."""
    p = Path(project_path)
    return re.compile(
        re.escape(_sidecar_stem(p) + ".") + f"[0-9a-f]{{{_TAG_HEX}}}" + re.escape(WEIGHTS_SUFFIX)
    )


def named_sidecar(project_path: str | Path, name: Any) -> Path:
    """The sidecar a project file names: a plain file name next to it, ending in .weights.npz
    (anything else, e.g. a path into another folder, is refused); files of older versions,
    which named none, use `sidecar_path`."""
    p = Path(project_path)
    if name is None:
        return sidecar_path(p)
    ok = (
        isinstance(name, str)
        and name.endswith(WEIGHTS_SUFFIX)
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and os.path.basename(name) == name
    )
    if not ok:
        raise WeightsFileError("the weights file named in the project is not a file next to it")
    return p.with_name(name)


@dataclass(frozen=True)
class Sidecar:
    """A sidecar just written: where, its sha256, and whether a file of that name was there."""

    path: Path
    digest: str
    existed: bool

    def discard(self) -> None:
        """Remove it again (after a failed save), unless it was there before this save; if
        that fails, the next save deletes it (no project file names it)."""
        if not self.existed:
            with contextlib.suppress(OSError):
                self.path.unlink()


def write_sidecar(project_path: Path, arrays: list[np.ndarray]) -> Sidecar:
    """Write `arrays` to a new sidecar of `project_path`, durably, under its digest's name.

    The file appears under its final name only when complete (temp file, fsync, rename), and
    no sidecar that a project file may name is touched.
    """
    tmp = new_temp_file(project_path, WEIGHTS_SUFFIX)
    try:
        set_mode_like(tmp, project_path)
        with open(tmp, "r+b") as fh:
            write_npz(fh, arrays)
            fh.flush()
            os.fsync(fh.fileno())
        digest = file_digest(tmp)
        final = sidecar_for(project_path, digest)
        # The same digest means the same bytes: replacing that file changes nothing in it.
        existed = final.exists()
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(project_path.parent)
    return Sidecar(final, digest, existed)


def remove_temps(project_path: str | Path, before: float, legacy: Path | None = None) -> int:
    """Delete the temps that killed saves of this project left, last written before `before`
    (`legacy`: the sidecar name of older versions, whose temps were named after it)."""
    p = Path(project_path)
    legacy = legacy if legacy is not None else sidecar_path(p)
    return remove_stale_temps(p, before, legacy_suffixes=(".json", ".tmp")) + remove_stale_temps(
        legacy, before, legacy_suffixes=(".npz",)
    )


def remove_leftovers(
    project_path: str | Path, keep: Path | None, before: float, legacy: Path | None = None
) -> int:
    """Delete what earlier saves of this project left, last written before `before`: temps of
    killed saves, and sidecars other than `keep` (the one its file names), including the
    sidecar of older versions (`legacy`, by default `sidecar_path`). Returns how many."""
    p = Path(project_path)
    legacy = legacy if legacy is not None else sidecar_path(p)
    patterns = [sidecar_pattern(p), re.compile(re.escape(legacy.name))]
    return remove_temps(p, before, legacy) + remove_files_matching(
        p.parent, patterns, before, keep=keep
    )


def collect_weights(graph: ModelGraph) -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    """Manifest entries ({"path": [block ids], "node": id, "count": n}) and the arrays, in order."""
    manifest: list[dict[str, Any]] = []
    arrays: list[np.ndarray] = []
    for path, g in graph.walk():
        for node in g.nodes():
            if node.weights is None:
                continue
            ws = [np.asarray(w) for w in node.weights]
            for w in ws:
                if w.dtype.hasobject:
                    raise WeightsFileError(
                        f"Layer '{node.name}' holds weights that are not numbers."
                    )
            manifest.append({"path": list(path), "node": node.id, "count": len(ws)})
            arrays.extend(ws)
    return manifest, arrays


def write_npz(fh, arrays: list[np.ndarray]) -> None:
    """Write numbered arrays to an open binary file (uncompressed: sizes stay honest)."""
    np.savez(fh, **{f"w{i}": a for i, a in enumerate(arrays)})


def file_digest(path: Path) -> str:
    """sha256 of a file, to tie a sidecar to the project JSON that was saved with it."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_weights(path: Path, manifest: Any, graph: ModelGraph, digest: Any = None) -> None:
    """Put the sidecar's arrays back into the graph's nodes; WeightsFileError in plain words."""
    entries = _check_manifest(manifest)
    if not path.is_file():
        raise WeightsFileError(f"the weights file '{path.name}' is missing")
    if isinstance(digest, str) and file_digest(path) != digest:
        raise WeightsFileError(
            f"the weights file '{path.name}' belongs to another save of this project"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
            count = len(zf.infolist())
        if total > MAX_WEIGHTS_BYTES or count > MAX_ARRAYS:
            raise WeightsFileError(f"the weights file '{path.name}' is too large")
        with np.load(path, allow_pickle=False) as npz:
            needed = sum(e["count"] for e in entries)
            arrays = [npz[f"w{i}"] for i in range(needed)]
    except WeightsFileError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise WeightsFileError(f"the weights file '{path.name}' is damaged ({exc})") from None
    pos = 0
    for e in entries:
        g = _subgraph(graph, e["path"])
        if g is None or e["node"] not in g:
            raise WeightsFileError("the weights list a layer that is not in the model")
        g.node(e["node"]).weights = arrays[pos : pos + e["count"]]
        pos += e["count"]


def _check_manifest(manifest: Any) -> list[dict[str, Any]]:
    if not isinstance(manifest, list):
        raise WeightsFileError("the list of saved weights is not a list")
    for e in manifest:
        ok = (
            isinstance(e, dict)
            and isinstance(e.get("node"), str)
            and isinstance(e.get("path", []), list)
            and all(isinstance(p, str) for p in e.get("path", []))
            and isinstance(e.get("count"), int)
            and not isinstance(e.get("count"), bool)
            and 0 <= e["count"] <= MAX_ARRAYS
        )
        if not ok:
            raise WeightsFileError("an entry of the saved weights list is malformed")
        e.setdefault("path", [])
    return manifest


def _subgraph(graph: ModelGraph, path: list[str]) -> ModelGraph | None:
    g = graph
    for block_id in path:
        if block_id not in g or g.node(block_id).subgraph is None:
            return None
        g = g.node(block_id).subgraph
    return g
