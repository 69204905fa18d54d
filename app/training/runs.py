"""Run folders: <runs_dir>/<timestamp>_<short id>/ with settings, history, models and run.json."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from app.project.atomic import atomic_open, atomic_path
from app.project.runs import (  # run files are named, and run.json read, in app.project.runs
    RUN_FILE,
    RunRecord,
    read_run_file,
    scan_run_folders,
)
from app.project.training_config import TrainingError

SETTINGS_FILE = "settings.json"
FINAL_MODEL = "final.keras"
TENSORBOARD_DIR = "tensorboard"


def new_run_dir(runs_dir: str | Path) -> tuple[str, Path]:
    """(run id, created folder) named <UTC timestamp>_<8 hex chars>, sortable by time."""
    run_id = uuid.uuid4().hex[:8]
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    path = Path(runs_dir) / f"{stamp}_{run_id}"
    path.mkdir(parents=True, exist_ok=False)
    return run_id, path


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a text file via a temp file in the same folder and os.replace."""
    with atomic_open(path, "w") as f:
        f.write(text)


def write_json_atomic(path: str | Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=_jsonable))


def _jsonable(v: Any) -> Any:
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)


def save_model_atomic(model: Any, path: str | Path) -> Path:
    """model.save to a temp path in the same folder, then os.replace (a failed save leaves the
    previous file intact). The temp name keeps the suffix Keras uses to pick the format."""
    path = Path(path)
    weights_only = path.name.endswith(".weights.h5")
    with atomic_path(path, ".weights.h5" if weights_only else path.suffix) as tmp:
        if weights_only:
            model.save_weights(str(tmp))
        else:
            model.save(str(tmp))
    return path


def history_keys(rows: list[dict[str, float]]) -> list[str]:
    """The history's columns after 'epoch', in the order they first appear."""
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys and k != "epoch"]
    return keys


def history_csv(rows: list[dict[str, float]]) -> str:
    """Per-epoch logs as CSV text with an 'epoch' column first (missing values left empty)."""
    keys = history_keys(rows)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["epoch", *keys])
    for r in rows:
        w.writerow([r.get("epoch", "")] + [_cell(r.get(k)) for k in keys])
    return out.getvalue()


class HistoryFile:
    """A run's history.csv while it trains: one line appended (and flushed) per epoch, so a
    crash keeps the finished epochs and an epoch pays for one short write, not a rewrite of the
    file with an fsync. It is rewritten whole, atomically, when an epoch logs a column the
    header lacks, and by `finish()`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.keys: list[str] | None = None

    def add(self, rows: list[dict[str, float]]) -> None:
        """Record rows[-1], the epoch just finished (rows: the whole history so far)."""
        row = rows[-1]
        if self.keys is None or any(k not in self.keys for k in row if k != "epoch"):
            self.finish(rows)
            return
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow(
            [row.get("epoch", "")] + [_cell(row.get(k)) for k in self.keys]
        )
        with open(self.path, "a", encoding="utf-8", newline="") as f:
            f.write(line.getvalue())

    def finish(self, rows: list[dict[str, float]]) -> None:
        """Write the whole history atomically (durable, whatever was appended before)."""
        write_text_atomic(self.path, history_csv(rows))
        self.keys = history_keys(rows)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return repr(v) if isinstance(v, float) else str(v)


def load_run(path: str | Path) -> RunRecord:
    """The RunRecord in a run folder; TrainingError if run.json is missing or unreadable."""
    return read_run_file(path)


def list_runs(runs_dir: str | Path) -> list[RunRecord]:
    """Every readable run under runs_dir, newest first (unreadable folders are skipped)."""
    return scan_run_folders(runs_dir)


def delete_run(path: str | Path) -> None:
    """Remove a run folder; refuses folders that are not run folders (no run.json)."""
    p = Path(path)
    if not (p / RUN_FILE).is_file():
        raise TrainingError(f"{p} is not a training run folder; nothing was deleted.", path=str(p))
    shutil.rmtree(p)
