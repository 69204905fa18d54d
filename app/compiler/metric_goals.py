"""Whether a logged value improves as it rises or as it falls: one rule for the best-model
checkpoint, the run summary, the plots' best epoch and the generated script's callbacks.

Losses fall. A metric Keras knows goes the way its Keras object says (Metric._direction, read
by app.keras_internals.metric_direction: the knowledge Keras' own callbacks use). A name Keras
does not know (a custom metric) falls if it names a loss or an error, else rises.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from app.keras_internals import metric_direction

# Only for names Keras cannot tell: words of quantities that are better small.
LOWER_IS_BETTER_WORDS = (
    "loss",
    "error",
    "crossentropy",
    "hinge",
    "divergence",
    "cosh",
    "poisson",
    "mse",
    "mae",
    "mape",
    "msle",
    "kld",
)


@functools.lru_cache(maxsize=1024)
def rises(key: str) -> bool:
    """True if higher is better for a logged key such as "val_head_r2_score".

    Cached: asking Keras builds a metric object, and the plots ask on the GUI thread.
    """
    direction = metric_direction(key)
    if direction is not None:
        return direction == "up"
    name = key.removeprefix("val_").lower()
    return not any(word in name for word in LOWER_IS_BETTER_WORDS)


def monitor_mode(key: str, mode: str = "auto") -> str:
    """The mode ("min" / "max") a Keras monitor callback watching `key` gets; an explicit
    "min" or "max" is kept."""
    if mode in ("min", "max"):
        return mode
    return "max" if rises(key) else "min"


def best_index(values: Sequence[float], key: str) -> int | None:
    """Index of the best finite value under the rule (the first one on a tie); None if none."""
    best: int | None = None
    up = rises(key)
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            continue
        if best is None or (v > values[best] if up else v < values[best]):
            best = i
    return best
