"""Export a trained model: .keras, .weights.h5, SavedModel (model.export) and TFLite."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from app.errors import LayerLoomError
from app.project.atomic import atomic_write_bytes
from app.training.runs import save_model_atomic


class ExportError(LayerLoomError):
    """A model could not be exported; the message says which format and why."""


def _why(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return (lines[0] if lines else type(exc).__name__)[:400]


def export_keras(model: Any, path: str | Path) -> Path:
    """The whole model as a .keras file, written atomically."""
    return _save(model, Path(path), ".keras", "A Keras model file", "The model")


def export_weights(model: Any, path: str | Path) -> Path:
    """Only the weights, as a .weights.h5 file, written atomically."""
    return _save(model, Path(path), ".weights.h5", "A weights file", "The weights")


def _save(model: Any, path: Path, ending: str, kind: str, what: str) -> Path:
    if not path.name.endswith(ending):
        raise ExportError(f"{kind} must end with {ending}, not '{path.name}'.", path=str(path))
    try:
        return save_model_atomic(model, path)
    except Exception as exc:
        raise ExportError(
            f"{what} could not be saved to {path}: {_why(exc)}", path=str(path)
        ) from exc


def export_saved_model(model: Any, directory: str | Path) -> Path:
    """A TensorFlow SavedModel (model.export) for serving; an existing folder is replaced only
    after the new export succeeded."""
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:6]}.tmp"
    try:
        model.export(str(tmp), format="tf_saved_model", verbose=False)
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(f"The SavedModel export failed: {_why(exc)}", path=str(target)) from exc
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.{uuid.uuid4().hex[:6]}.old"
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def export_tflite(model: Any, path: str | Path) -> Path:
    """A TensorFlow Lite flatbuffer converted from a SavedModel of the model, written atomically."""
    path = Path(path)
    if path.suffix != ".tflite":
        raise ExportError(
            f"A TFLite file must end with .tflite, not '{path.name}'.", path=str(path)
        )
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="layerloom_tflite_") as tmp:
        saved = export_saved_model(model, Path(tmp) / "saved_model")
        try:
            converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.TFLITE_BUILTINS,
                tf.lite.OpsSet.SELECT_TF_OPS,
            ]
            data = converter.convert()
        except Exception as exc:
            raise ExportError(
                f"TFLite conversion failed (some layers have no TFLite version): {_why(exc)}",
                path=str(path),
            ) from exc
    atomic_write_bytes(path, data)
    return path
