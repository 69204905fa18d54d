"""Weights of imported layers (node.weights) in a `<project>.weights.npz` sidecar.

The project JSON lists which node owns which arrays; the sidecar holds only numbered arrays
("w0", "w1", ...), read back with allow_pickle=False so a hostile file cannot run code.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from app.model import ModelGraph

WEIGHTS_SUFFIX = ".weights.npz"
MAX_WEIGHTS_BYTES = 8 << 30  # uncompressed size we agree to read
MAX_ARRAYS = 100_000


class WeightsFileError(ValueError):
    """The weights sidecar is missing, corrupt or does not match the project."""


def sidecar_path(project_path: str | Path) -> Path:
    """`model.llproj` -> `model.llproj.weights.npz`."""
    p = Path(project_path)
    return p.with_name(p.name + WEIGHTS_SUFFIX)


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
