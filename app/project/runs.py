"""The record of one training run (what the runs table shows); saved in the project and as
run.json in the run folder.  Plain data: the run folder's files are app.training.runs'."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.project.run_owner import owner_alive
from app.project.training_config import TrainingError

# "interrupted": found "running" though the process that ran it has ended (never written).
STATUSES = ("running", "completed", "stopped", "failed", "interrupted")
RUN_FILE = "run.json"  # the record inside each run folder
HISTORY_FILE = "history.csv"  # one line per finished epoch, written as training goes
BEST_MODEL = "best.keras"  # the best epoch's model, saved as training goes
# History columns that are rates, not metrics: "learning_rate" (the model's optimizer) and, for a
# training step with its own optimizers, "learning_rate/<compile argument>" (the GAN's
# "learning_rate/d_optimizer"), each the rate at the epoch's end.
LR_COLUMN = "learning_rate"


def step_rate_column(optimizer: str) -> str:
    """The history column of a training step's own optimizer's rate, by its compile argument."""
    return f"{LR_COLUMN}/{optimizer}"


def is_rate_column(key: str) -> bool:
    """True for a history column that holds a learning rate (never a metric)."""
    return key == LR_COLUMN or key.startswith(f"{LR_COLUMN}/")


INTERRUPTED = (
    "The process that ran it ended before it finished (killed, or a crash); "
    "the epochs it finished are kept."
)


@dataclass
class RunRecord:
    """What the runs table shows about one run; saved as run.json in the run folder."""

    id: str
    path: str
    started: str  # ISO 8601 UTC
    status: str = "running"
    duration_s: float = 0.0
    epochs_done: int = 0
    summary: str = ""
    best_metrics: dict[str, float] = field(default_factory=dict)
    final_metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""
    best_model: str | None = None
    final_model: str | None = None
    owner: dict[str, Any] | None = None  # the process running it (app.project.run_owner)
    # k-fold cross-validation: the runs of one group share `group`; `fold` is 0-based of `folds`
    group: str | None = None
    fold: int | None = None
    folds: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: a non-finite metric (an infinite loss) is written as the string
        "inf" / "-inf" / "nan", which JSON allows and which never blocks a save."""
        d = asdict(self)
        for key in ("best_metrics", "final_metrics"):
            d[key] = {k: v if math.isfinite(v) else str(v) for k, v in d[key].items()}
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """Read a record; unknown keys are ignored, TrainingError if required ones are missing."""
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), str) for k in ("id", "path", "started")
        ):
            raise TrainingError("A run record needs an id, a path and a start time.")
        known = {f for f in cls.__dataclass_fields__}
        d = {k: v for k, v in data.items() if k in known}
        d["best_metrics"] = _floats(d.get("best_metrics", {}))
        d["final_metrics"] = _floats(d.get("final_metrics", {}))
        if d.get("status") not in STATUSES:
            d["status"] = "failed"
        if not isinstance(d.get("owner"), dict):
            d["owner"] = None
        if not isinstance(d.get("group"), str):
            d["group"] = None
        for key in ("fold", "folds"):
            v = d.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                d[key] = None
        if d["group"] is None or d["fold"] is None or d["folds"] is None:
            d["group"] = d["fold"] = d["folds"] = None
        return cls(**d)


NON_FINITE = ("inf", "-inf", "nan")


def _floats(d: Any) -> dict[str, float]:
    """Numbers of a metrics dict (also those written as "inf", "-inf", "nan"); others dropped."""
    if not isinstance(d, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in d.items()
        if (isinstance(v, int | float) and not isinstance(v, bool)) or v in NON_FINITE
    }


def read_run_file(folder: str | Path) -> RunRecord:
    """The RunRecord in a run folder's run.json, its path set to where the folder is now, read
    as it truly is (see `settled`); TrainingError if it is missing or unreadable."""
    p = Path(folder) / RUN_FILE
    try:
        rec = RunRecord.from_dict(json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise TrainingError(f"The run record {p} cannot be read: {exc}", path=str(p)) from exc
    rec.path = str(Path(folder))  # the folder may have moved with its project
    return settled(rec)


def settled(rec: RunRecord) -> RunRecord:
    """`rec`, or, if it says "running" but its process has ended, the run as it was left:
    "interrupted", with the epochs, last metrics, time and best model its folder holds.

    A record without an owner was written by a LayerLoom that did not record one, so no
    process of it is training now. A process on another host cannot be checked: its run
    stays "running". Nothing is written: the folder stays as the run left it."""
    if rec.status != "running" or (rec.owner is not None and owner_alive(rec.owner) is not False):
        return rec
    rec.status, rec.message = "interrupted", INTERRUPTED
    folder = Path(rec.path)
    rows = read_history(folder)
    if rows:
        rec.epochs_done = len(rows)
        rec.final_metrics = {k: v for k, v in rows[-1].items() if k != "epoch"}
        rec.duration_s = _trained_for(rec.started, folder / HISTORY_FILE)
    if (folder / BEST_MODEL).is_file():
        rec.best_model = BEST_MODEL
    return rec


def _trained_for(started: str, history: Path) -> float:
    """Seconds from the run's start to its last finished epoch (the history file's last write)."""
    try:
        begun = datetime.fromisoformat(started).timestamp()
        return round(max(0.0, history.stat().st_mtime - begun), 3)
    except (OSError, ValueError):
        return 0.0


def read_history(run_path: str | Path) -> list[dict[str, float]]:
    """The per-epoch rows of a run's history.csv (empty if there is none)."""
    p = Path(run_path) / HISTORY_FILE
    if not p.is_file():
        return []
    rows = []
    with p.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            row = {}
            for k, v in r.items():
                try:
                    row[k] = float(v)
                except (TypeError, ValueError):  # empty, or a line cut short by a crash
                    pass
            rows.append(row)
    return rows


def scan_run_folders(runs_dir: str | Path) -> list[RunRecord]:
    """Every readable run folder directly under runs_dir, newest first (others are skipped)."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    runs = []
    for child in root.iterdir():
        if child.is_dir() and (child / RUN_FILE).is_file():
            try:
                runs.append(read_run_file(child))
            except TrainingError:
                continue
    return sorted(runs, key=lambda r: (r.started, Path(r.path).name), reverse=True)
