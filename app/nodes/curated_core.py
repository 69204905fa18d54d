"""Curated specs: core, activation, regularization, merging and reshaping layers."""

from __future__ import annotations

from app.nodes.curated_common import (
    ACT,
    AXIS,
    DATA_FORMAT,
    IDS,
    IMG,
    MERGE_INPUTS,
    SEED,
    SEQ,
    USE_BIAS,
    VEC,
    VOL,
    P,
    spec,
    weight_params,
)
from app.nodes.spec import PortSpec

# fmt: off
RATE = P("rate", "float", default=0.5, minimum=0.0, maximum=1.0, doc="Fraction of the inputs to drop.")
NOISE_SHAPE = P("noise_shape", "shape", default=None, optional=True, advanced=True, doc="Shape of the binary dropout mask (None: the input shape).")
# These constructors take no **kwargs: pass no "trainable" key, set layer.trainable afterwards.
NO_TRAINABLE = {"trainable_kwarg": False}

CORE = [
    spec("Dense", "Core", "Densely connected layer: output = activation(dot(input, kernel) + bias).", (
        P("units", "int", default=32, minimum=1, doc="Number of output units."),
        ACT, USE_BIAS, *weight_params("kernel", "bias"),
        P("lora_rank", "int", default=None, optional=True, minimum=1, advanced=True, doc="Rank of a LoRA update of the kernel (None: off)."),
    ), example=VEC, key=("units", "activation"), chosen=("units",)),
    spec("EinsumDense", "Core", "Dense layer written as an einsum equation over input and kernel axes.", (
        P("equation", "string", default="ab,bc->ac", doc="Einsum equation 'input,kernel->output' (batch axis included)."),
        P("output_shape", "any", default=64, doc="Output shape without the batch axis; None for a free axis."),
        ACT,
        P("bias_axes", "string", default=None, optional=True, doc="Output axes (letters) that get a bias, e.g. 'c'."),
        *weight_params("kernel", "bias", activity=False),
        P("lora_rank", "int", default=None, optional=True, minimum=1, advanced=True, doc="Rank of a LoRA update of the kernel (None: off)."),
    ), example=VEC, key=("equation", "output_shape"), chosen=("equation", "output_shape")),
    spec("Embedding", "Core", "Maps integer ids to dense vectors.", (
        P("input_dim", "int", default=1000, minimum=1, doc="Vocabulary size (largest id + 1)."),
        P("output_dim", "int", default=64, minimum=1, doc="Size of each vector."),
        P("embeddings_initializer", "initializer", default="uniform", advanced=True, doc="Initializer of the embedding matrix."),
        P("embeddings_regularizer", "regularizer", default=None, optional=True, advanced=True, doc="Penalty on the embedding matrix."),
        P("embeddings_constraint", "constraint", default=None, optional=True, advanced=True, doc="Constraint on the embedding matrix."),
        P("mask_zero", "bool", default=False, doc="Treat id 0 as padding and mask it."),
        P("lora_rank", "int", default=None, optional=True, minimum=1, advanced=True, doc="Rank of a LoRA update (None: off)."),
    ), example=IDS, key=("input_dim", "output_dim"), chosen=("input_dim", "output_dim")),
    spec("Identity", "Core", "Passes its input through unchanged (a named pass-through point).", example=VEC),
    spec("Masking", "Core", "Masks time steps whose features all equal mask_value (for RNNs).", (
        P("mask_value", "float", default=0.0, doc="Feature value that marks padding."),
    ), example=SEQ, key=("mask_value",)),
]

ACTIVATION = [
    spec("Activation", "Activation", "Applies an activation function element-wise.", (
        P("activation", "activation", default="relu", doc="Activation function name or config."),
    ), example=VEC, key=("activation",), chosen=("activation",)),
    spec("ReLU", "Activation", "Rectified linear unit, with optional cap, threshold and leak.", (
        P("max_value", "float", default=None, optional=True, minimum=0.0, doc="Upper cap of the output (None: no cap)."),
        P("negative_slope", "float", default=0.0, minimum=0.0, doc="Slope below the threshold."),
        P("threshold", "float", default=0.0, doc="Values below this are damped."),
    ), example=VEC, key=("max_value",)),
    spec("LeakyReLU", "Activation", "ReLU that lets a small gradient through for negative inputs.", (
        P("negative_slope", "float", default=0.3, minimum=0.0, doc="Slope for negative inputs."),
    ), example=VEC, key=("negative_slope",)),
    spec("PReLU", "Activation", "Leaky ReLU whose negative slope is learned.", (
        P("alpha_initializer", "initializer", default="Zeros", doc="Initializer of the learned slopes."),
        P("alpha_regularizer", "regularizer", default=None, optional=True, advanced=True, doc="Penalty on the slopes."),
        P("alpha_constraint", "constraint", default=None, optional=True, advanced=True, doc="Constraint on the slopes."),
        P("shared_axes", "any", default=None, optional=True, advanced=True, doc="Axes that share one slope, e.g. [1, 2] for images."),
    ), example=VEC),
    spec("ELU", "Activation", "Exponential linear unit.", (
        P("alpha", "float", default=1.0, doc="Scale of the negative part."),
    ), example=VEC, key=("alpha",)),
    spec("Softmax", "Activation", "Softmax along an axis: outputs sum to 1.", (AXIS,), example=VEC, key=("axis",)),
]

REGULARIZATION = [
    spec("Dropout", "Regularization", "Randomly sets a fraction of inputs to 0 during training.", (
        P("rate", "float", default=0.5, minimum=0.0, maximum=1.0, doc="Fraction of the inputs to drop."),
        NOISE_SHAPE, SEED,
    ), example=VEC, key=("rate",), chosen=("rate",)),
    spec("SpatialDropout1D", "Regularization", "Drops whole feature channels of sequences during training.", (
        RATE, SEED,
    ), example=SEQ, key=("rate",), chosen=("rate",), extra=NO_TRAINABLE),
    spec("SpatialDropout2D", "Regularization", "Drops whole feature maps of images during training.", (
        RATE, DATA_FORMAT, SEED,
    ), example=IMG, key=("rate",), chosen=("rate",), extra=NO_TRAINABLE),
    spec("SpatialDropout3D", "Regularization", "Drops whole feature maps of volumes during training.", (
        RATE, DATA_FORMAT, SEED,
    ), example=VOL, key=("rate",), chosen=("rate",), extra=NO_TRAINABLE),
    spec("GaussianNoise", "Regularization", "Adds zero-mean Gaussian noise during training.", (
        P("stddev", "float", default=0.1, minimum=0.0, doc="Standard deviation of the noise."),
        SEED,
    ), example=VEC, key=("stddev",), chosen=("stddev",)),
    spec("GaussianDropout", "Regularization", "Multiplies inputs by 1-centred Gaussian noise during training.", (
        P("rate", "float", default=0.1, minimum=0.0, maximum=1.0, doc="Drop probability (noise stddev = sqrt(rate / (1 - rate)))."),
        SEED,
    ), example=VEC, key=("rate",), chosen=("rate",)),
    spec("AlphaDropout", "Regularization", "Dropout that keeps mean and variance (for SELU networks).", (
        P("rate", "float", default=0.1, minimum=0.0, maximum=1.0, doc="Fraction of the inputs to drop."),
        NOISE_SHAPE, SEED,
    ), example=VEC, key=("rate",), chosen=("rate",)),
    spec("ActivityRegularization", "Regularization", "Adds an L1/L2 penalty on its input to the loss.", (
        P("l1", "float", default=0.0, minimum=0.0, doc="L1 factor."),
        P("l2", "float", default=0.0, minimum=0.0, doc="L2 factor."),
    ), example=VEC, key=("l1", "l2")),
]

TWO = VEC + VEC
MERGING = [
    spec("Add", "Merging", "Adds tensors of the same shape.", inputs=MERGE_INPUTS, call_style="list", example=TWO),
    spec("Subtract", "Merging", "Subtracts the second tensor from the first.", inputs=(PortSpec("inputs", variadic=True, min_count=2, max_count=2),), call_style="list", example=TWO),
    spec("Multiply", "Merging", "Multiplies tensors of the same shape element-wise.", inputs=MERGE_INPUTS, call_style="list", example=TWO),
    spec("Average", "Merging", "Averages tensors of the same shape.", inputs=MERGE_INPUTS, call_style="list", example=TWO),
    spec("Maximum", "Merging", "Element-wise maximum of tensors of the same shape.", inputs=MERGE_INPUTS, call_style="list", example=TWO),
    spec("Minimum", "Merging", "Element-wise minimum of tensors of the same shape.", inputs=MERGE_INPUTS, call_style="list", example=TWO),
    spec("Concatenate", "Merging", "Joins tensors along one axis.", (
        P("axis", "int", default=-1, doc="Axis to join along."),
    ), inputs=MERGE_INPUTS, call_style="list", example=TWO, key=("axis",)),
    spec("Dot", "Merging", "Dot product of two tensors along the given axes.", (
        P("axes", "any", default=-1, doc="Axis (or [axis_a, axis_b]) to take the dot product over."),
        P("normalize", "bool", default=False, doc="L2-normalise first, giving cosine similarity."),
    ), inputs=(PortSpec("inputs", variadic=True, min_count=2, max_count=2),), call_style="list",
        example=TWO, key=("axes",), chosen=("axes",)),
]

RESHAPING = [
    spec("Flatten", "Reshaping", "Flattens each sample to one dimension.", (DATA_FORMAT,), example=IMG),
    spec("Reshape", "Reshaping", "Reshapes each sample to a target shape (-1 for one inferred dimension).", (
        P("target_shape", "shape", default=[-1], doc="New shape, without the batch size."),
    ), example=IMG, key=("target_shape",), chosen=("target_shape",)),
    spec("Permute", "Reshaping", "Reorders the axes of each sample (1-based, batch axis excluded).", (
        P("dims", "int_tuple", default=[2, 1], minimum=1, doc="New order of the axes, e.g. [2, 1] swaps the first two."),
    ), example=SEQ, key=("dims",), chosen=("dims",)),
    spec("RepeatVector", "Reshaping", "Repeats a vector n times: (batch, f) -> (batch, n, f).", (
        P("n", "int", default=3, minimum=1, doc="Number of repetitions."),
    ), example=VEC, key=("n",), chosen=("n",)),
    spec("UpSampling1D", "Reshaping", "Repeats each time step `size` times.", (
        P("size", "int", default=2, minimum=1, doc="Upsampling factor."),
    ), example=SEQ, key=("size",)),
    spec("UpSampling2D", "Reshaping", "Upsamples images by repeating (or interpolating) rows and columns.", (
        P("size", "int_tuple", default=[2, 2], length=2, minimum=1, doc="Factors for rows and columns."),
        DATA_FORMAT,
        P("interpolation", "choice", default="nearest", choices=("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"), doc="How new pixels are computed."),
    ), example=IMG, key=("size",)),
    spec("UpSampling3D", "Reshaping", "Upsamples volumes by repeating along each spatial axis.", (
        P("size", "int_tuple", default=[2, 2, 2], length=3, minimum=1, doc="Factors per spatial axis."),
        DATA_FORMAT,
    ), example=VOL, key=("size",)),
    spec("ZeroPadding1D", "Reshaping", "Pads sequences with zeros at the start and end.", (
        P("padding", "any", default=1, doc="Pad size, or [start, end]."),
        DATA_FORMAT,
    ), example=SEQ, key=("padding",)),
    spec("ZeroPadding2D", "Reshaping", "Pads images with zeros around the border.", (
        P("padding", "any", default=[1, 1], doc="[rows, cols] symmetric, or [[top, bottom], [left, right]]."),
        DATA_FORMAT,
    ), example=IMG, key=("padding",)),
    spec("ZeroPadding3D", "Reshaping", "Pads volumes with zeros around the border.", (
        P("padding", "any", default=[[1, 1], [1, 1], [1, 1]], doc="Pad per spatial axis, symmetric or [start, end]."),
        DATA_FORMAT,
    ), example=VOL, key=("padding",)),
    spec("Cropping1D", "Reshaping", "Crops time steps from the start and end of sequences.", (
        P("cropping", "int_tuple", default=[1, 1], length=2, minimum=0, doc="[start, end] steps to remove."),
    ), example=SEQ, key=("cropping",)),
    spec("Cropping2D", "Reshaping", "Crops rows and columns from the border of images.", (
        P("cropping", "any", default=[[0, 0], [0, 0]], doc="[[top, bottom], [left, right]], or [rows, cols] symmetric."),
        DATA_FORMAT,
    ), example=IMG, key=("cropping",)),
    spec("Cropping3D", "Reshaping", "Crops the border of volumes.", (
        P("cropping", "any", default=[[1, 1], [1, 1], [1, 1]], doc="[start, end] per spatial axis."),
        DATA_FORMAT,
    ), example=VOL, key=("cropping",)),
]

SPECS = CORE + ACTIVATION + REGULARIZATION + MERGING + RESHAPING

# fmt: on
