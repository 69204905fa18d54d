"""One sample from a file, prepared as the project's training samples are: an image, a CSV row,
a text.

`file_sample(path, dataset, config, row)` gives a one-sample Dataset whose arrays have the names,
shapes and scaling of the project's training arrays (`dataset`, loaded with the data settings
`config`); `sample_inputs_from(model, sample)` turns it into the model's inputs.

- An image (PNG, JPEG, BMP, GIF) fills the one image array of the data: decoded with as many
  channels as it has (grey or colour converted), resized (bilinear, as Keras' image folders are)
  to its height and width, and scaled as the data source scales its pixels (0..1 when the
  source's "scale" option is on, else its own range: 0..16 for the digits, 0..255 for others;
  without such an option, the range the training images hold: 0..1 or 0..255).
- A CSV row, for projects whose data is a CSV file: the file needs the project's feature columns
  (the target is not needed); the row is encoded with the training file's columns (the same
  categories, a missing number the training mean), as `read_csv_table` encodes training rows.
- A text file fills the one text (string) array of the data.

Then the settings' normalisation (`Dataset.input_scaling`) applies. Every refusal is a
FileSampleError saying what does not fit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from app.data.compat import fit_arrays
from app.data.dataset import DataConfig, Dataset
from app.errors import LayerLoomError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
TEXT_SUFFIXES = (".txt", ".text", ".md")
MAX_FILE_BYTES = 64 * 1024 * 1024


class FileSampleError(LayerLoomError):
    """A file that cannot be a sample for this project, said plainly."""


def file_kind(path: str | Path) -> str:
    """ "image", "csv" or "text" by the file's name."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in (".csv", ".tsv"):
        return "csv"
    return "text"


def file_sample(path: str | Path, dataset: Dataset, config: DataConfig, row: int = 0) -> Dataset:
    """The file as one sample shaped and scaled like `dataset`'s training arrays."""
    p = Path(path)
    if not p.is_file():
        raise FileSampleError(f"{p} is not a file.")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise FileSampleError(f"{p.name} is larger than {MAX_FILE_BYTES >> 20} MB.")
    kind = file_kind(p)
    if kind == "image":
        x = _image(p, dataset, config)
    elif kind == "csv":
        x = _csv_row(p, dataset, config, row)
    else:
        x = _text(p, dataset)
    for name, (shift, scale) in dataset.input_scaling.items():
        if name in x:
            x[name] = ((x[name] - shift) / scale).astype(np.float32)
    return Dataset(x=x, task=dataset.task, class_names=dataset.class_names)


def sample_inputs_from(model: Any, sample: Dataset) -> Any:
    """The model's inputs for a one-sample Dataset (names mapped as for training)."""
    inputs, _, _ = fit_arrays(model, sample, None, None, set(model.output_names))
    return inputs


# ----- images ----------------------------------------------------------------------------------
def _only(arrays: dict[str, np.ndarray], fits, what: str, other: str) -> str:
    names = [k for k, v in arrays.items() if fits(v)]
    if len(names) == 1 and len(arrays) == 1:
        return names[0]
    if not names:
        raise FileSampleError(f"The project's data has no {what}; {other}.")
    raise FileSampleError(
        f"The model takes {len(arrays)} inputs ({', '.join(arrays)}); a file fills only one "
        f"{what}. Use a CSV row or a sample from the project's data."
    )


def pixel_range(config: DataConfig, dataset: Dataset, name: str) -> float:
    """The top pixel value of the data's images. A source with a "scale" option (image folders,
    Keras datasets, the digits) gives 1 when it scales, else its own range (16 for the digits,
    255 for others); for other sources (NumPy files) the training images' own top value, before
    the normalisation: 1 when they hold 0..1, 255 when 0..255."""
    from app.data.source import SOURCES

    source = SOURCES[config.source] if config.source in SOURCES else None
    if source is not None and any(o.name == "scale" for o in source.options):
        if source.option(config.options, "scale"):
            return 1.0
        return 16.0 if config.source.startswith("sklearn.digits") else 255.0
    raw = dataset.x[name].astype(np.float64)
    if name in dataset.input_scaling:
        shift, scale = dataset.input_scaling[name]
        raw = raw * scale + shift
    top = float(np.max(raw)) if raw.size else 1.0
    return 1.0 if top <= 1.0 + 1e-6 else 255.0 if top <= 255.0 + 1e-6 else top


def _image(path: Path, dataset: Dataset, config: DataConfig) -> dict[str, np.ndarray]:
    import tensorflow as tf

    def is_image(v: np.ndarray) -> bool:
        return v.ndim in (3, 4) and np.issubdtype(v.dtype, np.number)

    name = _only(dataset.x, is_image, "image input", "choose a CSV row or a text file instead")
    like = dataset.x[name]
    height, width = like.shape[1:3]
    channels = like.shape[3] if like.ndim == 4 else 1
    if channels not in (1, 3, 4):
        raise FileSampleError(
            f"The data's images have {channels} channels; an image file gives 1, 3 or 4."
        )
    try:
        img = tf.io.decode_image(tf.io.read_file(str(path)), channels, expand_animations=False)
    except (tf.errors.OpError, OSError) as exc:
        raise FileSampleError(f"{path.name} cannot be read as an image.") from exc
    img = tf.image.resize(tf.cast(img, tf.float32), (height, width), method="bilinear")
    x = np.asarray(img, dtype=np.float32) * (pixel_range(config, dataset, name) / 255.0)
    if like.ndim == 3:
        x = x[..., 0]
    return {name: x[None].astype(like.dtype if like.dtype.kind == "f" else np.float32)}


# ----- CSV rows --------------------------------------------------------------------------------
def _csv_row(path: Path, dataset: Dataset, config: DataConfig, row: int) -> dict[str, np.ndarray]:
    from app.data.tabular import csv_numbers, csv_table, csv_target_names, read_csv

    if config.source != "csv":
        raise FileSampleError(
            "A CSV row can be a sample only when the project's data is a CSV file; use an "
            "image or a text file."
        )
    opts = config.options
    train_header, train_rows = read_csv(opts["path"], opts.get("delimiter") or None)
    targets = csv_target_names(opts.get("target", ""), train_header) or [train_header[-1]]
    weights = str(opts.get("weights", "") or "").strip()
    features = list(
        opts.get("features") or [h for h in train_header if h not in (*targets, weights)]
    )
    try:
        header, rows = read_csv(path)
    except ValueError as exc:
        raise FileSampleError(str(exc)) from None
    missing = [f for f in features if f not in header]
    if missing:
        raise FileSampleError(
            f"{path.name} has no column {', '.join(repr(m) for m in missing)}; the model's "
            f"features are {', '.join(features)}. Its columns: {', '.join(header)}."
        )
    if not 0 <= row < len(rows):
        raise FileSampleError(f"{path.name} has {len(rows)} rows; there is no row {row + 1}.")
    given = dict(zip(header, rows[row], strict=True))
    # The training rows and this one, encoded together: the same categories and fills. The
    # row's target and weight are the first training row's (not used: only x is kept).
    first = dict(zip(train_header, train_rows[0], strict=True))
    extra = [given.get(h, first[h]) if h in features else first[h] for h in train_header]
    known = {f: {r[train_header.index(f)] for r in train_rows} for f in features}
    try:
        arrays = csv_table(
            train_header,
            [*train_rows, extra],
            path.name,
            opts.get("target", ""),
            features,
            opts.get("task", "auto"),
            opts.get("categorical", "onehot"),
            opts.get("layout", "auto") or "auto",
            weights,
        )
    except ValueError as exc:
        raise FileSampleError(str(exc)) from None
    x = {k: v[-1:] for k, v in arrays["x"].items()}
    for k, v in x.items():
        like = dataset.x.get(k)
        if like is None or like.shape[1:] != v.shape[1:]:
            new = [
                f for f in features if given[f] not in known[f] and csv_numbers([given[f]]) is None
            ]
            said = f" (a value of {', '.join(new)} the training file does not hold)" if new else ""
            raise FileSampleError(
                f"Row {row + 1} of {path.name} does not encode like the training rows{said}."
            )
    return x


# ----- texts -----------------------------------------------------------------------------------
def _text(path: Path, dataset: Dataset) -> dict[str, np.ndarray]:
    def is_text(v: np.ndarray) -> bool:
        return v.dtype == object or v.dtype.kind in ("U", "S")

    name = _only(dataset.x, is_text, "text input", "choose an image or a CSV row instead")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FileSampleError(f"{path.name} cannot be read as UTF-8 text.") from exc
    like = dataset.x[name]
    out = np.empty((1, *like.shape[1:]), dtype=object)
    out.flat[0] = text
    return {name: out}
