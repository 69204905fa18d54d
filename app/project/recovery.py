"""Autosave snapshots of unsaved work, offered back after a crash.

The UI saves a snapshot (Project.to_dict()) under a key (the project's path, or an id for an
untitled one) every few seconds while there are unsaved edits, and discards it after a real
save or a clean exit.  On start, `list()` shows what a crashed session left behind.

A snapshot is `<hash of key>.json`; imported weights go to a sidecar next to it that the
snapshot names, written in the same order as a project save (app/project/fileio.py): a new
sidecar first, then the snapshot that names it, then the older sidecars and temps are
deleted. So an autosave killed at any moment leaves one whole snapshot with its own weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import ProjectFileError
from app.model import ModelGraph
from app.project.atomic import STALE_SECONDS, atomic_open
from app.project.weights import (
    WEIGHTS_SUFFIX,
    Sidecar,
    WeightsFileError,
    collect_weights,
    named_sidecar,
    read_weights,
    remove_leftovers,
    remove_temps,
    write_sidecar,
)

MAX_SNAPSHOT_BYTES = 50 * 1024 * 1024
# Any file of a key: its snapshot, sidecars, and temps ("." + the snapshot's name + ...).
_KEY_FILE = re.compile(r"\.?([0-9a-f]{32})\..+")


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

    @staticmethod
    def _legacy_weights_file(record_file: Path) -> Path:
        # The one sidecar name of older versions: <hash>.weights.npz
        return record_file.with_suffix(WEIGHTS_SUFFIX)

    def _remove_leftovers(self, record_file: Path, keep: Path | None, before: float) -> None:
        remove_leftovers(record_file, keep, before, legacy=self._legacy_weights_file(record_file))

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
        started = time.time()
        record = {"key": key, "saved_at": started, "session": session, "snapshot": snapshot}
        target = self._file(key)
        written, new_sidecar = None, None
        remove_temps(target, started, legacy=self._legacy_weights_file(target))
        try:
            if graph is not None:
                written, new_sidecar = self._save_weights(key, graph)
            if written is not None:
                record["weights"] = written[2]
            with atomic_open(target) as fh:
                json.dump(record, fh, allow_nan=False)
        except (TypeError, ValueError) as exc:
            if new_sidecar is not None:
                new_sidecar.discard()
            raise ProjectFileError(f"Could not autosave: {exc}.", path=str(target)) from None
        except OSError:
            if new_sidecar is not None:
                new_sidecar.discard()
            raise
        if written is None:
            self._written.pop(key, None)
        else:
            self._written[key] = written
        keep = target.with_name(written[2]["file"]) if written is not None else None
        self._remove_leftovers(target, keep, before=started)
        return target

    def _save_weights(self, key: str, graph: ModelGraph) -> tuple[tuple | None, Sidecar | None]:
        """(arrays, manifest, weights entry) for the record, and the sidecar written for it
        (None when the last one stands); (None, None) when the graph holds no weights."""
        manifest, arrays = collect_weights(graph)
        if not arrays:
            return None, None
        written = self._written.get(key)
        if (
            written is not None
            and written[1] == manifest
            and len(written[0]) == len(arrays)
            and all(a is b for a, b in zip(written[0], arrays))
            and self._file(key).with_name(written[2]["file"]).is_file()
        ):
            return written, None  # the same arrays as last time: the sidecar stands
        sidecar = write_sidecar(self._file(key), arrays)
        entry = {"file": sidecar.path.name, "manifest": manifest, "sha256": sidecar.digest}
        # The arrays themselves are kept (they are the nodes' own), so `is` cannot be fooled
        # by a new array at a freed one's address.
        return (arrays, manifest, entry), sidecar

    def load_weights(self, key: str, graph: ModelGraph) -> bool:
        """Put the imported weights saved with `key`'s snapshot back into `graph`'s layers;
        False if it has none, WeightsFileError in plain words if they cannot be read."""
        f = self._file(key)
        record = self._read(f)
        weights = record.get("weights") if record is not None else None
        if weights is None:
            return False
        if not isinstance(weights, dict):
            raise WeightsFileError("the weights entry is malformed")
        read_weights(
            self._sidecar_of(f, weights), weights.get("manifest"), graph, weights.get("sha256")
        )
        return True

    def _sidecar_of(self, record_file: Path, weights: dict[str, Any]) -> Path:
        """The sidecar a snapshot's weights entry names (older versions name none)."""
        name = weights.get("file")
        if name is None:
            return self._legacy_weights_file(record_file)
        return named_sidecar(record_file, name)

    def list(self) -> list[RecoveryEntry]:
        """Snapshots present, newest first; unreadable files are skipped. Leftovers of killed
        autosaves (older than STALE_SECONDS) are deleted on the way."""
        if not self.directory.is_dir():
            return []
        entries = []
        records: dict[Path, dict[str, Any] | None] = {}
        for f in self.directory.glob("*.json"):
            record = records[f] = self._read(f)
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
        self._sweep(records, time.time() - STALE_SECONDS)
        return sorted(entries, key=lambda e: e.saved_at, reverse=True)

    def _sweep(self, records: dict[Path, dict[str, Any] | None], before: float) -> None:
        """Delete leftovers of every key: temps, and sidecars its snapshot does not name (all
        of them when the snapshot is gone). A damaged snapshot keeps its files."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for digest in {m[1] for n in names if (m := _KEY_FILE.fullmatch(n))}:
            record_file = self.directory / f"{digest}.json"
            keep = None
            if record_file in records or record_file.exists():
                record = records.get(record_file)
                weights = record.get("weights") if record is not None else None
                try:
                    if record is None or not isinstance(weights, dict | None):
                        raise WeightsFileError("damaged")
                    keep = self._sidecar_of(record_file, weights) if weights else None
                except WeightsFileError:
                    continue
            self._remove_leftovers(record_file, keep, before)

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
        f = self._file(key)
        f.unlink(missing_ok=True)
        self._written.pop(key, None)
        # The snapshot goes first: a kill here leaves sidecars that `list()` sweeps away later.
        self._remove_leftovers(f, None, before=time.time() + 1)

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
