"""Turn app.data.suggest_model_settings into graph edits: Input shapes, output units/activation,
and the matching loss per output (the data panel applies them as one undo step)."""

from __future__ import annotations

from typing import Any

from app.compiler.training_rules import loss_key
from app.model.commands import Command, Compound, update_node
from app.nodes import REGISTRY
from app.project.text_inputs import text_input_commands

UNIT_PARAMS = ("units", "filters", "num_classes", "output_dim")


def _pick(names: list[str], arrays: list[str], i: int) -> str | None:
    """The array that feeds model name names[i]: same name, else by position when counts match."""
    if names[i] in arrays:
        return names[i]
    if len(names) == len(arrays):
        return arrays[i]
    return None


def wants_loss(current: str | None, suggested: str, task: str) -> bool:
    """Offer `suggested` instead of `current`? Always when there is none; for classifiers when it
    differs (a wrong loss there fails or trains badly; "SparseCategoricalCrossentropy" is the
    same loss as "sparse_categorical_crossentropy"); a chosen regression loss is kept."""
    if not current or current == "none":
        return True
    return task == "classification" and loss_key(current) != loss_key(suggested)


def _activation(value: str | None) -> str:
    """No activation is the linear one."""
    return value or "linear"


def plan_changes(
    graph,
    suggestion: dict[str, Any],
    current_losses: dict[str, str] | None = None,
    task: str = "classification",
) -> tuple[list[Command], dict[str, str], list[str]]:
    """(graph commands, output name -> loss, sentences describing the changes).

    An Input that gets text becomes a string Input followed by a text layer (text_inputs.py).
    """
    commands: list[Command] = []
    losses: dict[str, str] = {}
    words: list[str] = []
    ins = suggestion.get("inputs", {})
    in_names = [graph.node(i).name for i in graph.inputs]
    for i, node_id in enumerate(graph.inputs):
        node = graph.node(node_id)
        array = _pick(in_names, list(ins), i)
        if array is None:
            words.append(f"Input '{node.name}': no matching data array; left unchanged.")
            continue
        want = ins[array]
        params = dict(node.params)
        changed = []
        if list(params.get("shape") or []) != want["shape"]:
            params["shape"] = list(want["shape"])
            changed.append(f"shape {tuple(want['shape'])}")
        if params.get("dtype", "float32") != want["dtype"]:
            params["dtype"] = want["dtype"]
            changed.append(f"dtype {want['dtype']}")
        if changed:
            commands.append(update_node(graph, node_id, params=params))
            words.append(f"Input '{node.name}': {', '.join(changed)}.")
        if want.get("text"):
            more, sentence = text_input_commands(graph, node_id, want["text"])
            commands += more
            words += [sentence] if sentence else []
    outs = suggestion.get("outputs", {})
    out_ids = [ref.node for ref in graph.outputs]
    out_names = [graph.node(n).name for n in out_ids]
    seen: set[str] = set()
    for i, node_id in enumerate(out_ids):
        node = graph.node(node_id)
        array = _pick(out_names, list(outs), i)
        if array is None or node_id in seen:
            continue
        seen.add(node_id)
        want = outs[array]
        spec = REGISTRY[node.spec_id]
        params = dict(node.params)
        current = {**spec.defaults(), **node.params}
        changed = []
        unit_param = next((p for p in UNIT_PARAMS if spec.param(p) is not None), None)
        if unit_param and current.get(unit_param) != want["units"]:
            params[unit_param] = want["units"]
            changed.append(f"{unit_param} {want['units']}")
        if spec.param("activation") is not None and _activation(
            current.get("activation")
        ) != _activation(want["activation"]):
            params["activation"] = want["activation"]
            changed.append(f"activation {want['activation']}")
        if changed:
            commands.append(update_node(graph, node_id, params=params))
            words.append(f"{spec.class_name} '{node.name}': {', '.join(changed)}.")
        if want.get("loss") and wants_loss(  # the output's own task: a regression head
            (current_losses or {}).get(node.name), want["loss"], want.get("task", task)
        ):
            losses[node.name] = want["loss"]
            words.append(f"Loss of '{node.name}': {want['loss']}.")
    return commands, losses, words


def fit_command(
    graph,
    suggestion: dict[str, Any],
    current_losses: dict[str, str] | None = None,
    task: str = "classification",
) -> tuple[Compound | None, dict[str, str], list[str]]:
    """One Compound command (or None when the graph already fits), the losses and the sentences."""
    commands, losses, words = plan_changes(graph, suggestion, current_losses, task)
    cmd = Compound(list(commands), description="Fit model to data") if commands else None
    return cmd, losses, words
