"""Which layers learn state from data (Keras' adapt()) and which of their params hold it.

The state lives in constructor params (Normalization's mean / variance, a lookup's vocabulary,
Discretization's bin_boundaries): the project saves them, build_model passes them and every
export carries them. A node whose first state param is unset has no state yet; a training run
adapts it from the training split before fit (app.training.adapt).
"""

from __future__ import annotations

from typing import Any

from app.nodes.spec import NodeSpec

STATE_KEY = "learned_state"  # spec.extra: the params adapt() fills, the deciding one first


def state_params(spec: NodeSpec | None) -> tuple[str, ...]:
    """The params that hold what the layer learns with adapt() (empty for other layers)."""
    if spec is None:
        return ()
    return tuple(spec.extra.get(STATE_KEY, ()))


def learns_state(spec: NodeSpec | None) -> bool:
    return bool(state_params(spec))


def has_state(spec: NodeSpec | None, params: dict[str, Any]) -> bool:
    """True if the node holds learned (or given) state: its deciding param is set."""
    names = state_params(spec)
    return bool(names) and params.get(names[0]) is not None


def lacks_state(spec: NodeSpec | None, params: dict[str, Any]) -> bool:
    """True for a node that must be adapted before it does anything useful."""
    return learns_state(spec) and not has_state(spec, params)


def without_state(spec: NodeSpec | None, params: dict[str, Any]) -> dict[str, Any]:
    """The params with the learned state left out (what "Forget learned state" keeps)."""
    names = set(state_params(spec))
    return {k: v for k, v in params.items() if k not in names}


def state_words(spec: NodeSpec | None) -> str:
    """What the layer learns, for messages: "mean/variance", "vocabulary", "bin boundaries"."""
    return str(spec.extra.get("learned_words", "state")) if spec is not None else "state"


def vocabulary_size(params: dict[str, Any]) -> int:
    """Tokens in a stored vocabulary, without the OOV and mask entries a tf-idf one starts
    with (app/compiler/layer_state.py keeps them there)."""
    return len(_real_tokens(params))


def _real_tokens(params: dict[str, Any]) -> list:
    vocabulary = params.get("vocabulary") or []
    if params.get("idf_weights") is None:
        return list(vocabulary)
    specials = {params.get("oov_token", "[UNK]"), params.get("mask_token"), ""}
    return [t for t in vocabulary if t not in specials]


def describe_state(spec: NodeSpec | None, params: dict[str, Any], shown: int = 8) -> list[str]:
    """Lines saying what a node has learned: mean/variance per feature, vocabulary size and
    its first (most frequent) tokens, bin edges; [] when it has no state."""
    if not has_state(spec, params):
        return []
    kind = spec.class_name if spec is not None else ""
    if kind == "Normalization":
        return [
            f"Mean: {_numbers(params.get('mean'), shown)}",
            f"Variance: {_numbers(params.get('variance'), shown)}",
        ]
    if kind == "Discretization":
        edges = params.get("bin_boundaries") or []
        return [f"Bin edges ({len(edges)}): {_numbers(edges, shown)}"]
    tokens = _real_tokens(params)
    top = ", ".join(repr(t) if isinstance(t, str) else str(t) for t in tokens[:shown])
    more = ", …" if len(tokens) > shown else ""
    return [f"Vocabulary: {len(tokens)} tokens", f"Top tokens: {top}{more}"]


def _numbers(value: Any, shown: int) -> str:
    flat = _flatten(value)
    text = ", ".join(f"{v:.4g}" for v in flat[:shown])
    return text + (f", … ({len(flat)} in all)" if len(flat) > shown else "")


def _flatten(value: Any) -> list[float]:
    if isinstance(value, list | tuple):
        return [v for item in value for v in _flatten(item)]
    return [] if value is None else [float(value)]
