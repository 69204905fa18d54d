"""Specs of keras.ops calls on symbolic tensors (x + y, ops.mean(x, axis=1)) and of Keras'
own internal layers (e.g. ConvNeXt's LayerScale) that keras.layers does not export.

An op node calls one keras.src.ops Operation class on its tensors: ports are the call's
tensor arguments, params the Operation's constructor arguments.  A binary op's operand may be
a constant instead of a tensor (x * 0.5): param "<port>_value" holds it while the port is
unconnected.  Two generic specs hold what has no curated spec: any keras.src.ops Operation
("layerloom.KerasOp") and any layer class of keras.src.applications ("layerloom.KerasLayer").
"""

from __future__ import annotations

from app.keras_internals import APPLICATIONS_MODULE_PREFIX, OPS_MODULE_PREFIX
from app.nodes.spec import NodeSpec, ParamSpec, PortSpec

OP_KIND = "op"
INTERNAL_LAYER_KIND = "keras_layer"
KERAS_OP_SPEC_ID = "layerloom.KerasOp"
KERAS_LAYER_SPEC_ID = "layerloom.KerasLayer"
VALUE_SUFFIX = "_value"

_NUMPY = f"{OPS_MODULE_PREFIX}numpy"
_NN = f"{OPS_MODULE_PREFIX}nn"
_CORE = f"{OPS_MODULE_PREFIX}core"
_VEC = [[8], "float32"]


def value_param(port: str) -> ParamSpec:
    """The constant used for `port` while no tensor is connected to it."""
    return ParamSpec(
        f"{port}{VALUE_SUFFIX}",
        "any",
        default=None,
        optional=True,
        doc=f"A constant (number or nested list) used when input {port} is not connected.",
    )


def _spec(fn, cls, module, doc, ports, params=(), style="args", examples=None) -> NodeSpec:
    return NodeSpec(
        id=f"keras.ops.{fn}",
        class_name=fn,
        module="keras.ops",
        category="Ops",
        doc=doc,
        params=tuple(params),
        inputs=tuple(ports),
        call_style=style,
        kind=OP_KIND,
        curated=True,
        key_params=tuple(p.name for p in params if not p.advanced)[:2],
        extra={"op_class": f"{module}.{cls}", "example_inputs": examples or [_VEC] * len(ports)},
    )


def _binary(fn: str, cls: str, doc: str) -> NodeSpec:
    ports = (PortSpec("x1", optional=True), PortSpec("x2", optional=True))
    return _spec(fn, cls, _NUMPY, doc, ports, (value_param("x1"), value_param("x2")))


def _unary(fn: str, cls: str, doc: str, params=(), module: str = _NUMPY, ex=None) -> NodeSpec:
    return _spec(fn, cls, module, doc, (PortSpec("x"),), params, examples=ex)


_AXIS = ParamSpec("axis", "any", default=None, optional=True,
                  doc="Axis or list of axes to reduce (None: all axes).")  # fmt: skip
_KEEPDIMS = ParamSpec("keepdims", "bool", default=False, doc="Keep reduced axes with size 1.")
_INITIAL = ParamSpec("initial", "float", default=None, optional=True, advanced=True,
                     doc="Starting value of the reduction.")  # fmt: skip


def _reduce(fn: str, cls: str, doc: str, initial: bool = False) -> NodeSpec:
    params = (_AXIS, _KEEPDIMS, _INITIAL) if initial else (_AXIS, _KEEPDIMS)
    return _unary(fn, cls, doc, params)


SPECS: list[NodeSpec] = [
    _binary("add", "Add", "x1 + x2, element-wise with broadcasting (a constant may replace one)."),
    _binary("subtract", "Subtract", "x1 - x2, element-wise with broadcasting."),
    _binary("multiply", "Multiply", "x1 * x2, element-wise with broadcasting."),
    _binary("divide", "Divide", "x1 / x2, element-wise with broadcasting."),
    _binary("power", "Power", "x1 ** x2, element-wise."),
    _binary("maximum", "Maximum", "The larger of x1 and x2, element-wise."),
    _binary("minimum", "Minimum", "The smaller of x1 and x2, element-wise."),
    _binary("greater", "Greater", "x1 > x2, element-wise (a bool tensor)."),
    _binary("less", "Less", "x1 < x2, element-wise (a bool tensor)."),
    _binary("equal", "Equal", "x1 == x2, element-wise (a bool tensor)."),
    _spec("where", "Where", _NUMPY, "x1 where condition is true, else x2 (element-wise).",
          (PortSpec("condition"), PortSpec("x1", optional=True), PortSpec("x2", optional=True)),
          (value_param("x1"), value_param("x2")),
          examples=[[[8], "bool"], _VEC, _VEC]),
    _spec("matmul", "Matmul", _NUMPY, "Matrix product of x1 and x2 (batched over leading axes).",
          (PortSpec("x1"), PortSpec("x2")), examples=[[[4, 8], "float32"], [[8, 3], "float32"]]),
    _spec("concatenate", "Concatenate", _NUMPY, "Joins tensors along an existing axis.",
          (PortSpec("xs", variadic=True, min_count=1),),
          (ParamSpec("axis", "int", default=-1, doc="The axis to join along."),),
          style="list", examples=[_VEC, _VEC]),
    _spec("stack", "Stack", _NUMPY, "Stacks tensors along a new axis.",
          (PortSpec("x", variadic=True, min_count=1),),
          (ParamSpec("axis", "int", default=1, doc="Position of the new axis."),),
          style="list", examples=[_VEC, _VEC]),
    _reduce("mean", "Mean", "Mean over the given axes."),
    _reduce("sum", "Sum", "Sum over the given axes."),
    _reduce("max", "Max", "Maximum over the given axes.", initial=True),
    _reduce("min", "Min", "Minimum over the given axes.", initial=True),
    _reduce("argmax", "Argmax", "Index of the maximum along an axis."),
    _unary("reshape", "Reshape", "Reshapes the tensor; the shape includes the batch axis (-1).",
           (ParamSpec("newshape", "int_tuple", default=[-1, 8],
                      doc="New shape including the batch axis; -1 once for 'the rest'."),)),
    _unary("transpose", "Transpose", "Permutes the axes (batch axis included).",
           (ParamSpec("axes", "int_tuple", default=None, optional=True,
                      doc="New order of all axes; None reverses them."),)),
    _unary("expand_dims", "ExpandDims", "Inserts an axis of size 1.",
           (ParamSpec("axis", "int", default=-1, doc="Position of the new axis."),)),
    _unary("squeeze", "Squeeze", "Removes axes of size 1.",
           (ParamSpec("axis", "any", default=None, optional=True,
                      doc="Axis or axes to remove (None: every axis of size 1)."),),
           ex=[[[8, 1], "float32"]]),
    _unary("absolute", "Absolute", "|x|, element-wise."),
    _unary("negative", "Negative", "-x, element-wise."),
    _unary("exp", "Exp", "e ** x, element-wise."),
    _unary("log", "Log", "Natural logarithm, element-wise."),
    _unary("sqrt", "Sqrt", "Square root, element-wise."),
    _unary("square", "Square", "x ** 2, element-wise."),
    _unary("tanh", "Tanh", "Hyperbolic tangent, element-wise."),
    _unary("sigmoid", "Sigmoid", "Logistic sigmoid, element-wise.", module=_NN),
    _unary("relu", "Relu", "max(x, 0), element-wise.", module=_NN),
    _unary("hard_sigmoid", "HardSigmoid", "Piecewise-linear sigmoid.", module=_NN),
    _unary("silu", "Silu", "x * sigmoid(x) (swish).", module=_NN),
    _unary("gelu", "Gelu", "Gaussian error linear unit.",
           (ParamSpec("approximate", "bool", default=True, doc="Use the tanh approximation."),),
           module=_NN),
    _unary("softmax", "Softmax", "Softmax along an axis.",
           (ParamSpec("axis", "int", default=-1, doc="The axis that sums to one."),), module=_NN),
    _unary("clip", "Clip", "Limits values to [x_min, x_max].",
           (ParamSpec("x_min", "float", default=0.0, doc="Lower bound."),
            ParamSpec("x_max", "float", default=1.0, doc="Upper bound.")),
           ),
    _unary("cast", "Cast", "Converts the tensor to another dtype.",
           (ParamSpec("dtype", "dtype", default="float32", doc="The new dtype."),), module=_CORE),
    NodeSpec(
        id=KERAS_OP_SPEC_ID,
        class_name="KerasOp",
        module="keras.ops",
        category="Ops",
        doc="Another keras.ops operation, as imported from a model (class, settings, arguments).",
        params=(
            ParamSpec("module", "string", default=_NUMPY,
                      doc="Module of the Operation class (must be under keras.src.ops)."),
            ParamSpec("class_name", "string", default="Add", doc="The Operation class."),
            ParamSpec("config", "any", default={}, doc="Constructor arguments (JSON object)."),
            ParamSpec("args", "any", default=[{"__input__": 0}, {"__input__": 1}],
                      doc='Call arguments; {"__input__": i} is the i-th connected tensor.'),
            ParamSpec("kwargs", "any", default={}, advanced=True, doc="Keyword call arguments."),
        ),
        inputs=(PortSpec("inputs", variadic=True, min_count=1),),
        call_style="list",
        kind=OP_KIND,
        curated=True,
        key_params=("class_name",),
        extra={"generic": True, "example_inputs": [_VEC, _VEC]},
    ),
    NodeSpec(
        id=KERAS_LAYER_SPEC_ID,
        class_name="KerasLayer",
        module="keras.layers",
        category="Other",
        doc="A layer class Keras uses inside keras.applications models but does not export.",
        params=(
            ParamSpec("module", "string", default=f"{APPLICATIONS_MODULE_PREFIX}convnext",
                      doc="Module of the layer class (must be under keras.src.applications)."),
            ParamSpec("class_name", "string", default="LayerScale", doc="The layer class."),
            ParamSpec("config", "any", default={"init_values": 1e-6, "projection_dim": 8},
                      doc="The layer's config (JSON object)."),
        ),
        inputs=(PortSpec("inputs", variadic=True, min_count=1),),
        call_style="list",
        kind=INTERNAL_LAYER_KIND,
        curated=True,
        key_params=("class_name",),
        extra={"example_inputs": [_VEC]},
    ),
]  # fmt: skip

# Operation class path -> spec id of the curated op spec building it.
BY_OP_CLASS: dict[str, str] = {s.extra["op_class"]: s.id for s in SPECS if "op_class" in s.extra}
