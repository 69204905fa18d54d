"""Mean and variance per feature of the training split, as Keras' Normalization.adapt() learns them,
so the data's standardisation can live inside the model (an exported model then takes raw input)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.data.compat import resolve_names
from app.data.dataset import DataConfig, Dataset

CONSTANT_STD = 1e-12  # the data-side standardisation's bound: a smaller std counts as constant


@dataclass(frozen=True)
class FeatureStats:
    """What a keras.layers.Normalization needs: its axis and the mean / variance per index of it.

    `mean` and `variance` are plain floats (JSON-safe, float32 precision): a list per feature of
    the last axis, or one number for arrays of one value per sample (axis None).
    """

    array: str
    axis: int | None
    mean: list[float] | float
    variance: list[float] | float

    @property
    def size(self) -> int:
        """Number of features (1 for a single number per sample)."""
        return len(self.mean) if isinstance(self.mean, list) else 1

    def params(self) -> dict[str, Any]:
        """The Normalization node's params."""
        return {"axis": self.axis, "mean": self.mean, "variance": self.variance}


def feature_statistics(array: np.ndarray, name: str = "") -> FeatureStats:
    """Mean and (population) variance over every axis but the last, as Normalization(axis=-1)
    adapts them (variance 1 for constant features); for one value per sample, one of each."""
    values = np.asarray(array, dtype=np.float64)
    if values.ndim < 1 or len(values) == 0:
        raise ValueError(f"'{name}' has no samples to compute a mean and variance from.")
    axes = tuple(range(values.ndim - 1)) if values.ndim > 1 else (0,)
    mean = values.mean(axis=axes)
    # A feature that never changes in training gets variance 1, as the data-side standardisation
    # divides it by 1: adapt()'s 0 would make Keras divide by 1e-7 and blow up any new value.
    variance = np.where(values.std(axis=axes) > CONSTANT_STD, values.var(axis=axes), 1.0)
    if values.ndim == 1:
        return FeatureStats(name, None, _plain(mean), _plain(variance))
    return FeatureStats(name, -1, _plain_list(mean), _plain_list(variance))


def standardisable_inputs(
    dataset: Dataset, input_names: list[str], input_map: dict[str, str] | None = None
) -> dict[str, str]:
    """Model input name -> array name for the inputs the data's standardisation scales (floats)."""
    mapping = resolve_names("Input", input_names, dataset.x, input_map or {}, [])
    return {
        name: array
        for name, array in mapping.items()
        if np.issubdtype(dataset.x[array].dtype, np.floating)
    }


def training_statistics(
    config: DataConfig,
    input_names: list[str],
    dataset: Dataset | None = None,
    model: Any = None,
) -> dict[str, FeatureStats]:
    """Model input name -> statistics of its float array in the training split (never validation).

    `dataset` is used when it was loaded without normalisation (the raw values); otherwise the
    data is read again with the same split and no normalisation. `model` is for sources that
    generate data from the model.
    """
    from app.data.prepare import load_dataset

    if dataset is None or config.normalization != "none":
        raw = DataConfig.from_dict({**config.to_dict(), "normalization": "none"})
        dataset = load_dataset(raw, model)
    inputs = standardisable_inputs(dataset, input_names, config.input_map)
    return {name: feature_statistics(dataset.x[array], array) for name, array in inputs.items()}


def _plain(value: Any) -> float:
    """A float32 value as the shortest float that reads back to it (Keras keeps float32)."""
    return float(f"{np.float32(value):.9g}")


def _plain_list(values: np.ndarray) -> list[float]:
    return [_plain(v) for v in values.ravel()]
