"""Hand-written specs: the layers each palette category must offer, ports, nested layers."""

from __future__ import annotations

import pytest

from app.nodes import REGISTRY

EXPECTED = {
    "Core": ["Dense", "EinsumDense", "Embedding", "Identity"],
    "Convolution": ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv2D", "DepthwiseConv2D"],
    "Pooling": [f"{k}Pooling{n}D" for k in ("Max", "Average", "GlobalMax", "GlobalAverage") for n in (1, 2, 3)],
    "Recurrent": ["LSTM", "GRU", "SimpleRNN", "Bidirectional", "ConvLSTM2D", "TimeDistributed", "RNN"],
    "Attention": ["MultiHeadAttention", "Attention", "AdditiveAttention", "GroupQueryAttention"],
    "Normalization": ["BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization"],
    "Regularization": ["Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization"],
    "Merging": ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"],
    "Reshaping": ["Flatten", "Reshape", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "Cropping3D"],
    "Activation": ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Activation"],
    "Preprocessing": ["Rescaling", "Normalization", "Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation", "TextVectorization", "StringLookup", "IntegerLookup"],
}  # fmt: skip


@pytest.mark.parametrize("category", list(EXPECTED))
def test_category_has_curated_layers(category: str) -> None:
    for name in EXPECTED[category]:
        spec = REGISTRY[f"keras.layers.{name}"]
        assert spec.curated and spec.category == category, name
        assert spec.doc and "example_inputs" in spec.extra, name


def test_merge_layers_take_a_list_of_two_or_more() -> None:
    for name in EXPECTED["Merging"]:
        spec = REGISTRY[f"keras.layers.{name}"]
        (port,) = spec.inputs
        assert spec.call_style == "list" and port.variadic and port.min_count == 2
    assert REGISTRY["keras.layers.Subtract"].inputs[0].max_count == 2
    assert REGISTRY["keras.layers.Add"].inputs[0].max_count is None


def test_attention_ports() -> None:
    mha = REGISTRY["keras.layers.MultiHeadAttention"]
    assert mha.call_style == "args"
    assert [p.name for p in mha.inputs] == ["query", "value", "key"]
    assert mha.port("key").optional and mha.port("key").keyword == "key"
    for name in ("Attention", "AdditiveAttention"):
        spec = REGISTRY[f"keras.layers.{name}"]
        assert spec.call_style == "list" and [p.name for p in spec.inputs] == [
            "query",
            "value",
            "key",
        ]
        assert spec.port("key").optional


def test_attention_with_key_builds(keras) -> None:
    q, v, k = (keras.Input((6, 8)) for _ in range(3))
    mha = REGISTRY["keras.layers.MultiHeadAttention"]
    layer = mha.keras_class().from_config({**mha.defaults(), "name": "mha"})
    assert tuple(layer(q, v, key=k).shape) == (None, 6, 8)
    att = REGISTRY["keras.layers.Attention"]
    layer = att.keras_class().from_config({**att.defaults(), "name": "att"})
    assert tuple(layer([q, v, k]).shape) == (None, 6, 8)


def test_wrappers_default_to_serialized_layers() -> None:
    cases = {"Bidirectional": ("layer", "LSTM"), "TimeDistributed": ("layer", "Dense"), "RNN": ("cell", "LSTMCell")}  # fmt: skip
    for name, (param, inner) in cases.items():
        p = REGISTRY[f"keras.layers.{name}"].param(param)
        assert p.kind == "layer" and p.default["class_name"] == inner
        assert p.default["module"] == "keras.layers"


def test_defaults_are_copies() -> None:
    spec = REGISTRY["keras.layers.Bidirectional"]
    spec.defaults()["layer"]["config"]["units"] = 999
    assert spec.param("layer").default["config"]["units"] == 32


def test_aliases_resolve_to_canonical() -> None:
    for alias, canonical in {
        "keras.layers.MaxPool2D": "MaxPooling2D", "keras.layers.AvgPool2D": "AveragePooling2D",
        "keras.layers.GlobalAvgPool2D": "GlobalAveragePooling2D", "keras.layers.Convolution2D": "Conv2D",
        "keras.layers.SeparableConvolution2D": "SeparableConv2D", "keras.layers.GroupedQueryAttention": "GroupQueryAttention",
    }.items():  # fmt: skip
        assert REGISTRY[alias].class_name == canonical
    assert REGISTRY.search("maxpool2d")[0].class_name == "MaxPooling2D"


def test_adapt_layers_are_marked() -> None:
    for name in (
        "Normalization",
        "StringLookup",
        "IntegerLookup",
        "TextVectorization",
        "Discretization",
    ):
        assert REGISTRY[f"keras.layers.{name}"].extra.get("needs_adapt"), name
    assert not REGISTRY["keras.layers.Hashing"].extra.get("needs_adapt")
