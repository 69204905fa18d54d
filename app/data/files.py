"""NumPy .npy/.npz files and folders of images (one sub-folder per class) as data sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset, class_ids
from app.data.image_folders import read_image_folder
from app.data.numpy_files import numpy_file_arrays, read_numpy_arrays
from app.data.source import SOURCES, DataSource, OptionSpec, ReaderCall


def npz_arrays(path: str | Path) -> dict[str, tuple[tuple[int, ...], str]]:
    """name -> (shape, dtype) of every array in an .npz / .npy file, from its headers only."""
    try:
        arrays = numpy_file_arrays(path)
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    return {name: (shape, str(dtype)) for name, (shape, dtype) in arrays.items()}


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise DataError(f"The {what} must be an array name or a list of names.")


def _npz_keys(path: str) -> list[str] | None:
    """The array names of an .npz file, or None when it cannot be read (yet)."""
    try:
        return list(numpy_file_arrays(path))
    except (ValueError, OSError):
        return None


class NumpySource(DataSource):
    """A .npz file (choose arrays for x / y and optional x_val / y_val) or .npy files."""

    id = "numpy"
    title = "NumPy arrays (.npz / .npy)"
    kind = "file"
    options = (
        OptionSpec("path", "path", "", help="An .npz file, or an .npy file holding x."),
        OptionSpec("x", "arrays", ["x"], help="Arrays used as inputs (named by their key)."),
        OptionSpec("y", "arrays", ["y"], help="Arrays used as targets."),
        OptionSpec("x_val", "arrays", [], help="Validation inputs in the same file (optional)."),
        OptionSpec("y_val", "arrays", [], help="Validation targets in the same file (optional)."),
        OptionSpec("y_path", "path", "", help="For .npy: a second .npy file with the targets."),
        OptionSpec("task", "choice", "auto", ("auto", "classification", "regression")),
        OptionSpec(
            "weights",
            "text",
            "",
            help="Array of per-sample loss weights (empty: every sample weighs 1).",
        ),
        OptionSpec(
            "weights_val",
            "text",
            "",
            help="Array of the validation samples' loss weights, with the sample weights and "
            "validation arrays (empty: every validation sample weighs 1).",
        ),
    )

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        path = str(self.option(options, "path") or "")
        weights = str(self.option(options, "weights") or "").strip()
        weights_val = str(self.option(options, "weights_val") or "").strip()
        if weights:  # only then: scripts without weights stay as they were
            return _weighted(self._reader(options, path), weights, weights_val)
        if weights_val:
            raise DataError(
                "Validation sample weights are used with sample weights of the training "
                "samples; choose those too."
            )
        return self._reader(options, path)

    def _reader(self, options: dict[str, Any], path: str) -> ReaderCall:
        if not path:
            raise DataError("Choose a NumPy file in the data settings.")
        y_path = str(self.option(options, "y_path") or "")
        with_targets = {"y_path": y_path} if y_path else {}
        if path.endswith(".npy"):
            kwargs = {"path": path, **with_targets}
            return ReaderCall(read_numpy_arrays, kwargs, ("x",), ("y",) if y_path else ())
        x = _names(self.option(options, "x"), "input arrays")
        # Targets left at their default are read only when the file has them (see y=None).
        y = None if options.get("y") is None else _names(options["y"], "target arrays")
        kwargs = {
            "path": path,
            "x": x,
            "y": y,
            "x_val": _names(self.option(options, "x_val"), "validation inputs"),
            "y_val": _names(self.option(options, "y_val"), "validation targets"),
            **with_targets,
        }
        if y is None:
            keys = _npz_keys(path)
            y_names = ["y"] if keys is None or "y" in keys else []
        else:
            y_names = y
        has_validation = bool(kwargs["x_val"])
        return ReaderCall(read_numpy_arrays, kwargs, tuple(x), tuple(y_names), has_validation)

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        arrays = self.reader(options).run()
        y, y_val = arrays["y"], arrays["y_val"]
        task = self.option(options, "task")
        class_names: dict[str, list[str]] = {}
        if task in ("auto", "classification"):
            for k, v in y.items():
                n = _class_count(v, (y_val or {}).get(k), strict=task == "classification")
                if n:
                    class_names[k] = [str(i) for i in range(n)]
            task = "classification" if class_names else ("regression" if y else "reconstruction")
        title = Path(self.option(options, "path")).name
        return Dataset(**arrays, task=task, class_names=class_names, title=title)


def _weighted(call: ReaderCall, weights: str, weights_val: str = "") -> ReaderCall:
    """The same reader call, also reading the array of sample weights (and of the validation
    samples' weights)."""
    extra = {"weights_val": weights_val} if weights_val else {}
    return ReaderCall(
        call.function,
        {**call.kwargs, "weights": weights, **extra},
        call.x_names,
        call.y_names,
        call.has_validation,
    )


def _class_count(y: np.ndarray, y_val: np.ndarray | None, strict: bool) -> int:
    """Number of classes of integer / one-hot targets; 0 when they do not look like classes."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.shape[1] if strict or set(np.unique(y).tolist()) <= {0, 1} else 0
    if not strict and not np.issubdtype(y.dtype, np.integer):
        return 0
    top = -1
    for arr in (y, y_val):
        ids = None if arr is None else class_ids(arr)
        if ids is not None and len(ids):
            if ids.min() < 0:
                return 0
            top = max(top, int(ids.max()))
    return top + 1


class ImageFolderSource(DataSource):
    """A folder with one sub-folder of images per class (keras image_dataset_from_directory)."""

    id = "image_folder"
    title = "Image folder (one sub-folder per class)"
    kind = "file"
    reads_quickly = False
    options = (
        OptionSpec("path", "dir", "", help="Folder whose sub-folders are the classes."),
        OptionSpec("image_size", "text", [64, 64], help="Images are resized to height x width."),
        OptionSpec("color_mode", "choice", "rgb", ("rgb", "grayscale", "rgba")),
        OptionSpec("scale", "bool", True, help="Divide pixel values by 255."),
        OptionSpec("max_images", "int", 50000, help="Refuse folders with more images."),
    )

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        size = self.option(options, "image_size")
        if not (
            isinstance(size, list | tuple)
            and len(size) == 2
            and all(isinstance(s, int) and s > 0 for s in size)
        ):
            raise DataError("The image size must be two whole numbers: height and width.")
        kwargs = {
            "path": str(self.option(options, "path") or ""),
            "image_size": list(size),
            "color_mode": self.option(options, "color_mode"),
            "scale": bool(self.option(options, "scale")),
            "max_images": int(self.option(options, "max_images")),
        }
        return ReaderCall(read_image_folder, kwargs)

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        arrays = self.reader(options).run()
        count = len(arrays["y"]["y"])
        name = Path(self.option(options, "path")).name
        return Dataset(**arrays, title=f"{name} ({count} images)")


SOURCES.register(NumpySource())
SOURCES.register(ImageFolderSource())
