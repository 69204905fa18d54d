"""Writes keras_layers.json: a NodeSpec for every public Keras layer class without a curated spec.

Run `python -m app.nodes.generate` after upgrading Keras.  Params come from the constructor
signature; required args get a default found by building the layer; example inputs are found
by calling the layer on symbolic `keras.Input`s of several ranks and dtypes.
"""

from __future__ import annotations

import inspect
import itertools
import json
import os
import re
import sys
import warnings
from typing import Any

from app.nodes.generated import DATA_FILE

# Public classes that are not graph nodes: framework bridges, bases, SavedModel access.
EXCLUDED = frozenset(
    {"JaxLayer", "FlaxLayer", "TorchModuleWrapper", "TFSMLayer", "InputLayer", "Layer", "Wrapper"}
)
# Constructor args the node carries itself (name, trainable) or that cannot be JSON (weights).
SKIPPED_PARAMS = frozenset({"self", "name", "trainable", "dtype", "weights", "input_tensor"})

MODULE_CATEGORIES = (
    ("layers.convolutional", "Convolution"),
    ("layers.pooling", "Pooling"),
    ("layers.rnn", "Recurrent"),
    ("layers.attention", "Attention"),
    ("layers.normalization", "Normalization"),
    ("layers.regularization", "Regularization"),
    ("layers.merging", "Merging"),
    ("layers.reshaping", "Reshaping"),
    ("layers.activations", "Activation"),
    ("layers.preprocessing", "Preprocessing"),
    ("layers.core", "Core"),
)

KNOWN_CHOICES = {
    "data_format": ("channels_last", "channels_first"),
    "fill_mode": ("reflect", "wrap", "constant", "nearest"),
    "merge_mode": ("sum", "mul", "concat", "ave"),
}
ADVANCED_KINDS = frozenset({"initializer", "regularizer", "constraint", "dtype"})
ADVANCED_NAMES = frozenset({"seed", "data_format", "sparse", "ragged", "encoding", "salt"})
GENERIC_DOCS = {
    "data_format": "Where the channels axis is (None: the Keras config, usually channels_last).",
    "seed": "Random seed (None: random).",
    "value_range": "[low, high] range of the input values.",
    "layers": "The layers applied in order (Keras layer configs).",
    "fill_value": "Value used for padding.",
}
TUPLE_NAMES = frozenset(
    {"kernel_size", "strides", "pool_size", "dilation_rate", "size", "output_size", "padding",
     "cropping", "tile_grid_size", "output_padding"}
)  # fmt: skip


def _layer_config(class_name: str, **config: Any) -> dict:
    return {"module": "keras.layers", "class_name": class_name, "config": config,
            "registered_name": None}  # fmt: skip


# Values tried, in order, for required constructor args (and args that are required in effect).
NAME_CANDIDATES: dict[str, list[Any]] = {
    "units": [32], "filters": [32], "input_dim": [1000], "output_dim": [64],
    "num_heads": [2], "key_dim": [16], "head_dim": [16], "num_query_heads": [4],
    "num_key_value_heads": [2], "n": [3], "num_bins": [16], "num_tokens": [16],
    "max_number": [10], "height": [16], "width": [16], "output_size": [4, [4, 4]],
    "rate": [0.5], "stddev": [0.1], "factor": [0.1, [0.1, 0.1], 4], "height_factor": [0.1],
    "width_factor": [0.1], "kernel_size": [3], "pool_size": [2], "scale": [1.0],
    "layer": [_layer_config("Dense", units=32), _layer_config("LSTM", units=32)],
    "cell": [_layer_config("LSTMCell", units=32)],
    "cells": [[_layer_config("LSTMCell", units=32), _layer_config("LSTMCell", units=32)]],
    "layers": [[_layer_config("Identity")]],
}  # fmt: skip
FALLBACK_CANDIDATES: list[Any] = [32, 0.1, 2, "relu", [2, 2]]
# Args whose Keras default (None) cannot build the layer: the spec picks these instead.
CHOSEN_DEFAULTS: dict[str, dict[str, Any]] = {
    "Discretization": {"num_bins": 4},
    "CategoryEncoding": {"num_tokens": 16},
}

# Candidate inputs: (shape without batch, dtype) per tensor, tried in order.
_FLOAT_SHAPES = ([16], [10, 8], [16, 16, 3], [4, 8, 8, 3], [3, 4, 8, 8, 3])
INPUT_CANDIDATES: list[list[list]] = (
    [[[s, "float32"]] for s in _FLOAT_SHAPES[:3]]
    + [[[s, "int32"]] for s in _FLOAT_SHAPES[:3]]
    + [[[s, "float32"]] for s in _FLOAT_SHAPES[3:]]
    + [[[[1024], "float32"]], [[[1024, 1], "float32"]]]
    + [[[[], "string"]], [[[1], "string"]], [[[], "float32"]], [[[], "int32"]]]
    + [[[s, "float32"], [s, "float32"]] for s in _FLOAT_SHAPES[:3]]
    + [[[[], d], [[], d]] for d in ("int32", "string")]
)
INT_INPUT_LAYERS = frozenset(
    {"CategoryEncoding", "IntegerLookup", "Embedding", "ReversibleEmbedding", "Hashing"}
)


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def public_layer_classes() -> dict[type, list[str]]:
    """Every public Layer subclass in `keras.layers` -> its public names (canonical first)."""
    keras = _keras()
    found: dict[type, list[str]] = {}
    for name in sorted(dir(keras.layers)):
        obj = getattr(keras.layers, name)
        if inspect.isclass(obj) and issubclass(obj, keras.layers.Layer):
            found.setdefault(obj, []).append(name)
    return {
        cls: sorted(names, key=lambda n: (n != cls.__name__, n)) for cls, names in found.items()
    }


def curated_names() -> set[str]:
    """Public names (class names and alias tails) covered by hand-written specs."""
    from app.nodes import curated

    names = set()
    for spec in curated.SPECS:
        names.add(spec.class_name)
        names.update(a.rsplit(".", 1)[-1] for a in spec.aliases)
    return names


def classes_to_generate() -> dict[type, list[str]]:
    """Public layer classes that need a generated spec (not excluded, not curated)."""
    covered = curated_names() | EXCLUDED
    return {
        cls: names
        for cls, names in public_layer_classes().items()
        if not covered.intersection(names) and cls.__name__ not in EXCLUDED
    }


def category_for(cls: type) -> str:
    """Palette category from the class's module path."""
    for part, category in MODULE_CATEGORIES:
        if part in cls.__module__:
            return category
    return "Other"


def _json_safe(value: Any) -> tuple[bool, Any]:
    try:
        return True, json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return False, None


def _dims(cls_name: str) -> int | None:
    m = re.search(r"([123])D", cls_name)
    return int(m.group(1)) if m else None


def infer_param(cls_name: str, name: str, default: Any) -> dict:
    """A ParamSpec as a dict (kind, choices, range, length) for one constructor arg."""
    p: dict[str, Any] = {"name": name, "kind": "any", "default": default}
    if name in ("activation", "recurrent_activation"):
        p["kind"] = "activation"
    elif name.endswith("_initializer"):
        p["kind"] = "initializer"
    elif name.endswith("_regularizer"):
        p["kind"] = "regularizer"
    elif name.endswith("_constraint"):
        p["kind"] = "constraint"
    elif name in ("layer", "cell", "backward_layer"):
        p["kind"] = "layer"
    elif name.endswith("dtype"):
        p["kind"] = "dtype"
    elif name in KNOWN_CHOICES and (default is None or default in KNOWN_CHOICES[name]):
        p["kind"], p["choices"] = "choice", list(KNOWN_CHOICES[name])
    elif name == "padding" and default in ("valid", "same"):
        p["kind"], p["choices"] = "choice", ["valid", "same"]
    elif "factor" in name and isinstance(default, int | float | None):
        p["kind"] = "any"  # a number f (for [-f, f]) or a [low, high] pair
    elif isinstance(default, bool):
        p["kind"] = "bool"
    elif isinstance(default, int) and name in TUPLE_NAMES and _dims(cls_name):
        p["kind"], p["length"], p["minimum"] = "int_tuple", _dims(cls_name), 0
    elif isinstance(default, int):
        p["kind"] = "int"
    elif isinstance(default, float):
        p["kind"] = "float"
    elif isinstance(default, str):
        p["kind"] = "string"
    elif name == "seed" and default is None:
        p["kind"] = "int"
    elif (
        isinstance(default, list)
        and name in TUPLE_NAMES
        and default
        and all(isinstance(v, int) and not isinstance(v, bool) for v in default)
    ):
        p["kind"], p["length"] = "int_tuple", len(default)
    if p["kind"] == "float" and ("rate" in name or "dropout" in name):
        p["minimum"], p["maximum"] = 0.0, 1.0
    if p["kind"] == "int" and name in NAME_CANDIDATES:
        p["minimum"] = 1
    if p["kind"] == "int_tuple" and name not in ("padding", "cropping", "output_padding"):
        p["minimum"] = 1
    if default is None:
        p["optional"] = True
    if p["kind"] in ADVANCED_KINDS or name in ADVANCED_NAMES:
        p["advanced"] = True
    return p


def _doc(cls: type) -> str:
    text = inspect.getdoc(cls) or ""
    para = text.split("\n\n", 1)[0].replace("\n", " ").strip()
    return para[:200]


def _first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    m = re.search(r"(?<=[a-z0-9`)\]])\.(\s|$)", text)
    sentence = text[: m.start() + 1] if m else text
    return sentence if len(sentence) <= limit else sentence[: limit - 3].rstrip() + "..."


def arg_docs(cls: type) -> dict[str, str]:
    """One line per constructor arg, from the "Args:" section of the class docstring."""
    lines = (cls.__doc__ or "").expandtabs().splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip() in ("Args:", "Arguments:")), None)
    if start is None:
        return {}
    base = len(lines[start]) - len(lines[start].lstrip())
    docs: dict[str, list[str]] = {}
    current = None
    for line in lines[start + 1 :]:
        indent = len(line) - len(line.lstrip())
        if line.strip() and indent <= base:
            break  # next section ("Input shape:", "Example:", ...)
        entry = re.match(r"^(\w+)(?: \([^)]*\))?:\s*(.*)$", line.strip())
        if entry and indent <= base + 4:
            current = entry.group(1)
            docs[current] = [entry.group(2)]
        elif current and line.strip():
            docs[current].append(line.strip())
    return {k: _first_sentence(" ".join(v)) for k, v in docs.items() if any(v)}


def _signature(cls: type) -> list[inspect.Parameter]:
    params = list(inspect.signature(cls.__init__).parameters.values())
    return [
        p for p in params
        if p.name not in SKIPPED_PARAMS and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]  # fmt: skip


def accepts_kwarg(cls: type, name: str) -> bool:
    """Whether the constructor takes `name` (explicitly or through **kwargs)."""
    params = inspect.signature(cls.__init__).parameters
    return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def build_layer(cls: type, config: dict, name: str = "probe") -> Any:
    """The layer built the way the compiler builds it: from_config with JSON params."""
    return cls.from_config({**json.loads(json.dumps(config)), "name": name})


def sample_batch(shape: list, dtype: str, batch: int = 2) -> Any:
    """A small concrete batch for an eager check: floats in [0, 1), small ints, short texts."""
    import numpy as np

    full = (batch, *shape)
    rng = np.random.default_rng(0)
    if dtype == "string":
        words = np.array(["the cat", "a dog sat", "on the mat"])
        return words[rng.integers(0, len(words), size=full)]
    if dtype.startswith("int"):
        return rng.integers(0, 10, size=full).astype(dtype)
    return rng.random(full).astype(dtype)


def _runs_on(cls: type, config: dict, inputs: list[list], style: str, eager: bool) -> str | None:
    """None if the layer builds a one-layer Model on `inputs` (and runs eagerly); else the error."""
    keras = _keras()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tensors = [keras.Input(shape=tuple(s), dtype=d) for s, d in inputs]
            layer = build_layer(cls, config)
            outputs = layer(tensors) if style == "list" else layer(tensors[0])
            keras.Model(tensors, outputs)
            if eager:
                data = [sample_batch(s, d) for s, d in inputs]
                layer = build_layer(cls, config)
                if callable(getattr(layer, "adapt", None)):
                    layer.adapt(data[0])  # lookup / normalization layers learn from data first
                layer(data if style == "list" else data[0], training=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "not this candidate"
        text = re.sub(r"keras_tensor_\d+", "keras_tensor", str(exc).strip().splitlines()[0])
        return f"{type(exc).__name__}: {text[:160]}"
    return None


def ordered_candidates(cls: type) -> list[list[list]]:
    """INPUT_CANDIDATES, the likeliest first: images for image layers, ints for id layers."""
    dims = _dims(cls.__name__)
    want_rank = 3 if "image_preprocessing" in cls.__module__ else (dims + 1 if dims else None)
    want_int = cls.__name__ in INT_INPUT_LAYERS

    def score(inputs: list[list]) -> tuple[bool, bool]:
        shape, dtype = inputs[0]
        return (want_rank is not None and len(shape) != want_rank,
                want_int and not dtype.startswith("int"))  # fmt: skip

    return sorted(INPUT_CANDIDATES, key=score)


def probe_inputs(cls: type, config: dict) -> tuple[str, list[list]] | str:
    """(call_style, example inputs) of the first candidate the layer accepts, or the error.

    A candidate must build a one-layer keras.Model and run eagerly on a small batch
    (training=True, after adapt() for layers that learn from data); if none does, the first
    that builds the Model alone is taken.  The error returned is the likeliest candidate's.
    """
    first_error = None
    for eager in (True, False):
        for inputs in ordered_candidates(cls):
            style = "list" if len(inputs) > 1 else "single"
            error = _runs_on(cls, config, inputs, style, eager)
            if error is None:
                return style, inputs
            first_error = first_error or error
    return first_error or "no input candidate"


def _candidates(name: str) -> list[Any]:
    return NAME_CANDIDATES.get(name, FALLBACK_CANDIDATES)


def spec_entry(cls: type, names: list[str]) -> dict:
    """The JSON entry (a NodeSpec as a dict) for one Keras class."""
    public = names[0]
    fixed: dict[str, Any] = {}
    required: list[str] = []
    params: list[dict] = []
    for p in _signature(cls):
        if p.default is inspect.Parameter.empty:
            required.append(p.name)
            params.append({"name": p.name})
            continue
        ok, default = _json_safe(p.default)
        if ok:
            fixed[p.name] = default
            params.append({"name": p.name})
    chosen = CHOSEN_DEFAULTS.get(public, {})
    fixed.update(chosen)
    extra: dict[str, Any] = {}
    found = None
    first_instantiable = None
    error = "cannot be created from its defaults"
    for combo in itertools.islice(itertools.product(*(_candidates(n) for n in required)), 40):
        config = {**fixed, **dict(zip(required, combo))}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build_layer(cls, config)
        except Exception:  # noqa: BLE001
            continue
        first_instantiable = first_instantiable or config
        probed = probe_inputs(cls, config)
        if isinstance(probed, tuple):
            found = (config, probed)
            break
        error = probed
    if found:
        config, (style, inputs) = found
        extra["example_inputs"] = inputs
    else:
        config = first_instantiable or {**fixed, **{n: None for n in required}}
        style = "single"
        extra["needs_config"] = True
        extra["build_error"] = error
    if required or chosen:
        extra["chosen_defaults"] = sorted(set(required) | set(chosen))
    if callable(getattr(cls, "adapt", None)):
        extra["needs_adapt"] = True
    if not accepts_kwarg(cls, "trainable"):
        extra["trainable_kwarg"] = False  # from_config must not get "trainable"
    if public.endswith(("Cell", "Cells")):
        extra["nested_only"] = True  # an RNN cell: used inside RNN, not called on tensors
        extra.pop("needs_config", None)
        extra.pop("build_error", None)
    params = [infer_param(public, p["name"], config[p["name"]]) for p in params]
    docs = {**GENERIC_DOCS, **arg_docs(cls)}
    for p in params:
        if docs.get(p["name"]):
            p["doc"] = docs[p["name"]]
    inputs = [{"name": "inputs"}]
    if style == "list":
        inputs = [{"name": "inputs", "variadic": True, "min_count": len(extra["example_inputs"])}]
    keras_name = cls.__name__
    return {
        "id": f"keras.layers.{public}",
        "class_name": public,
        "module": "keras.layers",
        "category": category_for(cls),
        "doc": _doc(cls),
        "params": params,
        "inputs": inputs,
        "call_style": style,
        "key_params": [p["name"] for p in params if p["name"] in required][:3],
        "aliases": [f"keras.layers.{n}" for n in names[1:]]
        + ([f"keras.layers.{keras_name}"] if keras_name not in names else []),
        "extra": extra,
    }


def generate() -> dict:
    """The whole JSON document for the installed Keras."""
    keras = _keras()
    classes = classes_to_generate()
    entries = [spec_entry(cls, names) for cls, names in classes.items()]
    entries.sort(key=lambda e: e["id"])
    return {"keras_version": keras.__version__, "specs": entries}


def main() -> int:
    """Regenerate keras_layers.json next to this module."""
    doc = generate()
    DATA_FILE.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    n_cfg = sum(1 for e in doc["specs"] if e["extra"].get("needs_config"))
    print(f"wrote {len(doc['specs'])} specs ({n_cfg} need config) to {DATA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
