"""The generator: param kinds, docs, JSON loading, and entries that match a fresh run."""

from __future__ import annotations

import json

import pytest

from app.nodes import REGISTRY
from app.nodes.generate import arg_docs, infer_param, public_layer_classes, spec_entry
from app.nodes.generated import load_document, spec_from_dict


@pytest.mark.parametrize(
    ("cls_name", "name", "default", "kind"),
    [
        ("Dense", "activation", None, "activation"),
        ("Dense", "kernel_initializer", "glorot_uniform", "initializer"),
        ("Dense", "bias_regularizer", None, "regularizer"),
        ("Dense", "kernel_constraint", None, "constraint"),
        ("Conv2D", "kernel_size", 3, "int_tuple"),
        ("Conv2D", "strides", [1, 1], "int_tuple"),
        ("Conv2D", "padding", "valid", "choice"),
        ("Conv2D", "data_format", None, "choice"),
        ("Dense", "use_bias", True, "bool"),
        ("Dense", "units", 32, "int"),
        ("Dropout", "rate", 0.5, "float"),
        ("RandomShear", "x_factor", 0.0, "any"),
        ("RandAugment", "value_range", [0, 255], "any"),
        ("TimeDistributed", "layer", {"class_name": "Dense"}, "layer"),
        ("Anything", "seed", None, "int"),
    ],
)
def test_infer_param_kind(cls_name: str, name: str, default, kind: str) -> None:
    p = infer_param(cls_name, name, default)
    assert p["kind"] == kind
    if kind == "int_tuple" and cls_name == "Conv2D":
        assert p["length"] == 2 and p["minimum"] == 1


def test_infer_param_ranges_and_flags() -> None:
    assert infer_param("Dropout", "rate", 0.5)[("maximum")] == 1.0
    assert infer_param("X", "bias_initializer", "zeros")["advanced"] is True
    assert infer_param("X", "max_freq", None)["optional"] is True


def test_arg_docs_reads_args_section(keras) -> None:
    docs = arg_docs(keras.layers.RandomShear)
    assert docs["fill_mode"].startswith("Points outside")
    assert all("\n" not in d for d in docs.values())


def test_spec_from_dict_builds_nodespec() -> None:
    spec = spec_from_dict({
        "id": "keras.layers.X", "class_name": "X", "category": "Core",
        "params": [{"name": "n", "kind": "choice", "default": "a", "choices": ["a", "b"], "extra_key": 1}],
        "inputs": [{"name": "inputs", "variadic": True, "min_count": 2}],
        "call_style": "list", "extra": {"example_inputs": [[[4], "float32"]]},
    })  # fmt: skip
    assert spec.param("n").choices == ("a", "b")
    assert spec.inputs[0].variadic and spec.call_style == "list"
    assert not spec.curated and spec.extra["example_inputs"] == [[[4], "float32"]]


@pytest.mark.parametrize("class_name", ["RMSNormalization", "HashedCrossing", "StackedRNNCells", "RandomShear"])  # fmt: skip
def test_stored_entry_matches_a_fresh_run(class_name: str, keras) -> None:
    stored = {e["class_name"]: e for e in load_document()["specs"]}[class_name]
    cls, names = next((c, n) for c, n in public_layer_classes().items() if class_name in n)
    fresh = json.loads(json.dumps(spec_entry(cls, names)))
    assert fresh == stored


def test_generated_specs_are_marked_and_documented() -> None:
    generated = [s for s in REGISTRY.values() if not s.curated]
    assert generated
    for spec in generated:
        assert spec.doc, spec.id
        assert spec.extra.get("example_inputs") or spec.extra.get("needs_config") or spec.extra.get("nested_only"), spec.id  # fmt: skip
        if spec.extra.get("needs_config"):
            assert spec.extra.get("build_error"), spec.id


def test_json_uses_only_known_fields() -> None:
    from app.nodes.spec import NodeSpec, ParamSpec, PortSpec

    for entry in load_document()["specs"]:
        assert set(entry) <= set(NodeSpec.__dataclass_fields__), entry["id"]
        for p in entry["params"]:
            assert set(p) <= set(ParamSpec.__dataclass_fields__), (entry["id"], p)
        for port in entry["inputs"]:
            assert set(port) <= set(PortSpec.__dataclass_fields__), (entry["id"], port)
