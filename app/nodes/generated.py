"""Specs generated from Keras itself for every public layer class without a curated spec."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from app.nodes.spec import NodeSpec, ParamSpec, PortSpec

DATA_FILE = Path(__file__).with_name("keras_layers.json")

_PARAM_FIELDS = frozenset(ParamSpec.__dataclass_fields__)
_PORT_FIELDS = frozenset(PortSpec.__dataclass_fields__)


def spec_from_dict(entry: dict) -> NodeSpec:
    """A NodeSpec from one keras_layers.json entry (unknown keys are ignored)."""
    params = tuple(
        ParamSpec(
            **{k: tuple(v) if k == "choices" else v for k, v in p.items() if k in _PARAM_FIELDS}
        )
        for p in entry.get("params", ())
    )
    ports = tuple(
        PortSpec(**{k: v for k, v in p.items() if k in _PORT_FIELDS})
        for p in entry.get("inputs", ({"name": "inputs"},))
    )
    return NodeSpec(
        id=entry["id"],
        class_name=entry["class_name"],
        module=entry.get("module", "keras.layers"),
        category=entry.get("category", "Other"),
        doc=entry.get("doc", ""),
        params=params,
        inputs=ports,
        call_style=entry.get("call_style", "single"),
        kind=entry.get("kind", "layer"),
        curated=False,
        key_params=tuple(entry.get("key_params", ())),
        aliases=tuple(entry.get("aliases", ())),
        trusted_code_only=entry.get("trusted_code_only", False),
        extra=dict(entry.get("extra", {})),
    )


@cache
def load_document() -> dict:
    """The parsed keras_layers.json ({"keras_version": ..., "specs": [...]}); empty if missing."""
    if not DATA_FILE.exists():
        return {"keras_version": None, "specs": []}
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@cache
def load_specs() -> tuple[NodeSpec, ...]:
    """Specs from keras_layers.json (written by `python -m app.nodes.generate`)."""
    return tuple(spec_from_dict(e) for e in load_document()["specs"])
