"""Tiny real Keras models and datasets for the training tests."""

from __future__ import annotations

import keras
import pytest

from app.data import DataConfig, load_dataset


def digits_mlp(hidden: int = 32) -> keras.Model:
    x = keras.Input((64,), name="digits")
    h = keras.layers.Dense(hidden, activation="relu", name="hidden")(x)
    return keras.Model(x, keras.layers.Dense(10, activation="softmax", name="digit")(h))


@pytest.fixture(scope="session")
def mlp():
    """A factory of fresh digits MLPs (64 -> hidden -> 10 softmax)."""
    return digits_mlp


@pytest.fixture(scope="session")
def digits():
    return load_dataset(DataConfig(source="sklearn.digits", seed=0))


@pytest.fixture
def runs(tmp_path):
    return tmp_path / "runs"
