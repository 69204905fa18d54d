"""Curated specs: recurrent, attention and normalization layers."""

from __future__ import annotations

from app.nodes.curated_common import (
    DATA_FORMAT,
    SEED,
    SEQ,
    USE_BIAS,
    VEC,
    P,
    layer_config,
    spec,
    weight_params,
)
from app.nodes.spec import NodeSpec, PortSpec

# fmt: off
DROPOUT = P("dropout", "float", default=0.0, minimum=0.0, maximum=1.0, doc="Dropout on the inputs.")
REC_DROPOUT = P("recurrent_dropout", "float", default=0.0, minimum=0.0, maximum=1.0, advanced=True, doc="Dropout on the recurrent state.")
RETURN_SEQ = P("return_sequences", "bool", default=False, doc="Output the whole sequence, not just the last step.")
RETURN_STATE = P("return_state", "bool", default=False, advanced=True, doc="Also output the final states.")
GO_BACK = P("go_backwards", "bool", default=False, advanced=True, doc="Read the sequence in reverse.")
STATEFUL = P("stateful", "bool", default=False, advanced=True, doc="Carry states between batches.")
UNROLL = P("unroll", "bool", default=False, advanced=True, doc="Unroll the loop (faster for short sequences).")
USE_CUDNN = P("use_cudnn", "any", default="auto", advanced=True, doc="Use the cuDNN kernel: 'auto', true or false.")
UNITS = P("units", "int", default=32, minimum=1, doc="Size of the hidden state.")
TANH = P("activation", "activation", default="tanh", doc="Activation of the output / candidate state.")
SIGMOID = P("recurrent_activation", "activation", default="sigmoid", advanced=True, doc="Activation of the gates.")
UNIT_FORGET = P("unit_forget_bias", "bool", default=True, advanced=True, doc="Add 1 to the forget gate bias at initialisation.")
REC_WEIGHTS = weight_params("kernel", "recurrent", "bias", init={"recurrent": "orthogonal"})
SEQ_FLAGS = (RETURN_SEQ, RETURN_STATE, GO_BACK, STATEFUL, UNROLL)
RNN_KEY = ("units", "return_sequences")


# Encoder states can seed a decoder (seq2seq): LSTM(...)(x, initial_state=[h, c]).
RNN_PORTS = (
    PortSpec("inputs"),
    PortSpec("initial_state", variadic=True, optional=True, min_count=1, keyword="initial_state"),
)


def _rnn(name: str, doc: str, params: tuple) -> NodeSpec:
    return spec(name, "Recurrent", doc, params, example=SEQ, key=RNN_KEY, chosen=("units",),
                inputs=RNN_PORTS, call_style="args")


RECURRENT = [
    _rnn("LSTM", "Long short-term memory recurrent layer.", (
        UNITS, TANH, SIGMOID, USE_BIAS, UNIT_FORGET, *REC_WEIGHTS,
        DROPOUT, REC_DROPOUT, SEED, *SEQ_FLAGS, USE_CUDNN,
    )),
    _rnn("GRU", "Gated recurrent unit layer.", (
        UNITS, TANH, SIGMOID, USE_BIAS, *REC_WEIGHTS, DROPOUT, REC_DROPOUT, SEED, *SEQ_FLAGS,
        P("reset_after", "bool", default=True, advanced=True, doc="Apply the reset gate after the matrix product (cuDNN-compatible)."),
        USE_CUDNN,
    )),
    _rnn("SimpleRNN", "Fully connected recurrent layer: the output is fed back as the next state.", (
        UNITS, TANH, USE_BIAS, *REC_WEIGHTS, DROPOUT, REC_DROPOUT, SEED, *SEQ_FLAGS,
    )),
    spec("Bidirectional", "Recurrent", "Runs a recurrent layer forwards and backwards and merges the results.", (
        P("layer", "layer", default=layer_config("LSTM", units=32), doc="The recurrent layer to run in both directions."),
        P("merge_mode", "choice", default="concat", optional=True, choices=("concat", "sum", "mul", "ave"), doc="How the two directions are combined (None: output both)."),
        P("backward_layer", "layer", default=None, optional=True, advanced=True, doc="A separate layer for the backward pass (None: a copy of layer)."),
    ), example=SEQ, key=("layer", "merge_mode"), chosen=("layer",)),
    spec("TimeDistributed", "Recurrent", "Applies a layer to every time step of a sequence.", (
        P("layer", "layer", default=layer_config("Dense", units=32), doc="The layer applied at each step."),
    ), example=SEQ, key=("layer",), chosen=("layer",)),
    spec("RNN", "Recurrent", "Recurrent layer built from a cell (LSTMCell, GRUCell, SimpleRNNCell, ...).", (
        P("cell", "layer", default=layer_config("LSTMCell", units=32), doc="The cell run at each time step."),
        *SEQ_FLAGS,
        P("zero_output_for_mask", "bool", default=False, advanced=True, doc="Output zeros for masked steps."),
    ), example=SEQ, key=("cell", "return_sequences"), chosen=("cell",)),
    spec("ConvLSTM2D", "Recurrent", "LSTM whose gates are 2D convolutions: for sequences of images.", (
        P("filters", "int", default=32, minimum=1, doc="Number of output channels."),
        P("kernel_size", "int_tuple", default=[3, 3], length=2, minimum=1, doc="Size of the convolution window."),
        P("strides", "int_tuple", default=[1, 1], length=2, minimum=1, doc="Step of the window."),
        P("padding", "choice", default="valid", choices=("valid", "same"), doc="'same' keeps the image size."),
        DATA_FORMAT,
        P("dilation_rate", "int_tuple", default=[1, 1], length=2, minimum=1, advanced=True, doc="Spacing between kernel taps."),
        TANH, SIGMOID, USE_BIAS, UNIT_FORGET, *REC_WEIGHTS, DROPOUT, REC_DROPOUT, SEED,
        RETURN_SEQ, RETURN_STATE, GO_BACK, STATEFUL,
    ), example=[[[5, 16, 16, 3], "float32"]], key=("filters", "kernel_size", "return_sequences"),
        chosen=("filters", "kernel_size")),
]

ATTN_WEIGHTS = weight_params("kernel", "bias")
QVK_ARGS = (PortSpec("query"), PortSpec("value"), PortSpec("key", optional=True, keyword="key"))
QVK_LIST = (PortSpec("query"), PortSpec("value"), PortSpec("key", optional=True))
QV = SEQ + SEQ
ATTENTION = [
    spec("MultiHeadAttention", "Attention", "Multi-head scaled dot-product attention of query over value (and key).", (
        P("num_heads", "int", default=2, minimum=1, doc="Number of attention heads."),
        P("key_dim", "int", default=16, minimum=1, doc="Size of each head for query and key."),
        P("value_dim", "int", default=None, optional=True, minimum=1, doc="Size of each head for value (None: key_dim)."),
        P("dropout", "float", default=0.0, minimum=0.0, maximum=1.0, doc="Dropout on the attention weights."),
        USE_BIAS,
        P("output_shape", "any", default=None, optional=True, advanced=True, doc="Output size (None: the query's last axis)."),
        P("attention_axes", "any", default=None, optional=True, advanced=True, doc="Axes attention is applied over (None: all but batch, heads, features)."),
        *ATTN_WEIGHTS, SEED,
    ), inputs=QVK_ARGS, call_style="args", example=QV, key=("num_heads", "key_dim"),
        chosen=("num_heads", "key_dim")),
    spec("GroupQueryAttention", "Attention", "Grouped-query attention: query heads share fewer key/value heads.", (
        P("head_dim", "int", default=16, minimum=1, doc="Size of each attention head."),
        P("num_query_heads", "int", default=4, minimum=1, doc="Number of query heads."),
        P("num_key_value_heads", "int", default=2, minimum=1, doc="Number of key/value heads (divides num_query_heads)."),
        P("dropout", "float", default=0.0, minimum=0.0, maximum=1.0, doc="Dropout on the attention weights."),
        USE_BIAS, *ATTN_WEIGHTS, SEED,
    ), inputs=QVK_ARGS, call_style="args", example=QV, key=("num_query_heads", "num_key_value_heads"),
        aliases=("GroupedQueryAttention",), chosen=("head_dim", "num_query_heads", "num_key_value_heads")),
    spec("Attention", "Attention", "Dot-product (Luong-style) attention of query over value.", (
        P("use_scale", "bool", default=False, doc="Learn a scale for the scores."),
        P("score_mode", "choice", default="dot", choices=("dot", "concat"), doc="How query and key are scored."),
        P("dropout", "float", default=0.0, minimum=0.0, maximum=1.0, doc="Dropout on the attention weights."),
        SEED,
    ), inputs=QVK_LIST, call_style="list", example=QV, key=("score_mode",)),
    spec("AdditiveAttention", "Attention", "Additive (Bahdanau-style) attention of query over value.", (
        P("use_scale", "bool", default=True, doc="Learn a scale for the scores."),
        P("dropout", "float", default=0.0, minimum=0.0, maximum=1.0, doc="Dropout on the attention weights."),
    ), inputs=QVK_LIST, call_style="list", example=QV),
]

NORM_WEIGHTS = weight_params("beta", "gamma", activity=False)
CENTER = P("center", "bool", default=True, doc="Learn an offset (beta).")
SCALE = P("scale", "bool", default=True, doc="Learn a scale (gamma).")
EPS = P("epsilon", "float", default=0.001, minimum=0.0, advanced=True, doc="Small number added to the variance.")
NORMALIZATION = [
    spec("BatchNormalization", "Normalization", "Normalises each feature with batch statistics (moving averages at inference).", (
        P("axis", "int", default=-1, doc="The features axis (channels)."),
        P("momentum", "float", default=0.99, minimum=0.0, maximum=1.0, doc="Momentum of the moving averages."),
        EPS, CENTER, SCALE,
        *weight_params("beta", "gamma", "moving_mean", "moving_variance", activity=False,
                       init={"moving_mean": "zeros", "moving_variance": "ones"})[:4],
        *NORM_WEIGHTS[2:],
        P("renorm", "bool", default=False, advanced=True, doc="Use batch renormalisation."),
        P("synchronized", "bool", default=False, advanced=True, doc="Synchronise statistics across devices."),
    ), example=VEC, key=("momentum",)),
    spec("LayerNormalization", "Normalization", "Normalises each sample over its feature axes.", (
        P("axis", "any", default=-1, doc="Axis or list of axes to normalise over."),
        EPS, CENTER, SCALE, *NORM_WEIGHTS,
    ), example=VEC, key=("axis",)),
    spec("GroupNormalization", "Normalization", "Normalises groups of channels within each sample.", (
        P("groups", "int", default=32, minimum=1, doc="Number of channel groups (divides the channel count)."),
        P("axis", "int", default=-1, doc="The channels axis."),
        EPS, CENTER, SCALE, *NORM_WEIGHTS,
    ), example=[[[16, 16, 32], "float32"]], key=("groups",)),
    spec("UnitNormalization", "Normalization", "Scales each sample to unit L2 norm along an axis.", (
        P("axis", "any", default=-1, doc="Axis or list of axes."),
    ), example=VEC),
]

SPECS = RECURRENT + ATTENTION + NORMALIZATION

# fmt: on
