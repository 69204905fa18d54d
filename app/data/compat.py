"""Mapping dataset arrays to a model's named inputs/outputs, and checking that they fit —
in words, before training starts."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset, is_text
from app.keras_internals import outputs_are_dict

SPARSE_LOSSES = {
    "sparse_categorical_crossentropy",
    "sparsecategoricalcrossentropy",
    "sparse_categorical_focal_crossentropy",
}
ONEHOT_LOSSES = {
    "categorical_crossentropy",
    "categoricalcrossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "kl_divergence",
}


def _shape(t: Any) -> tuple:
    return tuple(None if d is None else int(d) for d in t.shape)


def model_inputs(model: Any) -> list[tuple[str, tuple, str]]:
    """(name, shape, dtype) of every model input, in order."""
    return [(t.name, _shape(t), str(t.dtype)) for t in model.inputs]


def model_outputs(model: Any) -> list[tuple[str, tuple, str]]:
    """(name, shape, dtype) of every model output, in order."""
    return [(n, _shape(t), str(t.dtype)) for n, t in zip(model.output_names, model.outputs)]


def resolve_names(
    kind: str,
    names: list[str],
    arrays: dict[str, np.ndarray],
    mapping: dict[str, str],
    problems: list[str],
) -> dict[str, str]:
    """model name -> array name; problems get a sentence for each name without data."""
    out = {}
    for name in names:
        if name in mapping:
            if mapping[name] in arrays:
                out[name] = mapping[name]
            else:
                problems.append(
                    f"{kind} '{name}' is mapped to the array '{mapping[name]}', which "
                    f"the data does not have (it has {_list(arrays)})."
                )
        elif name in arrays:
            out[name] = name
        elif len(names) == 1 and len(arrays) == 1:
            out[name] = next(iter(arrays))
    unmapped = [n for n in names if n not in out]
    free = [a for a in arrays if a not in out.values()]
    if len(unmapped) == 1 and len(free) == 1 and unmapped[0] not in mapping:
        out[unmapped[0]] = free[0]  # one name left and one array left: they belong together
        unmapped = []
    for name in unmapped:
        if name in mapping:
            continue
        if arrays:
            problems.append(
                f"{kind} '{name}' has no data: the data has {_list(arrays)}; "
                f"map one of them to '{name}' in the data settings."
            )
        else:
            problems.append(
                f"{kind} '{name}' has no data: the dataset has no "
                f"{'targets' if kind == 'Output' else 'inputs'}."
            )
    return out


def _list(arrays: dict) -> str:
    return ", ".join(f"'{k}' {tuple(v.shape)}" for k, v in arrays.items()) or "no arrays"


def _fits(expected: tuple, actual: tuple) -> bool:
    return len(expected) == len(actual) and all(
        e is None or e == a for e, a in zip(expected[1:], actual[1:])
    )


def _text_fits(shape: tuple, arr: np.ndarray) -> bool:
    """Text for a string input: one string per sample, as (N,) or (N, 1) either way round."""
    one_per_sample = arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)
    return one_per_sample and tuple(shape[1:]) in ((), (1,), (None,))


def _check_input(name: str, shape: tuple, dtype: str, arr: np.ndarray, problems: list[str]):
    if dtype == "string":
        if not is_text(arr):
            problems.append(
                f"Input '{name}' takes text (dtype string) but the data gives numbers "
                f"({arr.dtype}); set its dtype to float32 or feed it a text column."
            )
        elif not _text_fits(shape, arr):
            problems.append(
                f"Input '{name}' expects shape {shape} but the text data has shape "
                f"{tuple(arr.shape)}; one string per sample needs the shape () or (1,)."
            )
        return
    if is_text(arr):
        problems.append(
            f"Input '{name}' takes numbers ({dtype}) but the data gives text; set its dtype to "
            f"string and follow it with a TextVectorization or StringLookup layer (Fit model "
            f"to data does both)."
        )
        return
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        problems.append(f"Input '{name}' gets data of type {arr.dtype}; it must be numbers.")
        return
    if not _fits(shape, arr.shape):
        problems.append(
            f"Input '{name}' expects shape {shape} but the data has shape {tuple(arr.shape)}."
        )
    if "int" in dtype and not np.issubdtype(arr.dtype, np.integer):
        if arr.size and not np.all(np.mod(arr, 1) == 0):
            problems.append(
                f"Input '{name}' expects whole-number ids ({dtype}) but the data "
                f"holds fractional values."
            )
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        problems.append(f"Input '{name}': the data contains NaN or infinite values.")


def _check_output(
    name: str, shape: tuple, arr: np.ndarray, loss: str | None, n_classes: int, problems: list[str]
):
    """Shapes of targets vs outputs, class ids vs units, and sparse vs one-hot losses."""
    loss = (loss or "").lower()
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        problems.append(f"Output '{name}' gets targets of type {arr.dtype}; they must be numbers.")
        return
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        problems.append(f"Output '{name}': the targets contain NaN or infinite values.")
    units = shape[-1] if len(shape) >= 2 else None
    wrong_shape = (
        f"Output '{name}' gives shape {shape} but the targets have shape {tuple(arr.shape)}."
    )
    if _fits(shape, arr.shape):  # targets shaped like the output (one-hot, regression, images)
        if units and units > 1 and loss in SPARSE_LOSSES:
            problems.append(
                f"Output '{name}': the loss {loss} needs class ids but the data "
                f"gives one-hot rows; use categorical_crossentropy."
            )
        if units == 1 and n_classes > 2:
            problems.append(
                f"Output '{name}' has 1 unit but the data has {n_classes} classes; "
                f"use {n_classes} units with softmax."
            )
        return
    lead = shape[:-1]
    sparse = (arr.ndim == len(shape) - 1 and _fits(lead, arr.shape)) or (
        arr.ndim == len(shape) and arr.shape[-1] == 1 and _fits(lead, arr.shape[:-1])
    )
    if not sparse or len(shape) < 2:
        if units == 1 and n_classes > 2:
            problems.append(
                f"Output '{name}' has 1 unit but the data has {n_classes} classes; "
                f"use {n_classes} units with softmax."
            )
        else:
            problems.append(wrong_shape)
        return
    if units == 1:
        if n_classes > 2:
            problems.append(
                f"Output '{name}' has 1 unit but the data has {n_classes} classes; "
                f"use {n_classes} units with softmax."
            )
        return  # (N,) targets for a single unit: Keras squeezes them
    if arr.size and not np.all(np.mod(arr, 1) == 0):
        problems.append(wrong_shape[:-1] + " (one number per sample, not class ids).")
        return
    top = max(int(arr.max()) + 1 if arr.size else 0, n_classes)
    if units is not None and top > units:
        problems.append(
            f"Output '{name}' has {units} units but the data has {top} classes; "
            f"set its units to {top}."
        )
    if loss in ONEHOT_LOSSES:
        problems.append(
            f"Output '{name}': the loss {loss} needs one-hot targets but the data "
            f"gives class ids; use sparse_categorical_crossentropy."
        )


def input_problems(
    model: Any, x: dict[str, np.ndarray], input_map: dict | None = None
) -> list[str]:
    """What keeps `x` (arrays by name) from being fed to the model's inputs, as sentences (empty:
    it fits). Targets are not looked at: this is all a prediction needs."""
    problems: list[str] = []
    ins = model_inputs(model)
    xmap = resolve_names("Input", [n for n, _, _ in ins], x, input_map or {}, problems)
    for name, shape, dtype in ins:
        if name in xmap:
            _check_input(name, shape, dtype, x[xmap[name]], problems)
    return problems


def check_compatibility(
    model: Any,
    dataset: Dataset,
    input_map: dict[str, str] | None = None,
    output_map: dict[str, str] | None = None,
    losses: dict[str, str] | None = None,
) -> list[str]:
    """Every mismatch between the data and the model, as plain sentences (empty: it fits).

    Checks missing inputs/outputs, shapes, dtypes, class counts vs output units, sample counts,
    non-finite values and (when `losses` names them) sparse vs one-hot losses.
    """
    problems: list[str] = []
    ins, outs = model_inputs(model), model_outputs(model)
    xmap = resolve_names("Input", [n for n, _, _ in ins], dataset.x, input_map or {}, problems)
    skip = {n for n, v in (losses or {}).items() if v in ("", "none", None)}
    ymap = resolve_names(
        "Output", [n for n, _, _ in outs if n not in skip], dataset.y, output_map or {}, problems
    )
    splits = [(dataset.x, dataset.y, "training")]
    if dataset.x_val is not None:
        splits.append((dataset.x_val, dataset.y_val or {}, "validation"))
    for xs, ys, split in splits:
        counts = {}
        for name, shape, dtype in ins:
            if name in xmap and xmap[name] in xs:
                arr = xs[xmap[name]]
                counts[name] = len(arr)
                if split == "training":
                    _check_input(name, shape, dtype, arr, problems)
        for name, shape, _ in outs:
            if name in skip:
                continue
            if name in ymap and ymap[name] in ys:
                arr = ys[ymap[name]]
                counts[name] = len(arr)
                if split == "training":
                    n_cls = len(dataset.class_names.get(ymap[name], []))
                    _check_output(name, shape, arr, (losses or {}).get(name), n_cls, problems)
            elif name in ymap and split == "validation":
                problems.append(f"The validation data has no targets for output '{name}'.")
        if len(set(counts.values())) > 1:
            text = ", ".join(f"'{k}' {v}" for k, v in counts.items())
            problems.append(f"The {split} arrays have different numbers of samples: {text}.")
    if dataset.num_samples == 0:
        problems.append("The dataset has no training samples.")
    return problems


def text_tensor(arr: np.ndarray, shape: tuple = (None,)) -> Any:
    """Strings as a tf.string tensor for a string input of `shape` ((N,) or (N, 1)): Keras
    takes no numpy arrays of str in fit or predict."""
    import tensorflow as tf

    flat = np.asarray(arr, dtype=object).reshape(len(arr), -1)[:, 0]
    values = [v if isinstance(v, str | bytes) else str(v) for v in flat]
    t = tf.constant(values, dtype=tf.string) if values else tf.zeros((0,), dtype=tf.string)
    return tf.reshape(t, (-1, 1)) if len(shape) == 2 else t


def fit_arrays(
    model: Any,
    dataset: Dataset,
    input_map: dict[str, str] | None = None,
    output_map: dict[str, str] | None = None,
    skip_outputs: set[str] | frozenset = frozenset(),
) -> tuple[Any, Any, Any]:
    """(x, y, validation_data) for model.fit, keyed by the model's input/output names.

    Single-input / single-output models get plain arrays; multi-output models with list outputs
    get a list in output order with None for outputs trained without a loss (skip_outputs).
    DataError lists what does not fit.
    """
    problems: list[str] = []
    ins = [n for n, _, _ in model_inputs(model)]
    outs = list(model.output_names)
    xmap = resolve_names("Input", ins, dataset.x, input_map or {}, problems)
    wanted = [n for n in outs if n not in skip_outputs]
    ymap = resolve_names("Output", wanted, dataset.y, output_map or {}, problems) if wanted else {}
    if problems:
        raise DataError(" ".join(problems))
    specs = {n: (s, d) for n, s, d in model_inputs(model)}

    def xs(arrays):
        d = {}
        for n in ins:
            arr, (shape, dtype) = arrays[xmap[n]], specs[n]
            if dtype == "string":
                d[n] = text_tensor(arr, shape)
            else:
                d[n] = arr if str(arr.dtype) == dtype else arr.astype(dtype)
        return d[ins[0]] if len(ins) == 1 else d

    def ys(arrays):
        if not ymap or arrays is None:
            return None
        d = {}
        for n in outs:
            arr = arrays.get(ymap[n]) if n in ymap else None
            if arr is not None and (arr.dtype == np.float64 or arr.dtype == bool):
                arr = arr.astype(np.float32)
            d[n] = arr
        if outputs_are_dict(model):
            return {n: v for n, v in d.items() if v is not None}
        return d[outs[0]] if len(outs) == 1 else [d[n] for n in outs]

    x, y = xs(dataset.x), ys(dataset.y)
    val = None
    if dataset.x_val is not None:
        yv = ys(dataset.y_val)
        val = (xs(dataset.x_val), yv) if yv is not None else (xs(dataset.x_val),)
    return x, y, val
