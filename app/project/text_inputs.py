"""Text inputs for "Fit model to data": after each Input that gets text, a layer that turns the
strings into numbers inside the model (a TextVectorization for free text, a StringLookup for a
few categories), left without a vocabulary so that training adapts it to the training split.

The layers the Input fed are fed by the new layer instead. What it gives follows what it feeds:
word ids for an Embedding (its input_dim tokens at most), else a multi-hot vector padded to
max_tokens, so its width is known before the vocabulary is.
"""

from __future__ import annotations

from typing import Any

from app.model.commands import Command, add_node
from app.project.standardise import _feed_from, _place

TEXT_VECTORIZATION = "keras.layers.TextVectorization"
STRING_LOOKUP = "keras.layers.StringLookup"
EMBEDDING = "keras.layers.Embedding"
TEXT_LAYERS = {TEXT_VECTORIZATION, STRING_LOOKUP, "keras.layers.Hashing"}
MAX_SEQUENCE = 200  # longest id sequence made for an Embedding


def text_layer_for(graph, input_id: str, text: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(spec id, params) of the layer that turns an Input's text into numbers."""
    after = [graph.node(n) for n in graph.successors(input_id)]
    embedding = next((n for n in after if n.spec_id == EMBEDDING), None)
    if text.get("kind") == "category" and embedding is None:
        return STRING_LOOKUP, {"output_mode": "one_hot"}
    if embedding is not None:
        input_dim = embedding.params.get("input_dim")
        old = graph.node(input_id).params.get("shape") or []
        length = old[0] if len(old) == 1 and isinstance(old[0], int) else None
        length = length or min(MAX_SEQUENCE, max(1, int(text.get("length") or 1)))
        params = {"output_mode": "int", "output_sequence_length": length}
        if isinstance(input_dim, int):
            params["max_tokens"] = input_dim
        return TEXT_VECTORIZATION, params
    words = int(text.get("words") or 0)
    max_tokens = max(1000, min(20000, -(-int(words * 1.2) // 1000) * 1000))
    return TEXT_VECTORIZATION, {
        "max_tokens": max_tokens,
        "output_mode": "multi_hot",
        "pad_to_max_tokens": True,
    }


def text_input_commands(graph, input_id: str, text: dict[str, Any]) -> tuple[list[Command], str]:
    """The commands that put a text layer after the Input, and a sentence saying so ([] and ""
    when a text layer follows it already)."""
    if any(graph.node(n).spec_id in TEXT_LAYERS for n in graph.successors(input_id)):
        return [], ""
    node = graph.node(input_id)
    spec_id, params = text_layer_for(graph, input_id, text)
    suffix = "vectorizer" if spec_id == TEXT_VECTORIZATION else "lookup"
    name = graph.unique_name(f"{node.name}_{suffix}")
    add = add_node(graph, spec_id, name=name, params=params, position=_place(graph, node))
    commands: list[Command] = [add, *_feed_from(graph, input_id, add.node.id, new=True)]
    kind = spec_id.rsplit(".", 1)[-1]
    mode = params.get("output_mode")
    return commands, (
        f"Input '{node.name}' → new {kind} '{name}' ({mode}; its vocabulary is adapted to the "
        f"training data when training starts)."
    )
