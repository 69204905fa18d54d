"""Specs generated from Keras itself for every public layer class without a curated spec."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from app.nodes.spec import NodeSpec

DATA_FILE = Path(__file__).with_name("keras_layers.json")


@cache
def load_specs() -> tuple[NodeSpec, ...]:
    """Specs from keras_layers.json (written by app.nodes.generate); empty if not generated yet."""
    if not DATA_FILE.exists():
        return ()
    json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return ()
