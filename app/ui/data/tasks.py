"""Work behind the data panel that needs no widgets: loading and checking (run in workers) and
the settings the project stores for what the panel shows."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data import SOURCES, DataConfig, Dataset, preview
from app.data.dataset import class_ids
from app.project import Project

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


def project_data(shown: DataConfig, project: Project) -> dict[str, Any]:
    """What the project should store for the settings the panel shows (plain data).

    The panel shows file paths resolved next to the project; a path the user did not change is
    stored as the project had it (relative paths stay relative, so project and data can move).
    """
    d = shown.to_dict()
    stored, resolved = project.data.to_dict(), project.data_config().to_dict()
    for key in ("options", "validation_source"):
        if d.get(key) == resolved.get(key):
            d[key] = stored.get(key)
    return d


def class_counts(ds: Dataset) -> dict[str, int]:
    """Training samples per class of the only target (tests and tooltips)."""
    name = next(iter(ds.class_names), None)
    if name is None or name not in ds.y:
        return {}
    ids = class_ids(ds.y[name])
    counts = np.bincount(ids, minlength=len(ds.class_names[name]))
    return dict(zip(ds.class_names[name], counts.tolist()))
