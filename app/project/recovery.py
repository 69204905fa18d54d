"""Autosave snapshots of unsaved work, offered back after a crash.

The UI saves a snapshot (Project.to_dict()) under a key (the project's path, or an id for an
untitled one) every few seconds while there are unsaved edits, and discards it after a real
save or a clean exit.  On start, `list()` shows what a crashed session left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import ProjectFileError
from app.model import ModelGraph
from app.project.atomic import atomic_open, atomic_path
from app.project.weights import (
    WEIGHTS_SUFFIX,
    WeightsFileError,
    collect_weights,
    file_digest,
    read_weights,
    write_npz,
)

MAX_SNAPSHOT_BYTES = 50 * 1024 * 1024


def default_recovery_dir() -> Path:
    """<platform user data dir>/LayerLoom/recovery."""
    import platformdirs

    return Path(platformdirs.user_data_dir("LayerLoom", appauthor=False)) / "recovery"


@dataclass(frozen=True)
class RecoveryEntry:
    """One autosaved snapshot: its key, when it was saved, the project name and its file."""

    key: str
    saved_at: float
    name: str
    file: Path
    session: str = ""  # the app session that wrote it ("" for snapshots of older versions)


class RecoveryStore:
    """Snapshots as JSON files in one folder, one per key, each written atomically."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_recovery_dir()
        # key -> (arrays, manifest, weights entry) of the sidecar this store last wrote
        self._written: dict[str, tuple[list, list, dict[str, Any]]] = {}

    def _file(self, key: str) -> Path:
        # Keys are paths or ids; hashing keeps file names safe and fixed-length.
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def _weights_file(self, key: str) -> Path:
        return self._file(key).with_suffix(WEIGHTS_SUFFIX)

    def save(
        self, snapshot: dict[str, Any], key: str, session: str = "", graph: ModelGraph | None = None
    ) -> Path:
        """Store `snapshot` (plain data) under `key`, replacing the previous one atomically.
        `session` names the running app session that owns it: a snapshot whose session is
        still running is that session's work in progress, not something left by a crash.
        `graph`: the imported weights its layers hold go to a sidecar next to the snapshot,
        written again only when they change (they are large and seldom do)."""
        if not isinstance(key, str) or not key:
            raise ValueError("A recovery key must be non-empty text.")
        self.directory.mkdir(parents=True, exist_ok=True)
        record = {"key": key, "saved_at": time.time(), "session": session, "snapshot": snapshot}
        target = self._file(key)
        try:
            weights = self._save_weights(key, graph) if graph is not None else None
            if weights is not None:
                record["weights"] = weights
            with atomic_open(target) as fh:
                json.dump(record, fh, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ProjectFileError(f"Could not autosave: {exc}.", path=str(target)) from None
        if weights is None:
            self._drop_weights(key)
        return target

    def _save_weights(self, key: str, graph: ModelGraph) -> dict[str, Any] | None:
        """The weights entry of a record: the sidecar's manifest and digest (None: no weights)."""
        manifest, arrays = collect_weights(graph)
        if not arrays:
            return None
        written = self._written.get(key)
        sidecar = self._weights_file(key)
        if (
            written is not None
            and written[1] == manifest
            and len(written[0]) == len(arrays)
            and all(a is b for a, b in zip(written[0], arrays))
            and sidecar.is_file()
        ):
            return written[2]  # the same arrays as last time: the sidecar stands
        with atomic_path(sidecar, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                write_npz(fh, arrays)
            entry = {"manifest": manifest, "sha256": file_digest(tmp)}
        # The arrays themselves are kept (they are the nodes' own), so `is` cannot be fooled
        # by a new array at a freed one's address.
        self._written[key] = (arrays, manifest, entry)
        return entry

    def _drop_weights(self, key: str) -> None:
        self._written.pop(key, None)
        try:
            self._weights_file(key).unlink()
        except FileNotFoundError:
            pass

    def load_weights(self, key: str, graph: ModelGraph) -> bool:
        """Put the imported weights saved with `key`'s snapshot back into `graph`'s layers;
        False if it has none, WeightsFileError in plain words if they cannot be read."""
        record = self._read(self._file(key))
        weights = record.get("weights") if record is not None else None
        if weights is None:
            return False
        if not isinstance(weights, dict):
            raise WeightsFileError("the weights entry is malformed")
        read_weights(self._weights_file(key), weights.get("manifest"), graph, weights.get("sha256"))
        return True

    def list(self) -> list[RecoveryEntry]:
        """Snapshots present, newest first; unreadable files are skipped."""
        if not self.directory.is_dir():
            return []
        entries = []
        for f in self.directory.glob("*.json"):
            record = self._read(f)
            if record is None:
                continue
            snap = record["snapshot"]
            name = snap.get("name") if isinstance(snap.get("name"), str) else "Untitled"
            session = record.get("session")
            entries.append(
                RecoveryEntry(
                    record["key"],
                    float(record["saved_at"]),
                    name,
                    f,
                    session if isinstance(session, str) else "",
                )
            )
        return sorted(entries, key=lambda e: e.saved_at, reverse=True)

    def load(self, key: str) -> dict[str, Any]:
        """The snapshot saved under `key`; ProjectFileError if there is none or it is damaged."""
        f = self._file(key)
        if not f.is_file():
            raise ProjectFileError("There is no autosaved copy of this project.", path=str(f))
        record = self._read(f)
        if record is None or record["key"] != key:
            raise ProjectFileError("The autosaved copy of this project is damaged.", path=str(f))
        return record["snapshot"]

    def discard(self, key: str) -> None:
        """Forget the snapshot of `key` and its weights (no error if there is none)."""
        try:
            self._file(key).unlink()
        except FileNotFoundError:
            pass
        self._drop_weights(key)

    @staticmethod
    def _read(f: Path) -> dict[str, Any] | None:
        try:
            if f.stat().st_size > MAX_SNAPSHOT_BYTES:
                return None
            record = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        ok = (
            isinstance(record, dict)
            and isinstance(record.get("key"), str)
            and isinstance(record.get("saved_at"), int | float)
            and isinstance(record.get("snapshot"), dict)
        )
        return record if ok else None
