"""Synthetic data shaped like a built model's inputs and outputs (e.g. the ticket classifier)."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset
from app.data.source import SOURCES, DataSource, OptionSpec, ReaderCall
from app.keras_internals import keras_history, outbound_nodes

DEFAULT_VOCAB = 100
FREE_DIM = 16  # stands in for free (None) non-batch dims such as sequence length


def input_vocab(model: Any, input_name: str) -> int | None:
    """input_dim of the first Embedding (or num_tokens of CategoryEncoding) fed by an input."""
    import keras

    try:
        layer = model.get_layer(input_name)
    except ValueError:
        return None
    seen, frontier = set(), [layer]
    for _ in range(8):  # a few hops: Input -> (Reshape / Masking ...) -> Embedding
        nxt = []
        for lay in frontier:
            for node in outbound_nodes(lay):
                op = node.operation
                if id(op) in seen:
                    continue
                seen.add(id(op))
                if isinstance(op, keras.layers.Embedding):
                    return int(op.input_dim)
                if isinstance(op, keras.layers.CategoryEncoding):
                    return int(op.num_tokens)
                if isinstance(op, keras.Model):
                    for inner in op.layers:
                        if isinstance(inner, keras.layers.Embedding):
                            return int(inner.input_dim)
                    continue
                nxt.append(op)
        frontier = nxt
    return None


def output_activation(model: Any, tensor: Any) -> str:
    """Name of the activation that produces a model output ("softmax", "sigmoid", "linear", ...)."""
    import keras

    op = keras_history(tensor)[0]
    for _ in range(64):  # nested models: look at what makes their own output
        if not isinstance(op, keras.Model):
            break
        inner = getattr(op, "outputs", None)  # a subclassed keras.Model has no graph outputs
        if inner:
            op = keras_history(inner[0])[0]
        elif op.layers:  # subclassed: the last layer its __init__ made, as the guides write them
            op = op.layers[-1]
        else:
            break
    if isinstance(op, keras.layers.Softmax):
        return "softmax"
    act = getattr(op, "activation", None)
    if act is None:
        return "linear"
    name = getattr(act, "__name__", None) or str(act)
    return name


def synthetic_plan(model: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """A built model's inputs and outputs as plain data for synthetic_arrays, with notes.

    Inputs: name, shape (without the batch axis; free dims become FREE_DIM), dtype and, for
    integer ids, vocab (the downstream Embedding's input_dim). Outputs: name, shape, activation.
    """
    inputs, notes = [], []
    for t in model.inputs:
        spec: dict[str, Any] = {"name": t.name, "shape": _concrete(t.shape), "dtype": str(t.dtype)}
        if "int" in spec["dtype"]:
            spec["vocab"] = input_vocab(model, t.name)
            if spec["vocab"] is None:
                spec["vocab"] = DEFAULT_VOCAB
                notes.append(
                    f"Input '{t.name}': integer ids drawn from 0..{DEFAULT_VOCAB - 1} "
                    f"(no Embedding found downstream)."
                )
        inputs.append(spec)
    outputs = [
        {"name": name, "shape": _concrete(t.shape), "activation": output_activation(model, t)}
        for name, t in zip(model.output_names, model.outputs)
    ]
    return inputs, outputs, notes


def _concrete(shape: Any) -> list[int]:
    return [FREE_DIM if d is None else int(d) for d in tuple(shape)[1:]]


def synthetic_arrays(
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    num_samples: int = 512,
    seed: int = 0,
    sparse_labels: bool = True,
) -> dict[str, Any]:
    """Random arrays for every input and output of a model described by synthetic_plan.

    Integer inputs get ids below their vocab, softmax outputs class ids (or one-hot rows),
    sigmoid outputs 0/1, everything else standard normal values.
    """
    rng = np.random.default_rng(seed)
    n = int(num_samples)
    x = {}
    for spec in inputs:
        shape, dtype = (n, *spec["shape"]), spec["dtype"]
        if "int" in dtype:
            x[spec["name"]] = rng.integers(0, spec["vocab"], size=shape).astype(dtype)
        elif dtype == "bool":
            x[spec["name"]] = rng.random(shape) < 0.5
        else:
            x[spec["name"]] = rng.standard_normal(shape).astype(dtype)
    y, class_names, task = {}, {}, "regression"
    for spec in outputs:
        name, shape = spec["name"], (n, *spec["shape"])
        if spec["activation"] == "softmax":
            units = shape[-1]
            ids = rng.integers(0, units, size=shape[:-1])
            y[name] = (
                ids.astype(np.int64) if sparse_labels else np.eye(units, dtype=np.float32)[ids]
            )
            class_names[name] = [str(i) for i in range(units)]
            task = "classification"
        elif spec["activation"] == "sigmoid":
            y[name] = (rng.random(shape) < 0.5).astype(np.float32)
            task = "classification"
        else:
            y[name] = rng.standard_normal(shape).astype(np.float32)
    return {"x": x, "y": y, "task": task, "class_names": class_names}


def synthetic_call(
    model: Any, num_samples: int = 512, seed: int = 0, sparse_labels: bool = True
) -> tuple[ReaderCall, list[str]]:
    """The synthetic_arrays call for a built model, and notes on how its inputs are drawn."""
    inputs, outputs, notes = synthetic_plan(model)
    kwargs = {
        "inputs": inputs,
        "outputs": outputs,
        "num_samples": int(num_samples),
        "seed": int(seed),
        "sparse_labels": bool(sparse_labels),
    }
    names = (tuple(i["name"] for i in inputs), tuple(o["name"] for o in outputs))
    return ReaderCall(synthetic_arrays, kwargs, *names), notes


def synthetic_dataset(
    model: Any, num_samples: int = 512, seed: int = 0, sparse_labels: bool = True
) -> Dataset:
    """Random arrays for every model input and output, keyed by their names."""
    call, notes = synthetic_call(model, num_samples, seed, sparse_labels)
    return Dataset(
        **call.run(),
        title=f"Synthetic data for '{model.name}' ({int(num_samples)} samples)",
        notes=notes,
    )


class SyntheticSource(DataSource):
    """Random data generated from the built model's inputs and outputs."""

    id = "synthetic"
    title = "Synthetic data (from the model's inputs and outputs)"
    kind = "synthetic"
    needs_model = True
    options = (
        OptionSpec("num_samples", "int", 512),
        OptionSpec(
            "labels",
            "choice",
            "sparse",
            ("sparse", "onehot"),
            help="Softmax outputs get class ids (sparse) or one-hot rows.",
        ),
    )

    def _settings(self, options: dict[str, Any], model: Any) -> tuple[int, int, bool]:
        if model is None:
            raise DataError("Synthetic data is generated from the model; build the model first.")
        n = self.option(options, "num_samples")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10_000_000:
            raise DataError("The number of synthetic samples must be a whole number >= 1.")
        return n, int(options.get("seed", 0)), self.option(options, "labels") == "sparse"

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        return synthetic_call(model, *self._settings(options, model))[0]

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        return synthetic_dataset(model, *self._settings(options, model))


SOURCES.register(SyntheticSource())
