"""Walks a ModelGraph level by level, creating and calling Keras layers on symbolic tensors.

One walker serves both shape inference (incremental, weights never initialised) and
build_model (fresh layers, blocks wrapped into nested keras.Models), so the two can never
disagree about how a node becomes a layer call or what counts as a problem.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from app.compiler import keras_call as kc
from app.compiler.messages import layer_error, who
from app.compiler.report import NodeResult, Problem, ShapeReport
from app.errors import CycleError, LayerLoomError
from app.keras_internals import eager_variables, needs_eager
from app.model.graph import ModelGraph
from app.model.node import Edge, Node
from app.nodes import REGISTRY, NodeSpec
from app.nodes.validate import validate_params


@dataclass(frozen=True)
class Scope:
    """Where a graph level sits: the blocks around it and how its layers are shared."""

    path: tuple[str, ...] = ()  # ids of the enclosing block calls (for results and problems)
    layer_path: tuple[str, ...] = ()  # ids of the enclosing block *owners* (layer instances)
    block: str | None = None  # "Block 'name'" of the enclosing block, None at the top
    frozen: bool = False  # inside a block with trainable=False
    reporting: bool = True  # False for a shared block's second call (results not shown)


@dataclass
class LayerEntry:
    sig: tuple
    layer: Any = None
    error: str | None = None


@dataclass
class CallEntry:
    sig: tuple
    layer: Any
    outputs: list | None
    result: NodeResult
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Memo:
    """What an incremental engine keeps between runs."""

    layers: dict[tuple, LayerEntry] = field(default_factory=dict)
    calls: dict[tuple, CallEntry] = field(default_factory=dict)
    # owner key -> (name, copy of params, canonical text, validation error)
    params: dict[tuple, tuple] = field(default_factory=dict)


def canon(value: Any) -> str:
    """A stable text form of JSON-like data, for signatures."""
    return json.dumps(value, sort_keys=True, default=repr)


def node_who(node: Node, spec: NodeSpec | None) -> str:
    """How messages name a node: Dense 'dense_1', Input 'x', Block 'encoder'."""
    if spec is None:
        return f"Layer '{node.name}'"
    kind = {"input": "Input", "block": "Block"}.get(spec.kind, spec.class_name)
    return who(kind, node.name)


class Walker:
    """One pass over a graph; `build=True` makes real layers and nested models."""

    def __init__(self, *, build: bool, memo: Memo | None = None) -> None:
        self.build = build
        self.memo = memo if memo is not None else Memo()
        self.recomputed: set[str] = set()
        self.computed = 0  # how many calls were really made (not taken from the memo)
        self.layers_now: dict[tuple, LayerEntry] = {}
        self.calls_seen: set[tuple] = set()
        self.params_seen: set[tuple] = set()
        self.weight_jobs: list[tuple[Any, list]] = []

    # ----- one level ----------------------------------------------------------------------
    def walk_level(
        self,
        graph: ModelGraph,
        report: ShapeReport,
        scope: Scope,
        feeds: dict[str, Any] | None = None,
    ) -> tuple[list, list | None]:
        """Compute every node of one level; returns (input tensors, output tensors or None)."""
        add = Adder(report, scope)
        self._check_level(graph, add, scope)
        try:
            order = graph.topological_order()
        except CycleError:
            cycle = [n for n in graph.node_ids() if _on_cycle(graph, n)]
            names = ", ".join(f"'{graph.node(n).name}'" for n in cycle)
            add.problem(f"Layers {names} form a cycle; a Keras model must be acyclic", cycle[0])
            return [], None
        tensors: dict[str, list] = {}
        for nid in order:
            node = graph.node(nid)
            outputs = self._visit(graph, node, add, scope, feeds, tensors)
            if outputs is not None:
                tensors[nid] = outputs
        self._warn_unused(graph, add)
        inputs = [tensors.get(i, [None])[0] for i in graph.inputs]
        return inputs, self._level_outputs(graph, add, tensors)

    def _check_level(self, graph: ModelGraph, add: Adder, scope: Scope) -> None:
        where = "The model" if scope.block is None else scope.block
        here = scope.path[-1] if scope.path else None
        outer = Adder(add.report, Scope(path=scope.path[:-1]))
        if not graph.inputs:
            outer.problem(f"{where} has no Input: add an Input node", here)
        if not graph.outputs:
            outer.problem(f"{where} has no output: mark a layer's output as a model output", here)
        seen: set[str] = set()
        for node in graph.nodes():
            if node.name in seen:
                add.problem(f"Two layers are named '{node.name}'; names must be unique", node.id)
            seen.add(node.name)
        for ref in graph.outputs:
            if ref.node not in graph:
                outer.problem(f"{where} has an output that refers to a removed layer", here)
        for node_id, notes in graph.damage.items():  # what reading a damaged file repaired
            for note in notes:
                if node_id is None:
                    outer.problem(note, here, severity="warning")
                elif node_id in graph:
                    add.problem(note, node_id, severity="warning")

    def _warn_unused(self, graph: ModelGraph, add: Adder) -> None:
        ends = {r.node for r in graph.outputs if r.node in graph}
        if not ends:
            return
        reach = set(ends)
        for nid in ends:
            reach |= graph.ancestors(nid)
        for node in graph.nodes():
            if node.id not in reach:
                text = node_who(node, REGISTRY.get(node.spec_id))
                add.problem(
                    f"{text} does not lead to any model output; it is left out of the model",
                    node.id,
                    severity="warning",
                )

    def _level_outputs(self, graph: ModelGraph, add: Adder, tensors: dict) -> list | None:
        outs: list = []
        ok = bool(graph.outputs)
        for ref in graph.outputs:
            if ref.node not in graph or ref.node not in tensors:
                ok = False
                continue
            ts = tensors[ref.node]
            if ref.index >= len(ts) or ref.index < 0:
                node = graph.node(ref.node)
                add.problem(
                    f"{node_who(node, REGISTRY.get(node.spec_id))} has {_outputs(len(ts))}; "
                    f"output {ref.index} cannot be a model output",
                    ref.node,
                )
                ok = False
                continue
            outs.append(ts[ref.index])
        return outs if ok else None

    # ----- one node -----------------------------------------------------------------------
    def _visit(
        self, graph: ModelGraph, node: Node, add: Adder, scope: Scope, feeds, tensors
    ) -> list | None:
        spec = REGISTRY.get(node.spec_id)
        if spec is None:
            return add.fail(node, f"Layer '{node.name}' has an unknown type '{node.spec_id}'")
        if spec.kind == "input":
            return self._visit_input(node, spec, add, scope, feeds)
        text = node_who(node, spec)
        try:
            owner = graph.owner(node.id)
        except LayerLoomError as exc:
            return add.fail(node, exc.message)
        ospec = REGISTRY.get(owner.spec_id)
        if owner is not node and (ospec is None or ospec.id != spec.id):
            other = node_who(owner, ospec)
            return add.fail(
                node,
                f"{text} reuses the layer of {other}; only a layer of the same type can be shared",
            )
        pcanon, perror = self._checked_params((*scope.layer_path, owner.id), spec, owner)
        if perror is not None:
            return add.fail(node, perror) if owner is node else add.wait(node)
        if spec.kind == "block" and owner.subgraph is None:
            return add.fail(node, f"{text} is empty: it has no layers inside")
        gathered = self._gather(graph, node, text, add, tensors)
        if gathered is None:
            return None
        by_port, in_specs = gathered
        if spec.kind == "block":
            return self._visit_block(node, owner, spec, graph, by_port, in_specs, add, scope)
        return self._visit_layer(node, owner, spec, graph, by_port, in_specs, add, scope, pcanon)

    def _checked_params(self, key: tuple, spec: NodeSpec, owner: Node) -> tuple[str, str | None]:
        """(canonical text, validation error) of the owner's params; redone only on change."""
        self.params_seen.add(key)
        seen = self.memo.params.get(key)
        if seen is not None and seen[0] == owner.name and seen[1] == owner.params:
            return seen[2], seen[3]
        try:
            validate_params(spec, owner.params, owner.name)
            error = None
        except LayerLoomError as exc:
            error = exc.message
        text = canon(owner.params)
        self.memo.params[key] = (owner.name, copy.deepcopy(owner.params), text, error)
        return text, error

    def _gather(self, graph: ModelGraph, node: Node, text: str, add: Adder, tensors):
        """Tensors per port (slot order) and their specs, or None after a problem / wait."""
        ports = graph.ports(node.id)
        by_name = {p.name: p for p in ports}
        edges = graph.in_edges(node.id)
        counts: Counter = Counter()
        for e in edges:
            port = by_name.get(e.port)
            if port is None:
                label = graph.port_label(node.id, e.port)
                return add.fail(node, f"{text} has no input port '{label}'", edge=e)
            if not port.variadic and e.slot != 0:
                return add.fail(node, f"{text}: input '{e.port}' takes one tensor", edge=e)
            counts[e.port] += 1
        for port in ports:
            n = counts[port.name]
            label = graph.port_label(node.id, port.name)
            if n == 0 and not port.optional:
                where = "" if len(ports) == 1 else f" to '{label}'"
                return add.fail(node, f"{text} has no input connected{where}")
            if port.variadic and 0 < n < port.min_count:
                return add.fail(node, f"{text} needs at least {port.min_count} inputs, has {n}")
            most = getattr(port, "max_count", None)
            if port.variadic and most is not None and n > most:
                return add.fail(node, f"{text} takes at most {most} inputs, has {n}")
        by_port: dict[str, list] = {}
        in_specs: list[tuple] = []
        waiting = False
        for e in edges:
            outs = tensors.get(e.src)
            if outs is None:
                waiting = True
                continue
            if e.src_index >= len(outs):
                src = graph.node(e.src)
                return add.fail(
                    node,
                    f"{text} takes output {e.src_index} of "
                    f"{node_who(src, REGISTRY.get(src.spec_id))}, which has {_outputs(len(outs))}",
                    edge=e,
                )
            t = outs[e.src_index]
            by_port.setdefault(e.port, []).append(t)
            in_specs.append((e.port, e.slot, *kc.tensor_spec(t)))
        if waiting:
            return add.wait(node)
        return by_port, tuple(in_specs)

    def _visit_input(self, node: Node, spec: NodeSpec, add: Adder, scope: Scope, feeds):
        text = node_who(node, spec)
        try:
            params = {**spec.defaults(), **validate_params(spec, node.params, node.name)}
        except LayerLoomError as exc:
            return add.fail(node, exc.message)
        shape, dtype = params.get("shape"), params.get("dtype")
        if feeds is not None:
            feed = feeds.get(node.id)
            if feed is None:
                return add.wait(node)
            fshape, fdtype, _ = kc.tensor_spec(feed)
            if shape is None:
                shape = list(fshape[1:])
            elif not _compatible(shape, fshape[1:]):
                return add.fail(
                    node, f"{text} expects shape {_shape(shape)} but receives {_shape(fshape[1:])}"
                )
            if "dtype" not in node.params:
                dtype = fdtype
        elif shape is None:
            return add.fail(node, f"{text} needs a shape (the size of one sample)")
        sig = ("input", node.name, tuple(shape), canon(dtype), params.get("batch_size"),
               bool(params.get("sparse")))  # fmt: skip
        key = (*scope.path, node.id)
        self.calls_seen.add(key)
        cached = self.memo.calls.get(key)
        if not self.build and cached is not None and cached.sig == sig:
            add.reuse(node, cached)
            return cached.outputs
        try:
            t = kc.create_input(node.name, shape, dtype, params.get("batch_size"), params["sparse"])
        except Exception as exc:  # noqa: BLE001 - any Keras refusal is reported, not raised
            return add.fail(node, layer_error("Input", node.name, exc))
        result = _result([t])
        self._computed(node, scope)
        self.memo.calls[key] = CallEntry(sig, None, [t], result)
        add.result(node, result)
        return [t]

    def _visit_layer(self, node, owner, spec, graph, by_port, in_specs, add, scope, pcanon):
        text = node_who(node, spec)
        lkey = (*scope.layer_path, owner.id)
        lsig = (spec.id, pcanon, owner.name, owner.trainable,
                tuple(s[2:] for s in in_specs), _trust(spec, owner))  # fmt: skip
        entry = self._layer_for(lkey, lsig, lambda: kc.create_layer(spec, owner), spec, owner)
        if entry.error is not None:
            return add.fail(node, entry.error) if owner is node else add.wait(node)
        key = (*scope.path, node.id)
        self.calls_seen.add(key)
        kwargs = canon(node.call_kwargs) if node.call_kwargs else ""
        csig = (entry.sig, in_specs, kwargs, scope.frozen)
        cached = self.memo.calls.get(key)
        if not self.build and cached and cached.sig == csig and cached.layer is entry.layer:
            add.reuse(node, cached)
            return cached.outputs
        ports = graph.ports(node.id)
        try:
            outputs = kc.call_layer(entry.layer, spec, ports, by_port, node.call_kwargs)
        except Exception as exc:  # noqa: BLE001 - Keras' refusal becomes a Problem
            if self.build or not needs_eager(exc):
                return self._call_failed(node, spec, key, csig, entry, add, scope, exc)
            try:  # a layer that must create real variables: build it outside the scope
                with eager_variables():
                    entry.layer = kc.create_layer(spec, owner)
                    outputs = kc.call_layer(entry.layer, spec, ports, by_port, node.call_kwargs)
            except Exception as exc2:  # noqa: BLE001
                return self._call_failed(node, spec, key, csig, entry, add, scope, exc2)
        result = _result(outputs)
        problems: list[Problem] = []
        if owner is node:
            result.params, result.trainable_params = kc.count_params(entry.layer, scope.frozen)
            if node.weights is not None:
                if kc.weights_fit(entry.layer, node.weights):
                    self.weight_jobs.append((entry.layer, node.weights))
                else:
                    problems.append(add.make(
                        f"{text}: the stored weights no longer fit the layer; "
                        "it will start from new weights", node.id, severity="warning"))  # fmt: skip
        self._computed(node, scope)
        self.memo.calls[key] = CallEntry(csig, entry.layer, outputs, result, problems)
        add.result(node, result, problems)
        return outputs

    def _call_failed(self, node, spec, key, csig, entry, add, scope, exc) -> None:
        message = _code_error(spec, node, exc) or layer_error(spec.class_name, node.name, exc)
        problem = add.make(message, node.id)
        self.memo.calls[key] = CallEntry(
            csig, entry.layer, None, NodeResult(error=message), [problem]
        )
        self._computed(node, scope)
        add.result(node, NodeResult(error=message), [problem])
        return None

    def _layer_for(self, lkey, lsig, make, spec, owner) -> LayerEntry:
        """The layer instance of an owner for this run: reused if its signature is unchanged."""
        entry = self.layers_now.get(lkey)
        if entry is not None:
            return entry
        entry = None if self.build else self.memo.layers.get(lkey)
        if entry is None or entry.sig != lsig:
            try:
                entry = LayerEntry(lsig, make())
            except LayerLoomError as exc:  # already a plain sentence naming the layer
                entry = LayerEntry(lsig, None, exc.message)
            except Exception as exc:  # noqa: BLE001
                entry = LayerEntry(lsig, None, layer_error(spec.class_name, owner.name, exc))
        self.layers_now[lkey] = self.memo.layers[lkey] = entry
        return entry

    # ----- blocks -------------------------------------------------------------------------
    def _visit_block(self, node, owner, spec, graph, by_port, in_specs, add, scope):
        text = node_who(node, spec)
        sub = owner.subgraph
        inner = Scope(
            path=(*scope.path, node.id),
            layer_path=(*scope.layer_path, owner.id),
            block=text,
            frozen=scope.frozen or not owner.trainable,
            reporting=scope.reporting and owner is node,
        )
        sub_report = add.report if owner is node else ShapeReport()
        first = len(sub_report.problems)
        before = self.computed
        outputs = self.block_outputs(node, owner, spec, graph, by_port, sub_report, inner, first)
        errors = [p for p in sub_report.problems[first:] if p.severity == "error"]
        if errors or outputs is None:
            if owner is node:
                message = f"{text} has an error inside"
                add.result(node, NodeResult(error=message))
            else:
                detail = errors[0].message if errors else "it has an error inside"
                add.fail(node, f"{text}: {detail}")
            return None
        result = _result(outputs)
        if owner is node:
            inner_ids = [n.id for n in sub.nodes()]
            result.params = sum(
                sub_report.nodes[i].params for i in inner_ids if i in sub_report.nodes
            )
            result.trainable_params = sum(
                sub_report.nodes[i].trainable_params for i in inner_ids if i in sub_report.nodes
            )
        if self.computed != before and scope.reporting:
            self.recomputed.add(node.id)
        add.result(node, result)
        return outputs

    def block_outputs(self, node, owner, spec, graph, by_port, report, inner, first):
        """Outputs of a block call: its level walked from Inputs shaped like the feeds.

        Shape inference reads the inner tensors directly; the build walker overrides this
        to wrap the level into a nested keras.Model.
        """
        feeds = {port: ts[0] for port, ts in by_port.items()}
        return self.walk_level(owner.subgraph, report, inner, feeds)[1]

    def _computed(self, node: Node, scope: Scope) -> None:
        self.computed += 1
        if scope.reporting:
            self.recomputed.add(node.id)


class Adder:
    """Writes results and problems of one level into a report."""

    def __init__(self, report: ShapeReport, scope: Scope) -> None:
        self.report = report
        self.scope = scope

    def make(self, message: str, node_id: str | None, edge: Edge | None = None,
             severity: str = "error") -> Problem:  # fmt: skip
        return Problem(message, node_id=node_id, edge=edge, severity=severity, path=self.scope.path)

    def problem(self, message: str, node_id: str | None, edge: Edge | None = None,
                severity: str = "error") -> None:  # fmt: skip
        self.report.problems.append(self.make(message, node_id, edge, severity))

    def fail(self, node: Node, message: str, edge: Edge | None = None) -> None:
        self.problem(message, node.id, edge)
        self.report.nodes[node.id] = NodeResult(error=message)
        return None

    def wait(self, node: Node) -> None:
        self.report.nodes[node.id] = NodeResult(waiting=True)
        return None

    def result(self, node: Node, result: NodeResult, problems: list[Problem] = ()) -> None:
        self.report.nodes[node.id] = result
        self.report.problems.extend(problems)

    def reuse(self, node: Node, cached: CallEntry) -> None:
        self.result(node, cached.result, cached.problems)


def _trust(spec: NodeSpec, owner: Node) -> tuple:
    """Whether a code node's code is trusted (so trusting it re-creates the layer)."""
    if spec.kind != "custom_code":
        return ()
    from app.compiler.custom_code import trust_token

    return trust_token(spec, owner.params)


def _code_error(spec: NodeSpec, node: Node, exc: BaseException) -> str | None:
    """A custom code node's error with the line of the user's code, if it came from there."""
    if spec.kind != "custom_code":
        return None
    from app.compiler.custom_code import call_error

    return call_error(spec, node.name, {**spec.defaults(), **node.params}, exc)


def _result(outputs: list) -> NodeResult:
    specs = [kc.tensor_spec(t) for t in outputs]
    return NodeResult(output_shapes=[s[0] for s in specs], output_dtypes=[s[1] for s in specs])


def _outputs(n: int) -> str:
    return "1 output" if n == 1 else f"{n} outputs"


def _shape(shape) -> str:
    return str(tuple(shape))


def _compatible(declared, actual) -> bool:
    if len(declared) != len(actual):
        return False
    return all(a is None or b is None or a == b for a, b in zip(declared, actual, strict=True))


def _on_cycle(graph: ModelGraph, nid: str) -> bool:
    return any(s == nid or nid in graph.descendants(s) for s in graph.successors(nid))
