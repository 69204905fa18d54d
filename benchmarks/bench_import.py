"""Prints how long importing and laying out ResNet50 takes, next to keras.Model.from_config.

Run: python benchmarks/bench_import.py   (target: import + layout <= 3 s; figures, not a test)
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best_of(fn, runs: int = 3) -> tuple[float, object]:
    """The fastest of `runs` timings and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    import keras

    from app.compiler import import_model
    from app.compiler.importer import _Importer
    from app.compiler.layout import count_crossings, count_edges_over_nodes, layout_graph

    model = keras.applications.ResNet50(weights=None)
    config = model.get_config()
    n_layers = len(model.layers)

    t_import, graph = best_of(lambda: import_model(model))
    t_struct, _ = best_of(lambda: _Importer().model(model, depth=0))
    t_layout, _ = best_of(lambda: layout_graph(graph), runs=5)
    t_config, _ = best_of(lambda: keras.Model.from_config(copy.deepcopy(config)))

    print(f"ResNet50: {n_layers} layers, {len(graph)} nodes, {len(graph.edges())} edges")
    print(f"import_model (read + weights + layout): {t_import:.3f} s  (target <= 3 s)")
    print(f"  of which graph reading:               {t_struct:.3f} s")
    print(f"  of which layout_graph:                {t_layout:.3f} s")
    print(f"keras.Model.from_config, same config:   {t_config:.3f} s")
    print(f"ratio import / from_config:             {t_import / t_config:.2f}")
    print(f"edge crossings in the layout:           {count_crossings(graph)}")
    print(f"edges running over other nodes:         {count_edges_over_nodes(graph)}")


if __name__ == "__main__":
    main()
