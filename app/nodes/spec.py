"""Node types as data: what a layer is called, what it takes, how it is drawn in the palette."""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass, field
from typing import Any

# Param kinds an editor knows how to show.
PARAM_KINDS = (
    "int",
    "float",
    "bool",
    "string",
    "choice",
    "int_tuple",
    "shape",
    "activation",
    "initializer",
    "regularizer",
    "constraint",
    "dtype",
    "layer",
    "any",
)

CATEGORIES = (
    "Input",
    "Core",
    "Convolution",
    "Pooling",
    "Recurrent",
    "Attention",
    "Normalization",
    "Regularization",
    "Merging",
    "Reshaping",
    "Activation",
    "Preprocessing",
    "Ops",
    "Blocks",
    "Custom",
    "Other",
)


@dataclass(frozen=True)
class ParamSpec:
    """One constructor argument of a layer.

    Attributes:
        name: the keyword the layer's constructor takes.
        kind: one of PARAM_KINDS; tells the editor which widget to use and how to validate.
        default: the value used when the user sets nothing (JSON-compatible).
        doc: one line for a tooltip.
        optional: None is an accepted value.
        choices: allowed values for kind "choice".
        minimum / maximum: inclusive bounds for numbers and tuple items.
        length: fixed item count for int tuples (None: any).
        advanced: shown folded away in the inspector.
    """

    name: str
    kind: str
    default: Any = None
    doc: str = ""
    optional: bool = False
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    length: int | None = None
    advanced: bool = False

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"ParamSpec {self.name!r}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class PortSpec:
    """One tensor input of a layer call.

    A variadic port takes any number of tensors, passed to Keras as a list (merge layers).
    An optional port may stay unconnected.  Ports with `keyword` set are passed to the
    call by that keyword (e.g. MultiHeadAttention's `key`).  `max_count` caps a variadic
    port (Subtract and Dot take exactly two tensors); None means no limit.
    """

    name: str
    variadic: bool = False
    optional: bool = False
    min_count: int = 1
    keyword: str | None = None
    max_count: int | None = None


@dataclass(frozen=True)
class NodeSpec:
    """A node type: one Keras layer class (or an Input, a block, a LayerLoom layer).

    Attributes:
        id: stable registry key, the public import path, e.g. "keras.layers.Dense".
        class_name: the Keras class name ("Dense"); "InputLayer" for Input.
        module: where the class is imported from ("keras.layers").
        category: palette group, one of CATEGORIES.
        doc: one line describing the layer.
        params: constructor arguments, in the order the inspector shows them.
        inputs: tensor ports; empty for Input.
        call_style: "single" (one tensor), "list" (ports passed as one list, in order) or
            "args" (ports passed positionally / by keyword).
        kind: "layer", "input", "block" or "custom" (LayerLoom layers registered with Keras).
        curated: hand-written spec with chosen defaults and docs; False for generated ones.
        key_params: names shown on the node face.
        aliases: other public names of the same class (AvgPool2D -> AveragePooling2D).
        trusted_code_only: runs user code (Lambda); only in trusted projects.
        extra: free-form facts. Keys the registry sets:
            example_inputs: [[shape without batch, dtype], ...], tensors in port order (a
                variadic port takes the rest) on which the layer builds with its defaults.
            chosen_defaults: params whose default LayerLoom picked (required Keras args).
            needs_config: cannot be built from its defaults; build_error says why.
            needs_adapt: learns from data (adapt(), vocabulary or statistics) to be useful.
            learned_state: the params adapt() fills, the one that tells whether there is
                state first (app/nodes/learned_state.py); learned_words names them.
            nested_only: an RNN cell: a value for RNN's "cell", not a node on the canvas.
            trainable_kwarg: False if the constructor takes no "trainable" (SpatialDropout*,
                Discretization, Pipeline): leave it out of from_config, set layer.trainable.
    """

    id: str
    class_name: str
    module: str
    category: str
    doc: str = ""
    params: tuple[ParamSpec, ...] = ()
    inputs: tuple[PortSpec, ...] = (PortSpec("inputs"),)
    call_style: str = "single"
    kind: str = "layer"
    curated: bool = False
    key_params: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    trusted_code_only: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def param(self, name: str) -> ParamSpec | None:
        """The ParamSpec called `name`, or None."""
        for p in self.params:
            if p.name == name:
                return p
        return None

    def defaults(self) -> dict[str, Any]:
        """Default value of every param, by name (copies: nested configs are safe to change)."""
        return {p.name: copy.deepcopy(p.default) for p in self.params}

    def port(self, name: str) -> PortSpec | None:
        """The input PortSpec called `name`, or None."""
        for p in self.inputs:
            if p.name == name:
                return p
        return None

    def keras_class(self) -> type:
        """The Keras class this spec builds (imports Keras: call only from the compiler)."""
        module = importlib.import_module(self.module)
        return getattr(module, self.class_name)
