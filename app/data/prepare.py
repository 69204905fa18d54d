"""load_dataset: source -> validation set -> sample limit -> split -> normalise -> targets."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.dataset import DataConfig, DataError, Dataset
from app.data.folds import fold_indices
from app.data.source import SOURCES, DataSource


def load_dataset(
    config: DataConfig | dict[str, Any],
    model: Any = None,
    fold: int | None = None,
    shuffle: bool = True,
) -> Dataset:
    """The dataset the settings describe, split and normalised, ready for fit_arrays.

    `model` (a built keras.Model) is needed by sources that generate data from it. With k-fold
    validation, `fold` (0-based; default the first) picks the fold whose part validates, and
    `shuffle` (the training settings' shuffle) says whether the samples are shuffled before
    they are cut into folds (app.data.folds.fold_indices).
    """
    if isinstance(config, dict):
        config = DataConfig.from_dict(config)
    ds = _load_source(config.source, config.options, model, config.seed)
    rng = np.random.default_rng(config.seed)
    own_val = (ds.x_val, ds.y_val, ds.sample_weight_val)
    ds.x_val = ds.y_val = ds.sample_weight_val = None
    if config.max_samples and ds.num_samples > config.max_samples:
        keep = np.sort(rng.permutation(ds.num_samples)[: config.max_samples])
        ds.x, ds.y = _take(ds.x, keep), _take(ds.y, keep)
        ds.sample_weight = _take_one(ds.sample_weight, keep)
        ds.notes.append(f"Using {config.max_samples} of the training samples.")
    if config.validation == "source":
        if own_val[0] is None:
            raise DataError(f"'{ds.title}' has no test set of its own; choose a validation split.")
        ds.x_val, ds.y_val, ds.sample_weight_val = own_val
    elif config.validation == "separate":
        vs = config.validation_source or {}
        if not vs.get("source"):
            raise DataError("Choose the separate validation data in the data settings.")
        val = _load_source(vs["source"], vs.get("options", {}), model, config.seed)
        ds.x_val, ds.y_val, ds.sample_weight_val = val.x, val.y, val.sample_weight
    elif config.validation == "kfold":
        _take_fold(ds, config, 0 if fold is None else fold, shuffle)
    elif config.validation == "split" and config.validation_split > 0:
        n = ds.num_samples
        n_val = int(round(n * config.validation_split))
        if n_val < 1 or n_val >= n:
            raise DataError(
                f"A validation split of {config.validation_split:g} leaves no "
                f"{'validation' if n_val < 1 else 'training'} samples out of {n}."
            )
        order = rng.permutation(n)
        val_idx, train_idx = order[:n_val], order[n_val:]
        ds.x_val, ds.y_val = _take(ds.x, val_idx), _take(ds.y, val_idx)
        ds.x, ds.y = _take(ds.x, train_idx), _take(ds.y, train_idx)
        ds.sample_weight_val = _take_one(ds.sample_weight, val_idx)
        ds.sample_weight = _take_one(ds.sample_weight, train_idx)  # weights follow their samples
    if config.normalization != "none":
        _normalise(ds, config.normalization)
    if config.target == "inputs":
        ds.y = {k: v.astype(np.float32, copy=True) for k, v in ds.x.items()}
        ds.y_val = (
            None
            if ds.x_val is None
            else {k: v.astype(np.float32, copy=True) for k, v in ds.x_val.items()}
        )
        ds.task, ds.class_names = "reconstruction", {}
    ds.check()
    return ds


def source_options(source: DataSource, options: dict[str, Any], seed: int) -> dict[str, Any]:
    """The options a source is read with: the settings' own, and the data seed for sources
    that generate data (generated scripts read with the same)."""
    opts = dict(options)
    if source.needs_model:
        opts.setdefault("seed", seed)
    return opts


def _load_source(source_id: str, options: dict[str, Any], model: Any, seed: int) -> Dataset:
    src = SOURCES[source_id]
    if src.needs_model and model is None:
        raise DataError(f"{src.title}: build the model first; the data is generated from it.")
    ds = src.load(source_options(src, options, seed), model)
    ds.check()
    return ds


def _take_fold(ds: Dataset, config: DataConfig, fold: int, shuffle: bool) -> None:
    n, k = ds.num_samples, config.folds
    if k > n:
        raise DataError(f"{k}-fold cross-validation needs at least {k} samples; there are {n}.")
    if not 0 <= fold < k:
        raise DataError(f"There is no fold {fold + 1} in {k}-fold cross-validation.")
    train_idx, val_idx = fold_indices(n, k, config.seed, shuffle)[fold]
    ds.x_val, ds.y_val = _take(ds.x, val_idx), _take(ds.y, val_idx)
    ds.x, ds.y = _take(ds.x, train_idx), _take(ds.y, train_idx)
    ds.sample_weight_val = _take_one(ds.sample_weight, val_idx)
    ds.sample_weight = _take_one(ds.sample_weight, train_idx)
    ds.notes.append(f"Fold {fold + 1} of {k}: validating on {len(val_idx)} of {n} samples.")


def _take(arrays: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in arrays.items()}


def _take_one(array: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if array is None else array[idx]


def _normalise(ds: Dataset, how: str) -> None:
    """Scale float inputs with statistics of the training samples (per feature / channel)."""
    for name, arr in list(ds.x.items()):
        if not np.issubdtype(arr.dtype, np.floating):
            continue  # integer ids (tokens) and booleans keep their values
        axes = tuple(range(arr.ndim - 1)) if arr.ndim > 2 else (0,)
        if how == "standard":
            shift = arr.mean(axis=axes, keepdims=True)
            scale = arr.std(axis=axes, keepdims=True)
        else:
            shift = arr.min(axis=axes, keepdims=True)
            scale = arr.max(axis=axes, keepdims=True) - shift
        scale = np.where(scale > 1e-12, scale, 1.0)
        ds.input_scaling[name] = (shift[0], scale[0])
        ds.x[name] = ((arr - shift) / scale).astype(np.float32)
        if ds.x_val is not None and name in ds.x_val:
            ds.x_val[name] = ((ds.x_val[name] - shift) / scale).astype(np.float32)
    ds.notes.append(
        f"Inputs normalised ({'zero mean, unit variance' if how == 'standard' else 'to 0..1'}) "
        f"with statistics of the training samples."
    )
