"""Shared fixtures for the node registry tests: Keras (imported once) and the public classes."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def keras():
    """The keras module (slow import: once per session)."""
    import keras as _keras

    return _keras


@pytest.fixture(scope="session")
def public_classes(keras):
    """Public layer classes of keras.layers -> their public names (canonical first)."""
    from app.nodes.generate import public_layer_classes

    return public_layer_classes()
