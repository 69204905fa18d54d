"""Histograms of every weight of a model, once per epoch, in the run folder (weights_hist.npz).

`WeightsHistory(run_dir)` is a Keras callback: at each epoch's end it counts every weight
variable's values into fixed bins (the first epoch's range, a little wider, in BINS bins), and
widens the range by whole bins of the same width when a later epoch's values fall outside it,
so earlier counts stay valid. The file is rewritten atomically after each epoch (a stopped run
keeps the epochs it finished). Never per batch.

`read_weights_history(path)` gives {weight path: WeightHistogram(edges, counts[epoch, bin])}.
Weight paths are Keras' (`conv_1/kernel`); the first part is the layer, i.e. the node's name.
A weight of a layer inside nested models (blocks) has the names of those models before it
(`encoder/conv2d/kernel`; `weight_variables`): Keras' own path (`conv2d/kernel`) can repeat in
a model whose blocks hold layers of the same name.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.project.atomic import atomic_write_bytes

WEIGHTS_HISTORY_FILE = "weights_hist.npz"
BINS = 32
MARGIN = 0.1  # the first range is widened by this share of its span on each side


@dataclass
class WeightHistogram:
    """One weight's counts per epoch: counts[e] are the values of epoch e in bins `edges`."""

    edges: np.ndarray  # BINS+1 ... increasing
    counts: np.ndarray  # (epochs, bins) int
    epochs: np.ndarray  # the epoch numbers (0-based) of the rows


class _Bins:
    """Bins of one weight: index i covers [origin + i*width, origin + (i+1)*width)."""

    def __init__(self, values: np.ndarray) -> None:
        lo, hi = float(values.min()), float(values.max())
        span = hi - lo
        if span <= 0:
            span = max(abs(lo), 1e-3)
        lo, hi = lo - MARGIN * span, hi + MARGIN * span
        self.origin, self.width = lo, (hi - lo) / BINS
        self.first, self.last = 0, BINS - 1  # the bin indices seen so far (inclusive)
        self.rows: list[tuple[int, np.ndarray]] = []  # (first bin index, counts) per epoch

    def add(self, values: np.ndarray) -> None:
        finite = values[np.isfinite(values)]
        idx = np.floor((finite - self.origin) / self.width).astype(np.int64)
        if idx.size:
            self.first = min(self.first, int(idx.min()))
            self.last = max(self.last, int(idx.max()))
            lo = int(idx.min())
            self.rows.append((lo, np.bincount(idx - lo)))
        else:
            self.rows.append((0, np.zeros(0, dtype=np.int64)))

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.last - self.first + 1
        counts = np.zeros((len(self.rows), n), dtype=np.int64)
        for e, (lo, c) in enumerate(self.rows):
            counts[e, lo - self.first : lo - self.first + len(c)] = c
        edges = self.origin + self.width * np.arange(self.first, self.last + 2)
        return edges, counts


def weight_variables(model: Any) -> dict[str, Any]:
    """Every weight variable of `model` once, by a path unique in it: Keras' path of the
    variable after the names of the nested models that hold its layer (`block/dense/kernel`)."""
    import keras

    out: dict[str, Any] = {}
    seen: set[int] = set()

    def add(prefix: str, variables: list) -> None:
        for v in variables:
            if id(v) not in seen:
                seen.add(id(v))
                out[prefix + (getattr(v, "path", None) or v.name)] = v

    def walk(owner: Any, prefix: str) -> None:
        for layer in owner.layers:
            if isinstance(layer, keras.Model):
                walk(layer, f"{prefix}{layer.name}/")
            else:
                add(prefix, layer.weights)

    walk(model, "")
    add("", model.weights)  # any the layers did not list
    return out


def _weight_values(model: Any) -> dict[str, np.ndarray]:
    """Every weight variable's values (nested models included) by its unique path."""
    out: dict[str, np.ndarray] = {}
    for name, v in weight_variables(model).items():
        values = np.asarray(v.numpy(), dtype=np.float64).ravel()
        if values.size:
            out[name] = values
    return out


def _keras_callback_base() -> type:
    import keras

    return keras.callbacks.Callback


def make_weights_history(run_dir: str | Path) -> Any:
    """A Keras callback writing weights_hist.npz into `run_dir` at every epoch's end."""

    class WeightsHistory(_keras_callback_base()):
        def __init__(self) -> None:
            super().__init__()
            self.path = Path(run_dir) / WEIGHTS_HISTORY_FILE
            self.bins: dict[str, _Bins] = {}
            self.epochs: list[int] = []
            self.seconds = 0.0  # time spent here, for the cost it adds to a run

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            import time

            t0 = time.perf_counter()
            for name, values in _weight_values(self.model).items():
                finite = values[np.isfinite(values)]
                bins = self.bins.get(name)
                if bins is None:
                    if not finite.size:
                        continue
                    bins = self.bins[name] = _Bins(finite)
                    bins.rows.extend((0, np.zeros(0, dtype=np.int64)) for _ in self.epochs)
                bins.add(values)
            self.epochs.append(int(epoch))
            write_weights_history(self.path, self.epochs, self.bins)
            self.seconds += time.perf_counter() - t0

    return WeightsHistory()


def write_weights_history(path: Path, epochs: list[int], bins: dict[str, _Bins]) -> None:
    names = list(bins)
    arrays: dict[str, np.ndarray] = {
        "names": np.array(json.dumps(names)),
        "epochs": np.asarray(epochs, dtype=np.int64),
    }
    for i, name in enumerate(names):
        edges, counts = bins[name].table()
        arrays[f"edges_{i}"], arrays[f"counts_{i}"] = edges, counts
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def read_weights_history(path: str | Path) -> dict[str, WeightHistogram]:
    """The histograms a run wrote, by weight path; {} if the run has no such file."""
    path = Path(path)
    if path.is_dir():
        path = path / WEIGHTS_HISTORY_FILE
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        names = json.loads(str(data["names"]))
        epochs = np.asarray(data["epochs"])
        return {
            name: WeightHistogram(
                np.asarray(data[f"edges_{i}"]), np.asarray(data[f"counts_{i}"]), epochs
            )
            for i, name in enumerate(names)
        }


def layer_weights(history: dict[str, Any], layer: str) -> dict[str, Any]:
    """The entries of one layer's weights (`layer/kernel`, `layer/bias`, ...; a block's: all
    of its layers' weights) in a dict by weight path (histograms, or `weight_variables`)."""
    prefix = layer + "/"
    return {k: v for k, v in history.items() if k.startswith(prefix)}


def bin_centres(edges: np.ndarray) -> np.ndarray:
    return (edges[:-1] + edges[1:]) / 2
