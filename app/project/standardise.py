"""Standardise inside the model: a Normalization node (mean / variance of the training split) right
after each numeric Input, and the data's own standardisation off, as one undo step.

The data settings' "standard" normalisation scales the arrays before they reach the model, so a
model exported from such a project silently expects standardised input. With the statistics in a
Normalization layer the model takes raw input wherever it goes (.keras, scripts, SavedModel).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.data.feature_stats import FeatureStats
from app.errors import LayerLoomError
from app.model.commands import Command, Compound, Connect, Disconnect, add_node, update_node
from app.model.node import Edge
from app.project.commands import EditGraph, ProjectCommand, ProjectCompound, set_data
from app.project.project import Project

NORMALIZATION = "keras.layers.Normalization"
DESCRIPTION = "Standardise inside the model"
STEP_X = 260.0  # a node's width (200 on the canvas) and a gap
CLEAR_Y = 140.0  # nodes closer than this above or below would overlap a new one


class StandardiseError(LayerLoomError):
    """No Input of the model can take the data's statistics; the message says why."""


def standardise_in_model(
    project: Project, stats: Mapping[str, FeatureStats]
) -> tuple[ProjectCompound, list[str]]:
    """(one undo step, sentences saying what it does) for statistics per model input name.

    Each Input named in `stats` gets a Normalization node with those statistics, or its existing
    Normalization node (the first one it feeds) takes them; every other layer the Input fed is fed
    by the Normalization instead, so each sees standardised values as before. The data settings'
    normalisation is turned off. StandardiseError when no Input can take its statistics.
    """
    graph = project.graph
    commands: list[Command] = []
    words: list[str] = []
    planned_names: set[str] = set()
    for input_id in graph.inputs:
        node = graph.node(input_id)
        st = stats.get(node.name)
        if st is None:
            continue
        problem = _shape_problem(node.params.get("shape"), st)
        if problem:
            words.append(f"Input '{node.name}': {problem}")
            continue
        existing = _normalization_after(graph, input_id)
        if existing is not None:
            norm_id = existing
            norm = graph.node(norm_id)
            commands.append(update_node(graph, norm_id, params={**norm.params, **st.params()}))
            words.append(f"'{norm.name}' after Input '{node.name}' takes the training statistics.")
        else:
            name = graph.unique_name(f"{node.name}_normalization", exclude=planned_names)
            planned_names.add(name)
            add = add_node(
                graph, NORMALIZATION, name=name, params=st.params(), position=_place(graph, node)
            )
            norm_id = add.node.id
            commands.append(add)
            words.append(f"Input '{node.name}' → new Normalization '{name}'.")
        commands += _feed_from(graph, input_id, norm_id, new=existing is None)
    if not commands:
        raise StandardiseError(
            " ".join(words) or "No Input of the model gets numbers the data could standardise."
        )
    parts: list[ProjectCommand] = [EditGraph(Compound(commands, description=DESCRIPTION))]
    if project.data.normalization != "none":
        parts.append(set_data(project, normalization="none", description=DESCRIPTION))
        words.append("The data is no longer normalised outside the model.")
    return ProjectCompound(parts, description=DESCRIPTION), words


def _shape_problem(shape: object, st: FeatureStats) -> str:
    """Why an Input of this shape cannot take these statistics ("" when it can)."""
    if st.axis is None:
        return ""  # one mean and variance fit any shape
    if not isinstance(shape, list) or not shape:
        return f"it takes single numbers, the data has {st.size} features; fit the model first."
    last = shape[-1]
    if last is not None and last != st.size:
        return (
            f"its last axis has {last} values, the data has {st.size}; "
            "fit the model to the data first."
        )
    return ""


def _normalization_after(graph, input_id: str) -> str | None:
    """The first Normalization node the Input feeds directly that has a layer of its own."""
    for dst in graph.successors(input_id):
        node = graph.node(dst)
        if node.spec_id == NORMALIZATION and node.shared_with is None and not graph.sharers(dst):
            return dst
    return None


def _feed_from(graph, input_id: str, norm_id: str, new: bool) -> list[Command]:
    """Rewire every consumer of the Input (but the Normalization) to the Normalization."""
    moved = [e for e in graph.out_edges(input_id) if e.dst != norm_id]
    commands: list[Command] = [Disconnect(e) for e in moved]
    commands += [Connect(Edge(norm_id, 0, e.dst, e.port, e.slot)) for e in moved]
    if new:
        commands.append(Connect(Edge(input_id, 0, norm_id, "inputs", 0)))
    return commands


def _place(graph, input_node) -> tuple[float, float]:
    """Beside its Input, in the first spot to the right that no node covers (a layout is the
    user's: nothing else moves)."""
    x, y = input_node.position
    taken = [n.position for n in graph.nodes()]
    step = 1
    while any(abs(nx - (x + step * STEP_X)) < STEP_X and abs(ny - y) < CLEAR_Y for nx, ny in taken):
        step += 1
    return (x + step * STEP_X, y)
