"""Dataset (named arrays ready for fit) and DataConfig (where data comes from, JSON-safe)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from app.data.folds import DEFAULT_FOLDS, MAX_FOLDS
from app.errors import LayerLoomError

TASKS = ("classification", "regression", "reconstruction")
NORMALIZATIONS = ("none", "standard", "minmax")
VALIDATION_MODES = ("split", "kfold", "source", "separate", "none")


class DataError(LayerLoomError):
    """Data could not be loaded, or does not fit the model; the message says which and why."""


@dataclass
class Dataset:
    """Named arrays for training plus what the UI shows about them.

    x / y map array names (ideally the model's input / output names) to arrays with the sample
    axis first. x_val / y_val hold the validation arrays (None when there is no validation set).
    class_names maps a target name to its class labels (classification only).
    sample_weight / sample_weight_val: one weight per sample of the loss (from a data column or
    array the data settings name), or None; not a model input or target.
    input_scaling: the statistics the settings' normalisation used per input array, so that a
    new sample (a file) can be scaled as the training samples were.
    """

    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray] = field(default_factory=dict)
    x_val: dict[str, np.ndarray] | None = None
    y_val: dict[str, np.ndarray] | None = None
    task: str = "classification"
    class_names: dict[str, list[str]] = field(default_factory=dict)
    feature_names: list[str] = field(default_factory=list)
    title: str = ""
    notes: list[str] = field(default_factory=list)
    sample_weight: np.ndarray | None = None
    sample_weight_val: np.ndarray | None = None
    # array name -> (shift, scale) of the settings' normalisation: x = (raw - shift) / scale
    input_scaling: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def num_samples(self) -> int:
        """Number of training samples."""
        return _count(self.x)

    @property
    def num_val_samples(self) -> int:
        """Number of validation samples (0 without a validation set)."""
        return _count(self.x_val) if self.x_val else 0

    def num_classes(self, target: str | None = None) -> int:
        """Class count of a target (the only one when target is None); 0 when not classification."""
        if target is None:
            if len(self.class_names) != 1:
                return 0
            target = next(iter(self.class_names))
        return len(self.class_names.get(target, []))

    def check(self) -> None:
        """DataError unless every array of a split has the same number of samples and the
        sample weights are one non-negative number per sample."""
        for split, weights, arrays in (
            ("training", self.sample_weight, self.x),
            ("validation", self.sample_weight_val, self.x_val),
        ):
            if weights is not None:
                check_sample_weights(weights, _count(arrays), split)
        for split, arrays in (
            ("training", {**self.x, **self.y}),
            ("validation", {**(self.x_val or {}), **(self.y_val or {})}),
        ):
            counts = {k: len(v) for k, v in arrays.items()}
            if len(set(counts.values())) > 1:
                text = ", ".join(f"'{k}' has {n}" for k, n in counts.items())
                of = f" of {self.title}" if self.title else ""
                raise DataError(
                    f"The {split} arrays{of} have different numbers of samples: {text}."
                )

    def summary(self) -> dict[str, Any]:
        """Plain description for the data panel: shapes, dtypes, class balance, notes."""

        def describe(arrays: dict[str, np.ndarray] | None) -> dict[str, Any]:
            return {
                k: {"shape": list(v.shape), "dtype": str(v.dtype)}
                for k, v in (arrays or {}).items()
            }

        balance = {}
        for name, labels in self.class_names.items():
            ids = class_ids(self.y[name]) if name in self.y else None
            if ids is not None:
                counts = np.bincount(ids, minlength=len(labels))
                balance[name] = {lab: int(c) for lab, c in zip(labels, counts)}
        return {
            "title": self.title,
            "task": self.task,
            "samples": self.num_samples,
            "val_samples": self.num_val_samples,
            "x": describe(self.x),
            "y": describe(self.y),
            "class_balance": balance,
            "feature_names": list(self.feature_names),
            "notes": list(self.notes),
        }


def is_text(arr: np.ndarray) -> bool:
    """True for arrays of strings (object arrays of str, as the text sources give them)."""
    return arr.dtype.kind in "OUS"


def check_sample_weights(weights: np.ndarray, samples: int, split: str = "training") -> None:
    """DataError in words unless `weights` holds one finite, non-negative number per sample
    (shape (n,) or (n, 1)) and not all of them are 0."""
    what = "The sample weights" + ("" if split == "training" else f" of the {split} data")
    if not np.issubdtype(weights.dtype, np.number) or weights.dtype == np.bool_:
        raise DataError(f"{what} must be numbers, not {weights.dtype}.")
    if weights.ndim > 2 or (weights.ndim == 2 and weights.shape[1] != 1) or weights.ndim == 0:
        raise DataError(
            f"{what} must be one number per sample (shape (n,)), not shape {weights.shape}."
        )
    if len(weights) != samples:
        raise DataError(f"{what} have {len(weights)} values for {samples} samples.")
    bad = int(np.count_nonzero(~np.isfinite(weights)))
    if bad:
        raise DataError(f"{what} have {bad} missing, NaN or infinite value(s).")
    negative = int(np.count_nonzero(weights < 0))
    if negative:
        raise DataError(
            f"{what} have {negative} negative value(s) (the smallest is {weights.min():g}); "
            f"a weight must be 0 or more."
        )
    if samples and not np.any(weights > 0):
        raise DataError(f"{what} are all 0, so no sample would count.")


def class_ids(y: np.ndarray) -> np.ndarray | None:
    """Integer class ids from sparse labels (N,) / (N, 1) or one-hot (N, C); None if neither."""
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1).astype(np.int64)
    flat = y.reshape(len(y)) if y.ndim == 2 and y.shape[1] == 1 else y
    if flat.ndim != 1 or is_text(flat) or not np.issubdtype(flat.dtype, np.number):
        return None
    if np.issubdtype(flat.dtype, np.integer) or np.all(np.mod(flat, 1) == 0):
        return flat.astype(np.int64)
    return None


@dataclass
class DataConfig:
    """What data feeds the model: a source id, its options, and how to split / normalise / map.

    Stored in the project as plain JSON (to_dict / from_dict).

    Attributes:
        source: a data source id (see app.data.SOURCES), e.g. "sklearn.digits".
        options: source options (path, columns, arrays, ...), see each source's `options`.
        validation: "split" (hold out validation_split of the samples), "kfold" (k-fold
            cross-validation: one run per fold, app.data.folds), "source" (the source's own test
            set, e.g. keras.datasets), "separate" (validation_source) or "none".
        validation_split: fraction held out when validation == "split".
        folds: the k of k-fold (2 to 100) when validation == "kfold".
        validation_source: {"source": id, "options": {...}} when validation == "separate".
        normalization: "none", "standard" (zero mean, unit variance) or "minmax" (to [0, 1]) of
            float inputs; statistics come from the training samples only.
        seed: seed of the shuffle before the split and of synthetic data.
        max_samples: keep at most this many training samples (0 = all).
        target: "labels" (the source's targets) or "inputs" (y = x, for autoencoders).
        input_map / output_map: model input/output name -> dataset array name, for models whose
            names differ from the array names.
    """

    source: str = "sklearn.digits"
    options: dict[str, Any] = field(default_factory=dict)
    validation: str = "split"
    validation_split: float = 0.2
    folds: int = DEFAULT_FOLDS
    validation_source: dict[str, Any] | None = None
    normalization: str = "none"
    seed: int = 0
    max_samples: int = 0
    target: str = "labels"
    input_map: dict[str, str] = field(default_factory=dict)
    output_map: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> DataConfig:
        """Read plain data; missing keys take defaults, DataError on wrong types."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise DataError("The data settings must be a mapping.")
        base = cls()
        val = data.get("validation", base.validation)
        norm = data.get("normalization", base.normalization)
        target = data.get("target", base.target)
        if val not in VALIDATION_MODES:
            raise DataError(
                f"Unknown validation mode {val!r}; use one of {', '.join(VALIDATION_MODES)}."
            )
        if norm not in NORMALIZATIONS:
            raise DataError(
                f"Unknown normalisation {norm!r}; use one of {', '.join(NORMALIZATIONS)}."
            )
        if target not in ("labels", "inputs"):
            raise DataError(f"Unknown target {target!r}; use 'labels' or 'inputs'.")
        split = data.get("validation_split", base.validation_split)
        if (
            isinstance(split, bool)
            or not isinstance(split, int | float)
            or not (math.isfinite(split) and 0 <= split < 1)
        ):
            raise DataError(
                f"The validation split must be a number from 0 to 0.99, got {split!r:.40}."
            )
        folds = data.get("folds", base.folds)
        if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= MAX_FOLDS:
            raise DataError(
                f"The number of folds must be a whole number from 2 to {MAX_FOLDS}, "
                f"got {folds!r:.40}."
            )
        vs = data.get("validation_source")
        if vs is not None and not (isinstance(vs, dict) and isinstance(vs.get("source"), str)):
            raise DataError("The separate validation data must name a source.")
        return cls(
            source=_str(data.get("source", base.source), "data source"),
            options=dict(_dict(data.get("options", {}), "data options")),
            validation=val,
            validation_split=float(split),
            folds=folds,
            validation_source=dict(vs) if vs else None,
            normalization=norm,
            seed=_int(data.get("seed", base.seed), "seed"),
            max_samples=_int(data.get("max_samples", base.max_samples), "sample limit"),
            target=target,
            input_map={
                _str(k, "input name"): _str(v, "array name")
                for k, v in _dict(data.get("input_map", {}), "input map").items()
            },
            output_map={
                _str(k, "output name"): _str(v, "array name")
                for k, v in _dict(data.get("output_map", {}), "output map").items()
            },
        )


def _dict(v: Any, what: str) -> dict:
    if not isinstance(v, dict):
        raise DataError(f"The {what} must be a mapping.")
    return v


def _str(v: Any, what: str) -> str:
    if not isinstance(v, str):
        raise DataError(f"The {what} must be text, got {v!r:.40}.")
    return v


def _int(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise DataError(f"The {what} must be a whole number >= 0, got {v!r:.40}.")
    return v


def _count(arrays: dict[str, np.ndarray] | None) -> int:
    for v in (arrays or {}).values():
        return len(v)
    return 0
