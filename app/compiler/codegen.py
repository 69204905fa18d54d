"""generate_code: a ModelGraph as a runnable, readable Keras Functional-API script."""

from __future__ import annotations

import json
import re
from typing import Any

from app.compiler.codegen_cluster import (
    ClusterError,
    ClusterTrainingCode,
    check_cluster,
    refusal,
)
from app.compiler.codegen_cluster_jax import JaxClusterTrainingCode
from app.compiler.codegen_code import UserCodeSource, code_layer_expr
from app.compiler.codegen_expr import Atom, Call, Expr, Names, Seq, identifier, literal, render
from app.compiler.codegen_layers import ObjectWriter, is_keyword_name
from app.compiler.codegen_ops import internal_layer_expr, op_expr
from app.compiler.codegen_training import TrainingCode
from app.errors import CompileError
from app.model.graph import ModelGraph
from app.model.node import Node
from app.nodes import REGISTRY, NodeSpec

# Parameters written as tuples ((3, 3) rather than [3, 3]), by param kind.
TUPLE_KINDS = ("shape", "int_tuple")
BASE_IMPORTS = (("keras", None, None), ("keras", "layers", None))


def generate_code(
    graph: ModelGraph,
    project: Any = None,
    weights_file: str | None = None,
    cluster: str | None = None,
) -> str:
    """A standalone Python script that builds the same keras.Model as build_model(graph).

    With `cluster` ("tf" or "jax"), the script trains on several machines
    (app.compiler.codegen_cluster, codegen_cluster_jax);
    ClusterError says why when the project's training cannot be written that way.

    With `weights_file` (a file name next to the script, see app.compiler.script_files), the
    script loads the model's weights from it after building the model.
    Raises CompileError (with the first problem, naming the layer) if the graph has errors.
    """
    if cluster is not None:
        check_cluster(cluster)
    script = _Script(graph, project, weights_file, cluster)
    if cluster is not None:
        problem = refusal(project, script.training.problem)
        if problem is not None:
            raise ClusterError(problem)
    return script.text()


def graph_has_weights(graph: ModelGraph) -> bool:
    """True if some layer of the graph (blocks included) holds imported or pretrained weights."""
    return any(n.weights is not None for _, g in graph.walk() for n in g.nodes())


class _Script:
    """One generation run: global names, block functions, embedded custom layer classes."""

    def __init__(
        self,
        graph: ModelGraph,
        project: Any,
        weights_file: str | None = None,
        cluster: str | None = None,
    ) -> None:
        self.graph = graph
        self.project = project
        self.weights_file = weights_file
        self.custom = UserCodeSource(_custom_classes(graph), graph, getattr(project, "code", None))
        if weights_file is not None and ("os", None, None) not in self.custom.imports:
            self.custom.imports.append(("os", None, None))
        self.objects = ObjectWriter({c.__name__: c for c in self.custom.classes})
        self.globals = Names({"keras", "layers", "model", "os", *self.custom.bound_names()})
        self.output_counts = _output_counts(graph)
        # Data loading, compile and fit from the project's settings (names reserved first).
        training = {None: TrainingCode, "tf": ClusterTrainingCode, "jax": JaxClusterTrainingCode}[
            cluster
        ]
        self.training = training(graph, project, self.globals)
        self.functions: dict[str, str] = {}  # block owner id -> function name
        self.written: set[str] = set()  # function names already written
        self.function_lines: list[list[str]] = []
        for _, g in graph.walk():
            for node in g.nodes():
                if _spec(node).kind == "block" and node.shared_with is None:
                    self.functions[node.id] = self.globals.new(f"build_{identifier(node.name)}")

    # ----- whole script -----------------------------------------------------------------------
    def text(self) -> str:
        training = self.training
        if training.folds or training.strategy:
            # k-fold trains a new model per fold, and a strategy must build the model in its
            # scope: the model is built by a function.
            build = training.fn["build_model"]
            scope = _Scope(self, self.graph, Names(self.globals.taken), indent="    ")
            doc = (
                '    """The model with new weights (k-fold trains one per fold)."""'
                if training.folds
                else '    """The model with new weights, built in the strategy\'s scope."""'
            )
            body = ["", f"def {build}():", doc, *scope.lines(target="return "), "", ""]
            if training.strategy:
                body += [f"with {training.strategy}.scope():", f"    model = {build}()"]
            else:
                body.append(f"model = {build}()")
        else:
            main = _Scope(self, self.graph, Names(self.globals.taken), indent="")
            body = main.lines(target="model = ")
        title = _safe_title(self.graph.name)
        out = [
            f'"""Keras model "{title}", written by LayerLoom.',
            "",
            "Run it to build the model and print its summary"
            + (", then train it as the project trains it." if training.functions else "."),
        ]
        if self.weights_file is not None:
            out += [
                "The model loads the weights the project holds (imported or pretrained) from",
                f"{self.weights_file}, next to this script.",
            ]
        elif graph_has_weights(self.graph):
            out.append("The layers start from new weights: trained weights are not part of it.")
        out += ['"""', ""]
        imports = self.custom.import_lines((*BASE_IMPORTS, *training.imports))
        if training.header:  # first after `from __future__`; it imports os itself
            future = [ln for ln in imports if ln.startswith("from __future__ ")]
            out += [*future, *([""] if future else []), *training.header, ""]
            imports = [ln for ln in imports if ln != "import os" and ln not in future]
            while imports and imports[0] == "":
                imports.pop(0)
        out += imports
        for chunk in self.custom.definitions():
            out += ["", "", *chunk]
        for fn in self.function_lines:
            out += ["", "", *fn]
        out += ["", ""] if self.custom.definitions() or self.function_lines else [""]
        out += [*training.preamble, *([""] if training.preamble else []), *body]
        if self.weights_file is not None:
            here, name = "os.path.dirname(os.path.abspath(__file__))", json.dumps(self.weights_file)
            line = f"model.load_weights(os.path.join({here}, {name}))"
            if len(line) > 100:
                line = f"model.load_weights(\n    os.path.join(\n        {here},\n        {name},\n    )\n)"
            out.append(line)
        for fn in training.functions:
            out += ["", "", *fn]
        out += ["", "", 'if __name__ == "__main__":', "    model.summary()"]
        out += training.main
        return "\n".join(out) + "\n"

    def block_function(self, block: Node) -> str:
        """The name of the function building `block`'s sub-model (written on first use)."""
        name = self.functions[block.id]
        if name in self.written:
            return name
        self.written.add(name)
        sub = block.subgraph
        scope = _Scope(self, sub, Names(self.globals.taken), indent="    ")
        chain = sub.sequential_chain() if block.params.get("model_class") == "Sequential" else None
        body = scope.lines(target="return ", chain=chain)
        params = ", ".join(scope.like.values())
        doc = f'    """The nested model "{_safe_title(block.name)}"."""'
        self.function_lines.append([f"def {name}({params}):", doc, *body])
        return name


class _Scope:
    """The statements that build one graph level: a keras.Model from its Inputs to its outputs."""

    def __init__(self, script: _Script, graph: ModelGraph, names: Names, indent: str) -> None:
        self.script = script
        self.g = graph
        self.names = names
        self.ind = indent
        self.tensor: dict[str, str | list[str]] = {}  # node id -> variable(s) holding its output
        self.reused: dict[str, str] = {}  # owner id -> variable holding a reused layer / sub-model
        # An Input with shape None takes shape (and dtype) from the tensor fed to its block, so
        # the function that builds the block receives that tensor as a parameter.
        self.like: dict[str, str] = {}  # Input id -> parameter name
        for nid in graph.inputs:
            node = graph.node(nid)
            if _params(node).get("shape", ()) is None:
                self.like[nid] = names.new(f"{node.name}_like")

    def lines(self, target: str, chain: list[str] | None = None) -> list[str]:
        """Statements ending in `target` + the model (keras.Sequential if `chain` is given)."""
        if chain is not None:
            return self._sequential(target, chain)
        out: list[str] = []
        # Like build_model, leave out layers that lead to no output.
        needed = set(self.g.inputs)
        for ref in self.g.outputs:
            needed |= {ref.node} | self.g.ancestors(ref.node)
        for nid in self.g.topological_order():
            if nid in needed:
                out += self._node_lines(self.g.node(nid))
        ins = [Atom(self.tensor[i]) for i in self.g.inputs]
        outs = [self._ref(o.node, o.index) for o in self.g.outputs]
        model = Call(
            Atom("keras.Model"),
            kwargs=[
                ("inputs", ins[0] if len(ins) == 1 else Seq(ins)),
                ("outputs", outs[0] if len(outs) == 1 else Seq(outs)),
                ("name", literal(self.g.name)),
            ],
        )
        return out + render(model, self.ind, target)

    # ----- nodes ----------------------------------------------------------------------------------
    def _node_lines(self, node: Node) -> list[str]:
        owner = self.g.owner(node.id)
        spec = _spec(owner)
        if spec.kind == "input":
            self.tensor[node.id] = self.names.new(node.name)
            return render(self._input_expr(node), self.ind, f"{self.tensor[node.id]} = ")
        if spec.kind == "op":  # keras.ops call: no layer object, one call per node
            expr = op_expr(self.g, node, spec, self._ref)
            return render(expr, self.ind, f"{self._targets(node, owner, spec)} = ")
        out: list[str] = []
        reused = spec.kind == "block" or owner.id != node.id or bool(self.g.sharers(owner.id))
        if reused:
            if owner.id not in self.reused:
                out += self._object_lines(owner, spec, node)
            func: Expr = Atom(self.reused[owner.id])
        else:
            func = self._layer_expr(owner, spec)
        args, kwargs = self._call_args(node, spec)
        for key, value in node.call_kwargs.items():
            if not is_keyword_name(key):
                raise CompileError(
                    f"Layer '{node.name}': {key!r} is not a valid call argument name.",
                    node_id=node.id,
                )
            kwargs.append((key, self.script.objects.value(value)))
        call = Call(func, args, kwargs)
        return out + render(call, self.ind, f"{self._targets(node, owner, spec)} = ")

    def _object_lines(self, owner: Node, spec: NodeSpec, first_call: Node) -> list[str]:
        var = self.reused[owner.id] = self.names.new(owner.name)
        if spec.kind != "block":
            return render(self._layer_expr(owner, spec), self.ind, f"{var} = ")
        fn = self.script.block_function(owner)
        args = []
        feeds = {e.port: e for e in self.g.in_edges(first_call.id)}
        for inner_id in owner.subgraph.inputs:
            if _params(owner.subgraph.node(inner_id)).get("shape", ()) is None:
                e = feeds.get(inner_id)
                known = e is not None and e.src in self.tensor
                args.append(self._ref(e.src, e.src_index) if known else Atom("None"))
        lines = render(Call(Atom(fn), args), self.ind, f"{var} = ")
        if not owner.trainable:
            lines.append(f"{self.ind}{var}.trainable = False")
        return lines

    def _targets(self, node: Node, owner: Node, spec: NodeSpec) -> str:
        base = node.name
        if identifier(base) in self.names.taken:
            base = f"{node.name}_output"
        if spec.kind == "block" and owner.subgraph is not None and len(owner.subgraph.outputs) > 1:
            sub = owner.subgraph
            outs = [self.names.new(sub.node(o.node).name) for o in sub.outputs]
            self.tensor[node.id] = outs
            return ", ".join(outs)
        self.tensor[node.id] = self.names.new(base)
        return self.tensor[node.id]

    def _input_expr(self, node: Node, layer: bool = False) -> Call:
        """keras.Input(...) (or layers.InputLayer(...) as a Sequential's first layer)."""
        p = _params(node)
        like = self.like.get(node.id)
        shape = Atom(f"{like}.shape[1:]") if like else literal(p.get("shape"), tuples=True)
        kwargs: list[tuple[str, Expr]] = [("shape", shape)]
        if like is not None and "dtype" not in node.params:
            kwargs.append(("dtype", Atom(f"{like}.dtype")))
        elif p.get("dtype") not in (None, "float32"):
            kwargs.append(("dtype", self.script.objects.value(p["dtype"])))
        if p.get("batch_size") is not None and not layer:
            kwargs.append(("batch_size", literal(p["batch_size"])))
        if p.get("sparse"):
            kwargs.append(("sparse", literal(True)))
        kwargs.append(("name", literal(node.name)))
        return Call(Atom("layers.InputLayer" if layer else "keras.Input"), kwargs=kwargs)

    def _layer_expr(self, owner: Node, spec: NodeSpec) -> Expr:
        if spec.kind == "custom_code":  # the user's class / Lambda expression
            return code_layer_expr(owner, spec, self.script.objects)
        if spec.kind == "keras_layer":
            return internal_layer_expr(owner, spec)
        cls = spec.keras_class()
        config = {
            **spec.defaults(),
            **owner.params,
            "name": owner.name,
            "trainable": owner.trainable,
        }
        if spec.extra.get("trainable_kwarg") is False:  # e.g. Discretization: set afterwards
            del config["trainable"]
        class_expr = _class_expr(spec)
        tuples = frozenset(p.name for p in spec.params if p.kind in TUPLE_KINDS)
        squeeze = frozenset(p.name for p in spec.params if p.kind == "int_tuple")
        return self.script.objects.layer(
            cls, class_expr, config, tuples, squeeze, check=not spec.trusted_code_only
        )

    # ----- calls ------------------------------------------------------------------------------
    def _call_args(self, node: Node, spec: NodeSpec) -> tuple[list[Expr], list[tuple[str, Expr]]]:
        """Tensor arguments of a call, as the spec's call_style says (see build_model)."""
        edges = self.g.in_edges(node.id)
        refs = [self._ref(e.src, e.src_index) for e in edges]
        if spec.kind in ("block", "custom_code", "keras_layer"):
            return [refs[0] if len(refs) == 1 else Seq(refs)], []
        if spec.call_style == "list":
            return [Seq(refs)], []
        if spec.call_style != "args":
            return refs[:1], []
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr]] = []
        gap = False  # after a skipped optional port, the rest go by keyword
        for port in self.g.ports(node.id):
            got = [self._ref(e.src, e.src_index) for e in edges if e.port == port.name]
            if not got:
                gap = True
                continue
            value = Seq(got) if port.variadic else got[0]
            if port.keyword or gap:
                kwargs.append((port.keyword or port.name, value))
            else:
                args.append(value)
        return args, kwargs

    def _ref(self, node_id: str, index: int) -> Atom:
        var = self.tensor[node_id]
        if isinstance(var, list):
            return Atom(var[index])
        if _returns_many(self.g, self.g.node(node_id), self.script.output_counts):
            return Atom(f"{var}[{index}]")
        return Atom(var)

    # ----- Sequential sub-models --------------------------------------------------------------
    def _sequential(self, target: str, chain: list[str]) -> list[str]:
        """keras.Sequential([InputLayer, layer, ...]) for a chain-shaped block, as build_model."""
        lines: list[str] = []
        items: list[Expr] = [self._input_expr(self.g.node(self.g.inputs[0]), layer=True)]
        for nid in chain:
            node = self.g.node(nid)
            spec = _spec(node)
            if spec.kind == "block":  # a nested model inside the Sequential
                lines += self._object_lines(node, spec, node)
                items.append(Atom(self.reused[node.id]))
            else:
                items.append(self._layer_expr(node, spec))
        model = Call(Atom("keras.Sequential"), [Seq(items)], [("name", literal(self.g.name))])
        return lines + render(model, self.ind, target)


def _safe_title(name: str) -> str:
    """A name that can sit inside a docstring."""
    return re.sub(r"[^\w.\- ]", "_", name)


def _spec(node: Node) -> NodeSpec:
    return REGISTRY[node.spec_id]


def _params(node: Node) -> dict[str, Any]:
    return {**_spec(node).defaults(), **node.params}


def _class_expr(spec: NodeSpec) -> str:
    if spec.kind == "custom":
        return spec.class_name
    if spec.module == "keras.layers":
        return f"layers.{spec.class_name}"
    return f"{spec.module}.{spec.class_name}"


def _returns_many(g: ModelGraph, node: Node, counts: dict[str, int]) -> bool:
    """True if the node's call returns a list/tuple of tensors (indexed as x[i] in the script)."""
    if counts.get(node.id, 0) > 1:
        return True
    owner = g.owner(node.id)
    if _spec(owner).kind == "block":
        return owner.subgraph is not None and len(owner.subgraph.outputs) > 1
    if _any_true(_params(owner), "return_state") or node.call_kwargs.get("return_attention_scores"):
        return True
    return any(e.src_index > 0 for e in g.out_edges(node.id)) or any(
        o.index > 0 for o in g.outputs if o.node == node.id
    )


def _any_true(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return value.get(key) is True or any(_any_true(v, key) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v, key) for v in value)
    return False


def _output_counts(graph: ModelGraph) -> dict[str, int]:
    """How many tensors each node's call returns, as Keras computes it.

    Raises CompileError, naming the layer, if the graph has an error: its script would not run.
    """
    from app.compiler.infer import infer_shapes

    report = infer_shapes(graph)
    errors = report.errors()
    if errors:
        first = errors[0]
        raise CompileError(
            f"The script cannot be written yet: {first.message}", node_id=first.node_id
        )
    return {nid: len(r.output_shapes) for nid, r in report.nodes.items() if r.ok}


def _custom_classes(graph: ModelGraph) -> list[type]:
    """LayerLoom's own layer classes the graph uses, in first-use order."""
    found: dict[str, type] = {}
    for _, g in graph.walk():
        for node in g.nodes():
            spec = _spec(node)
            if spec.kind == "custom" and spec.id not in found:
                found[spec.id] = spec.keras_class()
    return list(found.values())
