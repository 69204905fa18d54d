"""Generated scripts adapt preprocessing layers without state as training does: on the
training split, before fit, each on what it sees (app/training/adapt.py)."""

from __future__ import annotations

from typing import Any

from app.compiler.codegen_data import q
from app.compiler.codegen_expr import Atom, Call, DictDisplay, Expr, Seq, flat, literal, render
from app.compiler.layer_state import nodes_to_adapt
from app.model.graph import ModelGraph
from app.nodes import INPUT_SPEC_ID

PREDICT_BATCH = 256


def adapt_lines(graph: ModelGraph, model: Any, indent: str = "    ") -> list[str]:
    """Lines that adapt every top-level node without state on `x` (the training inputs: one
    array, or a dict by input name when the model has several inputs)."""
    todo = nodes_to_adapt(graph)
    if not todo:
        return []
    several = len(model.inputs) > 1
    lines = [f"{indent}# Preprocessing layers learn their state from the training split only."]
    for node in todo:
        edges = graph.in_edges(node.id)
        if len(edges) != 1:
            continue  # such a graph does not build; the script says so elsewhere
        src = graph.node(edges[0].src)
        layer = Call(Atom("model.get_layer"), [literal(node.name)])
        data: Expr
        if src.spec_id == INPUT_SPEC_ID:
            data = Atom(f"x[{q(src.name)}]") if several else Atom("x")
        else:
            names = [graph.node(i).name for i in graph.inputs if i in graph.ancestors(node.id)]
            outputs = [Atom(f"{flat(_get(n))}.output") for n in names]
            seen = Call(Atom("keras.Model"), [Seq(outputs), Atom(f"{flat(layer)}.input")])
            lines += render(seen, indent, "seen = ")
            feed = DictDisplay([(literal(n), Atom(f"x[{q(n)}]")) for n in names])
            data = Call(
                Atom("seen.predict"),
                [feed if several else Atom("x")],
                [("batch_size", literal(PREDICT_BATCH)), ("verbose", literal(0))],
            )
        lines += render(Call(Atom(f"{flat(layer)}.adapt"), [data]), indent)
    return lines


def _get(name: str) -> Call:
    return Call(Atom("model.get_layer"), [literal(name)])
