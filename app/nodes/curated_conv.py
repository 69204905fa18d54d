"""Curated specs: convolution and pooling layers (1D/2D/3D built by small factories)."""

from __future__ import annotations

from app.nodes.curated_common import (
    ACT,
    DATA_FORMAT,
    IMG,
    PADDING,
    SEQ,
    USE_BIAS,
    VOL,
    P,
    spec,
    weight_params,
)
from app.nodes.spec import NodeSpec

EXAMPLES = {1: SEQ, 2: IMG, 3: VOL}
SPATIAL = {1: "sequences", 2: "images", 3: "volumes"}


def _window(n: int, name: str, default: list | None, doc: str, **kw) -> P:
    return P(name, "int_tuple", default=default, length=n, minimum=1, doc=doc, **kw)


def conv(n: int, *, transpose: bool = False) -> NodeSpec:
    """Conv{n}D or Conv{n}DTranspose."""
    name = f"Conv{n}D" + ("Transpose" if transpose else "")
    padding = (
        P(
            "padding",
            "choice",
            default="valid",
            choices=("valid", "same", "causal"),
            doc="'valid': no padding; 'same': keep the length; 'causal': no look-ahead.",
        )
        if n == 1 and not transpose
        else PADDING
    )
    params = [
        P("filters", "int", default=32, minimum=1, doc="Number of output channels."),
        _window(n, "kernel_size", [3] * n, "Size of the convolution window."),
        _window(n, "strides", [1] * n, "Step of the window."),
        padding,
    ]
    if transpose:
        params.append(
            _window(
                n,
                "output_padding",
                None,
                "Extra size added to one side of the output (None: inferred).",
                optional=True,
                advanced=True,
            )
        )
    params += [
        DATA_FORMAT,
        _window(
            n,
            "dilation_rate",
            [1] * n,
            "Spacing between kernel taps (atrous convolution).",
            advanced=True,
        ),
    ]
    if not transpose:
        params.append(
            P(
                "groups",
                "int",
                default=1,
                minimum=1,
                advanced=True,
                doc="Split channels into groups convolved separately.",
            )
        )
    params += [ACT, USE_BIAS, *weight_params("kernel", "bias")]
    doc = f"{'Transposed (up-sampling) ' if transpose else ''}{n}D convolution over {SPATIAL[n]}."
    aliases = (f"Convolution{n}D" + ("Transpose" if transpose else ""),)
    return spec(name, "Convolution", doc, tuple(params), example=EXAMPLES[n],
                key=("filters", "kernel_size", "activation"), aliases=aliases,
                chosen=("filters", "kernel_size"))  # fmt: skip


def separable(n: int) -> NodeSpec:
    """SeparableConv{n}D: depthwise then pointwise convolution."""
    params = (
        P("filters", "int", default=32, minimum=1, doc="Number of output channels."),
        _window(n, "kernel_size", [3] * n, "Size of the depthwise window."),
        _window(n, "strides", [1] * n, "Step of the window."),
        PADDING, DATA_FORMAT,
        _window(n, "dilation_rate", [1] * n, "Spacing between kernel taps.", advanced=True),
        P("depth_multiplier", "int", default=1, minimum=1, doc="Depthwise output channels per input channel."),
        ACT, USE_BIAS, *weight_params("depthwise", "pointwise", "bias"),
    )  # fmt: skip
    return spec(f"SeparableConv{n}D", "Convolution", f"Depthwise-separable {n}D convolution over {SPATIAL[n]}.",
                params, example=EXAMPLES[n], key=("filters", "kernel_size", "activation"),
                aliases=(f"SeparableConvolution{n}D",), chosen=("filters", "kernel_size"))  # fmt: skip


def depthwise(n: int) -> NodeSpec:
    """DepthwiseConv{n}D: one filter per input channel."""
    params = (
        _window(n, "kernel_size", [3] * n, "Size of the window."),
        _window(n, "strides", [1] * n, "Step of the window."),
        PADDING,
        P("depth_multiplier", "int", default=1, minimum=1, doc="Output channels per input channel."),
        DATA_FORMAT,
        _window(n, "dilation_rate", [1] * n, "Spacing between kernel taps.", advanced=True),
        ACT, USE_BIAS, *weight_params("depthwise", "bias"),
    )  # fmt: skip
    return spec(f"DepthwiseConv{n}D", "Convolution", f"Depthwise {n}D convolution: each channel filtered on its own.",
                params, example=EXAMPLES[n], key=("kernel_size", "depth_multiplier"),
                chosen=("kernel_size",))  # fmt: skip


def pooling(n: int, kind: str) -> NodeSpec:
    """MaxPooling{n}D / AveragePooling{n}D."""
    long, short = ("Max", "Max") if kind == "max" else ("Average", "Avg")
    params = (
        _window(n, "pool_size", [2] * n, "Window size."),
        _window(n, "strides", None, "Step of the window (None: pool_size).", optional=True),
        PADDING,
        DATA_FORMAT,
    )
    return spec(f"{long}Pooling{n}D", "Pooling", f"{long} over {n}D windows of {SPATIAL[n]}.", params,
                example=EXAMPLES[n], key=("pool_size",), aliases=(f"{short}Pool{n}D",),
                chosen=("pool_size",) if kind == "avg" else ())  # fmt: skip


def global_pooling(n: int, kind: str) -> NodeSpec:
    """GlobalMaxPooling{n}D / GlobalAveragePooling{n}D."""
    long, short = ("Max", "Max") if kind == "max" else ("Average", "Avg")
    params = (
        DATA_FORMAT,
        P("keepdims", "bool", default=False, doc="Keep the pooled axes with size 1."),
    )
    return spec(f"Global{long}Pooling{n}D", "Pooling",
                f"{long} over all positions of {SPATIAL[n]}: one value per channel.", params,
                example=EXAMPLES[n], aliases=(f"Global{short}Pool{n}D",))  # fmt: skip


SPECS = (
    [conv(n) for n in (1, 2, 3)]
    + [conv(n, transpose=True) for n in (1, 2, 3)]
    + [separable(n) for n in (1, 2)]
    + [depthwise(n) for n in (1, 2)]
    + [pooling(n, k) for k in ("max", "avg") for n in (1, 2, 3)]
    + [global_pooling(n, k) for k in ("max", "avg") for n in (1, 2, 3)]
)
