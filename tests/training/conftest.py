"""Tiny real Keras models and datasets for the training tests."""

from __future__ import annotations

import keras
import pytest

from app.data import DataConfig, load_dataset


def digits_mlp(hidden: int = 32) -> keras.Model:
    x = keras.Input((64,), name="digits")
    h = keras.layers.Dense(hidden, activation="relu", name="hidden")(x)
    return keras.Model(x, keras.layers.Dense(10, activation="softmax", name="digit")(h))


def build_ticket_model() -> keras.Model:
    """Three inputs (title ids, body ids, tags) -> priority (sigmoid) and department (softmax)."""
    title = keras.Input((6,), dtype="int32", name="title")
    body = keras.Input((10,), dtype="int32", name="body")
    tags = keras.Input((12,), name="tags")
    t = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(500, 8)(title))
    b = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(800, 8)(body))
    h = keras.layers.Concatenate()([t, b, tags])
    pri = keras.layers.Dense(1, activation="sigmoid", name="priority")(h)
    dep = keras.layers.Dense(4, activation="softmax", name="department")(h)
    return keras.Model([title, body, tags], [pri, dep])


@pytest.fixture(scope="session")
def mlp():
    """A factory of fresh digits MLPs (64 -> hidden -> 10 softmax)."""
    return digits_mlp


@pytest.fixture
def ticket_model():
    return build_ticket_model


@pytest.fixture(scope="session")
def digits():
    return load_dataset(DataConfig(source="sklearn.digits", seed=0))


@pytest.fixture
def runs(tmp_path):
    return tmp_path / "runs"
