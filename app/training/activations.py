"""What every node of a model outputs for one sample: one Keras model for all of them.

`ActivationProbe(model)` builds `keras.Model(model.inputs, [output of every layer])` once;
`probe.outputs(x)` runs it on one sample and gives layer name -> numpy array (the batch axis
kept, length 1). Nodes and layers share names (the builder names each layer after its node),
so the same probe serves the untrained model (`build_model`) and a run's saved model.

`ActivationCache` keeps one probe per model source and the outputs per (source, sample), so a
click on another node costs nothing once the sample has been run. `builds` counts the probes
made (tests check that clicking through nodes reuses the one probe).

`view_kind(shape)` says how an output is best shown: "maps" (a grid of feature maps, 4-D
channels-last), "vector" (a bar/heat strip), "sequence" (a heatmap, time x features),
"image" (one 2-D picture) or "scalar". `grid_columns` tiles feature maps so that their grid
fills a view of a given aspect.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.data.compat import fit_arrays
from app.data.dataset import Dataset
from app.errors import LayerLoomError


class ActivationError(LayerLoomError):
    """A model whose node outputs cannot be shown, said plainly."""


def _single_output(layer: Any) -> Any | None:
    """The symbolic output of a layer called exactly once in the model, else None (a shared
    layer, a layer with several outputs). The call's own output, not `layer.output`: a nested
    model's `output` is the one inside it."""
    from app.keras_internals import inbound_nodes

    calls = inbound_nodes(layer)
    if len(calls) != 1 or len(calls[0].outputs) != 1:
        return None
    return calls[0].outputs[0]


def _is_nested(layer: Any) -> bool:
    """A Functional (or Sequential) model used as a layer: a block on the canvas."""
    import keras

    from app.keras_internals import is_functional

    return isinstance(layer, keras.Model) and (
        is_functional(layer) or isinstance(layer, keras.Sequential)
    )


def _layer_outputs(model: Any, prefix: str, skipped: dict[str, str]) -> tuple[list[str], list]:
    """(names, symbolic outputs in terms of `model`'s inputs) of every layer of `model` and,
    for a nested model called once, of every layer inside it ("block/inner" names): its inner
    outputs are computed again on the tensors the outer model feeds the block."""
    import keras

    from app.keras_internals import call_arguments, inbound_nodes

    names, tensors = [], []
    for layer in model.layers:
        name = prefix + layer.name
        out = _single_output(layer)
        if out is None:
            skipped[name] = "this layer is used more than once (shared) or has several outputs"
            continue
        names.append(name)
        tensors.append(out)
        if not _is_nested(layer):
            continue
        inner_names, inner = _layer_outputs(layer, name + "/", skipped)
        if not inner:
            continue
        inside = keras.Model(inputs=layer.input, outputs=inner, name=f"{layer.name}_inside")
        args, _kwargs = call_arguments(inbound_nodes(layer)[0])
        outs = inside(args[0])  # the block's inner layers again, on what the outer model feeds it
        names += inner_names
        tensors += list(outs) if isinstance(outs, list | tuple) else [outs]
    return names, tensors


@dataclass
class ActivationProbe:
    """One model giving the output of every layer of `model`; built once per model."""

    model: Any
    names: list[str] = field(default_factory=list)  # layer names, in the probe's output order
    skipped: dict[str, str] = field(default_factory=dict)  # layer name -> why it has no output
    probe: Any = None

    def __post_init__(self) -> None:
        import keras

        self.names, tensors = _layer_outputs(self.model, "", self.skipped)
        if not tensors:
            raise ActivationError("The model has no layer whose output can be shown.")
        self.probe = keras.Model(inputs=self.model.input, outputs=tensors)

    def outputs(self, x: Any) -> dict[str, np.ndarray]:
        """Layer name -> its output for the model inputs `x` (arrays with a batch axis)."""
        values = self.probe(x, training=False)
        if not isinstance(values, list | tuple):
            values = [values]
        return {n: np.asarray(v) for n, v in zip(self.names, values)}


def sample_inputs(model: Any, dataset: Dataset, split: str, index: int) -> tuple[Any, int]:
    """The model's inputs for sample `index` of a split (batch of one) and the sample's count."""
    x = dataset.x_val if split == "val" and dataset.x_val is not None else dataset.x
    count = len(next(iter(x.values())))
    if count == 0:
        raise ActivationError("The data has no samples.")
    if not 0 <= index < count:
        raise ActivationError(f"Sample {index} does not exist; the data has {count} samples.")
    one = Dataset(x={k: v[index : index + 1] for k, v in x.items()})
    inputs, _, _ = fit_arrays(model, one, None, None, set(model.output_names))
    return inputs, count


class ActivationCache:
    """Probes per model source and outputs per (source, sample); `builds` counts probes made."""

    def __init__(self) -> None:
        self.probes: dict[Hashable, ActivationProbe] = {}
        self.results: dict[tuple[Hashable, Hashable], dict[str, np.ndarray]] = {}
        self.builds = 0

    def probe(self, source: Hashable, model: Any) -> ActivationProbe:
        found = self.probes.get(source)
        if found is None:
            found = self.probes[source] = ActivationProbe(model)
            self.builds += 1
        return found

    def outputs(
        self, source: Hashable, model: Any, sample: Hashable, x: Any
    ) -> dict[str, np.ndarray]:
        """Every layer's output for `sample` (inputs `x`), computed once per (source, sample)."""
        key = (source, sample)
        found = self.results.get(key)
        if found is None:
            found = self.results[key] = self.probe(source, model).outputs(x)
        return found

    def cached(self, source: Hashable, sample: Hashable) -> dict[str, np.ndarray] | None:
        return self.results.get((source, sample))

    def forget(self, source: Hashable | None = None) -> None:
        """Drop one source's probe and results (all if None): its model changed."""
        if source is None:
            self.probes.clear()
            self.results.clear()
            return
        self.probes.pop(source, None)
        for key in [k for k in self.results if k[0] == source]:
            del self.results[key]


def view_kind(shape: tuple[int, ...]) -> str:
    """How an output of `shape` (batch axis first) is shown."""
    dims = shape[1:]
    if len(dims) == 0 or int(np.prod(dims)) == 1:
        return "scalar"
    if len(dims) == 3:
        return "maps"
    if len(dims) == 2:
        return "sequence"
    if len(dims) == 1:
        return "vector"
    return "vector"  # 4-D and more (3-D convolutions): flattened to a strip


def grid_columns(n: int, h: int, w: int, aspect: float, pad: int = 1) -> int:
    """How many columns a grid of `n` maps of h x w pixels needs to fill a view whose width is
    `aspect` times its height: the count that draws the maps largest (aspect kept per map)."""
    if n <= 1:
        return 1
    if not aspect > 0:
        return int(np.ceil(np.sqrt(n)))
    best, best_scale = 1, -1.0
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        gw, gh = cols * (w + pad) - pad, rows * (h + pad) - pad
        scale = min(aspect / gw, 1.0 / gh)
        if scale > best_scale * (1 + 1e-9):
            best, best_scale = cols, scale
    return best


def feature_map_grid(
    maps: np.ndarray, limit: int = 64, pad: int = 1, cols: int | None = None
) -> np.ndarray:
    """Channels-last maps (H, W, C) as one 2-D picture: the first `limit` channels in a grid of
    `cols` columns (None: near-square), each scaled to 0..1 on its own, separated by `pad`
    pixels of NaN."""
    h, w, c = maps.shape
    n = min(c, limit)
    cols = int(np.ceil(np.sqrt(n))) if cols is None else max(1, min(int(cols), n))
    rows = int(np.ceil(n / cols))
    grid = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), np.nan, dtype=np.float32)
    for k in range(n):
        m = maps[..., k].astype(np.float32)
        lo, hi = float(np.nanmin(m)), float(np.nanmax(m))
        m = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        r, q = divmod(k, cols)
        grid[r * (h + pad) : r * (h + pad) + h, q * (w + pad) : q * (w + pad) + w] = m
    return grid


def top_classes(
    probs: np.ndarray, names: list[str] | None = None, k: int = 5
) -> list[tuple[str, float]]:
    """The k highest entries of one output vector as (class name or index, value)."""
    v = np.ravel(probs)
    order = np.argsort(-v)[:k]
    label = (lambda i: names[i]) if names and len(names) == v.size else str
    return [(label(int(i)), float(v[i])) for i in order]
