"""Saves killed at random moments: does each kill leave one whole version with its own weights?

`python -m tests.project.kill_saves [--kills 50]` prints the figures for project saves
(save_project), autosave snapshots (RecoveryStore.save) and the folder swap of a SavedModel
export (atomic.replace_folder, checked after atomic.restore_folder, which every export runs
first; TensorFlow itself is left out: it cannot be forked); test_kill_saves.py asserts them.

A server process imports LayerLoom once, then for each kill forks a worker that saves version
after version (each with different weights) into the same folder until it is SIGKILLed at a
random moment. After each kill the folder is read back with the public API: the project must
load without warnings, and its weights must be the ones of the version its file names.
POSIX only (fork, SIGKILL).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.model import ModelGraph

MODES = ("project", "autosave", "folder")
FOLDER_FILES = 12
KEY = "/home/user/killed.llproj"  # the autosave key
WORKER_SECONDS = 20  # a worker nobody kills stops by itself
SAVES_PER_KILL = 8  # kills fall at a random moment within about this many saves


def versioned_graph(version: int) -> ModelGraph:
    """The small test graph whose every weight equals `version` (about 1.3 MB of weights)."""
    from tests.project.conftest import make_graph

    g = make_graph(with_weights=True)
    for _, sub in g.walk():
        for node in sub.nodes():
            if node.weights is not None:
                big = np.full((512, 640), version, "float32")  # makes a save take a while
                node.weights = [big] + [np.full_like(w, version) for w in node.weights]
    return g


def save_version(mode: str, folder: Path, version: int) -> None:
    """Save version `version` (its number is also its name) the way `mode` says."""
    from app.project import Project, save_project
    from app.project.recovery import RecoveryStore

    if mode == "folder":  # as export_saved_model does, with files instead of a model
        from app.project.atomic import replace_folder, restore_folder, temp_name

        target = folder / "export"
        restore_folder(target, before=time.time())
        tmp = temp_name(target)
        tmp.mkdir()
        for i in range(FOLDER_FILES):
            (tmp / f"part{i}").write_bytes(np.full(20_000, version, "float32").tobytes())
        replace_folder(tmp, target)
        return
    graph = versioned_graph(version)
    project = Project(name=str(version), graph=graph)
    if mode == "project":
        save_project(project, folder / "killed.llproj")
    else:
        RecoveryStore(folder).save(project.to_dict(), KEY, session="s", graph=graph)


def read_version(mode: str, folder: Path) -> tuple[int | None, str]:
    """(the version found, "") if the folder holds one whole version, else (None, what is wrong)."""
    from app.errors import LayerLoomError
    from app.project import load_project
    from app.project.project import project_from_dict
    from app.project.recovery import RecoveryStore
    from app.project.weights import WeightsFileError

    if mode == "folder":
        from app.project.atomic import restore_folder

        target = folder / "export"
        restore_folder(target, before=time.time())  # what the next export does first
        parts = [np.frombuffer(f.read_bytes(), "float32") for f in target.glob("part*")]
        versions = {float(v) for part in parts for v in np.unique(part)}
        if len(parts) != FOLDER_FILES or len(versions) != 1:
            return None, f"the export holds {len(parts)} files of versions {sorted(versions)}"
        return int(versions.pop()), ""
    try:
        if mode == "project":
            project = load_project(folder / "killed.llproj")
            if project.warnings:
                return None, "; ".join(project.warnings)
        else:
            store = RecoveryStore(folder)
            project = project_from_dict(store.load(KEY))
            if not store.load_weights(KEY, project.graph):
                return None, "the snapshot has no weights"
    except (LayerLoomError, WeightsFileError) as exc:
        return None, str(exc)
    version = int(project.name)
    arrays = [w for _, g in project.graph.walk() for n in g.nodes() for w in n.weights or []]
    if not arrays or any(not np.all(a == version) for a in arrays):
        return None, f"version {version} holds weights of another version"
    return version, ""


def leftovers(folder: Path) -> list[str]:
    """Files in `folder` besides the current version's file and its named sidecar."""
    import json

    names = set(os.listdir(folder)) - {"export"}  # the folder mode's target
    for doc_name in ("killed.llproj", *[n for n in names if n.endswith(".json")]):
        try:
            doc = json.loads((folder / doc_name).read_text())
        except (OSError, ValueError):
            continue
        names.discard(doc_name)
        weights = doc.get("weights") or {}
        names.discard(weights.get("file", "killed.llproj.weights.npz"))
        names.discard(Path(doc_name).with_suffix(".weights.npz").name)  # older autosaves
    return sorted(names)


# ----- the server (child process) --------------------------------------------------------------


def serve(mode: str, folder: Path) -> None:
    """Fork one saving worker per 'go' line on stdin; print its pid, then 'reaped' when it died."""
    for _ in range(3):  # warm: imports done, a first version on disk
        t0 = time.perf_counter()
        save_version(mode, folder, 0)
    print("ready", time.perf_counter() - t0, flush=True)
    for line in sys.stdin:
        base = int(line.split()[1]) * 10_000
        pid = os.fork()
        if pid == 0:
            _work(mode, folder, base)
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("reaped", flush=True)


def _work(mode: str, folder: Path, base: int) -> None:
    end = time.monotonic() + WORKER_SECONDS
    i = 1
    try:
        while time.monotonic() < end:
            save_version(mode, folder, base + i)
            i += 1
    finally:
        os._exit(0)


# ----- the killer (test or command line) ---------------------------------------------------------


@dataclass
class KillFigures:
    """What `kill_saves` saw: kills, kills that left one whole version, what the others left."""

    mode: str
    kills: int = 0
    whole: int = 0
    broken: list[str] = field(default_factory=list)
    versions: set[int] = field(default_factory=set)
    most_leftovers: int = 0  # files left next to the version after one kill, at most
    target_missing: int = 0  # kills that left no file/folder at the target (before any repair)
    leftovers_after_save: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.mode}: {self.kills} kills, {self.whole} whole versions "
            f"({len(self.versions)} different), {len(self.broken)} broken; at most "
            f"{self.most_leftovers} leftover files after a kill, "
            f"{len(self.leftovers_after_save)} after the next save; the target missing after "
            f"{self.target_missing} kills (before repair); {self.seconds:.1f} s"
        )


def kill_saves(mode: str, folder: Path, kills: int = 50, seed: int = 0) -> KillFigures:
    """SIGKILL `kills` saving workers at random moments; check the folder after each kill."""
    rng = random.Random(seed)
    figures = KillFigures(mode)
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.project.kill_saves", "serve", mode, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        ready, _, seconds = server.stdout.readline().partition(" ")
        if ready != "ready":
            raise RuntimeError("the saving server did not start")
        # Kills spread over the first few saves of each worker, however busy the machine is.
        window = SAVES_PER_KILL * float(seconds)
        for round_ in range(1, kills + 1):
            server.stdin.write(f"go {round_}\n")
            worker = int(server.stdout.readline())
            time.sleep(rng.uniform(0.0, window))
            os.kill(worker, signal.SIGKILL)
            if server.stdout.readline().strip() != "reaped":
                raise RuntimeError("the saving server stopped")
            figures.kills += 1
            figures.most_leftovers = max(figures.most_leftovers, len(leftovers(folder)))
            target = folder / ("export" if mode == "folder" else "killed.llproj")
            figures.target_missing += mode != "autosave" and not target.exists()
            version, why = read_version(mode, folder)
            if version is None:
                figures.broken.append(why)
            else:
                figures.whole += 1
                figures.versions.add(version)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    save_version(mode, folder, 99_999)  # one clean save clears what the kills left
    figures.leftovers_after_save = leftovers(folder)
    figures.seconds = time.perf_counter() - t0
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import tempfile

    for mode in MODES:
        with tempfile.TemporaryDirectory(prefix="layerloom_kills_") as tmp:
            figures = kill_saves(mode, Path(tmp), args.kills, args.seed)
        print(figures)
        for why in sorted(set(figures.broken)):
            print(f"  broken: {why} (x{figures.broken.count(why)})")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2], Path(sys.argv[3]))
    else:
        sys.exit(main())
