"""Writing a generated script to disk, with the weights file it loads when the project holds
imported or pretrained weights (`s.py` -> `s.weights.h5` next to it).

The weights file is written first, then the script, each atomically: a script on disk always
finds the weights it names.  The weights are those of `build_model(graph)` (the imported
weights, and the fresh ones of the other layers), so the script's model predicts what the
app's model predicts before training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.compiler.codegen import generate_code, graph_has_weights
from app.model.graph import ModelGraph
from app.project.atomic import atomic_open, atomic_path

WEIGHTS_ENDING = ".weights.h5"


def weights_path_for(script: str | Path) -> Path:
    """`s.py` -> `s.weights.h5` in the same folder."""
    script = Path(script)
    stem = script.name[: -len(script.suffix)] if script.suffix else script.name
    return script.with_name(stem + WEIGHTS_ENDING)


def write_script(
    graph: ModelGraph, project: Any, script: str | Path, cluster: str | None = None
) -> list[Path]:
    """Write the script of `graph` (and its weights file if the graph holds weights); returns
    the files written, the script last.  CompileError / OSError on failure."""
    script = Path(script)
    written: list[Path] = []
    if graph_has_weights(graph):
        weights = weights_path_for(script)
        code = generate_code(
            graph, project, weights_file=weights.name, cluster=cluster
        )  # errors before writing
        from app.compiler.build import build_model

        model = build_model(graph)
        with atomic_path(weights, WEIGHTS_ENDING) as tmp:
            model.save_weights(str(tmp))
        written.append(weights)
    else:
        code = generate_code(graph, project, cluster=cluster)
    with atomic_open(script) as fh:
        fh.write(code)
    written.append(script)
    return written
