"""train_project: the code path `layerloom train` and the GUI share (project -> run folder)."""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from app.data.dataset import DataError
from app.errors import LayerLoomError
from app.project.project import Project
from app.project.runs import RunRecord
from app.project.settings import settings_from_project  # re-exported for app.ui; imports move later
from app.project.training_config import TrainingConfig, TrainingError
from app.training.runs import RUN_FILE, write_json_atomic


def default_runs_dir(project: Any) -> Path:
    """<project file folder>/<project name>_runs, or ./layerloom_runs for unsaved projects."""
    path = getattr(project, "path", None)
    if path:
        p = Path(path)
        return p.parent / f"{p.stem}_runs"
    return Path.cwd() / "layerloom_runs"


def train_project(
    project: Project,
    epochs: int | None = None,
    out_dir: str | Path | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    trainer_hook: Callable[[Any], None] | None = None,
    max_samples: int | None = None,
) -> RunRecord:
    """Build the project's model, load its data, train and record a run folder.

    `project` is an app.project.Project (its graph, data and training settings are read).
    `progress` receives {"kind": "batch" | "epoch" | <event kind>, ...} dicts.
    `trainer_hook` receives the Trainer before it runs (to keep a handle for stop()).
    `max_samples` overrides the data settings' sample limit (quick trial runs).
    The project itself is not changed; callers add the record with Project.add_run.
    Raises a LayerLoomError subclass with a plain message on bad projects, data or training.
    """
    from app.compiler import build_model
    from app.data import DataConfig, load_dataset
    from app.model import graph_to_dict
    from app.training.trainer import Trainer

    data_dict, training_dict = settings_from_project(project)
    if max_samples is not None:
        if max_samples < 1:
            raise TrainingError("The sample limit must be at least 1.")
        data_dict["max_samples"] = int(max_samples)
    data_cfg = DataConfig.from_dict(data_dict)
    config = TrainingConfig.from_dict(training_dict)
    if epochs is not None and epochs < 1:
        raise TrainingError("The number of epochs must be at least 1.")
    graph = project.graph
    # Built here once to report graph errors early and to shape synthetic data; the Trainer
    # builds its own copy on its thread, after seeding, so initial weights follow the seed.
    probe = build_model(graph)
    dataset = load_dataset(data_cfg, probe)
    del probe
    runs_dir = Path(out_dir) if out_dir else default_runs_dir(project)

    def relay(kind: str) -> Callable[[dict[str, Any]], None] | None:
        if progress is None:
            return None
        return lambda d: progress({"kind": kind, **d})

    trainer = Trainer(
        lambda: build_model(graph),
        dataset,
        config,
        runs_dir,
        on_batch=relay("batch"),
        on_epoch=relay("epoch"),
        on_event=progress,
        data_config=data_cfg.to_dict(),
        graph=graph_to_dict(graph),
        epochs=epochs,
    )
    if trainer_hook is not None:
        trainer_hook(trainer)
    return trainer.run()


class TerminalProgress:
    """A progress callable for train_project that draws a one-line bar on a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 30, min_interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.width = width
        self.min_interval = min_interval
        self._last = 0.0
        self.epochs = 0

    def __call__(self, info: dict[str, Any]) -> None:
        kind = info.get("kind")
        if kind == "started":
            self.epochs = int(info.get("epochs", 0))
        elif kind == "batch":
            now = time.monotonic()
            steps = info.get("steps_per_epoch") or 0
            if now - self._last < self.min_interval and info["batch"] + 1 < steps:
                return
            self._last = now
            frac = (info["batch"] + 1) / steps if steps else 0.0
            bar = "#" * int(frac * self.width)
            loss = info["logs"].get("loss", math.nan)
            eta = info.get("eta_s", math.nan)
            self.stream.write(
                f"\rEpoch {info['epoch'] + 1}/{self.epochs} [{bar:<{self.width}}] "
                f"loss {loss:.4f}  {info['samples_per_s']:.0f} samples/s  "
                f"ETA {eta:.0f}s "
            )
            self.stream.flush()
        elif kind == "epoch":
            logs = "  ".join(
                f"{k} {v:.4f}" for k, v in info["logs"].items() if k != "learning_rate"
            )
            self.stream.write(f"\rEpoch {info['epoch'] + 1}/{self.epochs}: {logs}{' ' * 20}\n")
        elif kind in ("warning", "nan"):
            self.stream.write(f"\n{info.get('message', '')}\n")
        elif kind == "finished":
            self.stream.write(f"Run {info['status']}. {info.get('message', '')}\n")
        self.stream.flush()


def train_cli(
    project: Any,
    epochs: int | None = None,
    out_dir: str | Path | None = None,
    stream: TextIO | None = None,
    max_samples: int | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
) -> int:
    """Train with a terminal progress bar and return an exit code.

    0 completed; 1 the model cannot be built or training failed (NaN loss, an error in a layer);
    2 the data or the settings cannot be used; 130 stopped.

    `on_record` receives the finished run's record (also of failed runs that left a folder),
    e.g. to add it to the project. Ctrl+C ends the run; its folder keeps the finished epochs.
    """
    out = stream or sys.stderr
    holder: dict[str, Any] = {}
    try:
        bar = TerminalProgress(out)

        def progress(info: dict[str, Any]) -> None:
            if info.get("kind") == "started":
                holder["began"] = True  # fit is running: later errors are the model's
            bar(info)

        rec = train_project(
            project,
            epochs,
            out_dir,
            progress,
            trainer_hook=lambda t: holder.setdefault("trainer", t),
            max_samples=max_samples,
        )
    except KeyboardInterrupt:
        out.write("\nInterrupted.\n")
        rec = getattr(holder.get("trainer"), "record", None)
        if rec is not None and rec.status == "running":
            rec.status, rec.message = "stopped", "Interrupted from the keyboard."
            with contextlib.suppress(OSError):
                write_json_atomic(Path(rec.path) / RUN_FILE, rec.to_dict())
        if rec is not None and on_record is not None:
            on_record(rec)
        return 130
    except LayerLoomError as exc:
        out.write(f"error: {exc.message}\n")
        rec = getattr(holder.get("trainer"), "record", None)
        if rec is not None and on_record is not None:
            on_record(rec)
        unusable = isinstance(exc, DataError) or (
            isinstance(exc, TrainingError) and not holder.get("began")
        )
        return 2 if unusable else 1
    if on_record is not None:
        on_record(rec)
    out.write(f"Run folder: {rec.path}\n")
    return {"completed": 0, "stopped": 130}.get(rec.status, 1)
