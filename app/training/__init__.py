"""Training: callbacks, the Trainer, run records, evaluation and export (no Qt).

Importing this package does not import Keras; the names that need it load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from app.training.runs import delete_run, list_runs, load_run

_LAZY = {
    "Trainer": "app.training.trainer",
    "release_memory": "app.training.trainer",
    "compile_model": "app.training.compile",
    "make_callbacks": "app.training.callbacks",
    "evaluate": "app.training.evaluate",
    "confusion_matrix": "app.training.evaluate",
    "per_class_report": "app.training.evaluate",
    "prediction_preview": "app.training.evaluate",
    "classification_report": "app.training.evaluate",
    "reconstructions": "app.training.evaluate",
    "ExportError": "app.training.export",
    "export_keras": "app.training.export",
    "export_weights": "app.training.export",
    "export_saved_model": "app.training.export",
    "export_tflite": "app.training.export",
    "train_project": "app.training.headless",
}

__all__ = [
    "delete_run",
    "list_runs",
    "load_run",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'app.training' has no attribute {name!r}")
