"""Export a trained model: .keras, .weights.h5, SavedModel (model.export), TFLite and ONNX.

EXPORT_FORMATS at the end is the one table of formats: File > Export and `layerloom export` read
their keys, file names and writers from it.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import LayerLoomError
from app.project.atomic import atomic_write_bytes, replace_folder, restore_folder, temp_name
from app.training.runs import save_model_atomic


class ExportError(LayerLoomError):
    """A model could not be exported; the message says which format and why."""


def _why(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return (lines[0] if lines else type(exc).__name__)[:400]


def build_for_export(graph: Any) -> Any:
    """The model of `graph`, freshly built, for an export of its untrained weights.

    ExportError (nothing built) if a preprocessing layer has not learned its state yet
    (TextVectorization, a lookup, Normalization, Discretization: adapt() learns it from the
    training data when the model trains): Keras cannot load a lookup without a vocabulary, and
    an unadapted Normalization or Discretization would pass data on unchanged or unsorted."""
    from app.compiler import build_model
    from app.compiler.layer_state import nodes_to_adapt
    from app.nodes import REGISTRY
    from app.nodes.learned_state import state_words

    waiting = nodes_to_adapt(graph)
    if waiting:
        first, more = waiting[0], len(waiting) - 1
        spec = REGISTRY.get(first.spec_id)
        layer = first.spec_id.rsplit(".", 1)[-1]
        others = f", nor have {more} more preprocessing layers" if more else ""
        raise ExportError(
            f"'{first.name}' ({layer}) has no {state_words(spec)} yet{others}: "
            f"{'they learn theirs' if more else 'it learns it'} from the training data when "
            "the model trains, and a model built without it cannot be exported. Export a "
            "trained model (File > Export > Trained model; layerloom export --run), or adapt "
            "the layer first (Adapt now in the inspector).",
            node_id=first.id,
        )
    return build_model(graph)


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
    """A TensorFlow SavedModel (model.export) for serving. An existing folder is replaced only
    after the new export succeeded, and kept until the new one is in place; if a crash left
    the previous export aside (the target missing), it is put back first."""
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    restore_folder(target, before=time.time())
    tmp = temp_name(target)
    try:
        model.export(str(tmp), format="tf_saved_model", verbose=False)
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(f"The SavedModel export failed: {_why(exc)}", path=str(target)) from exc
    try:
        replace_folder(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(
            f"The SavedModel could not be put in place at {target}: {exc.strerror or exc}.",
            path=str(target),
        ) from exc
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
    if any(str(t.dtype) == "string" for t in model.inputs):
        _check_text_tflite(data, path)
    atomic_write_bytes(path, data)
    return path


def _check_text_tflite(data: bytes, path: Path) -> None:
    """ExportError in words when TensorFlow Lite cannot run a model that takes text.

    Text layers (TextVectorization, StringLookup) convert only as TensorFlow ops ("Flex" ops),
    which a TensorFlow Lite interpreter runs only with the Flex delegate linked in; the
    interpreter here says so when it prepares the model.
    """
    import re

    import tensorflow as tf

    try:
        runner = tf.lite.Interpreter(model_content=data).get_signature_runner()
        sample = {}
        for name, detail in runner.get_input_details().items():
            shape = [1 if d < 0 else int(d) for d in detail["shape_signature"]]
            text = detail["dtype"] in (np.bytes_, np.object_, np.str_)
            sample[name] = (
                np.full(shape, b"", dtype=object) if text else np.zeros(shape, detail["dtype"])
            )
        runner(**sample)
    except (RuntimeError, ValueError) as exc:
        ops = sorted(set(re.findall(r"Flex(\w+)", str(exc))))
        named = f" ({', '.join(ops)})" if ops else ""
        raise ExportError(
            "This model takes text, and TensorFlow Lite runs its text layers only as "
            f"TensorFlow ops{named} with the Flex delegate (select-tf-ops) linked into the "
            "app that runs it; a plain TFLite interpreter cannot. The file was not written. "
            "Export .keras or a SavedModel instead: both take raw strings.",
            path=str(path),
        ) from None


ONNX_INSTALL = "pip install 'layerloom[onnx]'"


def onnx_missing() -> str | None:
    """Why ONNX export cannot run here (its packages are not installed), or None when it can."""
    missing = [name for name in ("tf2onnx", "onnx") if not _installed(name)]
    if not missing:
        return None
    return f"ONNX export needs {' and '.join(missing)}, not installed here: {ONNX_INSTALL}"


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a broken install, or sys.modules[name] is None
        return False


def export_onnx(model: Any, path: str | Path) -> Path:
    """An ONNX model converted by tf2onnx, written atomically (app/training/export_onnx.py)."""
    from app.training.export_onnx import write_onnx

    return write_onnx(model, path)


@dataclass(frozen=True)
class ExportFormat:
    """One way to write a model: its key, its name, what its output is called, its writer.

    `suffix` is the file ending (".weights.h5" counts as one); a `folder` format has none.
    `missing` says why the format cannot be written here (an optional package not installed),
    or returns None when it can.
    """

    key: str
    label: str
    suffix: str
    file_filter: str
    write: Callable[[Any, Path], Path]
    folder: bool = False
    missing: Callable[[], str | None] = lambda: None

    def matches(self, path: str | Path) -> bool:
        """True if `path` is named as this format's output (any name for a folder format)."""
        return self.folder or Path(path).name.lower().endswith(self.suffix)

    def named(self, path: str | Path) -> Path:
        """`path`, with this format's suffix added when it lacks it."""
        p = Path(path)
        return p if self.matches(p) else p.with_name(p.name + self.suffix)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("keras", "Keras model", ".keras", "Keras models (*.keras)", export_keras),
        ExportFormat(
            "weights",
            "Keras weights",
            ".weights.h5",
            "Keras weights (*.weights.h5)",
            export_weights,
        ),
        ExportFormat(
            "saved_model",
            "TensorFlow SavedModel",
            "",
            "SavedModel folder (*)",
            export_saved_model,
            folder=True,
        ),
        ExportFormat(
            "tflite", "TensorFlow Lite", ".tflite", "TFLite models (*.tflite)", export_tflite
        ),
        ExportFormat(
            "onnx", "ONNX", ".onnx", "ONNX models (*.onnx)", export_onnx, missing=onnx_missing
        ),
    )
}


def format_for(path: str | Path) -> ExportFormat | None:
    """The format an output's name says: its file ending, else a folder format for a folder or
    a name without an ending; None when the name fits no format."""
    p = Path(path)
    files = [f for f in EXPORT_FORMATS.values() if not f.folder]
    # The longest ending first: "m.weights.h5" is weights, not some ".h5" format.
    for fmt in sorted(files, key=lambda f: -len(f.suffix)):
        if fmt.matches(p):
            return fmt
    if p.is_dir() or not p.suffix:
        return next((f for f in EXPORT_FORMATS.values() if f.folder), None)
    return None
