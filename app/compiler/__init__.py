"""Keras bridge: shape inference, graph -> keras.Model, keras.Model -> graph, code generation.

Importing this package does not import Keras/TensorFlow: each public function imports its
module on first call.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "infer_shapes": "app.compiler.infer",
    "ShapeEngine": "app.compiler.infer",
    "ShapeReport": "app.compiler.report",
    "NodeResult": "app.compiler.report",
    "Problem": "app.compiler.report",
    "build_model": "app.compiler.build",
    "import_model": "app.compiler.importer",
    "load_keras_file": "app.compiler.keras_file",
    "generate_code": "app.compiler.codegen",
    "layout_graph": "app.compiler.layout",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'app.compiler' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
