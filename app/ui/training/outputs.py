"""Small pieces the training panel uses: the model's output names and the GC freeze."""

from __future__ import annotations

import gc
import sys

from app.model import ModelGraph


def freeze_imported_objects() -> None:
    """Move everything alive now (TensorFlow / Keras modules: ~10^6 objects) out of the garbage
    collector's view, once Keras is loaded.

    A full collection otherwise walks them all (~0.2 s holding the GIL), which freezes the window
    whenever Python or the trainer collects during training.
    """
    if "keras" in sys.modules and not getattr(freeze_imported_objects, "done", False):
        gc.collect()
        gc.freeze()
        freeze_imported_objects.done = True


def model_outputs(graph: ModelGraph) -> list[str]:
    """Output names of the graph's model (node names, in model output order)."""
    names = []
    for ref in graph.outputs:
        node = graph.node(ref.node) if ref.node in graph else None
        if node is not None and node.name not in names:
            names.append(node.name)
    return names
