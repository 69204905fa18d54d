"""Work-around for a TensorFlow memory leak that grows with every training run.

Keras' TensorFlow trainer reduces gradients through `tf.distribute`'s `all_reduce`, which in a
traced function goes through `tf.custom_gradient`. In graph mode that registers a new gradient
function ("CustomGradient-<n>") in TensorFlow's global gradient registry, never removed, and its
closure holds the traced train-step graph: thousands of Python objects per run stay alive, so
memory grows and every full garbage collection (which holds the GIL) gets slower — visible as
pauses of the window during later runs.

A run records the registry's custom-gradient names before it starts; once its model's traced
functions are dropped, the entries added since are removed. Nothing else computes gradients
while a run is in progress (one run at a time; shape inference and evaluation do not).
"""

from __future__ import annotations

from app.keras_internals import tf_gradient_registry

PREFIX = "CustomGradient-"


def custom_gradient_names() -> frozenset[str]:
    """The custom-gradient entries registered now."""
    reg = tf_gradient_registry()
    if reg is None:
        return frozenset()
    return frozenset(k for k in list(reg) if isinstance(k, str) and k.startswith(PREFIX))


def forget_custom_gradients(before: frozenset[str]) -> int:
    """Remove the custom-gradient entries registered since `before`; how many were removed."""
    reg = tf_gradient_registry()
    if reg is None:
        return 0
    new = custom_gradient_names() - before
    for name in new:
        reg.pop(name, None)
    return len(new)
