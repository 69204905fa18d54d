"""Work behind the data panel that needs no widgets: loading and checking (run in workers),
the undoable loss change, and storing the settings in the project."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QUndoCommand

from app.data import SOURCES, DataConfig, Dataset, preview
from app.data.dataset import class_ids
from app.ui.data.fit_model import set_training_losses, training_losses

PREVIEW_SAMPLES = 24


def load_task(config: DataConfig, graph_copy) -> tuple[Dataset, dict]:
    """Worker body: build the model when the source needs it, load and describe the dataset."""
    from app.data import load_dataset

    model = None
    if SOURCES[config.source].needs_model:
        from app.compiler import build_model

        model = build_model(graph_copy)
    ds = load_dataset(config, model)
    return ds, preview(ds, PREVIEW_SAMPLES)


def compat_task(graph_copy, dataset: Dataset, config: DataConfig, losses: dict) -> list[str]:
    """Worker body: build the model and list every mismatch with the data in words."""
    from app.compiler import build_model
    from app.data import check_compatibility
    from app.errors import LayerLoomError

    try:
        model = build_model(graph_copy)
    except LayerLoomError as exc:
        return [f"The model cannot be built yet, so the data was not checked: {exc.message}"]
    return check_compatibility(model, dataset, config.input_map, config.output_map, losses)


class LossesCommand(QUndoCommand):
    """Sets the per-output losses of the training settings (part of 'Fit model to data')."""

    def __init__(self, project, losses: dict[str, str], on_change) -> None:
        super().__init__("Set losses")
        self.project, self.new, self.on_change = project, dict(losses), on_change
        self.old = dict(training_losses(project))

    def redo(self) -> None:
        set_training_losses(self.project, {**self.old, **self.new})
        self.on_change()

    def undo(self) -> None:
        set_training_losses(self.project, self.old)
        self.on_change()


def plain(data: Any) -> Any:
    """Plain data of a settings object (or the data itself)."""
    return data.to_dict() if hasattr(data, "to_dict") else data


def store(project, cfg: DataConfig) -> None:
    """Write the settings into project.data, keeping the project's own settings class."""
    kind = type(project.data)
    d = cfg.to_dict()
    project.data = cfg if kind is DataConfig else kind.from_dict(d)


def class_counts(ds: Dataset) -> dict[str, int]:
    """Training samples per class of the only target (tests and tooltips)."""
    name = next(iter(ds.class_names), None)
    if name is None or name not in ds.y:
        return {}
    ids = class_ids(ds.y[name])
    counts = np.bincount(ids, minlength=len(ds.class_names[name]))
    return dict(zip(ds.class_names[name], counts.tolist()))


def resolved_config(document) -> Any:
    """The document's data settings with relative file paths made absolute (next to the
    project file, or next to the bundled example an unsaved example copy came from)."""
    project = document.project
    resolve = getattr(project, "data_config", None)
    return resolve() if resolve is not None else project.data
