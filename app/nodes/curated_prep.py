"""Curated specs: preprocessing (image, numeric, text) and the trusted-code-only Lambda."""

from __future__ import annotations

from app.nodes.curated_common import (
    DATA_FORMAT,
    FILL_MODE,
    FILL_VALUE,
    IMG32,
    INTERPOLATION,
    SEED,
    TEXT,
    VALUE_RANGE,
    VEC,
    P,
    spec,
)

# fmt: off
HEIGHT = P("height", "int", default=24, minimum=1, doc="Output height in pixels.")
WIDTH = P("width", "int", default=24, minimum=1, doc="Output width in pixels.")
FACTOR = P("factor", "any", default=0.1, doc="Strength: a number f for [-f, f], or [low, high].")
OUTPUT_MODE = ("int", "one_hot", "multi_hot", "count", "tf_idf")

IMAGE = [
    spec("Rescaling", "Preprocessing", "Multiplies by scale and adds offset (e.g. 1/255 for pixels).", (
        P("scale", "float", default=1 / 255, doc="Multiplier."),
        P("offset", "float", default=0.0, doc="Added after scaling."),
    ), example=IMG32, key=("scale", "offset"), chosen=("scale",)),
    spec("Resizing", "Preprocessing", "Resizes images to a fixed height and width.", (
        HEIGHT, WIDTH, INTERPOLATION,
        P("crop_to_aspect_ratio", "bool", default=False, advanced=True, doc="Crop to keep the aspect ratio."),
        P("pad_to_aspect_ratio", "bool", default=False, advanced=True, doc="Pad to keep the aspect ratio."),
        P("fill_mode", "choice", default="constant", choices=("constant",), advanced=True, doc="Padding fill mode."),
        FILL_VALUE,
        P("antialias", "bool", default=False, advanced=True, doc="Antialias when downsampling."),
        DATA_FORMAT,
    ), example=IMG32, key=("height", "width"), chosen=("height", "width")),
    spec("CenterCrop", "Preprocessing", "Crops the centre of images to a fixed size.", (
        HEIGHT, WIDTH, DATA_FORMAT,
    ), example=IMG32, key=("height", "width"), chosen=("height", "width")),
    spec("RandomCrop", "Preprocessing", "Crops a random window during training (centre crop at inference).", (
        HEIGHT, WIDTH, SEED, DATA_FORMAT,
    ), example=IMG32, key=("height", "width"), chosen=("height", "width")),
    spec("RandomFlip", "Preprocessing", "Randomly flips images during training.", (
        P("mode", "choice", default="horizontal_and_vertical", choices=("horizontal", "vertical", "horizontal_and_vertical"), doc="Which flips are allowed."),
        SEED, DATA_FORMAT,
    ), example=IMG32, key=("mode",)),
    spec("RandomRotation", "Preprocessing", "Randomly rotates images during training.", (
        P("factor", "any", default=0.1, doc="Fraction of a full turn: f for [-f, f], or [low, high]."),
        FILL_MODE, INTERPOLATION, SEED, FILL_VALUE, DATA_FORMAT,
    ), example=IMG32, key=("factor",), chosen=("factor",)),
    spec("RandomZoom", "Preprocessing", "Randomly zooms images during training.", (
        P("height_factor", "any", default=0.1, doc="Vertical zoom: f for [-f, f], or [low, high]; negative zooms in."),
        P("width_factor", "any", default=None, optional=True, doc="Horizontal zoom (None: keep the aspect ratio)."),
        FILL_MODE, INTERPOLATION, SEED, FILL_VALUE, DATA_FORMAT,
    ), example=IMG32, key=("height_factor",), chosen=("height_factor",)),
    spec("RandomTranslation", "Preprocessing", "Randomly shifts images during training.", (
        P("height_factor", "any", default=0.1, doc="Vertical shift as a fraction of the height."),
        P("width_factor", "any", default=0.1, doc="Horizontal shift as a fraction of the width."),
        FILL_MODE, INTERPOLATION, SEED, FILL_VALUE, DATA_FORMAT,
    ), example=IMG32, key=("height_factor", "width_factor"), chosen=("height_factor", "width_factor")),
    spec("RandomContrast", "Preprocessing", "Randomly changes image contrast during training.", (
        FACTOR, VALUE_RANGE, SEED,
    ), example=IMG32, key=("factor",), chosen=("factor",)),
    spec("RandomBrightness", "Preprocessing", "Randomly changes image brightness during training.", (
        FACTOR, VALUE_RANGE, SEED,
    ), example=IMG32, key=("factor",), chosen=("factor",)),
]

ADAPT = {"needs_adapt": True}
# The params adapt() fills (app/nodes/learned_state.py), the one that decides first.
NORMALIZATION_STATE = {**ADAPT, "learned_state": ("mean", "variance"), "learned_words": "mean/variance"}
BINS_STATE = {**ADAPT, "learned_state": ("bin_boundaries",), "learned_words": "bin boundaries"}
VOCABULARY_STATE = {**ADAPT, "learned_state": ("vocabulary", "idf_weights"), "learned_words": "vocabulary"}
IDF_WEIGHTS = P("idf_weights", "any", default=None, optional=True, advanced=True, doc="Inverse document frequency per vocabulary entry (mode 'tf_idf'; learned with adapt()).")
NUMERIC_TEXT = [
    spec("Normalization", "Preprocessing", "Shifts and scales features to mean 0, variance 1 (from adapt() or given).", (
        P("axis", "any", default=-1, doc="Axis (or axes) with separate statistics."),
        P("mean", "any", default=None, optional=True, doc="Known mean (None: learn it with adapt())."),
        P("variance", "any", default=None, optional=True, doc="Known variance (None: learn it with adapt())."),
        P("invert", "bool", default=False, advanced=True, doc="Undo the normalisation instead."),
    ), example=VEC, key=("axis",), extra=NORMALIZATION_STATE),
    spec("Discretization", "Preprocessing", "Buckets numbers into bins (given boundaries, or learned with adapt()).", (
        P("bin_boundaries", "any", default=None, optional=True, doc="Sorted bin edges; None: learn num_bins with adapt()."),
        P("num_bins", "int", default=4, optional=True, minimum=1, doc="Number of bins to learn with adapt()."),
        P("epsilon", "float", default=0.01, minimum=0.0, advanced=True, doc="Error tolerance of adapt()."),
        P("output_mode", "choice", default="int", choices=("int", "one_hot", "multi_hot", "count"), doc="Bin index or encoded bins."),
        P("sparse", "bool", default=False, advanced=True, doc="Sparse output for encoded modes."),
    ), example=VEC, key=("num_bins",), chosen=("num_bins",), extra={**BINS_STATE, "trainable_kwarg": False}),
    spec("Hashing", "Preprocessing", "Hashes values (ints or strings) into num_bins buckets.", (
        P("num_bins", "int", default=16, minimum=1, doc="Number of buckets (including a mask bucket)."),
        P("mask_value", "any", default=None, optional=True, advanced=True, doc="Value mapped to bucket 0."),
        P("salt", "any", default=None, optional=True, advanced=True, doc="Salt for a keyed hash."),
        P("output_mode", "choice", default="int", choices=("int", "one_hot", "multi_hot", "count"), doc="Bucket index or encoded buckets."),
        P("sparse", "bool", default=False, advanced=True, doc="Sparse output for encoded modes."),
    ), example=TEXT, key=("num_bins",), chosen=("num_bins",)),
    spec("CategoryEncoding", "Preprocessing", "One-hot / multi-hot / count encoding of integer ids.", (
        P("num_tokens", "int", default=16, minimum=1, doc="Number of distinct ids (ids must be < num_tokens)."),
        P("output_mode", "choice", default="multi_hot", choices=("one_hot", "multi_hot", "count"), doc="How ids are encoded."),
        P("sparse", "bool", default=False, advanced=True, doc="Sparse output."),
    ), example=[[[4], "int32"]], key=("num_tokens", "output_mode"), chosen=("num_tokens",)),
    spec("StringLookup", "Preprocessing", "Maps strings to integer ids through a vocabulary (given or adapted).", (
        P("max_tokens", "int", default=None, optional=True, minimum=1, doc="Largest vocabulary size (None: no limit)."),
        P("num_oov_indices", "int", default=1, minimum=0, advanced=True, doc="Ids reserved for unknown strings."),
        P("mask_token", "string", default=None, optional=True, advanced=True, doc="String that means padding."),
        P("oov_token", "string", default="[UNK]", advanced=True, doc="String returned for unknown ids when inverting."),
        P("vocabulary", "any", default=None, optional=True, doc="List of strings (None: learn it with adapt())."),
        IDF_WEIGHTS,
        P("invert", "bool", default=False, advanced=True, doc="Map ids back to strings."),
        P("output_mode", "choice", default="int", choices=OUTPUT_MODE, doc="Ids or encoded ids."),
        P("pad_to_max_tokens", "bool", default=False, advanced=True, doc="Pad encoded outputs to max_tokens."),
        P("sparse", "bool", default=False, advanced=True, doc="Sparse output for encoded modes."),
        P("encoding", "string", default="utf-8", advanced=True, doc="Text encoding."),
    ), example=TEXT, key=("max_tokens", "output_mode"), extra=VOCABULARY_STATE),
    spec("IntegerLookup", "Preprocessing", "Maps integer values to contiguous ids through a vocabulary.", (
        P("max_tokens", "int", default=None, optional=True, minimum=1, doc="Largest vocabulary size (None: no limit)."),
        P("num_oov_indices", "int", default=1, minimum=0, advanced=True, doc="Ids reserved for unknown values."),
        P("mask_token", "int", default=None, optional=True, advanced=True, doc="Value that means padding."),
        P("oov_token", "int", default=-1, advanced=True, doc="Value returned for unknown ids when inverting."),
        P("vocabulary", "any", default=None, optional=True, doc="List of ints (None: learn it with adapt())."),
        IDF_WEIGHTS,
        P("vocabulary_dtype", "choice", default="int64", choices=("int64", "int32"), advanced=True, doc="Dtype of the vocabulary."),
        P("invert", "bool", default=False, advanced=True, doc="Map ids back to values."),
        P("output_mode", "choice", default="int", choices=OUTPUT_MODE, doc="Ids or encoded ids."),
        P("sparse", "bool", default=False, advanced=True, doc="Sparse output for encoded modes."),
        P("pad_to_max_tokens", "bool", default=False, advanced=True, doc="Pad encoded outputs to max_tokens."),
    ), example=[[[4], "int32"]], key=("max_tokens", "output_mode"), extra=VOCABULARY_STATE),
    spec("TextVectorization", "Preprocessing", "Turns raw text into token ids or bag-of-words vectors (vocabulary from adapt()).", (
        P("max_tokens", "int", default=None, optional=True, minimum=1, doc="Largest vocabulary size (None: no limit)."),
        P("standardize", "choice", default="lower_and_strip_punctuation", optional=True, choices=("lower_and_strip_punctuation", "lower", "strip_punctuation"), doc="Text clean-up before splitting (None: none)."),
        P("split", "choice", default="whitespace", optional=True, choices=("whitespace", "character"), doc="How text is split into tokens (None: no split)."),
        P("ngrams", "any", default=None, optional=True, advanced=True, doc="n-grams to add: an int n (up to n) or a list of sizes."),
        P("output_mode", "choice", default="int", choices=("int", "multi_hot", "count", "tf_idf"), doc="Token ids or a vector per text."),
        P("output_sequence_length", "int", default=None, optional=True, minimum=1, doc="Pad or cut id sequences to this length (mode 'int')."),
        P("pad_to_max_tokens", "bool", default=False, advanced=True, doc="Pad vectors to max_tokens."),
        P("vocabulary", "any", default=None, optional=True, advanced=True, doc="List of tokens (None: learn it with adapt())."),
        IDF_WEIGHTS,
        P("sparse", "bool", default=False, advanced=True, doc="Sparse output for vector modes."),
        P("ragged", "bool", default=False, advanced=True, doc="Ragged output for mode 'int'."),
        P("encoding", "string", default="utf-8", advanced=True, doc="Text encoding."),
    ), example=TEXT, key=("max_tokens", "output_mode"), extra=VOCABULARY_STATE),
]

CUSTOM = [
    spec("Lambda", "Custom", "Wraps a Python function as a layer (runs user code: trusted projects only).", (
        P("function", "any", default=None, doc="The function, as Keras serialises it."),
        P("output_shape", "any", default=None, optional=True, advanced=True, doc="Output shape, if Keras cannot infer it."),
        P("arguments", "any", default=None, optional=True, advanced=True, doc="Extra keyword arguments for the function."),
    ), trusted_code_only=True, chosen=("function",), extra={"needs_config": True}),
]

SPECS = IMAGE + NUMERIC_TEXT + CUSTOM

# fmt: on
