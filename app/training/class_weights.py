"""Class weights for models with several outputs, as per-sample weights.

Keras' `fit(class_weight=...)` works for single-output models only. For the others, each output's
class weights become a sample-weight array for that output (classes not listed weigh 1), in the
same structure as the targets, which `fit(sample_weight=...)` accepts for any model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.dataset import DataError


def labels_of(targets: Any, output: str) -> np.ndarray:
    """One class id per sample: integer (or 0/1) labels as they are, one-hot (float) rows by
    argmax. Integer arrays with more columns are labels per time step: refused in words."""
    a = np.asarray(targets)
    if a.ndim >= 2 and a.shape[-1] > 1 and not np.issubdtype(a.dtype, np.integer):
        a = a.argmax(axis=-1)
    elif a.ndim >= 2 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 1:
        raise DataError(
            f"Class weights need one class per sample, but the targets of output "
            f"'{output}' have shape {tuple(np.shape(targets))}."
        )
    return np.rint(a).astype(np.int64)


def sample_weights(targets: Any, weights: dict[int, float], output: str) -> np.ndarray:
    """float32 weight per sample from {class id: weight}; other classes weigh 1."""
    labels = labels_of(targets, output)
    out = np.ones(len(labels), dtype=np.float32)
    for cls, w in weights.items():
        out[labels == cls] = w
    return out


def class_sample_weights(y: Any, outputs: list[str], by_output: dict[str, dict[int, float]]) -> Any:
    """Sample weights shaped like the targets `y` (dict by output name, or list in output
    order); outputs without class weights weigh 1, outputs without targets stay None."""

    def one(name: str, arr: Any) -> Any:
        if arr is None:
            return None
        if name in by_output:
            return sample_weights(arr, by_output[name], name)
        return np.ones(len(arr), dtype=np.float32)

    if isinstance(y, dict):
        return {name: one(name, arr) for name, arr in y.items()}
    if isinstance(y, list | tuple):
        return [one(name, arr) for name, arr in zip(outputs, y, strict=True)]
    return one(outputs[0], y)
