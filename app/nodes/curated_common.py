"""Building blocks for the hand-written specs: shared params, example input shapes, a factory."""

from __future__ import annotations

from typing import Any

from app.nodes.spec import NodeSpec, ParamSpec, PortSpec

# Example inputs: (shape without batch, dtype) per tensor, fed in port order.
VEC = [[[16], "float32"]]
SEQ = [[[10, 8], "float32"]]
IMG = [[[16, 16, 3], "float32"]]
IMG32 = [[[32, 32, 3], "float32"]]
VOL = [[[4, 8, 8, 3], "float32"]]
IDS = [[[10], "int32"]]
TEXT = [[[], "string"]]

P = ParamSpec  # short alias: the spec tables below are long

# fmt: off
ACT = P("activation", "activation", default=None, optional=True, doc="Activation applied to the output (None: linear).")
USE_BIAS = P("use_bias", "bool", default=True, doc="Add a learned bias vector.")
SEED = P("seed", "int", default=None, optional=True, advanced=True, doc="Random seed (None: random).")
DATA_FORMAT = P("data_format", "choice", default=None, optional=True, choices=("channels_last", "channels_first"), advanced=True, doc="Where the channels axis is (None: the Keras config, usually channels_last).")
PADDING = P("padding", "choice", default="valid", choices=("valid", "same"), doc="'valid': no padding; 'same': keep the size at stride 1.")
ACTIVITY_REG = P("activity_regularizer", "regularizer", default=None, optional=True, advanced=True, doc="Penalty on the layer's output.")
AXIS = P("axis", "int", default=-1, doc="Axis the layer works along.")
INTERPOLATION = P("interpolation", "choice", default="bilinear", choices=("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"), doc="How pixels are resampled.")
FILL_MODE = P("fill_mode", "choice", default="reflect", choices=("reflect", "wrap", "constant", "nearest"), advanced=True, doc="How points outside the image are filled.")
FILL_VALUE = P("fill_value", "float", default=0.0, advanced=True, doc="Fill value for fill_mode 'constant'.")
VALUE_RANGE = P("value_range", "any", default=[0, 255], advanced=True, doc="[low, high] range of the pixel values.")
# fmt: on


def weight_params(
    *weights: str, init: dict[str, str] | None = None, activity: bool = True
) -> tuple[ParamSpec, ...]:
    """Initializer, regularizer and constraint params for each named weight ("kernel", "bias")."""
    defaults = {"bias": "zeros", "beta": "zeros", "gamma": "ones", **(init or {})}
    out: list[ParamSpec] = []
    for w in weights:
        out.append(P(f"{w}_initializer", "initializer", default=defaults.get(w, "glorot_uniform"), advanced=True, doc=f"Initializer of the {w} weights."))  # fmt: skip
    for w in weights:
        out.append(P(f"{w}_regularizer", "regularizer", default=None, optional=True, advanced=True, doc=f"Penalty on the {w} weights."))  # fmt: skip
    if activity:
        out.append(ACTIVITY_REG)
    for w in weights:
        out.append(P(f"{w}_constraint", "constraint", default=None, optional=True, advanced=True, doc=f"Constraint on the {w} weights."))  # fmt: skip
    return tuple(out)


def layer_config(class_name: str, **config: Any) -> dict:
    """A Keras serialized layer, as `keras.saving.serialize_keras_object` writes it."""
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}  # fmt: skip


MERGE_INPUTS = (PortSpec("inputs", variadic=True, min_count=2),)


def spec(
    class_name: str,
    category: str,
    doc: str,
    params: tuple[ParamSpec, ...] = (),
    *,
    example: list | None = None,
    key: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    inputs: tuple[PortSpec, ...] | None = None,
    call_style: str = "single",
    chosen: tuple[str, ...] = (),
    extra: dict | None = None,
    **kwargs: Any,
) -> NodeSpec:
    """A curated NodeSpec for `keras.layers.<class_name>`.

    Args:
        example: example inputs, [shape without batch, dtype] per tensor, in port order.
        chosen: params whose default LayerLoom picks (required args or a None that cannot build).
    """
    info: dict[str, Any] = dict(extra or {})
    if example is not None:
        info["example_inputs"] = example
    if chosen:
        info["chosen_defaults"] = list(chosen)
    return NodeSpec(
        id=f"keras.layers.{class_name}",
        class_name=class_name,
        module="keras.layers",
        category=category,
        doc=doc,
        params=tuple(params),
        inputs=inputs if inputs is not None else (PortSpec("inputs"),),
        call_style=call_style,
        curated=True,
        key_params=key,
        aliases=tuple(f"keras.layers.{a}" for a in aliases),
        extra=info,
        **kwargs,
    )
