"""Small graphs for project-file tests (pure Python, no Keras)."""

from __future__ import annotations

import numpy as np
import pytest

from app.model import ModelGraph


def make_graph(with_weights: bool = False) -> ModelGraph:
    """Input(4) -> Dense(3) -> block[Dense(2)] -> output; optionally with weights, also nested."""
    g = ModelGraph("tiny")
    x = g.add_node("keras.Input", "x", {"shape": [4]}, position=(0, 0))
    d = g.add_node("keras.layers.Dense", "hidden", {"units": 3, "activation": "relu"}, (240, 0))
    g.connect(x, d)
    sub = ModelGraph("head")
    si = sub.add_node("keras.Input", "head_in", {"shape": None})
    sd = sub.add_node("keras.layers.Dense", "head_out", {"units": 2})
    sub.connect(si, sd)
    sub.set_outputs([sd])
    b = g.add_node("layerloom.Block", "head", position=(480, 0), subgraph=sub)
    g.connect(d, b)
    g.set_outputs([b])
    if with_weights:
        rng = np.random.default_rng(0)
        g.node(d).weights = [rng.normal(size=(4, 3)).astype("float32"), np.zeros(3, "float32")]
        sub.node(sd).weights = [rng.normal(size=(3, 2)).astype("float32"), np.ones(2, "float32")]
    return g


@pytest.fixture
def graph() -> ModelGraph:
    return make_graph()
