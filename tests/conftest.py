"""Shared test fixtures: quiet TensorFlow, and small graphs built through the public model API."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def make_digits_mlp(name: str = "digits") -> object:
    """The guides' digits MLP: img(784) -> Dense 64 relu -> Dense 64 relu -> Dense 10 softmax."""
    from app.model import ModelGraph

    g = ModelGraph(name)
    img = g.add_node("keras.Input", "img", params={"shape": [784]})
    d1 = g.add_node("keras.layers.Dense", "dense_1", params={"units": 64, "activation": "relu"})
    d2 = g.add_node("keras.layers.Dense", "dense_2", params={"units": 64, "activation": "relu"})
    out = g.add_node(
        "keras.layers.Dense", "predictions", params={"units": 10, "activation": "softmax"}
    )
    g.connect(img, d1)
    g.connect(d1, d2)
    g.connect(d2, out)
    g.set_outputs([out])
    return g


@pytest.fixture
def digits_mlp():
    """A fresh digits MLP graph (look nodes up with graph.node_by_name)."""
    return make_digits_mlp()


@pytest.fixture
def nid():
    """nid(graph, name) -> the id of the node called `name`."""

    def find(graph, name: str) -> str:
        node = graph.node_by_name(name)
        assert node is not None, name
        return node.id

    return find
