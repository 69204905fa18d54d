"""Pieces the project-code tests share: a tiny regression graph and a marker line that shows
whether untrusted code ran."""

from __future__ import annotations

import uuid
from pathlib import Path

from app.model import ModelGraph


def regression_graph() -> ModelGraph:
    """Input 'x' of 4 numbers -> Dense 'y' of 1 unit, the model's output."""
    g = ModelGraph("reg")
    x = g.add_node("keras.Input", "x", params={"shape": [4]})
    d = g.add_node("keras.layers.Dense", "y", params={"units": 1})
    g.connect(x, d)
    g.set_outputs([d])
    return g


def marker_line(marker: Path | None) -> str:
    """Code that writes `marker` when it runs; a unique line, so nothing in this process has
    trusted the text before. Empty without a marker."""
    return f"\nopen({str(marker)!r}, 'w').write({uuid.uuid4().hex!r})\n" if marker else ""
