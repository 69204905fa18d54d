"""The training panel's past runs: what the Runs tab lists, and its overlay, re-run and delete."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import LayerLoomError
from app.project.commands import set_training
from app.project.settings import SettingsError
from app.ui.keras_loader import keras_for_gui
from app.ui.undo import push

if TYPE_CHECKING:
    from app.ui.training.panel import TrainingPanel


class RunList:
    """Fills the panel's RunsTable from the project and carries out what its rows ask for."""

    def __init__(self, panel: TrainingPanel) -> None:
        self.panel = panel
        table = panel.runs
        table.open_requested.connect(panel.open_model_requested)
        table.rerun_requested.connect(self.rerun)
        table.overlay_requested.connect(self.overlay)
        table.delete_requested.connect(self.delete)

    def refresh(self) -> None:
        """The Runs tab: the project's runs (recorded, and found in its runs folder)."""
        panel = self.panel
        if panel.document is None:
            return
        records = panel.document.project.run_records()
        panel.runs.refresh(panel.runs_dir(), records=records[::-1])  # newest first

    def overlay(self, paths: list[str]) -> None:
        """Draw the runs' histories over the live plots and show them; the folds of a k-fold
        group thin, one colour each, with their mean curve."""
        from app.project.runs import read_history

        records = {r.path: r for r in self.panel.runs.runs}
        groups: dict[str, list[str]] = {}
        for p in paths:
            rec = records.get(p)
            if rec is not None and rec.group is not None:
                groups.setdefault(rec.group, []).append(p)
                continue
            rows = read_history(p)
            if rows:
                self.panel.plots.overlay_run(Path(p).name.split("_")[-1], rows)
        for group, fold_paths in groups.items():
            fold_paths.sort(key=lambda p: records[p].fold)
            histories = [read_history(p) for p in fold_paths]
            self.panel.plots.overlay_folds(group, [h for h in histories if h])
        self.panel.tabs.setCurrentWidget(self.panel.plots)

    def rerun(self, path: str) -> None:
        """Apply a run's training settings (undoable) and start training."""
        panel = self.panel
        try:  # app.training.trainer imports Keras: never alongside the start-up import
            keras_for_gui()
        except LayerLoomError as exc:
            panel.show_error("Re-run", exc.message)
            return
        from app.training.trainer import snapshot

        try:
            snap = snapshot(path)
        except (OSError, ValueError) as exc:
            panel.show_error("Re-run", f"The run's settings cannot be read: {exc}")
            return
        project = panel.document.project
        try:
            command = set_training(
                project, snap.get("training") or {}, description="Use the settings of a run"
            )
        except SettingsError as exc:
            panel.show_error("Re-run", f"The run's settings cannot be used: {exc.message}")
            return
        if command.settings.to_dict() != project.training.to_dict():
            push(panel.document.undo_stack, project, command)  # the form follows its event
        panel.start(epochs=snap.get("epochs"))

    def delete(self, paths: list[str]) -> None:
        """Delete the run folders (after asking) and forget their records."""
        from app.training.runs import delete_run

        panel = self.panel
        if not paths or not panel.ask(
            "Delete runs",
            f"Delete {len(paths)} run folder"
            f"{'s' * (len(paths) != 1)} and the models in "
            f"{'them' if len(paths) != 1 else 'it'}?",
        ):
            return
        project = panel.document.project if panel.document is not None else None
        for p in paths:
            rec = next((r for r in panel.runs.runs if r.path == p), None)
            try:
                delete_run(p)
                if rec is not None and project is not None:
                    project.remove_run(rec.id)
            except Exception as exc:
                panel.show_error("Delete run", str(getattr(exc, "message", exc)))
        self.refresh()
