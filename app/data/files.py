"""NumPy .npy/.npz files and folders of images (one sub-folder per class)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset, class_ids
from app.data.source import SOURCES, DataSource, OptionSpec


def npz_arrays(path: str | Path) -> dict[str, tuple[tuple[int, ...], str]]:
    """name -> (shape, dtype) of every array in an .npz / .npy file, without pickles."""
    data = _open(path)
    if isinstance(data, np.ndarray):
        return {Path(path).stem: (data.shape, str(data.dtype))}
    with data:
        return {k: (data[k].shape, str(data[k].dtype)) for k in data.files}


def _open(path: str | Path):
    p = Path(path)
    if not p.is_file():
        raise DataError(f"The NumPy file {p} does not exist.")
    try:
        return np.load(p, allow_pickle=False)  # pickles could run code: never allowed
    except ValueError as exc:
        raise DataError(
            f"{p.name} holds Python objects (pickles), which LayerLoom does not "
            f"load for safety. Save plain numeric arrays instead."
        ) from exc
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{p.name} is not a readable NumPy file: {exc}") from exc


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise DataError(f"The {what} must be an array name or a list of names.")


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
    )

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        path = self.option(options, "path")
        if not path:
            raise DataError("Choose a NumPy file in the data settings.")
        data = _open(path)
        if isinstance(data, np.ndarray):
            x = {"x": data}
            y = {}
            if self.option(options, "y_path"):
                yd = _open(self.option(options, "y_path"))
                if not isinstance(yd, np.ndarray):
                    raise DataError("The targets file must be an .npy file.")
                y = {"y": yd}
            x_val = y_val = None
        else:
            with data:
                keys = list(data.files)

                def pick(names: list[str]) -> dict[str, np.ndarray]:
                    missing = [n for n in names if n not in keys]
                    if missing:
                        raise DataError(
                            f"{Path(path).name} has no array '{missing[0]}'. "
                            f"Its arrays: {', '.join(keys)}."
                        )
                    return {n: data[n] for n in names}

                x = pick(_names(self.option(options, "x"), "input arrays"))
                ynames = _names(self.option(options, "y"), "target arrays")
                # The default target name "y" is optional: without it the data is unlabelled.
                y = pick([n for n in ynames if n in keys or options.get("y")])
                # Validation arrays are listed in the same order and take the training names.
                x_val = _rename(
                    pick(_names(self.option(options, "x_val"), "validation inputs")),
                    list(x),
                    "validation inputs",
                )
                y_val = _rename(
                    pick(_names(self.option(options, "y_val"), "validation targets")),
                    list(y),
                    "validation targets",
                )
        for arrays in (x, y, x_val or {}, y_val or {}):
            for k, v in arrays.items():
                if not (np.issubdtype(v.dtype, np.number) or v.dtype == bool):
                    raise DataError(
                        f"Array '{k}' has dtype {v.dtype}; only numbers can train a model."
                    )
        task = self.option(options, "task")
        class_names: dict[str, list[str]] = {}
        if task in ("auto", "classification"):
            for k, v in y.items():
                n = _class_count(v, (y_val or {}).get(k), strict=task == "classification")
                if n:
                    class_names[k] = [str(i) for i in range(n)]
            task = "classification" if class_names else ("regression" if y else "reconstruction")
        return Dataset(
            x=x,
            y=y,
            x_val=x_val,
            y_val=y_val,
            task=task,
            class_names=class_names,
            title=Path(path).name,
        )


def _rename(arrays: dict[str, np.ndarray], names: list[str], what: str):
    if not arrays:
        return None
    if len(arrays) != len(names):
        raise DataError(
            f"Choose as many {what} as training arrays ({len(names)}), in the same order."
        )
    return dict(zip(names, arrays.values()))


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
    options = (
        OptionSpec("path", "dir", "", help="Folder whose sub-folders are the classes."),
        OptionSpec("image_size", "text", [64, 64], help="Images are resized to height x width."),
        OptionSpec("color_mode", "choice", "rgb", ("rgb", "grayscale", "rgba")),
        OptionSpec("scale", "bool", True, help="Divide pixel values by 255."),
        OptionSpec("max_images", "int", 50000, help="Refuse folders with more images."),
    )

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        path = Path(self.option(options, "path") or "")
        if not str(path) or not path.is_dir():
            raise DataError(f"The image folder '{path}' does not exist.")
        size = self.option(options, "image_size")
        if not (
            isinstance(size, list | tuple)
            and len(size) == 2
            and all(isinstance(s, int) and s > 0 for s in size)
        ):
            raise DataError("The image size must be two whole numbers: height and width.")
        import keras

        try:
            ds = keras.utils.image_dataset_from_directory(
                str(path),
                labels="inferred",
                label_mode="int",
                batch_size=None,
                image_size=tuple(size),
                color_mode=self.option(options, "color_mode"),
                shuffle=False,
                verbose=False,
            )
        except (ValueError, OSError) as exc:
            raise DataError(f"Images in '{path}' could not be read: {exc}") from exc
        count = int(ds.cardinality())
        if count > int(self.option(options, "max_images")):
            raise DataError(
                f"'{path}' has {count} images, more than the limit of "
                f"{self.option(options, 'max_images')} that fit in memory."
            )
        images, labels = [], []
        try:
            for img, lab in ds.as_numpy_iterator():
                images.append(img)
                labels.append(lab)
        except Exception as exc:  # a corrupt image file surfaces here
            raise DataError(f"An image in '{path}' could not be decoded: {exc}") from exc
        x = np.stack(images).astype(np.float32)
        notes = []
        if self.option(options, "scale"):
            x /= 255.0
            notes.append("Pixel values scaled from 0..255 to 0..1.")
        return Dataset(
            x={"x": x},
            y={"y": np.asarray(labels, dtype=np.int64)},
            task="classification",
            class_names={"y": list(ds.class_names)},
            title=f"{path.name} ({count} images)",
            notes=notes,
        )


SOURCES.register(NumpySource())
SOURCES.register(ImageFolderSource())
