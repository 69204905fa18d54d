"""Fills the registry: structural nodes (Input, Block) and the curated layer specs."""

from __future__ import annotations

from app.nodes.registry import Registry
from app.nodes.spec import NodeSpec, ParamSpec

ACTIVATIONS = (
    "linear", "relu", "sigmoid", "softmax", "tanh", "elu", "selu", "gelu", "silu", "swish",
    "softplus", "softsign", "relu6", "leaky_relu", "mish", "hard_sigmoid", "exponential",
    "log_softmax",
)  # fmt: skip

INPUT = NodeSpec(
    id="keras.Input",
    class_name="InputLayer",
    module="keras.layers",
    category="Input",
    doc="A model input: a symbolic tensor of the given shape (batch dimension left out).",
    params=(
        ParamSpec("shape", "shape", default=[32], doc="Shape of one sample, without the batch size; None for a free dimension.", optional=True),
        ParamSpec("dtype", "dtype", default="float32", doc="Data type of the input."),
        ParamSpec("batch_size", "int", default=None, optional=True, minimum=1, advanced=True, doc="Fixed batch size, or None."),
        ParamSpec("sparse", "bool", default=False, advanced=True, doc="Whether the input is a sparse tensor."),
    ),
    inputs=(),
    kind="input",
    curated=True,
    key_params=("shape",),
)  # fmt: skip

BLOCK = NodeSpec(
    id="layerloom.Block",
    class_name="Functional",
    module="keras",
    category="Blocks",
    doc="A nested model: a sub-graph that compiles to a keras.Model called like a layer.",
    params=(),
    inputs=(),  # ports come from the sub-graph's Input nodes
    call_style="args",
    kind="block",
    curated=True,
)


def populate(registry: Registry) -> None:
    """Register every built-in node spec."""
    registry.register(INPUT)
    registry.register(BLOCK)
    from app.nodes import curated

    for spec in curated.SPECS:
        registry.register(spec)
    from app.nodes import custom_specs

    for spec in custom_specs.SPECS:
        registry.register(spec)
    from app.nodes import custom_code_specs

    for spec in custom_code_specs.SPECS:
        registry.register(spec)
    from app.nodes import ops_specs

    for spec in ops_specs.SPECS:
        registry.register(spec)
    from app.nodes import generated

    for spec in generated.load_specs():
        if spec.id not in registry:
            registry.register(spec)
