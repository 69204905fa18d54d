"""Specs of user-written code nodes: a custom keras.layers.Layer subclass and a Lambda expression.

Their code lives in the node's params (so it is saved with the project) and only runs once the
user trusts it (app.compiler.custom_code).  Kind "custom_code" marks them.
"""

from __future__ import annotations

import ast

from app.nodes.spec import NodeSpec, ParamSpec, PortSpec

CUSTOM_LAYER_SPEC_ID = "layerloom.CustomLayer"
LAMBDA_SPEC_ID = "layerloom.Lambda"
CODE_KIND = "custom_code"

DEFAULT_CODE = '''\
class Linear(keras.layers.Layer):
    """y = x.w + b, the guides' first custom layer."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", name="w"
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''

CODE_PARAM = ParamSpec(
    "code",
    "string",
    default=DEFAULT_CODE,
    doc="Python source defining one keras.layers.Layer (or keras.Model) subclass (keras, ops and np are imported).",
)
CLASS_PARAM = ParamSpec(
    "class_name", "string", default="Linear", doc="The class in the code to use as the layer."
)
CONFIG_PARAM = ParamSpec(
    "config",
    "any",
    default={"units": 32},
    doc="Constructor keyword arguments, as a JSON object.",
)
EXPRESSION_PARAM = ParamSpec(
    "expression",
    "string",
    default="x * 2",
    doc="A Python expression of x (the input tensor, or the list of inputs; `inputs` works too); "
    "keras, ops and np are available.",
)
OUTPUT_SHAPE_PARAM = ParamSpec(
    "output_shape",
    "shape",
    default=None,
    optional=True,
    advanced=True,
    doc="Output shape without the batch size, if Keras cannot infer it.",
)

# Params the inspector edits as Python source in a code editor.
SOURCE_PARAMS = (CODE_PARAM, EXPRESSION_PARAM)

_VEC = [[[8], "float32"]]
_INPUTS = (PortSpec("inputs", variadic=True, min_count=1),)

SPECS: list[NodeSpec] = [
    NodeSpec(
        id=CUSTOM_LAYER_SPEC_ID,
        class_name="CustomLayer",
        module="keras.layers",
        category="Custom",
        doc="Your own keras.layers.Layer or keras.Model subclass, written in Python (runs only when trusted).",
        params=(CODE_PARAM, CLASS_PARAM, CONFIG_PARAM),
        inputs=_INPUTS,
        kind=CODE_KIND,
        curated=True,
        key_params=("class_name",),
        extra={"example_inputs": _VEC},
    ),
    NodeSpec(
        id=LAMBDA_SPEC_ID,
        class_name="Lambda",
        module="keras.layers",
        category="Custom",
        doc="A Python expression of x as a layer, e.g. x * 2 (runs only when trusted).",
        params=(EXPRESSION_PARAM, OUTPUT_SHAPE_PARAM),
        inputs=_INPUTS,
        kind=CODE_KIND,
        curated=True,
        key_params=("expression",),
        extra={"example_inputs": _VEC},
    ),
]


def code_texts(spec: NodeSpec, params: dict) -> list[str]:
    """The source texts a code node would run (empty for other nodes)."""
    if spec.kind != CODE_KIND:
        return []
    name = "code" if spec.id == CUSTOM_LAYER_SPEC_ID else "expression"
    value = params.get(name, spec.param(name).default)
    return [value] if isinstance(value, str) else []


def lambda_param(expression: str) -> str:
    """The argument name a Lambda expression uses: "inputs" if it names only that, else "x"."""
    try:
        names = {n.id for n in ast.walk(ast.parse(expression.strip(), mode="eval"))
                 if isinstance(n, ast.Name)}  # fmt: skip
    except SyntaxError:
        return "x"
    return "inputs" if "inputs" in names and "x" not in names else "x"
