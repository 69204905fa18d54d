"""Undoable edits of a Project's settings. `command.apply(project)` changes it and returns the inverse.

Like app.model.commands: the UI wraps these in QUndoCommands on the document's one undo stack,
headless code applies them directly. Builders (`set_data`, `set_training`, `set_output_training`,
`set_losses`) check the new settings first, so a command that is built applies. A settings
command replaces the whole settings object, so its inverse is exact and two consecutive edits of
one field merge by keeping the first inverse and the last command (`merge_key` says which).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.model.commands import Command
from app.project.events import CODE_CHANGED, DATA_CHANGED, TRAINING_CHANGED, ProjectEvent
from app.project.project import Project
from app.project.project_code import CodeEntry, check_entry
from app.project.settings import DataSettings, SettingsError, TrainingSettings


class ProjectCommand:
    """Base class: `apply` changes the project and returns the command that undoes it."""

    description = "Change settings"
    merge_key: str | None = None  # consecutive commands with the same key are one undo step

    def apply(self, project: Project) -> ProjectCommand:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class SetDataSettings(ProjectCommand):
    """Replace the project's data settings."""

    settings: DataSettings
    description: str = "Change data settings"
    merge_key: str | None = None

    def apply(self, project: Project) -> ProjectCommand:
        old = project.data
        project.data = copy.deepcopy(self.settings)
        project.events.emit(ProjectEvent(DATA_CHANGED))
        return SetDataSettings(old, self.description, self.merge_key)


@dataclass
class SetTrainingSettings(ProjectCommand):
    """Replace the project's training settings (losses, metrics, weights per output included)."""

    settings: TrainingSettings
    description: str = "Change training settings"
    merge_key: str | None = None

    def apply(self, project: Project) -> ProjectCommand:
        old = project.training
        project.training = copy.deepcopy(self.settings)
        project.events.emit(ProjectEvent(TRAINING_CHANGED))
        return SetTrainingSettings(old, self.description, self.merge_key)


@dataclass
class SetProjectCode(ProjectCommand):
    """Replace the project's code entries (add, replace and remove build one of these)."""

    entries: list[CodeEntry]
    description: str = "Change project code"
    merge_key: str | None = None

    def apply(self, project: Project) -> ProjectCommand:
        old = list(project.code)
        project.code = list(self.entries)
        project.events.emit(ProjectEvent(CODE_CHANGED))
        return SetProjectCode(old, self.description, self.merge_key)


@dataclass
class EditGraph(ProjectCommand):
    """A model command on the project's top-level graph, as part of a project edit."""

    command: Command

    @property
    def description(self) -> str:  # type: ignore[override]
        return self.command.description

    def apply(self, project: Project) -> ProjectCommand:
        return EditGraph(self.command.apply(project.graph))


@dataclass
class ProjectCompound(ProjectCommand):
    """Several project commands applied as one undo step; all or nothing."""

    commands: list[ProjectCommand] = field(default_factory=list)
    description: str = "Change settings"

    def apply(self, project: Project) -> ProjectCommand:
        inverses: list[ProjectCommand] = []
        try:
            for cmd in self.commands:
                inverses.append(cmd.apply(project))
        except Exception:
            for inv in reversed(inverses):
                inv.apply(project)
            raise
        return ProjectCompound(list(reversed(inverses)), description=self.description)


# ----- builders -------------------------------------------------------------------------------


def set_data(
    project: Project,
    settings: Mapping[str, Any] | None = None,
    *,
    merge_key: str | None = None,
    description: str = "Change data settings",
    **changes: Any,
) -> SetDataSettings:
    """A SetDataSettings from whole settings (DataConfig plain data) and/or field changes.

    Keys the project keeps but this LayerLoom does not know survive; SettingsError on bad values.
    """
    base = project.data.to_dict()
    new = dict(settings) if settings is not None else base
    merged = DataSettings.from_dict({**project.data.extra, **new, **changes})
    return SetDataSettings(merged, description, merge_key)


def set_training(
    project: Project,
    settings: Mapping[str, Any] | None = None,
    *,
    merge_key: str | None = None,
    description: str = "Change training settings",
    **changes: Any,
) -> SetTrainingSettings:
    """A SetTrainingSettings from whole settings (TrainingConfig plain data) and/or changes.

    Keys the project keeps but this LayerLoom does not know survive; SettingsError on bad values.
    """
    base = project.training.to_dict()
    new = dict(settings) if settings is not None else base
    merged = TrainingSettings.from_dict({**project.training.extra, **new, **changes})
    return SetTrainingSettings(merged, description, merge_key)


def set_output_training(
    project: Project,
    output: str,
    *,
    loss: str | None = None,
    loss_weight: float | None = None,
    metrics: list[str] | None = None,
    weighted_metrics: list[str] | None = None,
    class_weight: dict[str, float] | None = None,
) -> SetTrainingSettings:
    """Change what one model output trains with; None keeps a value.

    `loss` "auto" or "" forgets the output's loss (a default is picked when compiling);
    `class_weight` {} forgets its class weights.
    """
    d = project.training.to_dict()
    if loss is not None:
        d["losses"] = _set_or_drop(d.get("losses"), output, loss if loss != "auto" else "")
    if loss_weight is not None:
        d["loss_weights"] = {**(d.get("loss_weights") or {}), output: float(loss_weight)}
    if metrics is not None:
        d["metrics"] = _set_or_drop(d.get("metrics"), output, list(metrics))
    if weighted_metrics is not None:
        d["weighted_metrics"] = _set_or_drop(
            d.get("weighted_metrics"), output, list(weighted_metrics)
        )
    if class_weight is not None:
        current = d.get("class_weight") or {}
        by_output = current if all(isinstance(v, dict) for v in current.values()) else {}
        d["class_weight"] = _set_or_drop(by_output, output, dict(class_weight)) or None
    return set_training(project, d, merge_key=f"output:{output}", description="Change the output")


def set_devices(project: Project, devices: str) -> SetTrainingSettings:
    """Train on this CPU ("cpu"), one GPU ("gpu") or all GPUs ("all", MirroredStrategy)."""
    return set_training(project, devices=devices, description="Change training devices")


def set_losses(project: Project, losses: dict[str, str]) -> SetTrainingSettings:
    """Set the loss of the named outputs, keeping the others'."""
    current = dict(project.training.losses)
    return set_training(project, losses={**current, **losses}, description="Set losses")


def fit_model_to_data(
    project: Project, graph_command: Command | None, losses: dict[str, str]
) -> ProjectCompound:
    """ "Fit model to data" as one undo step: Input shapes / output layers and their losses."""
    parts: list[ProjectCommand] = []
    if graph_command is not None:
        parts.append(EditGraph(graph_command))
    if losses:
        parts.append(set_losses(project, losses))
    return ProjectCompound(parts, description="Fit model to data")


def add_code(project: Project, entry: CodeEntry) -> SetProjectCode:
    """Add a code entry (SettingsError if its kind or name is bad or already taken)."""
    check_entry(entry, project.code)
    return SetProjectCode([*project.code, entry], f"Add {entry.label}")


def replace_code(project: Project, name: str, entry: CodeEntry) -> SetProjectCode:
    """Replace the entry named `name` by `entry` (new code, maybe a new name), in place."""
    others = [e for e in project.code if e.name != name]
    if len(others) == len(project.code):
        raise SettingsError(f"The project has no code named '{name}'.")
    check_entry(entry, others)
    entries = [entry if e.name == name else e for e in project.code]
    return SetProjectCode(entries, f"Edit {entry.label}")


def remove_code(project: Project, name: str) -> SetProjectCode:
    """Remove the entry named `name`."""
    entries = [e for e in project.code if e.name != name]
    if len(entries) == len(project.code):
        raise SettingsError(f"The project has no code named '{name}'.")
    return SetProjectCode(entries, f"Remove code '{name}'")


def _set_or_drop(mapping: Any, key: str, value: Any) -> dict[str, Any]:
    out = dict(mapping or {})
    if value in ("", [], {}, None):
        out.pop(key, None)
    else:
        out[key] = value
    return out
