"""Shared test fixtures: quiet TensorFlow, and small graphs built through the public model API."""

from __future__ import annotations

import os
import sys

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _user_data_in_tmp(monkeypatch, tmp_path_factory):
    """The user data folder (platformdirs: example and unsaved runs, recovery) of each test is
    its own, so tests neither read nor write the real user's runs."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("user_data")))


@pytest.fixture(autouse=True)
def _layerloom_layers_stay_registered():
    """Generated scripts paste LayerLoom's layer classes and register those copies under the
    same names; after each test, point Keras' registry back at LayerLoom's own classes."""
    yield
    if "keras" in sys.modules:
        from app.compiler.custom_layers import ensure_registered

        ensure_registered()


class SubscriberFailures:
    """Model-event subscribers that raised during one test: (callback name, event, exception)."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, object, Exception]] = []
        self.expected = False

    def record(self, callback, event, exc: Exception) -> None:
        from app.model.events import callback_name

        self.failures.append((callback_name(callback), event, exc))


@pytest.fixture(autouse=True)
def _subscriber_failures_fail_the_test():
    """The app logs and survives a failing event subscriber; a test must not: any failure that
    the test did not ask for (with `expect_subscriber_failures`) fails it."""
    from app.model.events import set_error_handler

    recorder = SubscriberFailures()
    previous = set_error_handler(recorder.record)
    try:
        yield recorder
    finally:
        set_error_handler(previous)
    if not recorder.expected:
        assert not recorder.failures, "event subscribers raised: " + "; ".join(
            f"{name} on {event!r}: {exc!r}" for name, event, exc in recorder.failures
        )


@pytest.fixture
def expect_subscriber_failures(_subscriber_failures_fail_the_test) -> SubscriberFailures:
    """For tests that make a subscriber fail on purpose: the recorder, whose failures they check."""
    _subscriber_failures_fail_the_test.expected = True
    return _subscriber_failures_fail_the_test


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


def make_ticket_graph() -> object:
    """The seed's ticket classifier: three inputs, two outputs."""
    from app.model import ModelGraph

    g = ModelGraph("tickets")
    title = g.add_node("keras.Input", "title", params={"shape": [None], "dtype": "int32"})
    body = g.add_node("keras.Input", "body", params={"shape": [None], "dtype": "int32"})
    tags = g.add_node("keras.Input", "tags", params={"shape": [12]})
    te = g.add_node(
        "keras.layers.Embedding", "title_emb", params={"input_dim": 100, "output_dim": 8}
    )
    be = g.add_node(
        "keras.layers.Embedding", "body_emb", params={"input_dim": 100, "output_dim": 8}
    )
    tl = g.add_node("keras.layers.LSTM", "title_lstm", params={"units": 16})
    bl = g.add_node("keras.layers.LSTM", "body_lstm", params={"units": 4})
    cat = g.add_node("keras.layers.Concatenate", "concat")
    pri = g.add_node("keras.layers.Dense", "priority", params={"units": 1, "activation": "sigmoid"})
    dep = g.add_node(
        "keras.layers.Dense", "department", params={"units": 4, "activation": "softmax"}
    )
    g.connect(title, te)
    g.connect(body, be)
    g.connect(te, tl)
    g.connect(be, bl)
    for src in (tl, bl, tags):
        g.connect(src, cat)
    g.connect(cat, pri)
    g.connect(cat, dep)
    g.set_outputs([pri, dep])
    return g


@pytest.fixture
def ticket_graph():
    """A fresh ticket classifier graph (3 inputs, 2 outputs)."""
    return make_ticket_graph()


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


def build_ticket_keras_model() -> object:
    """A plain Keras ticket model: title ids, body ids, tags -> priority and department."""
    import keras

    title = keras.Input((6,), dtype="int32", name="title")
    body = keras.Input((10,), dtype="int32", name="body")
    tags = keras.Input((12,), name="tags")
    t = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(500, 8)(title))
    b = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(800, 8)(body))
    h = keras.layers.Concatenate()([t, b, tags])
    pri = keras.layers.Dense(1, activation="sigmoid", name="priority")(h)
    dep = keras.layers.Dense(4, activation="softmax", name="department")(h)
    return keras.Model([title, body, tags], [pri, dep])


@pytest.fixture
def ticket_model():
    """A factory of fresh plain-Keras ticket models (data and training tests)."""
    return build_ticket_keras_model


def make_shared_embedding_graph() -> tuple:
    """Two int inputs through ONE Embedding layer (the second call reuses it), concatenated.

    Returns (graph, first embedding node id, sharing node id)."""
    from app.model import ModelGraph

    g = ModelGraph("shared")
    a = g.add_node("keras.Input", "a", params={"shape": [5], "dtype": "int32"})
    b = g.add_node("keras.Input", "b", params={"shape": [7], "dtype": "int32"})
    emb = g.add_node("keras.layers.Embedding", "emb", params={"input_dim": 50, "output_dim": 4})
    emb2 = g.add_node("keras.layers.Embedding", "emb_b", shared_with=emb)
    cat = g.add_node("keras.layers.Concatenate", "cat", params={"axis": 1})
    g.connect(a, emb)
    g.connect(b, emb2)
    g.connect(emb, cat)
    g.connect(emb2, cat)
    g.set_outputs([cat])
    return g, emb, emb2


@pytest.fixture
def shared_embedding_graph():
    return make_shared_embedding_graph()
