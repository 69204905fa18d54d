"""CSV files: numeric columns as float, categorical ones encoded, missing values filled and
reported, the target column encoded to class ids for classification."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset
from app.data.source import SOURCES, DataSource, OptionSpec, ReaderCall

MISSING = {"", "na", "nan", "null", "none", "?", "n/a"}
MAX_CSV_BYTES = 512 * 1024 * 1024


def read_csv(path: str | Path, delimiter: str | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a CSV file; the delimiter is sniffed when not given."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{p} is a folder, not a CSV file.")
    if not p.exists():
        raise ValueError(f"The CSV file {p} does not exist.")
    if not p.is_file():
        raise ValueError(f"{p} is not a file, so not a CSV file.")
    if p.stat().st_size > MAX_CSV_BYTES:
        raise ValueError(f"The CSV file {p} is larger than {MAX_CSV_BYTES >> 20} MB.")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"The CSV file {p} cannot be read as UTF-8 text: {exc}") from exc
    if not text.strip():
        raise ValueError(f"The CSV file {p} is empty.")
    if "\x00" in text:
        raise ValueError(f"{p.name} is not a text file (it holds NUL bytes), so not a CSV file.")
    if not delimiter:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    try:
        rows = [
            r
            for r in csv.reader(text.splitlines(), delimiter=delimiter)
            if any(c.strip() for c in r)
        ]
    except csv.Error as exc:
        raise ValueError(f"{p.name} cannot be read as CSV: {exc}.") from exc
    if len(rows) < 2:
        raise ValueError(f"The CSV file {p} needs a header row and at least one data row.")
    header = [h.strip() or f"column_{i}" for i, h in enumerate(rows[0])]
    width = len(header)
    for n, r in enumerate(rows[1:], start=2):
        if len(r) != width:
            raise ValueError(f"Row {n} of {p.name} has {len(r)} fields but the header has {width}.")
    return header, [[c.strip() for c in r] for r in rows[1:]]


def read_csv_table(
    path: str | Path,
    target: str = "",
    features: list[str] | tuple[str, ...] = (),
    task: str = "auto",
    categorical: str = "onehot",
    delimiter: str = "",
) -> dict[str, Any]:
    """A CSV file with a header row as float32 features "x" and a target "y".

    Numeric columns stay numbers, text columns become one-hot (or integer) codes; a missing
    value gets its column's mean (numbers) or most common value (text), and rows without a
    target are dropped. `target` defaults to the last column, `features` to all the others;
    task "auto" makes a text or few-valued whole-number target a classification.
    """
    header, rows = read_csv(path, delimiter or None)
    file = Path(path).name
    target = target or header[-1]
    features = list(features or [h for h in header if h != target])
    for f in [target, *features]:
        if f not in header:
            raise ValueError(f"{file} has no column '{f}'. Columns: {', '.join(header)}.")
    if target in features:
        raise ValueError(f"Column '{target}' cannot be both a feature and the target.")
    cols = {h: [r[i] for r in rows] for i, h in enumerate(header)}
    notes: list[str] = []

    # Rows without a target value cannot be used for training.
    keep = [i for i, v in enumerate(cols[target]) if v.lower() not in MISSING]
    if len(keep) < len(rows):
        notes.append(f"{len(rows) - len(keep)} rows without a value in '{target}' were dropped.")
        cols = {h: [c[i] for i in keep] for h, c in cols.items()}
    if not keep:
        raise ValueError(f"No row has a value in the target column '{target}'.")

    blocks, names = [], []
    for f in features:
        block, fnames = encode_csv_feature(f, cols[f], categorical == "onehot", notes)
        blocks.append(block)
        names += fnames
    with np.errstate(over="ignore"):  # numbers beyond float32 become inf, refused below
        x = np.concatenate(blocks, axis=1).astype(np.float32)
        y, task, classes = encode_csv_target(target, cols[target], task)
    for column, values in [*zip(names, x.T, strict=True), (target, y)]:
        if np.issubdtype(values.dtype, np.floating) and not np.all(np.isfinite(values)):
            raise ValueError(
                f"Column '{column}' of {file} holds infinite values ('inf' or numbers too "
                f"large for 32-bit floats); replace them before training."
            )
    return {
        "x": {"x": x},
        "y": {"y": y},
        "task": task,
        "class_names": {"y": classes} if classes else {},
        "feature_names": names,
        "notes": notes,
    }


def csv_numbers(values: list[str]) -> np.ndarray | None:
    """float64 array with NaN for missing, or None if some present value is not a number."""
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if v.lower() in MISSING:
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except ValueError:
            return None
    return out


def encode_csv_feature(
    name: str, values: list[str], onehot: bool, notes: list[str]
) -> tuple[np.ndarray, list[str]]:
    """A feature column as a (rows, k) block and its k feature names; fills are noted."""
    nums = csv_numbers(values)
    if nums is not None:
        miss = np.isnan(nums)
        if miss.all():
            raise ValueError(f"Column '{name}' has no values.")
        if miss.any():
            mean = float(np.nanmean(nums))
            nums[miss] = mean
            notes.append(
                f"Column '{name}': {int(miss.sum())} missing values filled with the "
                f"mean {mean:.4g}."
            )
        return nums.reshape(-1, 1), [name]
    present = [v for v in values if v.lower() not in MISSING]
    cats = sorted(set(present))
    missing = len(values) - len(present)
    if missing:
        mode = max(cats, key=present.count)
        values = [mode if v.lower() in MISSING else v for v in values]
        notes.append(
            f"Column '{name}': {missing} missing values filled with the most common value '{mode}'."
        )
    index = {c: i for i, c in enumerate(cats)}
    codes = np.array([index[v] for v in values], dtype=np.int64)
    if onehot:
        return np.eye(len(cats), dtype=np.float32)[codes], [f"{name}={c}" for c in cats]
    notes.append(
        f"Column '{name}' encoded as integers 0..{len(cats) - 1} ({', '.join(cats[:5])}"
        f"{', ...' if len(cats) > 5 else ''})."
    )
    return codes.reshape(-1, 1).astype(np.float32), [name]


def encode_csv_target(name: str, values: list[str], task: str) -> tuple[np.ndarray, str, list]:
    """(targets, task, class names) of the target column; task "auto" is decided here."""
    nums = csv_numbers(values)
    if task == "auto":
        integral = nums is not None and bool(np.all(np.mod(nums, 1) == 0))
        few = len(set(values)) <= max(20, len(values) // 50)
        task = "classification" if nums is None or (integral and few) else "regression"
    if task == "regression":
        if nums is None:
            raise ValueError(
                f"The target column '{name}' holds text, so it cannot be a regression "
                f"target; choose classification."
            )
        return nums.astype(np.float32).reshape(-1, 1), task, []
    if nums is not None:
        uniq = sorted(set(nums.tolist()))
        classes = [f"{u:g}" for u in uniq]
        index = {u: i for i, u in enumerate(uniq)}
        ids = [index[v] for v in nums.tolist()]
    else:
        classes = sorted(set(values))
        index = {c: i for i, c in enumerate(classes)}
        ids = [index[v] for v in values]
    return np.asarray(ids, dtype=np.int64), "classification", classes


class CSVSource(DataSource):
    """A CSV file with a header row: choose feature columns and the target column."""

    id = "csv"
    title = "CSV file"
    kind = "file"
    options = (
        OptionSpec("path", "path", "", help="A .csv file with a header row."),
        OptionSpec("target", "text", "", help="Target column (empty: the last column)."),
        OptionSpec("features", "columns", [], help="Feature columns (empty: all others)."),
        OptionSpec("task", "choice", "auto", ("auto", "classification", "regression")),
        OptionSpec(
            "categorical",
            "choice",
            "onehot",
            ("onehot", "integer"),
            help="How text columns become numbers.",
        ),
        OptionSpec("delimiter", "text", "", help="Field separator (empty: detect)."),
    )

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        if not self.option(options, "path"):
            raise DataError("Choose a CSV file in the data settings.")
        names = ("path", "target", "features", "task", "categorical", "delimiter")
        kwargs = {name: self.option(options, name) for name in names}
        kwargs["path"] = str(kwargs["path"])
        kwargs["features"] = list(kwargs["features"] or [])
        return ReaderCall(read_csv_table, kwargs)

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        arrays = self.reader(options).run()
        rows = len(arrays["y"]["y"])
        return Dataset(**arrays, title=f"{Path(self.option(options, 'path')).name} ({rows} rows)")


SOURCES.register(CSVSource())
