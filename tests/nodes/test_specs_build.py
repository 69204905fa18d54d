"""Every layer spec builds with its defaults on its example inputs, and its config round-trips."""

from __future__ import annotations

import copy
import inspect
import warnings

import pytest

from app.model import ModelGraph
from app.nodes import REGISTRY
from app.nodes.spec import NodeSpec
from app.nodes.validate import validate_params

LAYER_SPECS = [s for s in REGISTRY.values() if s.kind in ("layer", "custom")]
BUILDABLE = [s for s in LAYER_SPECS if not s.extra.get("needs_config") and not s.extra.get("nested_only")]  # fmt: skip
ROUND_TRIP = [s for s in LAYER_SPECS if not s.extra.get("needs_config")]


def _ids(specs: list[NodeSpec]) -> list[str]:
    return [s.id for s in specs]


def one_layer_graph(spec: NodeSpec) -> ModelGraph:
    """Inputs shaped like the spec's example_inputs, each wired to the next free port of one
    node of the spec (variadic ports take them all), which is the model's output."""
    examples = spec.extra.get("example_inputs")
    assert examples, f"{spec.id} has no example_inputs"
    g = ModelGraph("one_layer")
    node = g.add_node(spec.id, "node")
    for i, (shape, dtype) in enumerate(examples):
        x = g.add_node("keras.Input", f"in{i}", params={"shape": list(shape), "dtype": dtype})
        g.connect(x, node)
    g.set_outputs([node])
    return g


@pytest.mark.parametrize("spec", LAYER_SPECS, ids=_ids(LAYER_SPECS))
def test_trainable_kwarg_flag_matches_keras(spec: NodeSpec, keras) -> None:
    from app.nodes.generate import accepts_kwarg

    assert spec.extra.get("trainable_kwarg", True) == accepts_kwarg(spec.keras_class(), "trainable")


@pytest.mark.parametrize("spec", BUILDABLE, ids=_ids(BUILDABLE))
def test_builds_one_layer_model(spec: NodeSpec, keras) -> None:
    """build_model itself creates the layer from the spec's defaults and calls it on its ports."""
    from app.compiler import build_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = build_model(one_layer_graph(spec))
    assert len(model.inputs) == len(spec.extra["example_inputs"]), spec.id
    layer = model.get_layer("node")
    assert type(layer) is spec.keras_class(), spec.id
    _assert_round_trip(spec, layer)


@pytest.mark.parametrize("spec", [s for s in ROUND_TRIP if s not in BUILDABLE], ids=_ids([s for s in ROUND_TRIP if s not in BUILDABLE]))  # fmt: skip
def test_config_round_trip_unbuilt(spec: NodeSpec, keras) -> None:
    from app.compiler.keras_call import create_layer

    g = ModelGraph("cell")
    node = g.node(g.add_node(spec.id, "node"))
    _assert_round_trip(spec, create_layer(spec, node))


def _assert_round_trip(spec: NodeSpec, layer) -> None:
    config = _plain(layer.get_config())
    again = _plain(type(layer).from_config(copy.deepcopy(config)).get_config())  # it may mutate
    assert again == config, spec.id


@pytest.mark.parametrize("spec", LAYER_SPECS, ids=_ids(LAYER_SPECS))
def test_defaults_are_keras_defaults(spec: NodeSpec, keras) -> None:
    """Spec defaults equal the constructor's, except required args and listed chosen ones."""
    chosen = set(spec.extra.get("chosen_defaults", ()))
    sig = inspect.signature(spec.keras_class().__init__).parameters
    has_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.values())
    for p in spec.params:
        if p.name not in sig:
            assert has_kwargs and p.name in _base_layer_kwargs(), (
                f"{spec.id}: unknown param {p.name}"
            )
            continue
        keras_default = sig[p.name].default
        if keras_default is inspect.Parameter.empty:
            assert p.name in chosen, f"{spec.id}: required {p.name} not listed as chosen"
            continue
        if p.name in chosen:
            continue
        assert _same(p.default, keras_default, p.length), (
            f"{spec.id}.{p.name}: {p.default!r} != {keras_default!r}"
        )


def _plain(value):
    """Config with Keras' tracked containers (TrackedList/Dict) turned into plain ones."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _base_layer_kwargs() -> set[str]:
    return {"activity_regularizer", "dtype"}


def _same(ours, theirs, length: int | None) -> bool:
    import json

    theirs = json.loads(json.dumps(theirs)) if isinstance(theirs, tuple) else theirs
    if isinstance(theirs, int) and not isinstance(theirs, bool) and isinstance(ours, list):
        return ours == [theirs] * (length or len(ours))
    if isinstance(ours, float) and isinstance(theirs, float):
        return abs(ours - theirs) < 1e-12
    return ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("spec", LAYER_SPECS, ids=_ids(LAYER_SPECS))
def test_defaults_pass_validation(spec: NodeSpec) -> None:
    normalised = validate_params(spec, spec.defaults())
    assert set(normalised) == {p.name for p in spec.params}
    for p in spec.params:
        if p.kind == "choice" and p.default is not None:
            assert p.default in p.choices, f"{spec.id}.{p.name}"
    for name in spec.key_params:
        assert spec.param(name) is not None, f"{spec.id}: key param {name}"
