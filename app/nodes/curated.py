"""Hand-written specs for the layers people use most: chosen defaults, ranges and one-line docs."""

from __future__ import annotations

from app.nodes.spec import NodeSpec, ParamSpec, PortSpec

ACT = ParamSpec("activation", "activation", default=None, optional=True, doc="Activation applied to the output (None: linear).")
USE_BIAS = ParamSpec("use_bias", "bool", default=True, doc="Add a learned bias vector.")
K_INIT = ParamSpec("kernel_initializer", "initializer", default="glorot_uniform", doc="Initializer of the kernel weights.", advanced=True)
B_INIT = ParamSpec("bias_initializer", "initializer", default="zeros", doc="Initializer of the bias.", advanced=True)
K_REG = ParamSpec("kernel_regularizer", "regularizer", default=None, optional=True, doc="Penalty on the kernel weights.", advanced=True)
B_REG = ParamSpec("bias_regularizer", "regularizer", default=None, optional=True, doc="Penalty on the bias.", advanced=True)

SPECS: list[NodeSpec] = [
    NodeSpec(
        id="keras.layers.Dense",
        class_name="Dense",
        module="keras.layers",
        category="Core",
        doc="Densely connected layer: output = activation(dot(input, kernel) + bias).",
        params=(
            ParamSpec("units", "int", default=32, minimum=1, doc="Number of output units."),
            ACT, USE_BIAS, K_INIT, B_INIT, K_REG, B_REG,
        ),
        curated=True,
        key_params=("units", "activation"),
    ),
    NodeSpec(
        id="keras.layers.Dropout",
        class_name="Dropout",
        module="keras.layers",
        category="Regularization",
        doc="Randomly sets a fraction of inputs to 0 during training.",
        params=(
            ParamSpec("rate", "float", default=0.5, minimum=0.0, maximum=1.0, doc="Fraction of the inputs to drop."),
            ParamSpec("seed", "int", default=None, optional=True, advanced=True, doc="Random seed."),
        ),
        curated=True,
        key_params=("rate",),
    ),
    NodeSpec(
        id="keras.layers.Flatten",
        class_name="Flatten",
        module="keras.layers",
        category="Reshaping",
        doc="Flattens each sample to one dimension.",
        curated=True,
    ),
    NodeSpec(
        id="keras.layers.Conv2D",
        class_name="Conv2D",
        module="keras.layers",
        category="Convolution",
        doc="2D convolution over images.",
        params=(
            ParamSpec("filters", "int", default=32, minimum=1, doc="Number of output channels."),
            ParamSpec("kernel_size", "int_tuple", default=[3, 3], length=2, minimum=1, doc="Height and width of the window."),
            ParamSpec("strides", "int_tuple", default=[1, 1], length=2, minimum=1, doc="Step of the window."),
            ParamSpec("padding", "choice", default="valid", choices=("valid", "same"), doc="'same' keeps the spatial size at stride 1."),
            ACT, USE_BIAS, K_INIT, B_INIT, K_REG, B_REG,
        ),
        curated=True,
        key_params=("filters", "kernel_size", "activation"),
    ),
    NodeSpec(
        id="keras.layers.MaxPooling2D",
        class_name="MaxPooling2D",
        module="keras.layers",
        category="Pooling",
        doc="Max over 2D windows.",
        params=(
            ParamSpec("pool_size", "int_tuple", default=[2, 2], length=2, minimum=1, doc="Window size."),
            ParamSpec("strides", "int_tuple", default=None, optional=True, length=2, minimum=1, doc="Step (None: pool_size)."),
            ParamSpec("padding", "choice", default="valid", choices=("valid", "same")),
        ),
        curated=True,
        key_params=("pool_size",),
        aliases=("keras.layers.MaxPool2D",),
    ),
    NodeSpec(
        id="keras.layers.Concatenate",
        class_name="Concatenate",
        module="keras.layers",
        category="Merging",
        doc="Joins tensors along one axis.",
        params=(ParamSpec("axis", "int", default=-1, doc="Axis to join along."),),
        inputs=(PortSpec("inputs", variadic=True, min_count=2),),
        call_style="list",
        curated=True,
        key_params=("axis",),
    ),
    NodeSpec(
        id="keras.layers.Add",
        class_name="Add",
        module="keras.layers",
        category="Merging",
        doc="Adds tensors of the same shape.",
        inputs=(PortSpec("inputs", variadic=True, min_count=2),),
        call_style="list",
        curated=True,
    ),
    NodeSpec(
        id="keras.layers.Embedding",
        class_name="Embedding",
        module="keras.layers",
        category="Core",
        doc="Maps integer ids to dense vectors.",
        params=(
            ParamSpec("input_dim", "int", default=1000, minimum=1, doc="Vocabulary size (largest id + 1)."),
            ParamSpec("output_dim", "int", default=64, minimum=1, doc="Size of each vector."),
            ParamSpec("mask_zero", "bool", default=False, doc="Treat id 0 as padding and mask it."),
            ParamSpec("embeddings_initializer", "initializer", default="uniform", advanced=True),
        ),
        curated=True,
        key_params=("input_dim", "output_dim"),
    ),
    NodeSpec(
        id="keras.layers.LSTM",
        class_name="LSTM",
        module="keras.layers",
        category="Recurrent",
        doc="Long short-term memory recurrent layer.",
        params=(
            ParamSpec("units", "int", default=32, minimum=1, doc="Size of the hidden state."),
            ParamSpec("activation", "activation", default="tanh"),
            ParamSpec("recurrent_activation", "activation", default="sigmoid", advanced=True),
            ParamSpec("return_sequences", "bool", default=False, doc="Output the whole sequence, not just the last step."),
            ParamSpec("return_state", "bool", default=False, advanced=True, doc="Also output the final states."),
            ParamSpec("dropout", "float", default=0.0, minimum=0.0, maximum=1.0),
            ParamSpec("recurrent_dropout", "float", default=0.0, minimum=0.0, maximum=1.0, advanced=True),
        ),
        curated=True,
        key_params=("units", "return_sequences"),
    ),
    NodeSpec(
        id="keras.layers.Reshape",
        class_name="Reshape",
        module="keras.layers",
        category="Reshaping",
        doc="Reshapes each sample to a target shape (-1 for one inferred dimension).",
        params=(ParamSpec("target_shape", "shape", default=[-1], doc="New shape, without the batch size."),),
        curated=True,
        key_params=("target_shape",),
    ),
]  # fmt: skip
