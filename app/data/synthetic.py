"""Synthetic data shaped like a built model's inputs and outputs (e.g. the ticket classifier)."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset
from app.data.source import SOURCES, DataSource, OptionSpec

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
            for node in getattr(lay, "_outbound_nodes", []):
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

    op = tensor._keras_history.operation
    while isinstance(op, keras.Model) and op.outputs:  # a nested model: look at its own output
        op = op.outputs[0]._keras_history.operation
    if isinstance(op, keras.layers.Softmax):
        return "softmax"
    act = getattr(op, "activation", None)
    if act is None:
        return "linear"
    name = getattr(act, "__name__", None) or str(act)
    return name


def _concrete(shape: tuple, n: int) -> tuple[int, ...]:
    return (n,) + tuple(FREE_DIM if d is None else int(d) for d in shape[1:])


def synthetic_dataset(
    model: Any, num_samples: int = 512, seed: int = 0, sparse_labels: bool = True
) -> Dataset:
    """Random arrays for every model input and output, keyed by their names."""
    rng = np.random.default_rng(seed)
    n = int(num_samples)
    x, notes = {}, []
    for t in model.inputs:
        shape = _concrete(tuple(t.shape), n)
        dtype = str(t.dtype)
        if "int" in dtype:
            vocab = input_vocab(model, t.name)
            if vocab is None:
                vocab = DEFAULT_VOCAB
                notes.append(
                    f"Input '{t.name}': integer ids drawn from 0..{vocab - 1} "
                    f"(no Embedding found downstream)."
                )
            x[t.name] = rng.integers(0, vocab, size=shape).astype(dtype)
        elif dtype == "bool":
            x[t.name] = rng.random(shape) < 0.5
        else:
            x[t.name] = rng.standard_normal(shape).astype(dtype)
    y, class_names, task = {}, {}, "regression"
    for name, t in zip(model.output_names, model.outputs):
        shape = _concrete(tuple(t.shape), n)
        act = output_activation(model, t)
        if act == "softmax":
            units = shape[-1]
            ids = rng.integers(0, units, size=shape[:-1])
            y[name] = (
                ids.astype(np.int64) if sparse_labels else np.eye(units, dtype=np.float32)[ids]
            )
            class_names[name] = [str(i) for i in range(units)]
            task = "classification"
        elif act == "sigmoid":
            y[name] = (rng.random(shape) < 0.5).astype(np.float32)
            task = "classification"
        else:
            y[name] = rng.standard_normal(shape).astype(np.float32)
    return Dataset(
        x=x,
        y=y,
        task=task,
        class_names=class_names,
        title=f"Synthetic data for '{model.name}' ({n} samples)",
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

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        if model is None:
            raise DataError("Synthetic data is generated from the model; build the model first.")
        n = self.option(options, "num_samples")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10_000_000:
            raise DataError("The number of synthetic samples must be a whole number >= 1.")
        seed = int(options.get("seed", 0))
        return synthetic_dataset(model, n, seed, self.option(options, "labels") == "sparse")


SOURCES.register(SyntheticSource())
