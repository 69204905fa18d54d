"""Shape inference and build_model on a ResNet50-sized graph (177 layers); prints figures.

    python benchmarks/bench_shapes.py [--repeat 5]

Figures: first full inference; incremental inference after one edit (final Dense units, a
mid-network Conv2D's filters); build_model vs keras.Model.from_config of the same model
config, measured interleaved in one run (median of --repeat runs each).
Targets (DESIGN.md): <= 50 ms incremental, build/from_config ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _timed(fn):
    gc.collect()
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import keras

    from app.compiler import ShapeEngine, build_model, import_model

    model = keras.applications.ResNet50(weights=None)
    graph = import_model(model)
    for _path, level in graph.walk():
        for node in level.nodes():
            node.weights = None  # compare like with like: from_config initialises fresh weights
    print(f"graph: {len(graph)} nodes, keras {keras.__version__}")

    engine = ShapeEngine()
    t_first, report = _timed(lambda: engine.run(graph))
    assert report.ok, report.problems[:3]
    assert report.total_params == model.count_params(), (report.total_params, model.count_params())
    print(f"first full inference        {_ms(t_first)}  ({report.total_params:,} params = Keras)")
    t_warm = statistics.median(_timed(lambda: ShapeEngine().run(graph))[0] for _ in range(3))
    print(f"full inference, new engine  {_ms(t_warm)}  (median of 3)")
    t_none = statistics.median(_timed(lambda: engine.run(graph))[0] for _ in range(args.repeat))
    print(f"re-run, nothing changed     {_ms(t_none)}  ({len(engine.last_recomputed)} recomputed)")

    def edit(name: str, param: str, values: list[int]) -> None:
        node = graph.node_by_name(name)
        times, counts = [], []
        for i in range(args.repeat):
            graph.set_params(node.id, **{param: values[i % len(values)]})
            t, rep = _timed(lambda: engine.run(graph))
            assert rep.ok, rep.problems[:3]
            times.append(t)
            counts.append(len(engine.last_recomputed))
        print(
            f"edit {name + '.' + param:<23}{_ms(statistics.median(times))}  "
            f"(median, max {max(times) * 1000:.1f} ms; {max(counts)} nodes recomputed)"
        )

    edit("predictions", "units", [10, 1000, 7])
    edit("conv3_block2_2_conv", "filters", [64, 128, 96])

    config = model.get_config()
    builds, loads = [], []
    for _ in range(args.repeat):
        loads.append(_timed(lambda: keras.Model.from_config(copy.deepcopy(config)))[0])
        builds.append(_timed(lambda: build_model(graph))[0])
    b, f = statistics.median(builds), statistics.median(loads)
    print(f"build_model                 {_ms(b)}  (median of {args.repeat})")
    print(f"keras.Model.from_config     {_ms(f)}  (median of {args.repeat}, interleaved)")
    print(f"ratio build/from_config     {b / f:8.2f}   (target <= 1.5)")


if __name__ == "__main__":
    main()
