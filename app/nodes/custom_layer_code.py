"""What a CustomLayer's code defines: its layer classes and their constructor arguments.

Read with `ast` only, so nothing the user wrote runs here.  When the user edits a CustomLayer's
code, its class name and config follow the code (`params_following_code`): the template's
`Linear` / {"units": 32} must not outlive the class they belonged to.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any

_NO_DEFAULT = object()
# Given by LayerLoom itself when it makes the layer (the node's name), never by the config.
_SET_BY_LAYERLOOM = frozenset({"name"})


@dataclass(frozen=True)
class LayerClass:
    """A class defined at the top of the code: its name and its __init__ keyword arguments."""

    name: str
    is_layer: bool  # derives from a Keras layer (by its written bases)
    arguments: tuple[str, ...] = ()  # named __init__ arguments after self, in order
    defaults: dict[str, Any] = field(default_factory=dict)  # those with a plain (JSON) default


def layer_classes(code: str) -> list[LayerClass]:
    """The top-level classes of `code`, in order; [] if the code does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    found: list[LayerClass] = []
    layers: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        is_layer = any(_is_layer_base(base, layers) for base in node.bases)
        if is_layer:
            layers.add(node.name)
        found.append(LayerClass(node.name, is_layer, *_init_arguments(node)))
    return found


def _is_layer_base(base: ast.expr, known_layers: set[str]) -> bool:
    """keras.layers.Layer, layers.Dense, keras.Layer, Layer, keras.Model (a subclassed model is
    a layer too: the guides' Classifier(keras.Model)), or a layer class defined above."""
    if isinstance(base, ast.Name):
        return base.id in known_layers or base.id.endswith(("Layer", "Model"))
    if isinstance(base, ast.Attribute):
        owner = base.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return owner_name in ("layers", "models") or base.attr.endswith(("Layer", "Model"))
    return False


def _init_arguments(cls: ast.ClassDef) -> tuple[tuple[str, ...], dict[str, Any]]:
    init = next(
        (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    if init is None:
        return (), {}
    args = init.args
    positional = [*args.posonlyargs, *args.args][1:]  # without self
    values: list[Any] = [_NO_DEFAULT] * (len(positional) - len(args.defaults))
    values += [_plain_value(d) for d in args.defaults]
    values += [_NO_DEFAULT if d is None else _plain_value(d) for d in args.kw_defaults]
    pairs = [(a.arg, v) for a, v in zip((*positional, *args.kwonlyargs), values)]
    pairs = [(n, v) for n, v in pairs if n not in _SET_BY_LAYERLOOM]
    return tuple(n for n, _ in pairs), {n: v for n, v in pairs if v is not _NO_DEFAULT}


def _plain_value(node: ast.expr) -> Any:
    """The default as a JSON value (tuples become lists), or _NO_DEFAULT if it is code."""
    try:
        value = ast.literal_eval(node)
        return json.loads(json.dumps(value))
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return _NO_DEFAULT


def chosen_class(classes: list[LayerClass], current: str | None) -> LayerClass | None:
    """The class a CustomLayer uses: `current` if still defined, else the last layer class."""
    candidates = [c for c in classes if c.is_layer] or classes
    by_name = {c.name: c for c in candidates}
    if current in by_name:
        return by_name[current]
    return candidates[-1] if candidates else None


def params_following_code(params: dict[str, Any], new_code: str) -> dict[str, Any]:
    """`params` (code, class_name, config) with the new code and a class and config that fit it.

    The class stays if the new code still defines it, else it becomes the code's (last) layer
    class.  The config keeps the values the user set for arguments the class still takes;
    arguments the user left at the code's default take the new code's default.  Code that does
    not parse, or defines no class, keeps the old class and config (the check reports it).
    """
    old_classes = layer_classes(str(params.get("code", "")))
    old_name = params.get("class_name")
    old = next((c for c in old_classes if c.name == old_name), None)
    new = chosen_class(layer_classes(new_code), old_name)
    out = {**params, "code": new_code}
    if new is None:
        return out
    config = params.get("config")
    config = config if isinstance(config, dict) else {}
    old_defaults = old.defaults if old is not None else {}
    follows: dict[str, Any] = {}
    for name in new.arguments:
        user_set = name in config and (
            name not in old_defaults or config[name] != old_defaults[name]
        )
        if user_set:
            follows[name] = config[name]
        elif name in new.defaults:
            follows[name] = new.defaults[name]
    out["class_name"] = new.name
    out["config"] = follows
    return out
