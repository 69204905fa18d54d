"""adapt(): preprocessing nodes without state learn it from the training split, never from
validation data, before a run trains (and when the inspector's "Adapt now" asks).

A node directly after an Input adapts on that input's training array; any other node on what
the model computes at its input: a model from the inputs to that tensor (nodes before it that
need state are adapted first) is run over the training split. A node inside a block (a nested
model) adapts the same way on what reaches it there: what the enclosing level feeds the block,
run through the block's nodes before it. The state goes into the node's params
(app/nodes/learned_state.py), so build_model, saves and every export carry it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.compiler.layer_state import adapt_order, level_at, nodes_to_adapt, path_of
from app.compiler.report import Problem
from app.data.compat import fit_arrays, resolve_names
from app.data.dataset import DataError, Dataset
from app.errors import LayerLoomError
from app.model.graph import ModelGraph
from app.model.node import OutputRef
from app.nodes import INPUT_SPEC_ID, REGISTRY
from app.nodes.learned_state import state_words, vocabulary_size, without_state

__all__ = [
    "AdaptError",
    "Adapted",
    "adapt_graph",
    "adapt_problems",
    "adapt_project_node",
    "nodes_to_adapt",
]

PREDICT_BATCH = 256


class AdaptError(DataError):
    """A node could not learn its state from the data; the message names it and says why."""


@dataclass(frozen=True)
class Adapted:
    """What one node learned: the params holding its state and a sentence for the run log."""

    node_id: str
    name: str
    params: dict[str, Any]
    message: str


def adapt_graph(
    graph: ModelGraph,
    dataset: Dataset,
    input_map: dict[str, str] | None = None,
    only: Iterable[str] | None = None,
    on_message: Callable[[str], None] | None = None,
) -> tuple[ModelGraph, list[Adapted]]:
    """A copy of `graph` whose stateless preprocessing nodes hold state learned from
    dataset.x (the training split), and what each learned. `only`: node ids to adapt (nodes
    before them that need state are adapted too, since their output is what these see).
    AdaptError names the node that could not learn."""
    work = graph.copy()
    todo = adapt_order(work)
    if only is not None:
        needed = _needed(work, only)
        todo = [(p, n) for p, n in todo if n.id in needed or any(b in needed for b in p)]
    if todo and dataset.num_samples == 0:
        raise AdaptError(f"'{todo[0][1].name}' cannot learn from the data: it has no samples.")
    # Pair inputs with arrays once, as training does for the whole model: a part of the model
    # with fewer inputs could not tell which array is whose.
    problems: list[str] = []
    names = [work.node(i).name for i in work.inputs]
    pairs = resolve_names("Input", names, dataset.x, input_map or {}, problems) if todo else {}
    done: list[Adapted] = []
    for path, node in todo:
        learned = _adapt_node(work, path, node.id, dataset, pairs)
        level_at(work, path).set_params(node.id, **learned.params)
        done.append(learned)
        if on_message is not None:
            on_message(learned.message)
    return work, done


def _needed(graph: ModelGraph, only: Iterable[str]) -> set[str]:
    """Ids of the wanted nodes and of every node whose output reaches them, at their own level
    and at each enclosing one (a block in that set stands for all of its content)."""
    needed: set[str] = set()
    for nid in only:
        path = path_of(graph, nid)
        if path is None:
            continue
        needed |= {nid} | level_at(graph, path).ancestors(nid)
        for depth, block_id in enumerate(path):
            needed |= level_at(graph, path[:depth]).ancestors(block_id)
    return needed


def _who(graph: ModelGraph, path: tuple[str, ...], node) -> str:
    """ "Normalization 'norm'", and inside blocks "Normalization 'norm' in block 'inner'"."""
    who = f"{REGISTRY[node.spec_id].class_name} '{node.name}'"
    if not path:
        return who
    blocks = [level_at(graph, path[:i]).node(b).name for i, b in enumerate(path)]
    return f"{who} in block '{'/'.join(blocks)}'"


def _adapt_node(
    graph: ModelGraph, path: tuple[str, ...], node_id: str, dataset: Dataset, input_map
) -> Adapted:
    from app.compiler import keras_call as kc
    from app.compiler.layer_state import learned_params

    level = level_at(graph, path)
    node = level.node(node_id)
    spec = REGISTRY[node.spec_id]
    who = _who(graph, path, node)
    edges = level.in_edges(node_id)
    if len(edges) != 1:
        raise AdaptError(f"{who} cannot learn from the data: connect one input to it first.")
    feed = _Feed(graph, dataset, input_map, who)
    data = feed.at(path, edges[0].src, edges[0].src_index)
    try:
        layer = kc.create_layer(spec, node)
        layer.adapt(data)
        params = learned_params(spec, layer)
    except LayerLoomError:
        raise
    except Exception as exc:  # noqa: BLE001 - Keras' refusal, told plainly
        raise AdaptError(f"{who} could not learn from the data: {_first_line(exc)}") from None
    if not params:
        raise AdaptError(f"{who} learned nothing from the data (is the training split empty?).")
    message = f"Adapted {who}: {_what(spec, params)} from {dataset.num_samples} samples"
    return Adapted(node_id, node.name, params, message)


class _Feed:
    """The training split as a node sees it, at any level of the graph."""

    def __init__(self, graph: ModelGraph, dataset: Dataset, input_map, who: str) -> None:
        self.graph, self.dataset, self.input_map, self.who = graph, dataset, input_map, who
        self._model: Any = None

    def at(self, path: tuple[str, ...], src: str, index: int) -> Any:
        """What output `index` of node `src` of the level at `path` computes."""
        if not path:
            return _data_at(self.graph, src, index, self.dataset, self.input_map, self.who)
        level = level_at(self.graph, path)
        if level.node(src).spec_id == INPUT_SPEC_ID:
            return self._into_block(path, src)
        sub = _model_up_to(self._shaped(path), src, index)
        model = _build(sub, self.who)
        feeds = [self._into_block(path, i) for i in sub.inputs]
        out = model.predict(
            feeds[0] if len(feeds) == 1 else feeds, batch_size=PREDICT_BATCH, verbose=0
        )
        return np.asarray(out)

    def _into_block(self, path: tuple[str, ...], input_id: str) -> Any:
        """What the enclosing level feeds the block's Input `input_id` (a port of the block)."""
        parent = level_at(self.graph, path[:-1])
        edges = [e for e in parent.in_edges(path[-1]) if e.port == input_id]
        if not edges:
            raise AdaptError(
                f"{self.who} cannot learn from the data: its block has an unconnected input."
            )
        return self.at(path[:-1], edges[0].src, edges[0].src_index)

    def _shaped(self, path: tuple[str, ...]) -> ModelGraph:
        """The level at `path` with its Inputs shaped as the whole model feeds them (a block's
        Inputs take the shape of what they are given)."""
        if self._model is None:
            self._model = _build(self.graph, self.who)
        layer, level = self._model, self.graph
        for block_id in path:
            block = level.node(block_id)
            layer, level = layer.get_layer(block.name), block.subgraph
        shaped = level.copy()
        for input_id, tensor in zip(level.inputs, layer.inputs, strict=True):
            shaped.set_params(input_id, shape=list(tensor.shape[1:]), dtype=str(tensor.dtype))
        return shaped


def _build(graph: ModelGraph, who: str) -> Any:
    from app.compiler import build_model

    try:
        return build_model(graph)
    except LayerLoomError as exc:
        raise AdaptError(f"{who} cannot learn from the data: {exc.message}") from None


def _data_at(graph, src: str, index: int, dataset: Dataset, input_map, who: str) -> Any:
    """The training split as a top-level node sees it: an Input's array, or what the model
    computes from the inputs up to `src`."""
    from app.compiler import build_model

    model = build_model(_model_up_to(graph, src, index))
    try:
        x, _, _ = fit_arrays(model, _training_only(dataset), input_map, {}, set(model.output_names))
    except DataError as exc:
        raise AdaptError(f"{who} cannot learn from the data: {exc.message}") from None
    if graph.node(src).spec_id == INPUT_SPEC_ID:
        return x
    out = model.predict(x, batch_size=PREDICT_BATCH, verbose=0)
    return np.asarray(out)


def _training_only(dataset: Dataset) -> Dataset:
    """The training split alone: what adapt() sees can never include a validation row."""
    return Dataset(x=dataset.x, y={}, task=dataset.task, title=dataset.title)


def _model_up_to(graph: ModelGraph, src: str, index: int) -> ModelGraph:
    """A graph of the nodes `src` depends on (and the layers they share), with `src`'s output
    as its one output."""
    keep = {src} | graph.ancestors(src)
    grown = True
    while grown:  # a kept node sharing a layer needs that layer's owner (and what feeds it)
        owners = {graph.owner(n).id for n in keep} - keep
        grown = bool(owners)
        for o in owners:
            keep |= {o} | graph.ancestors(o)
    sub = graph.copy()
    for nid in [n for n in sub.node_ids() if n not in keep]:
        sub.remove_node(nid)
    sub.inputs = [i for i in graph.inputs if i in keep]
    sub.outputs = [OutputRef(src, index)]
    return sub


def _what(spec, params: dict[str, Any]) -> str:
    """What was learned, in words: "mean/variance over 4 features", "a vocabulary of 812
    tokens", "3 bin boundaries"."""
    kind = spec.class_name
    if kind == "Normalization":
        n = int(np.size(params["mean"]))
        return f"{state_words(spec)} over {n} feature{'s' if n != 1 else ''}"
    if kind == "Discretization":
        n = len(params["bin_boundaries"])
        return f"{n} bin boundar{'ies' if n != 1 else 'y'}"
    n = vocabulary_size(params)
    return f"a vocabulary of {n} token{'s' if n != 1 else ''}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def adapt_problems(graph: ModelGraph, has_data: bool) -> list[Problem]:
    """What `validate` says about nodes without state (inside blocks too): "info" when
    training will adapt them, an error when there is no data to learn from."""
    out = []
    for path, node in adapt_order(graph):
        spec = REGISTRY[node.spec_id]
        who = f"{_who(graph, path, node)} has no {state_words(spec)} yet"
        if has_data:
            text = f"{who}; training adapts it to the training split of the data first"
            out.append(Problem(text, node.id, severity="info"))
        else:
            text = f"{who} and the project has no data to learn it from: choose a data source"
            out.append(Problem(text, node.id))
    return out


def adapt_project_node(project: Any, node_id: str) -> Adapted:
    """What one node of the project (at any level) learns from the project's training split
    (its state, if any, is learned afresh); nothing in `project` changes. For "Adapt now":
    pass a snapshot when the project may be edited meanwhile
    (app.training.headless.training_snapshot)."""
    from app.compiler import build_model
    from app.data import DataConfig, load_dataset
    from app.project.settings import settings_from_project

    graph = project.graph.copy()
    path = path_of(graph, node_id)
    if path is None:
        raise AdaptError("That layer is not part of the project's model any more.")
    level = level_at(graph, path)
    node = level.node(node_id)
    spec = REGISTRY[node.spec_id]
    if node.shared_with is not None:
        owner = level.node(node.shared_with)
        raise AdaptError(f"'{node.name}' shares the layer of '{owner.name}': adapt that one.")
    level.update_node(node_id, params=without_state(spec, node.params))
    data_dict, _ = settings_from_project(project)
    data = DataConfig.from_dict(data_dict)
    dataset = load_dataset(data, build_model(graph))
    _, done = adapt_graph(graph, dataset, data.input_map, only=[node_id])
    return next(a for a in done if a.node_id == node_id)
