"""What the data panel offers once data is chosen: input shapes, output units / activation /
loss that fit the targets, and a preview (table rows or image indices with labels)."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.dataset import Dataset, class_ids, is_text


def suggest_model_settings(dataset: Dataset) -> dict[str, Any]:
    """{"inputs": {array: {shape, dtype}}, "outputs": {array: {task, units, activation, loss}}}.

    Shapes exclude the sample axis (what a keras.Input takes). Text arrays (one string per
    sample) suggest a string Input of shape () and, under "text", how to turn the strings
    into numbers inside the model (see text_suggestion).
    """
    inputs = {}
    for name, arr in dataset.x.items():
        if is_text(arr):
            inputs[name] = {"shape": [], "dtype": "string", "text": text_suggestion(arr)}
            continue
        dtype = "int32" if np.issubdtype(arr.dtype, np.integer) else "float32"
        inputs[name] = {"shape": list(arr.shape[1:]), "dtype": dtype}
    outputs = {}
    for name, arr in dataset.y.items():
        outputs[name] = _output_for(dataset, name, arr)
    return {"inputs": inputs, "outputs": outputs}


FEW_CATEGORIES = 50  # a text column with at most this many values is a category, not free text


def text_suggestion(arr: np.ndarray) -> dict[str, Any]:
    """How a text array becomes numbers: {"kind": "text" | "category", "values": distinct
    values, "words": distinct words (whitespace-split, lower case), "length": longest text in
    words}. A TextVectorization for free text, a StringLookup for a few categories."""
    flat = [str(v) for v in np.ravel(arr)[:20000]]
    values = set(flat)
    words: set[str] = set()
    longest = 0
    for v in values:
        tokens = v.lower().split()
        words.update(tokens)
        longest = max(longest, len(tokens))
    category = len(values) <= FEW_CATEGORIES and len(values) < max(2, len(flat) // 4)
    return {
        "kind": "category" if category else "text",
        "values": len(values),
        "words": len(words),
        "length": longest,
    }


def _output_for(dataset: Dataset, name: str, y: np.ndarray) -> dict[str, Any]:
    if dataset.task == "reconstruction":
        unit_range = y.size and float(y.min()) >= 0.0 and float(y.max()) <= 1.0
        return {
            "task": "reconstruction",
            "shape": list(y.shape[1:]),
            "units": int(y.shape[-1]) if y.ndim > 1 else 1,
            "activation": "sigmoid" if unit_range else "linear",
            "loss": "binary_crossentropy" if unit_range else "mean_squared_error",
        }
    n = len(dataset.class_names.get(name, []))
    if dataset.task == "classification" and n:
        onehot = y.ndim == 2 and y.shape[1] == n and n > 1
        if n == 2 and not onehot:
            return {
                "task": "classification",
                "units": 1,
                "activation": "sigmoid",
                "loss": "binary_crossentropy",
                "metrics": ["accuracy"],
            }
        return {
            "task": "classification",
            "units": n,
            "activation": "softmax",
            "loss": "categorical_crossentropy" if onehot else "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        }
    units = int(np.prod(y.shape[1:])) if y.ndim > 1 else 1
    # Values from 0 to 1 (a score, a share): a sigmoid keeps predictions in that range.
    unit_range = bool(y.size) and float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    return {
        "task": "regression",  # this output, also in a dataset whose other outputs are classes
        "units": units,
        "activation": "sigmoid" if unit_range else "linear",
        "loss": "mean_squared_error",
        "metrics": ["mean_absolute_error"],
    }


MAX_PREVIEW_COLUMNS = 40


def preview(dataset: Dataset, n: int = 10) -> dict[str, Any]:
    """A table (columns + rows) for tabular data, or image indices with labels for images."""
    n = min(n, dataset.num_samples)
    labels = _labels(dataset, n)
    if len(dataset.x) == 1:
        arr = next(iter(dataset.x.values()))
        if arr.ndim >= 3:
            return {
                "kind": "images",
                "array": next(iter(dataset.x)),
                "indices": list(range(n)),
                "labels": labels,
            }
    # Wide inputs (a 10,000-word bag of words) show their first columns and a count of the rest:
    # a preview table with thousands of columns would take the GUI minutes to build.
    per_input = max(3, MAX_PREVIEW_COLUMNS // max(len(dataset.x), 1))
    columns: list[str] = []
    cells: list[list[Any]] = [[] for _ in range(n)]
    for name, arr in dataset.x.items():
        flat = arr[:n].reshape(n, -1)
        width = flat.shape[1]
        if len(dataset.x) == 1 and len(dataset.feature_names) == width:
            names = list(dataset.feature_names)
        elif width == 1:
            names = [name]
        else:
            names = [f"{name}[{i}]" for i in range(width)]
        shown = min(width, per_input)
        columns += names[:shown]
        for i in range(n):
            cells[i] += [_cell(v) for v in flat[i, :shown]]
        if shown < width:
            columns.append(f"{name}[…]")
            for i in range(n):
                cells[i].append(f"+{width - shown:,} more")
    targets = [labels] if labels else [_labels(dataset, n, k) for k in dataset.y]
    heads = ["target"] if labels else list(dataset.y)
    rows = [row + [t[i] for t in targets] for i, row in enumerate(cells)]
    return {"kind": "table", "columns": columns + heads, "rows": rows}


def _labels(dataset: Dataset, n: int, name: str | None = None) -> list[str]:
    """Labels of the first n samples of target `name` (the only target when None)."""
    if name is None:
        if len(dataset.y) != 1:
            return []
        name = next(iter(dataset.y))
    y = dataset.y[name]
    names = dataset.class_names.get(name)
    ids = class_ids(y[:n]) if names else None
    if ids is not None:
        return [names[i] if 0 <= i < len(names) else str(i) for i in ids]
    return [", ".join(f"{v:.4g}" for v in np.ravel(y[i])[:4]) for i in range(n)]


PREVIEW_TEXT = 80  # characters of a text shown in a preview cell


def text_cell(v: Any, width: int = PREVIEW_TEXT) -> str:
    """A text on one line, cut to `width` characters with an ellipsis."""
    text = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell(v: Any) -> float | int | str:
    if isinstance(v, str | bytes):
        return text_cell(v)
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 2**53 else round(f, 6)
