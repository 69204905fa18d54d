"""Real Keras models for the data tests."""

from __future__ import annotations

import keras
import pytest


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


@pytest.fixture
def ticket_model():
    return build_ticket_model
