"""train_project: the code path `layerloom train` and the GUI share (project -> run folder)."""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from app.data.dataset import DataError
from app.errors import LayerLoomError
from app.project.project import Project
from app.project.runs import RunRecord, is_rate_column
from app.project.settings import settings_from_project
from app.project.training_config import TrainingConfig, TrainingError
from app.training.control import Listener, RunControl, RunStopped
from app.training.runs import RUN_FILE, write_json_atomic


@dataclass
class RunHooks:
    """How a caller follows and steers a run of train_project, and what the run leaves it.

    Given: `on_batch` / `on_epoch` / `on_event` receive plain dicts on the training thread
    (batch: epoch, batch, step, steps_per_epoch, logs, lr, samples_per_s, eta_s; epoch: epoch,
    epochs, logs, lr, duration_s, samples_per_s; both also `lrs` for a training step with its
    own compile: the rate of each optimizer its compile was given, by argument name; event:
    {"kind": preparing | adapted | devices | checked | started | paused | resumed | warning |
    nan | finished, ...}); `control` stops and pauses from any thread.
    Filled in by train_project, also when it raises: `record` (once the run folder exists),
    `model` (the trained keras.Model), `history` (per-epoch rows) and `nan_at`, all of the
    last run; `records`, every run's record (the folds of a k-fold cross-validation, in order).
    A k-fold run also sends {"kind": "fold", "fold", "folds", "group"} before each fold.
    """

    on_batch: Listener = None
    on_epoch: Listener = None
    on_event: Listener = None
    control: RunControl = field(default_factory=RunControl)
    record: RunRecord | None = None
    model: Any = None
    history: list[dict[str, float]] = field(default_factory=list)
    nan_at: tuple[int, int] | None = None
    records: list[RunRecord] = field(default_factory=list)

    @classmethod
    def relaying(cls, progress: Callable[[dict[str, Any]], None]) -> RunHooks:
        """Hooks that hand every dict to one callable, batches and epochs tagged by "kind"."""
        return cls(
            on_batch=lambda d: progress({"kind": "batch", **d}),
            on_epoch=lambda d: progress({"kind": "epoch", **d}),
            on_event=progress,
        )


def train_project(
    project: Project,
    epochs: int | None = None,
    out_dir: str | Path | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    max_samples: int | None = None,
    hooks: RunHooks | None = None,
    folds: int | None = None,
    devices: str | None = None,
) -> RunRecord:
    """Build the project's model, load its data, check, train and record a run folder.

    The one training path: `layerloom train` and the editor's Train button both come here.
    `progress` (a single listener, see RunHooks.relaying) or `hooks` follow and steer the run.
    `max_samples` overrides the data settings' sample limit (quick trial runs); `devices`
    the training settings' devices ("cpu", "gpu", "all").
    The run folder goes under `out_dir`, else under project.runs_dir (app.project.run_folders).
    With k-fold validation (the data settings, or `folds` >= 2, which also overrides their k)
    it trains one run per fold, each from a freshly built model, sharing a group id; every
    fold's record is in `hooks.records` and the last one is returned. Stop ends the group:
    the folds finished before stay recorded.
    The project itself is not changed; callers add the records with Project.add_run.
    Raises a LayerLoomError subclass with a plain message on bad projects, data or training
    (errors found before training starts leave no run folder), RunStopped if stopped before.
    """
    from app.compiler import build_model
    from app.data import DataConfig, load_dataset
    from app.model import graph_to_dict
    from app.model.grouping import block_names

    if hooks is None:
        hooks = RunHooks.relaying(progress) if progress is not None else RunHooks()
    hooks.records = []
    data_dict, training_dict = settings_from_project(project)
    if max_samples is not None:
        if max_samples < 1:
            raise TrainingError("The sample limit must be at least 1.")
        data_dict["max_samples"] = int(max_samples)
    if folds is not None:
        if folds < 2:
            raise TrainingError("k-fold cross-validation needs at least 2 folds.")
        data_dict.update(validation="kfold", folds=int(folds))
    if devices is not None:
        training_dict["devices"] = devices
    data_cfg = DataConfig.from_dict(data_dict)
    config = TrainingConfig.from_dict(training_dict)
    if epochs is not None and epochs < 1:
        raise TrainingError("The number of epochs must be at least 1.")
    graph = project.graph
    runs_dir = Path(out_dir) if out_dir else project.runs_dir
    event = hooks.on_event or (lambda _d: None)
    event({"kind": "preparing", "message": "Building the model…"})
    # Built here once to report graph errors early and to shape synthetic data; the Trainer
    # builds its own copy on its thread, after seeding, so initial weights follow the seed.
    probe = build_model(graph)
    _stop_if_asked(hooks)
    event({"kind": "preparing", "message": "Loading the data…"})
    k = data_cfg.folds if data_cfg.validation == "kfold" else 0

    def trainer_for(fold: int | None, group: tuple[str, int, int] | None) -> Any:
        from app.training.trainer import Trainer

        dataset = load_dataset(data_cfg, probe, fold=fold, shuffle=config.shuffle)
        _stop_if_asked(hooks)
        # Each fold learns from its own training split: its validation rows stay unseen.
        adapted = _adapted(graph, dataset, data_cfg.input_map, event)
        _stop_if_asked(hooks)
        return Trainer(
            lambda: build_model(adapted),
            dataset,
            config,
            runs_dir,
            on_batch=hooks.on_batch,
            on_epoch=hooks.on_epoch,
            on_event=hooks.on_event,
            data_config=data_cfg.to_dict(),
            graph=graph_to_dict(adapted),
            epochs=epochs,
            control=hooks.control,
            code=project.code,
            group=group,
            blocks=block_names(graph) if config.step else None,
        )

    if not k:
        trainer = trainer_for(None, None)
        del probe
        return _run(trainer, hooks)
    group_id = uuid.uuid4().hex[:8]
    rec: RunRecord | None = None
    for fold in range(k):
        if hooks.control.stopped and rec is not None:
            break  # stopped between folds: the group ends with the folds it has
        event({"kind": "fold", "fold": fold, "folds": k, "group": group_id})
        try:
            trainer = trainer_for(fold, (group_id, fold, k))
        except RunStopped:
            if rec is None:
                raise
            break
        rec = _run(trainer, hooks)
        if rec.status != "completed":
            break  # stopped, or the loss diverged: later folds would not be comparable
    return rec


def _run(trainer: Any, hooks: RunHooks) -> RunRecord:
    """trainer.run(), leaving in `hooks` what the run leaves, also after an error or Ctrl+C;
    the trainer (and its dataset) is not kept."""
    try:
        return trainer.run()
    finally:
        hooks.record = trainer.record
        if trainer.record is not None:
            hooks.records.append(trainer.record)
        hooks.history = trainer.history
        hooks.nan_at = trainer.nan_at
        # With a training step, the graph's plain model (it holds the trained weights).
        model = trainer.saved_model
        hooks.model = model if hasattr(model, "fit") else None  # not a factory


def _adapted(graph, dataset, input_map: dict, event: Callable[[dict], None]):
    """The graph with its stateless preprocessing nodes adapted to the training split (the
    project keeps its graph: each run learns afresh, as a script calling adapt() would)."""
    from app.training.adapt import adapt_graph, nodes_to_adapt

    if not nodes_to_adapt(graph):
        return graph
    event({"kind": "preparing", "message": "Adapting preprocessing layers to the training data…"})
    adapted, _ = adapt_graph(
        graph,
        dataset,
        input_map,
        on_message=lambda text: event({"kind": "adapted", "message": text}),
    )
    return adapted


@contextlib.contextmanager
def _stop_on_sigterm(hooks: RunHooks):
    """SIGTERM stops the run in order (after the batch, recorded as stopped), as Stop does."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: hooks.control.stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_if_asked(hooks: RunHooks) -> None:
    if hooks.control.stopped:
        raise RunStopped("Stopped before training started.")


def training_snapshot(project: Project) -> Project:
    """A copy of what training reads from a project (graph, settings, where it lives), for a
    run on another thread while the original stays editable."""
    return Project(
        name=project.name,
        graph=project.graph.copy(),
        data=copy.deepcopy(project.data),
        training=copy.deepcopy(project.training),
        code=list(project.code),
        trusted_code=project.trusted_code,
        path=project.path,
        base_dir=project.base_dir,
    )


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
        elif kind == "fold":
            self.stream.write(f"Fold {info['fold'] + 1}/{info['folds']}\n")
        elif kind == "batch":
            now = time.monotonic()
            steps = info.get("steps_per_epoch") or 0
            if now - self._last < self.min_interval and info["batch"] + 1 < steps:
                return
            self._last = now
            frac = (info["batch"] + 1) / steps if steps else 0.0
            bar = "#" * int(frac * self.width)
            eta = info.get("eta_s", math.nan)
            self.stream.write(
                f"\rEpoch {info['epoch'] + 1}/{self.epochs} [{bar:<{self.width}}] "
                f"{_batch_losses(info['logs'])}  {info['samples_per_s']:.0f} samples/s  "
                f"ETA {eta:.0f}s "
            )
            self.stream.flush()
        elif kind == "epoch":
            logs = "  ".join(
                f"{k} {v:.4f}" for k, v in info["logs"].items() if not is_rate_column(k)
            )
            self.stream.write(f"\rEpoch {info['epoch'] + 1}/{self.epochs}: {logs}{' ' * 20}\n")
        elif kind in ("adapted", "devices"):
            self.stream.write(f"{info.get('message', '')}\n")
        elif kind in ("warning", "nan"):
            self.stream.write(f"\n{info.get('message', '')}\n")
        elif kind == "finished":
            self.stream.write(f"Run {info['status']}. {info.get('message', '')}\n")
        self.stream.flush()


def _batch_losses(logs: dict[str, Any]) -> str:
    """The batch's loss, or what a training step reports without one (a GAN's d_loss, g_loss)."""
    if "loss" in logs:
        return f"loss {logs['loss']:.4f}"
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if not is_rate_column(k))


def train_cli(
    project: Any,
    epochs: int | None = None,
    out_dir: str | Path | None = None,
    stream: TextIO | None = None,
    max_samples: int | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
    folds: int | None = None,
    devices: str | None = None,
) -> int:
    """Train with a terminal progress bar and return an exit code.

    0 completed; 1 the model cannot be built or training failed (NaN loss, an error in a layer);
    2 the data or the settings cannot be used; 130 stopped.

    `on_record` receives each finished run's record (also of failed runs that left a folder;
    one per fold with k-fold validation), e.g. to add it to the project. Ctrl+C ends the run;
    its folder keeps the finished epochs. `folds` >= 2 trains k-fold with that many folds.
    """
    out = stream or sys.stderr
    holder: dict[str, Any] = {}
    bar = TerminalProgress(out)

    def progress(info: dict[str, Any]) -> None:
        kind = info.get("kind")
        if kind == "started":
            holder["began"] = True  # fit is running: later errors are the model's
        elif kind == "finished":
            holder["said"] = info.get("message")  # the bar has printed the run's end
        bar(info)

    hooks = RunHooks.relaying(progress)
    try:
        with _stop_on_sigterm(hooks):
            rec = train_project(
                project,
                epochs,
                out_dir,
                max_samples=max_samples,
                hooks=hooks,
                folds=folds,
                devices=devices,
            )
    except KeyboardInterrupt:
        out.write("\nInterrupted.\n")
        rec = hooks.record
        if rec is not None and rec.status == "running":
            rec.status, rec.message = "stopped", "Interrupted from the keyboard."
            with contextlib.suppress(OSError):
                write_json_atomic(Path(rec.path) / RUN_FILE, rec.to_dict())
        _hand_over(hooks, on_record)
        return 130
    except LayerLoomError as exc:
        if holder.get("said") != exc.message:  # said once, not twice
            out.write(f"error: {exc.message}\n")
        _hand_over(hooks, on_record)
        unusable = isinstance(exc, DataError) or (
            isinstance(exc, TrainingError) and not holder.get("began")
        )
        return 2 if unusable else 1
    _hand_over(hooks, on_record)
    out.write(f"Run folder: {rec.path}\n")
    return {"completed": 0, "stopped": 130}.get(rec.status, 1)


def _hand_over(hooks: RunHooks, on_record: Callable[[RunRecord], None] | None) -> None:
    if on_record is not None:
        for rec in hooks.records:
            on_record(rec)
