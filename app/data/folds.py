"""k-fold cross-validation: which samples each fold validates on.

`fold_indices` is the one split the app trains with and generated scripts paste as it is (numpy
only), so a script's folds are the app's folds, sample for sample.
"""

from __future__ import annotations

import numpy as np

DEFAULT_FOLDS = 5
MAX_FOLDS = 100


def fold_indices(n, folds, seed, shuffle=True):
    """[(train_idx, val_idx), ...] for k-fold cross-validation of n samples.

    The samples are shuffled with numpy's generator seeded by `seed` (if `shuffle`), then cut
    into `folds` parts whose sizes differ by at most one; fold i validates on part i and trains
    on the others. Both index arrays are sorted, so each keeps the data's order.
    """
    if folds < 2 or folds > n:
        raise ValueError(f"k-fold needs 2 to {n} folds for {n} samples, got {folds}.")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    parts = np.array_split(order, folds)
    out = []
    for i in range(folds):
        train_idx = np.concatenate([p for j, p in enumerate(parts) if j != i])
        out.append((np.sort(train_idx), np.sort(parts[i])))
    return out
