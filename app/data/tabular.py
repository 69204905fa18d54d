"""CSV files: numeric columns as float, categorical ones encoded (or kept as text, one array per
column), missing values filled and reported, target columns encoded to class ids for
classification."""

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
    layout: str = "auto",
    weights: str = "",
) -> dict[str, Any]:
    """A CSV file with a header row as features and targets.

    Layout "table" gives one float32 array "x": numeric columns stay numbers, text columns
    become one-hot (or integer) codes. Layout "columns" gives one array per feature column,
    named by the column: numbers as float32 (rows, 1), text as strings (rows,) for a
    `keras.Input(shape=(), dtype="string")` and a TextVectorization or StringLookup layer.
    "auto" takes "columns" when some feature column holds free text (many different values).
    A missing value gets its column's mean (numbers), most common value (codes) or "" (text),
    and rows without a target are dropped. `target` is a column, or several separated by
    commas (each its own target array, named by the column; one target in a table is "y");
    it defaults to the last column, `features` to all the others. Task "auto" makes a text or
    few-valued whole-number target a classification (class ids, the class names sorted).
    """
    header, rows = read_csv(path, delimiter or None)
    return csv_table(
        header, rows, Path(path).name, target, features, task, categorical, layout, weights
    )


def csv_table(
    header: list[str],
    rows: list[list[str]],
    file: str,
    target: str = "",
    features: list[str] | tuple[str, ...] = (),
    task: str = "auto",
    categorical: str = "onehot",
    layout: str = "auto",
    weights: str = "",
) -> dict[str, Any]:
    """`read_csv_table` of rows already read (`file` names them in messages)."""
    targets = csv_target_names(target, header) or [header[-1]]
    features = list(features or [h for h in header if h not in (*targets, weights)])
    for f in [*targets, *features, *([weights] if weights else [])]:
        if f not in header:
            raise ValueError(f"{file} has no column '{f}'. Columns: {', '.join(header)}.")
    both = [t for t in targets if t in features]
    if both:
        raise ValueError(f"Column '{both[0]}' cannot be both a feature and the target.")
    if weights and weights in (*targets, *features):
        raise ValueError(
            f"Column '{weights}' holds the sample weights, so it cannot also be "
            f"{'the target' if weights in targets else 'a feature'}."
        )
    if layout not in ("auto", "table", "columns"):
        raise ValueError(f"Unknown CSV layout '{layout}'; use auto, table or columns.")
    cols = {h: [r[i] for r in rows] for i, h in enumerate(header)}
    notes: list[str] = []

    # Rows without a target value cannot be used for training.
    keep = [i for i in range(len(rows)) if all(cols[t][i].lower() not in MISSING for t in targets)]
    if len(keep) < len(rows):
        which = "', '".join(targets)
        notes.append(f"{len(rows) - len(keep)} rows without a value in '{which}' were dropped.")
        cols = {h: [c[i] for i in keep] for h, c in cols.items()}
    if not keep:
        raise ValueError(f"No row has a value in the target column '{targets[0]}'.")
    if layout == "auto":
        free = [f for f in features if csv_is_free_text(cols[f])]
        layout = "columns" if free else "table"

    x: dict[str, np.ndarray] = {}
    names: list[str] = []
    with np.errstate(over="ignore"):  # numbers beyond float32 become inf, refused below
        if layout == "table":
            blocks = []
            for f in features:
                block, fnames = encode_csv_feature(f, cols[f], categorical == "onehot", notes)
                blocks.append(block)
                names += fnames
            x["x"] = np.concatenate(blocks, axis=1).astype(np.float32)
            checked = list(zip(names, x["x"].T, strict=True))
        else:
            for f in features:
                x[f] = csv_column(f, cols[f], notes)
            names = list(features)
            checked = [(f, a) for f, a in x.items() if a.dtype != object]
        y: dict[str, np.ndarray] = {}
        class_names: dict[str, list[str]] = {}
        tasks = []
        for t in targets:
            key = "y" if layout == "table" and len(targets) == 1 else t
            y[key], kind, classes = encode_csv_target(t, cols[t], task)
            tasks.append(kind)
            if classes:
                class_names[key] = classes
            checked.append((t, y[key]))
    for column, values in checked:
        if np.issubdtype(values.dtype, np.floating) and not np.all(np.isfinite(values)):
            raise ValueError(
                f"Column '{column}' of {file} holds infinite values ('inf' or numbers too "
                f"large for 32-bit floats); replace them before training."
            )
    sample_weight = None
    if weights:  # one loss weight per row, not a model input (checked when the data loads)
        sample_weight = csv_numbers(cols[weights])
        if sample_weight is None:
            raise ValueError(
                f"The sample weight column '{weights}' of {file} holds text; it must hold numbers."
            )
    return {
        "x": x,
        "y": y,
        "task": "classification" if "classification" in tasks else tasks[0],
        "class_names": class_names,
        "sample_weight": sample_weight,
        "feature_names": names,
        "notes": notes,
    }


def csv_target_names(target: str | list[str], header: list[str]) -> list[str]:
    """The target columns: a list, a column name, or names separated by commas."""
    if isinstance(target, list | tuple):
        return [str(t).strip() for t in target if str(t).strip()]
    target = (target or "").strip()
    if not target or target in header:
        return [target] if target else []
    return [t.strip() for t in target.split(",") if t.strip()]


def csv_is_free_text(values: list[str]) -> bool:
    """A text column with many different values (titles, descriptions), not categories."""
    present = [v for v in values if v.lower() not in MISSING]
    if not present or csv_numbers(present) is not None:
        return False
    distinct = len(set(present))
    words = sum(len(v.split()) for v in present) / len(present)
    return distinct > max(20, len(present) // 5) or (distinct > len(present) / 2 and words >= 2)


def csv_column(name: str, values: list[str], notes: list[str]) -> np.ndarray:
    """One column as its own array: numbers float32 (rows, 1), text an object array of str
    (rows,); missing numbers get the mean, missing text the empty string."""
    nums = csv_numbers(values)
    if nums is not None:
        nums = filled_with_mean(name, nums, notes)
        return nums.astype(np.float32).reshape(-1, 1)
    text = np.empty(len(values), dtype=object)
    missing = 0
    for i, v in enumerate(values):
        if v.lower() in MISSING:
            missing += 1
            v = ""
        text[i] = v
    if missing:
        notes.append(f"Column '{name}': {missing} missing values left as empty text.")
    return text


def filled_with_mean(name: str, nums: np.ndarray, notes: list[str]) -> np.ndarray:
    """`nums` with its NaNs (missing values) replaced by the column's mean, which is noted."""
    miss = np.isnan(nums)
    if miss.all():
        raise ValueError(f"Column '{name}' has no values.")
    if miss.any():
        mean = float(np.nanmean(nums))
        nums[miss] = mean
        notes.append(
            f"Column '{name}': {int(miss.sum())} missing values filled with the mean {mean:.4g}."
        )
    return nums


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
        nums = filled_with_mean(name, nums, notes)
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
        OptionSpec(
            "layout",
            "choice",
            "auto",
            ("auto", "table", "columns"),
            help="One number array 'x' (table), or one array per column with text kept as "
            "text (columns); auto: columns when a column holds free text.",
        ),
        OptionSpec(
            "weights",
            "text",
            "",
            help="Column of per-sample loss weights (empty: every row weighs 1).",
        ),
    )

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        """The call, with the names of the arrays it returns (the file is read for them)."""
        kwargs = self._kwargs(options)
        try:
            arrays = read_csv_table(**kwargs)
        except (ValueError, OSError):
            return ReaderCall(read_csv_table, kwargs)
        return ReaderCall(read_csv_table, kwargs, tuple(arrays["x"]), tuple(arrays["y"]))

    def _kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        if not self.option(options, "path"):
            raise DataError("Choose a CSV file in the data settings.")
        names = ("path", "target", "features", "task", "categorical", "delimiter", "layout")
        kwargs = {name: self.option(options, name) for name in names}
        if self.option(options, "weights"):  # only then: scripts without weights stay as they were
            kwargs["weights"] = str(self.option(options, "weights")).strip()
        kwargs["path"] = str(kwargs["path"])
        kwargs["features"] = list(kwargs["features"] or [])
        if kwargs["layout"] == "auto":
            del kwargs["layout"]  # the default: scripts written before the option stay the same
        return kwargs

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        arrays = ReaderCall(read_csv_table, self._kwargs(options)).run()
        rows = len(next(iter(arrays["y"].values())))
        return Dataset(**arrays, title=f"{Path(self.option(options, 'path')).name} ({rows} rows)")


SOURCES.register(CSVSource())
