"""TrainingPanel: settings, Start / Pause / Resume / Stop, progress, live plots and the runs table.

Training runs in a TrainingWorker on its own QThread; this panel only receives plain dicts.
Settings edits are project commands (app.project.commands) pushed on the document's undo stack;
the form follows the project's TRAINING_CHANGED events (undo, redo, "Fit model to data").
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.compiler.custom_code import HOW_TO_TRUST
from app.project.commands import set_training
from app.project.events import TRAINING_CHANGED, ProjectEvent
from app.project.settings import SettingsError
from app.ui.keras_loader import KerasLoader
from app.ui.own_edits import OwnEdits
from app.ui.training import catalog
from app.ui.training.actions import TrainActions
from app.ui.training.outputs import freeze_imported_objects, model_outputs
from app.ui.training.plots import COLORS, TrainingPlots
from app.ui.training.run_list import RunList
from app.ui.training.run_status import RunBanner, RunProgress
from app.ui.training.runs import RunsTable
from app.ui.training.settings_form import TrainingSettingsForm
from app.ui.training.worker import TrainingThread, TrainingWorker

if TYPE_CHECKING:
    import keras

    from app.model import GraphEvent
    from app.ui.document import Document


KERAS_LOADING = "Keras is still loading; training can start in a moment."


class TrainingPanel(QWidget):
    """Everything about training one project; `set_document` binds it to the open document.

    Args:
        actions: the Train menu's actions, owned and connected by the window; a panel made
            without them (tests, embedding) makes its own and connects them to itself.
        keras: the background Keras loader; training starts once it is ready.
        report_error: shows an error the user must see (the window's message box).
    """

    status_message = Signal(str)
    batch_received = Signal(dict)  # each batch dict, on the GUI thread (tests, other views)
    open_model_requested = Signal(str)
    run_finished = Signal(dict)
    running_changed = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        actions: TrainActions | None = None,
        keras: KerasLoader | None = None,
        report_error: Callable[[str, str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.loader = keras
        self._report_error = report_error
        self.runs_root: Path | None = None  # overrides where runs of unsaved projects go
        self.thread: TrainingThread | None = None
        self.worker: TrainingWorker | None = None
        self.last_model: keras.Model | None = None  # the latest run's only (older ones dropped)
        self.last_result: dict | None = None
        self._run_document: Document | None = None  # the document the running training is of
        self._paused = False
        self._fold_rows: list[dict] = []  # the epochs of the k-fold run's current fold
        self._own_edits = OwnEdits()  # the form's edits: no need to show them again
        if actions is None:
            actions = TrainActions(self)
            actions.start.triggered.connect(lambda: self.start())
            actions.stop.triggered.connect(self.stop)
            actions.pause.triggered.connect(self.pause)
            actions.resume.triggered.connect(self.resume)
        self.actions = actions
        self.start_action, self.stop_action = actions.start, actions.stop
        self.pause_action, self.resume_action = actions.pause, actions.resume
        self._build()
        self._update_buttons()
        if keras is not None:
            keras.ready.connect(self._on_keras_ready)
            if keras.is_ready:
                self._on_keras_ready()

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        self.start_btn = QPushButton("▶  Start", self)
        self.pause_btn = QPushButton("❚❚  Pause", self)
        self.resume_btn = QPushButton("▶  Resume", self)
        self.stop_btn = QPushButton("■  Stop", self)
        for btn, act in (
            (self.start_btn, self.start_action),
            (self.pause_btn, self.pause_action),
            (self.resume_btn, self.resume_action),
            (self.stop_btn, self.stop_action),
        ):
            btn.clicked.connect(act.trigger)
            btn.setToolTip(f"{act.text()} ({act.shortcut().toString()})")
        self.start_btn.setDefault(True)
        self.run_progress = RunProgress(self)
        self.progress, self.stats = self.run_progress.bar, self.run_progress.stats
        top = QHBoxLayout()
        top.setContentsMargins(6, 6, 6, 2)
        for btn in (self.start_btn, self.pause_btn, self.resume_btn, self.stop_btn):
            top.addWidget(btn)
        top.addSpacing(8)
        top.addWidget(self.progress, 1)
        top.addWidget(self.stats)
        self.banner = RunBanner(self)
        self._adapted: list[str] = []  # what this run's preprocessing layers learned
        self.form = TrainingSettingsForm(self)
        self.form.changed.connect(self._form_changed)
        self.plots = TrainingPlots(self)
        self.plots.tick.connect(self._take_batches)  # before the plots redraw, so they show
        self.plots.tick.connect(self._update_progress)  # the newest batches
        self.runs = RunsTable(self)
        self.run_list = RunList(self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.plots, "Live plots")
        self.tabs.addTab(self.runs, "Runs")
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.form)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([360, 900])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.banner)
        lay.addWidget(self.splitter, 1)

    def _on_keras_ready(self, *_args) -> None:
        from app.training.devices import gpu_names

        if self.banner.text() == KERAS_LOADING:  # a start refused a moment ago: it can now
            self.banner.hide()

        self.form.show_gpus(len(gpu_names()))
        if self.document is not None:
            self.form.refresh_names()
        else:
            catalog.refresh_from_keras()  # the form shows the names when it gets settings
        freeze_imported_objects()

    # -- questions (methods, so tests can answer them) -------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        if self._report_error is not None:
            self._report_error(title, message)
        else:
            QMessageBox.warning(self, title, message)

    def ask(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    # -- the document -----------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Show and edit `document`'s training settings and runs; nothing of the previous
        document's runs stays (plots, status, banner, last model), unless one is still running."""
        if self.document is not None:
            self.document.graph.events.disconnect(self._on_graph_event)
            self.document.project.events.disconnect(self._on_project_event)
        self.document = document
        document.graph.events.connect(self._on_graph_event)
        document.project.events.connect(self._on_project_event)
        self._load_form()
        if not self.is_running:
            self._clear_run_views()
        self.run_list.refresh()

    def _clear_run_views(self) -> None:
        """Empty plots, progress and status: what a project nobody has trained yet shows."""
        self.last_model = None
        self.last_result = None
        self.plots.reset(model_outputs(self.document.graph) if self.document else [])
        self.plots.clear_overlays()
        self.run_progress.clear()
        self.banner.hide()

    def _training(self) -> dict:
        """The project's training settings as TrainingConfig plain data."""
        return self.document.project.training.to_dict()

    def _data(self) -> dict:
        """The project's data settings (file paths resolved); TrainingError if none is chosen."""
        from app.project.settings import settings_from_project

        return settings_from_project(self.document.project)[0]

    def _load_form(self) -> None:
        training = self._training()
        try:
            self.form.set_config(training, model_outputs(self.document.graph))
        except Exception as exc:  # a hand-edited project with bad settings: show and use defaults
            msg = f"The project's training settings cannot be shown: {exc}"
            self.banner.show_message(msg, "error")
            self.form.set_config({}, model_outputs(self.document.graph))

    def _on_project_event(self, event: ProjectEvent) -> None:
        if event.kind == TRAINING_CHANGED and not self._own_edits.active:
            self._load_form()  # undo / redo, or another panel changed them

    def _on_graph_event(self, _event: GraphEvent) -> None:
        outputs = model_outputs(self.document.graph)
        if outputs != self.form._outputs:
            self.form.set_outputs(outputs)

    def runs_dir(self) -> Path:
        """Where the document's runs go: Project.runs_dir (app.project.run_folders), except
        that `runs_root`, when set, takes an unsaved project's runs (tests, benchmarks)."""
        project = self.document.project
        if project.path is None and self.runs_root is not None:
            return Path(self.runs_root)
        return project.runs_dir

    # -- settings edits -----------------------------------------------------------------------------
    def _form_changed(self, field: str = "") -> None:
        """Record the form's settings on the undo stack (edits of one field merge)."""
        if self.document is None:
            return
        project = self.document.project
        try:
            command = set_training(project, self.form.config(), merge_key=f"training:{field}")
        except (SettingsError, ValueError) as exc:
            self.banner.show_message(str(getattr(exc, "message", exc)), "error")
            return
        self.banner.hide()
        self._own_edits.push(self.document, command, project.training)

    # -- running ------------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.thread is not None

    def keras_ready(self) -> bool:
        if self.loader is not None:
            return bool(self.loader.is_ready)
        return "keras" in sys.modules

    def start(self, epochs: int | None = None) -> bool:
        """Start a run with the shown settings; False (with a message) if it cannot start."""
        from app.data import DataConfig
        from app.project.training_config import TrainingConfig
        from app.training.headless import training_snapshot

        if self.is_running or self.document is None:
            return False
        if not self.keras_ready():
            self._fail_early(KERAS_LOADING)
            return False
        try:
            training = self.form.config()
            problems = TrainingConfig.from_dict(training).problems()
            data = self._data()
            DataConfig.from_dict(data)
        except Exception as exc:
            self._fail_early(str(getattr(exc, "message", exc)))
            return False
        if problems:
            self._fail_early(" ".join(problems))
            return False
        if not self.document.graph.outputs:
            self._fail_early(
                "The model has no outputs yet; mark the layer that produces the "
                "prediction as an output."
            )
            return False
        self.banner.hide()
        self._adapted = []
        freeze_imported_objects()
        self.last_model = None  # let the previous run's model go before building the next
        self._run_document = self.document
        self.plots.reset(model_outputs(self.document.graph))
        self.tabs.setCurrentWidget(self.plots)
        self.worker = TrainingWorker(
            training_snapshot(self.document.project), self.runs_dir(), epochs
        )
        self.worker.event.connect(self._on_event)
        self.worker.done.connect(self._on_done)
        self.thread = TrainingThread(self.worker, self)
        self.run_progress.preparing(int(epochs or training.get("epochs", 1)))
        self.thread.start()
        self._update_buttons()
        self.running_changed.emit(True)
        self.status_message.emit("Training started")
        return True

    def stop(self) -> None:
        """Stop within one batch; the model keeps its weights (saved as final.keras)."""
        if self.worker is not None:
            self.worker.stop()
            self.run_progress.set_stats("Stopping…")

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.pause()
            self._paused = True
            self.run_progress.set_stats("Pausing…")
            self._update_buttons()

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.resume()
            self._paused = False
            self._update_buttons()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop a running training and wait for its thread (window closing, tests)."""
        if self.thread is None:
            return
        self.worker.stop()
        self.thread.wait(timeout_ms)
        # Deliver the queued done signal now, so the run is recorded and the thread released.
        from PySide6.QtCore import QCoreApplication

        QCoreApplication.sendPostedEvents(self)
        QCoreApplication.processEvents()
        if self.thread is not None:  # the done signal never came (e.g. a crashed thread)
            self._cleanup()

    # -- worker signals (GUI thread) ------------------------------------------------------------
    def _take_batches(self) -> None:
        """Drain the batch and epoch dicts the worker collected since the last tick; where a
        k-fold run's next fold begins, the finished fold's curves become a thin overlay."""
        if self.worker is None:
            return
        batches, epochs = self.worker.take_progress()
        for batch_part, epoch_part, fold in by_fold(batches, epochs):
            for d in batch_part:
                self.plots.add_batch(d)
                self.run_progress.last_batch = d
                self.batch_received.emit(d)
            for d in epoch_part:
                self.plots.add_epoch(d)
                self._fold_rows.append({"epoch": float(d["epoch"] + 1), **d.get("logs", {})})
            if fold is not None:
                self._next_fold(fold)

    def _next_fold(self, fold: dict) -> None:
        """A k-fold run moves on to `fold`: the live curves start again, over the folds done."""
        done = int(fold["fold"])
        if done == 0:
            self.plots.remove_overlays("fold ")
        elif self._fold_rows:
            color = COLORS[(done - 1) % len(COLORS)]
            self.plots.overlay_run(f"fold {done}", self._fold_rows, color, 1.0, True)
            self.plots.reset(model_outputs(self._run_document.graph) if self._run_document else [])
            self.plots.set_epochs(self.run_progress.epochs)
        self._fold_rows = []

    def _on_event(self, d: dict) -> None:
        kind = d.get("kind")
        progress = self.run_progress
        if kind == "preparing":
            progress.show_message(d.get("message", ""))
        elif kind == "adapted":  # what a preprocessing layer learned, kept in view
            self._adapted.append(d.get("message", ""))
            progress.show_message(d.get("message", ""))
            self.banner.show_message("\n".join(self._adapted), "info")
        elif kind == "devices":  # where the run trains (and why not on a GPU)
            progress.show_message(d.get("message", ""))
            self.status_message.emit(d.get("message", ""))
        elif kind == "checked":
            progress.set_stats(f"{d['samples']} training / {d['val_samples']} validation samples")
        elif kind == "started":
            epochs = int(d.get("epochs") or progress.epochs)
            progress.started(epochs, int(d.get("steps_per_epoch") or 0))
            self.plots.set_epochs(epochs)
            self.plots.start()
        elif kind == "fold":
            text = f"Fold {int(d['fold']) + 1} of {d['folds']}"
            progress.show_message(f"{text}: preparing…")
            self.status_message.emit(f"Training {text.lower()}")
        elif kind == "paused":
            self._show_paused(int(d["epoch"]), int(d["batch"]))
            self.status_message.emit("Training paused")
        elif kind == "resumed":
            self.status_message.emit("Training resumed")
        elif kind == "warning":
            self.banner.show_message(d.get("message", ""), "warning")
        elif kind == "nan":
            self.banner.show_message(d.get("message", ""), "error")

    def _on_done(self, result: dict) -> None:
        self._take_batches()
        worker = self.worker
        self.last_model = worker.model if worker is not None else None
        if worker is not None:
            worker.model = None
        self._cleanup()
        self.last_result = result
        self.plots.finish()
        self._update_progress()
        status, message = result.get("status", "failed"), result.get("message", "")
        rec = result.get("record") or {}
        self.run_progress.show_result(status, rec)
        if status not in ("completed", "stopped"):
            self.banner.show_message(message, "error")
            self.show_error("Training failed", message)
        self.status_message.emit(f"Training {status}" + (f": {message}" if message else ""))
        document, self._run_document = self._run_document, None
        if rec and document is not None:
            # Saved with the project's next save; not an edit, so the project stays clean (the
            # run folder keeps the run either way, and the runs table lists that folder).
            for fold_rec in result.get("records") or [rec]:
                document.project.add_run(fold_rec)
        self.run_list.refresh()
        folds = result.get("records") or []
        if len(folds) > 1 and folds[-1].get("group"):
            self.plots.remove_overlays("fold ")
            self.run_list.overlay([f["path"] for f in folds])
        if rec.get("path"):
            self.runs.select_run(rec["path"])
        self.run_finished.emit(result)

    def _cleanup(self) -> None:
        thread, worker = self.thread, self.worker
        self.thread = self.worker = None
        self._paused = False
        if thread is not None:
            finished = thread.wait(30_000)
            thread.worker = None
            thread.deleteLater()
            if finished and worker is not None:
                # Its thread has ended, so deleteLater() would never run there; nothing else
                # can touch the worker now, so delete it here.
                shiboken6.delete(worker)
        gc.collect()
        self._update_buttons()
        self.running_changed.emit(False)

    def _fail_early(self, message: str) -> None:
        self.banner.show_message(message, "error")
        self.status_message.emit(message)
        self.show_error("Training cannot start", message)

    # -- progress -----------------------------------------------------------------------------------
    def _update_progress(self) -> None:
        """Progress bar and stats line from the newest batch, while a run runs (redraw timer)."""
        if self.thread is not None:
            self.run_progress.show_newest(self._paused)

    def _show_paused(self, epoch: int, batch: int) -> None:
        """Bar and stats where training holds: in `epoch` (0-based), before its `batch`.

        The batches finished before the pause are drained first, so a later redraw tick cannot
        put the bar back on an older batch."""
        self._take_batches()
        self._paused = True  # the worker holds (also when paused by the window, not a click)
        self._update_buttons()
        self.run_progress.show_paused(epoch, batch)

    def _update_buttons(self) -> None:
        running = self.is_running
        paused = running and self._paused
        self.actions.set_running(running, paused)
        self.start_btn.setEnabled(not running)
        self.stop_btn.setEnabled(running)
        self.pause_btn.setVisible(not paused)
        self.pause_btn.setEnabled(running and not paused)
        self.resume_btn.setVisible(paused)
        self.form.setEnabled(not running)

    def code_trusted(self) -> None:
        """The project's code was just trusted: the last start's refusal to run it (banner,
        "Failed") no longer holds, so the panel is ready again."""
        if not self.is_running and HOW_TO_TRUST in self.banner.text():
            self.banner.hide()
            self.run_progress.clear()

    def confirm_close(self) -> bool:
        """Closing the window: ask whether to stop a running training; True if it may close.

        Training holds while the question is open (the user may be away from it for long):
        Cancel resumes it, unless it was paused before; yes stops it in order, recorded as
        stopped with the model trained so far."""
        if not self.is_running:
            return True
        was_paused = self._paused
        self.pause()
        if not self.ask(
            "Training is running",
            "Stop the training and close? The model trained so far is kept in the run folder.",
        ):
            if not was_paused and self.is_running:
                self.resume()
            return False
        self.shutdown()
        return True


def by_fold(batches: list[dict], epochs: list[dict]) -> list[tuple[list, list, dict | None]]:
    """The drained batch and epoch dicts cut where a k-fold run's next fold begins: (batches,
    epochs, the fold dict that follows them, or None for the last part)."""

    def cut(items: list[dict]) -> list[list[dict]]:
        parts: list[list[dict]] = [[]]
        for d in items:
            if d.get("kind") == "fold":
                parts.append([])
            else:
                parts[-1].append(d)
        return parts

    folds = [d for d in epochs if d.get("kind") == "fold"]
    return list(zip(cut(batches), cut(epochs), [*folds, None], strict=True))
