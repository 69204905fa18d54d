"""Generated scripts adapt preprocessing layers without state as training does: on the
training split, before fit, each on what it sees (app/training/adapt.py), inside blocks too."""

from __future__ import annotations

from typing import Any

from app.compiler.codegen_data import q
from app.compiler.codegen_expr import Atom, Call, DictDisplay, Expr, Seq, flat, literal, render
from app.compiler.layer_state import adapt_order, level_at
from app.errors import CompileError
from app.model.graph import ModelGraph
from app.model.node import Edge
from app.nodes import INPUT_SPEC_ID

PREDICT_BATCH = 256


def adapt_lines(graph: ModelGraph, model: Any, indent: str = "    ") -> list[str]:
    """Lines that adapt every node without state (inside blocks too) on `x` (the training
    inputs: one array, or a dict by input name when the model has several inputs)."""
    todo = adapt_order(graph)
    if not todo:
        return []
    writer = _Writer(graph, len(model.inputs) > 1, indent)
    writer.lines.append(
        f"{indent}# Preprocessing layers learn their state from the training split only."
    )
    for path, node in todo:
        edges = level_at(graph, path).in_edges(node.id)
        if len(edges) != 1:
            continue  # such a graph does not build; the script says so elsewhere
        layer = writer.layer(path, node.name)
        data = (
            writer.top_data(node.id, edges[0], layer)
            if not path
            else writer.inner_data(path, layer, edges[0])
        )
        writer.lines += render(Call(Atom(f"{flat(layer)}.adapt"), [data]), indent)
    return writer.lines


def _get(name: str, within: str = "model") -> Call:
    return Call(Atom(f"{within}.get_layer"), [literal(name)])


def _predict(model: Expr, data: Expr) -> Call:
    kwargs = [("batch_size", literal(PREDICT_BATCH)), ("verbose", literal(0))]
    return Call(Atom(f"{flat(model)}.predict"), [data], kwargs)


class _Writer:
    """The adapt lines of one script; what is fed to each block is computed once, into a name."""

    def __init__(self, graph: ModelGraph, several: bool, indent: str) -> None:
        self.graph, self.several, self.indent = graph, several, indent
        self.lines: list[str] = []
        self._fed: dict[tuple[str, ...], list[str]] = {}
        self._count = 0

    def layer(self, path: tuple[str, ...], name: str) -> Expr:
        """model.get_layer("block").get_layer("inner")... for a node at `path`."""
        expr: Expr = Atom("model")
        for depth, block_id in enumerate(path):
            block = level_at(self.graph, path[:depth]).node(block_id)
            expr = _get(block.name, flat(expr))
        return _get(name, flat(expr))

    def top_data(self, node_id: str, edge: Edge, layer: Expr) -> Expr:
        """A top-level node's training data: an Input's array, or what the model computes up to
        the node (a model from the inputs it depends on to the layer's input)."""
        src = self.graph.node(edge.src)
        if src.spec_id == INPUT_SPEC_ID:
            return Atom(f"x[{q(src.name)}]") if self.several else Atom("x")
        return self._seen_top(self.graph.ancestors(node_id), Atom(f"{flat(layer)}.input"))

    def _seen_top(self, ancestors: set[str], tensor: Expr) -> Expr:
        names = [self.graph.node(i).name for i in self.graph.inputs if i in ancestors]
        outputs = [Atom(f"{flat(_get(n))}.output") for n in names]
        self.lines += render(
            Call(Atom("keras.Model"), [Seq(outputs), tensor]), self.indent, "seen = "
        )
        feed = DictDisplay([(literal(n), Atom(f"x[{q(n)}]")) for n in names])
        return _predict(Atom("seen"), feed if self.several else Atom("x"))

    def inner_data(self, path: tuple[str, ...], layer: Expr, edge: Edge) -> Expr:
        """A node inside a block: what the enclosing level feeds the block, through the block's
        nodes before this one."""
        level = level_at(self.graph, path)
        fed = self.fed(path)
        src = level.node(edge.src)
        if src.spec_id == INPUT_SPEC_ID:
            return Atom(fed[level.inputs.index(src.id)])
        block = self.layer(path[:-1], level_at(self.graph, path[:-1]).node(path[-1]).name)
        seen = Call(
            Atom("keras.Model"), [Atom(f"{flat(block)}.inputs"), Atom(f"{flat(layer)}.input")]
        )
        self.lines += render(seen, self.indent, "seen = ")
        return _predict(Atom("seen"), _one_or_list(fed))

    def fed(self, path: tuple[str, ...]) -> list[str]:
        """Names holding what the enclosing level feeds each Input of the block at `path`."""
        if path in self._fed:
            return self._fed[path]
        parent_path, block_id = path[:-1], path[-1]
        parent = level_at(self.graph, parent_path)
        block = parent.node(block_id)
        names = []
        for input_id in block.subgraph.inputs:
            edges = [e for e in parent.in_edges(block_id) if e.port == input_id]
            if not edges:
                raise CompileError(
                    f"Block '{block.name}' has an unconnected input.", node_id=block_id
                )
            data = self._at(parent_path, edges[0])
            self._count += 1
            name = f"fed_{self._count}"
            self.lines += render(data, self.indent, f"{name} = ")
            names.append(name)
        self._fed[path] = names
        return names

    def _at(self, path: tuple[str, ...], edge: Edge) -> Expr:
        """What output `edge.src_index` of `edge.src` (of the level at `path`) computes."""
        level = level_at(self.graph, path)
        src = level.node(edge.src)
        if src.spec_id == INPUT_SPEC_ID:
            if not path:
                return Atom(f"x[{q(src.name)}]") if self.several else Atom("x")
            return Atom(self.fed(path)[level.inputs.index(src.id)])
        index = f"[{edge.src_index}]" if _outputs(level, src.id) > 1 else ""
        if src.subgraph is not None and src.shared_with is None:  # a block: run it on its feed
            out = _predict(self.layer(path, src.name), _one_or_list(self.fed((*path, src.id))))
            return Atom(f"{flat(out)}{index}")
        if src.shared_with is not None or level.sharers(src.id):
            raise CompileError(
                f"'{src.name}' calls a shared layer and feeds a block whose layers learn from the "
                "data; a script cannot tell its output apart to adapt them.",
                node_id=src.id,
            )
        tensor = Atom(f"{flat(self.layer(path, src.name))}.output{index}")
        if not path:
            return self._seen_top(level.ancestors(src.id), tensor)
        fed = self.fed(path)  # first: it may write a `seen` of its own
        block = self.layer(path[:-1], level_at(self.graph, path[:-1]).node(path[-1]).name)
        seen = Call(Atom("keras.Model"), [Atom(f"{flat(block)}.inputs"), tensor])
        self.lines += render(seen, self.indent, "seen = ")
        return _predict(Atom("seen"), _one_or_list(fed))


def _outputs(level: ModelGraph, node_id: str) -> int:
    """How many outputs a node has (blocks: their sub-graph's outputs)."""
    node = level.node(node_id)
    if node.subgraph is not None:
        return len(node.subgraph.outputs)
    return max((e.src_index for e in level.out_edges(node_id)), default=0) + 1


def _one_or_list(names: list[str]) -> Expr:
    return Atom(names[0]) if len(names) == 1 else Seq([Atom(n) for n in names])
