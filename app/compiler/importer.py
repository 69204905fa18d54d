"""keras.Model -> ModelGraph: every layer call becomes a node, every nested model a block.

The structure is read from the live Keras graph (each tensor's keras_history and each
layer's inbound_nodes, see app.keras_internals and `keras/src/ops/node.py`), not from the
node indices of `model.get_config()`: those are renumbered inconsistently for nested
Functional models (argument references count from 0, `output_layers` from 1).  Layer
parameters come from `keras.saving.serialize_keras_object(layer)`, i.e. exactly what a
`.keras` file stores, so `from_config` rebuilds the same layer.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from app.compiler.import_params import (
    custom_layer_params,
    input_params,
    json_value,
    layer_params,
)
from app.compiler.layer_state import DERIVED_CONFIG_KEYS, learned_params
from app.compiler.layout import layout_graph
from app.errors import ImportModelError, LayerLoomError
from app.keras_internals import inbound_nodes, is_functional, keras_history
from app.model.graph import ModelGraph
from app.model.node import Edge, Node, OutputRef, new_id
from app.nodes import BLOCK_SPEC_ID, INPUT_SPEC_ID, REGISTRY, NodeSpec
from app.nodes.custom_code_specs import CODE_KIND, CUSTOM_LAYER_SPEC_ID
from app.nodes.learned_state import learns_state
from app.nodes.ops_specs import KERAS_LAYER_SPEC_ID

MAX_DEPTH = 32


def import_model(model: Any, custom_layers: dict[type, str] | None = None) -> ModelGraph:
    """An editable, laid-out graph of a Functional or Sequential Keras model (weights kept).

    `custom_layers` maps layer classes of the user's own code to their source: their layers
    become CustomLayer nodes carrying that code, the class name and the layer's own config.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise ImportModelError(f"Expected a keras.Model to import, got {type(model).__name__}.")
    graph = _Importer(custom_layers).model(model, depth=0)
    layout_graph(graph)
    return graph


@dataclass
class _Call:
    """One call of one operation inside the model being imported."""

    op: Any
    index: int  # position in inbound_nodes(op)
    links: list[tuple[str, int, Any]] = field(default_factory=list)  # (port, slot, tensor)
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    node_id: str = ""
    op_node: tuple[str, dict] | None = None  # (spec id, params) of a keras.ops call


class _Importer:
    """Imports one model and its nested models, remembering where every layer object lives."""

    def __init__(self, custom_layers: dict[type, str] | None = None) -> None:
        self._home: dict[int, str] = {}  # id(layer) -> name of the model (level) that holds it
        self._subgraphs: dict[int, ModelGraph] = {}
        self._custom = dict(custom_layers or {})

    def _spec(self, layer: Any) -> NodeSpec:
        if type(layer) in self._custom:
            return REGISTRY[CUSTOM_LAYER_SPEC_ID]
        return _spec_for(layer)

    # ----- models ------------------------------------------------------------------------------
    def model(self, model: Any, depth: int) -> ModelGraph:
        import keras

        if depth > MAX_DEPTH:
            raise ImportModelError(f"Model '{model.name}' nests models too deeply.")
        if isinstance(model, keras.Sequential):
            return self._sequential(model, depth)
        if not is_functional(model):
            raise ImportModelError(
                f"Model '{model.name}' is a subclassed keras.Model ({type(model).__name__}); "
                "LayerLoom can import Functional and Sequential models only."
            )
        return self._functional(model, depth)

    def _functional(self, model: Any, depth: int) -> ModelGraph:
        graph = ModelGraph(model.name)
        calls: dict[tuple[int, int], _Call] = {}
        order: list[tuple[int, int]] = []
        input_keys = [_key_of(t) for t in model.inputs]
        for key, t in zip(input_keys, model.inputs):
            if key not in calls:
                calls[key] = _Call(keras_history(t)[0], key[1])
                order.append(key)
        # Iterative post-order walk from the outputs: every call lands after its inputs.
        expanded: set[tuple[int, int]] = set(input_keys)
        stack: list[tuple[tuple[int, int], Any, bool]] = []
        for t in reversed(model.outputs):
            op, index, _ = keras_history(t)
            stack.append(((id(op), index), op, False))
        while stack:
            key, op, done = stack.pop()
            if done:
                order.append(key)
                continue
            if key in expanded:
                continue
            expanded.add(key)
            call = self._read_call(model, op, key[1], depth)
            calls[key] = call
            stack.append((key, op, True))
            for _, _, tensor in reversed(call.links):
                src, index, _ = keras_history(tensor)
                stack.append(((id(src), index), src, False))
        self._add_nodes(graph, model, calls, order)
        for key in order:
            call = calls[key]
            for port, slot, tensor in call.links:
                src, index, t_index = keras_history(tensor)
                graph._connect(
                    Edge(calls[(id(src), index)].node_id, t_index, call.node_id, port, slot)
                )
        graph.inputs = [calls[k].node_id for k in dict.fromkeys(input_keys)]
        graph.outputs = [
            OutputRef(calls[_key_of(t)].node_id, keras_history(t)[2]) for t in model.outputs
        ]
        return graph

    def _sequential(self, model: Any, depth: int) -> ModelGraph:
        try:
            inputs = list(model.inputs) if model.built else []
        except (AttributeError, ValueError):
            inputs = []
        if len(inputs) != 1:
            raise ImportModelError(
                f"Sequential model '{model.name}' has no known input shape; build it "
                "(e.g. start it with keras.Input(shape=...)) before importing."
            )
        graph = ModelGraph(model.name)
        in_layer = keras_history(inputs[0])[0]
        calls = [_Call(in_layer, 0)]
        prev = inputs[0]
        for layer in model.layers:
            if isinstance(layer, _input_layer_class()):
                continue
            index = sum(1 for c in calls if c.op is layer)
            call = _Call(layer, index)
            ports = self._ports(layer, depth)
            port = ports[0] if ports else None
            if port is None:
                raise ImportModelError(f"Layer '{layer.name}' in '{model.name}' takes no input.")
            call.links = [(port, 0, prev)]
            calls.append(call)
            prev = _SeqTensor(call, 0)
        keys = [(id(c.op), c.index) for c in calls]
        self._add_nodes(graph, model, dict(zip(keys, calls)), keys)
        for call in calls:
            for port, slot, tensor in call.links:
                src = tensor.call.node_id if isinstance(tensor, _SeqTensor) else calls[0].node_id
                graph._connect(Edge(src, 0, call.node_id, port, slot))
        graph.inputs = [calls[0].node_id]
        graph.outputs = [OutputRef(calls[-1].node_id, 0)]
        return graph

    # ----- nodes -------------------------------------------------------------------------------
    def _add_nodes(
        self, graph: ModelGraph, model: Any, calls: dict, order: list[tuple[int, int]]
    ) -> None:
        """Create one node per call: the first call of a layer owns it, later calls share it."""
        owners: dict[int, _Call] = {}
        for key in sorted(order, key=lambda k: k[1]):
            owners.setdefault(key[0], calls[key])
        taken = {c.op.name for c in owners.values()}
        for key in order:
            call, owner = calls[key], owners[key[0]]
            self._claim(call.op, model)
            if call.op_node is not None:  # a keras.ops call: each call is its own node
                name = (
                    call.op.name
                    if owner is call
                    else graph.unique_name(f"{call.op.name}_call{call.index + 1}", exclude=taken)
                )
                taken.add(name)
                node = Node(new_id(), call.op_node[0], name, params=call.op_node[1])
            elif owner is call:
                node = self._owner_node(call)
            else:
                name = graph.unique_name(f"{call.op.name}_call{call.index + 1}", exclude=taken)
                taken.add(name)
                spec_id = BLOCK_SPEC_ID if _is_model(call.op) else self._spec(call.op).id
                node = Node(new_id(), spec_id, name, trainable=bool(call.op.trainable))
            node.call_kwargs = call.call_kwargs
            call.node_id = node.id
            try:
                graph.check_name(node.name)
            except LayerLoomError as exc:
                raise ImportModelError(
                    f"Cannot import layer '{node.name}': {exc.message}"
                ) from None
            graph._add_node(node, emit=False)
        # Owners may come later in topological order than a sharer: link once all exist.
        for key in order:
            call, owner = calls[key], owners[key[0]]
            if owner is not call and call.op_node is None:
                graph.node(call.node_id).shared_with = owner.node_id

    def _owner_node(self, call: _Call) -> Node:
        op = call.op
        if isinstance(op, _input_layer_class()):
            return Node(new_id(), INPUT_SPEC_ID, op.name, params=input_params(op))
        if _is_model(op):
            params = {"model_class": "Sequential"} if _is_sequential(op) else {}
            return Node(
                new_id(),
                BLOCK_SPEC_ID,
                op.name,
                params=params,
                trainable=bool(op.trainable),
                subgraph=self._subgraphs[id(op)],
            )
        spec = self._spec(op)
        weights = op.get_weights()
        if spec.id == CUSTOM_LAYER_SPEC_ID:
            params = custom_layer_params(op, self._custom[type(op)])
        elif spec.id == KERAS_LAYER_SPEC_ID:
            from app.compiler.ops_call import internal_layer_params

            params = internal_layer_params(op)
        else:
            params = layer_params(spec, op)
        if learns_state(spec):
            # The learned state becomes params; as weights it would not survive a rebuild.
            state = learned_params(spec, op)
            if state:
                params = {k: v for k, v in params.items() if k not in DERIVED_CONFIG_KEYS}
                params.update(state)
            weights = None
        return Node(
            new_id(),
            spec.id,
            op.name,
            params=params,
            trainable=bool(op.trainable),
            weights=list(weights) if weights else None,
        )

    def _claim(self, op: Any, model: Any) -> None:
        home = self._home.setdefault(id(op), model.name)
        if home != model.name:
            raise ImportModelError(
                f"Layer '{op.name}' is used both in model '{home}' and in nested model "
                f"'{model.name}'; LayerLoom cannot share one layer across block levels."
            )

    # ----- calls -------------------------------------------------------------------------------
    def _ports(self, op: Any, depth: int) -> list[str]:
        """Port names of the node that `op` becomes (imports nested models on first sight)."""
        if _is_model(op):
            if id(op) not in self._subgraphs:
                self._subgraphs[id(op)] = self.model(op, depth + 1)
            return list(self._subgraphs[id(op)].inputs)
        return [p.name for p in self._spec(op).inputs]

    def _read_call(self, model: Any, op: Any, index: int, depth: int) -> _Call:
        """Map the tensors of one call onto the node's ports; keep its non-tensor kwargs."""
        import keras

        if not isinstance(op, keras.layers.Layer):
            from app.compiler.ops_call import read_op

            try:
                spec_id, params, links = read_op(op, inbound_nodes(op)[index])
            except ImportModelError as exc:
                raise ImportModelError(f"Model '{model.name}': {exc.message}") from None
            return _Call(op, index, links=links, op_node=(spec_id, params))
        if isinstance(op, _input_layer_class()):
            raise ImportModelError(
                f"Input '{op.name}' feeds model '{model.name}' but is not one of its inputs."
            )
        node = inbound_nodes(op)[index]
        ports = self._ports(op, depth)
        bound = _bind(op, node.arguments.args, node.arguments.kwargs)
        names = list(bound)
        call = _Call(op, index)
        used: set[str] = set()
        if _is_model(op):
            first = names[0] if names else None
            tensors = keras.tree.flatten(bound[first]) if first else []
            if len(tensors) != len(ports) or not all(_is_tensor(t) for t in tensors):
                raise ImportModelError(
                    f"Nested model '{op.name}' is called with {len(tensors)} tensors but has "
                    f"{len(ports)} inputs."
                )
            call.links = [(p, 0, t) for p, t in zip(ports, tensors)]
            used.add(first)
        else:
            call.links, used = _map_ports(op, self._spec(op), names, bound)
        for name in names:
            if name in used:
                continue
            value = bound[name]
            tensors = [t for t in keras.tree.flatten(value) if _is_tensor(t)]
            if tensors:
                if name.endswith("mask") and all(_is_auto_mask(t) for t in tensors):
                    continue  # Keras recomputes propagated masks when the model is rebuilt
                raise ImportModelError(
                    f"Layer '{op.name}' gets a tensor as its '{name}' argument, which its "
                    "LayerLoom node has no input for."
                )
            if _differs_from_default(op, name, value):
                call.call_kwargs[name] = json_value(
                    value, f"Layer '{op.name}': call argument {name}"
                )
        return call


class _SeqTensor:
    """Output of the previous layer inside a Sequential model (no Keras node needed)."""

    def __init__(self, call: _Call, index: int) -> None:
        self.call, self.index = call, index


# ----- mapping call arguments ------------------------------------------------------------------
def _map_ports(
    op: Any, spec: NodeSpec, names: list[str], bound: dict[str, Any]
) -> tuple[list[tuple[str, int, Any]], set[str]]:
    """The inverse of how build_model calls a layer for each spec call_style."""
    import keras

    links: list[tuple[str, int, Any]] = []
    used: set[str] = set()
    who = f"{type(op).__name__} '{op.name}'"
    if not names:
        raise ImportModelError(f"{who} is called without inputs.")
    first = bound[names[0]]
    if spec.call_style in ("single", "list"):
        used.add(names[0])
        # A custom code layer is called with a list when it takes several tensors (keras_call)
        as_list = spec.call_style == "list" or spec.kind == CODE_KIND
        tensors = keras.tree.flatten(first) if as_list else [first]
        if not tensors or not all(_is_tensor(t) for t in tensors):
            raise ImportModelError(f"{who}: its first argument is not a tensor (or list of them).")
        ports = [p for p in spec.inputs if not p.keyword]
        if not ports:
            raise ImportModelError(f"{who}: its LayerLoom node has no inputs.")
        p = 0
        slot = 0
        for t in tensors:
            if p >= len(ports):
                raise ImportModelError(f"{who} gets {len(tensors)} tensors; its node takes fewer.")
            links.append((ports[p].name, slot, t))
            if ports[p].variadic:
                slot += 1
            else:
                p += 1
        # Keyword ports (e.g. an RNN's initial_state) take the tensors passed by that name.
        for port in spec.inputs:
            value = bound.get(port.keyword) if port.keyword else None
            tensors = keras.tree.flatten(value) if value is not None else []
            fits = port.variadic or len(tensors) == 1
            if tensors and fits and all(_is_tensor(t) for t in tensors):
                used.add(port.keyword)
                links += [(port.name, i, t) for i, t in enumerate(tensors)]
        return links, used
    # "args": positional ports bind to call parameters in order, keyword ports by keyword.
    keywords = {p.keyword for p in spec.inputs if p.keyword}
    positional = [n for n in _positional_params(op) or names if n not in keywords]
    position = 0
    for port in spec.inputs:
        if port.keyword:
            pname = port.keyword
        else:
            pname = positional[position] if position < len(positional) else None
            position += 1
        if pname is None or pname not in bound or bound[pname] is None:
            if not port.optional:
                raise ImportModelError(f"{who} is called without its '{port.name}' input.")
            continue
        value = bound[pname]
        tensors = keras.tree.flatten(value) if port.variadic else [value]
        if not all(_is_tensor(t) for t in tensors):
            if port.optional and not any(_is_tensor(t) for t in tensors):
                continue
            raise ImportModelError(f"{who}: argument '{pname}' is not a tensor.")
        used.add(pname)
        links += [(port.name, slot, t) for slot, t in enumerate(tensors)]
    return links, used


def _positional_params(op: Any) -> list[str]:
    """Names of the call parameters a positional argument can fill, in order."""
    try:
        params = inspect.signature(op.call).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in params if p.kind in kinds]


def _bind(op: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Call arguments by parameter name (falls back to arg0, arg1... if binding fails)."""
    try:
        sig = inspect.signature(op.call)
        bound = sig.bind(*args, **kwargs)
    except (TypeError, ValueError):
        out = {f"arg{i}": a for i, a in enumerate(args)}
        out.update(kwargs)
        return out
    out: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = sig.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            out.update({f"{name}{i}": v for i, v in enumerate(value)})
        else:
            out[name] = value
    return out


def _differs_from_default(op: Any, name: str, value: Any) -> bool:
    """Keras records auto-filled call arguments (training, mask=None); keep only real choices."""
    try:
        param = inspect.signature(op.call).parameters.get(name)
    except (TypeError, ValueError):
        return True
    if param is None or param.default is inspect.Parameter.empty:
        return True
    try:
        return bool(param.default != value)
    except Exception:
        return True


def _spec_for(layer: Any) -> NodeSpec:
    """The registry spec building exactly this layer's class, or an ImportModelError."""
    cls = type(layer)
    spec = REGISTRY.for_class_name(cls.__name__, cls.__module__)
    if spec is not None and spec.kind not in ("input", "block", "op", "keras_layer"):
        try:
            if spec.keras_class() is cls:
                return spec
        except (ImportError, AttributeError):
            pass
    from app.compiler.ops_call import is_internal_layer

    if is_internal_layer(layer):
        return REGISTRY[KERAS_LAYER_SPEC_ID]
    raise ImportModelError(
        f"Layer '{layer.name}' is a {cls.__name__} ({cls.__module__}), which LayerLoom has no "
        "node type for; only Keras layers and registered LayerLoom layers can be imported."
    )


# ----- small Keras helpers ---------------------------------------------------------------------
def _key_of(t: Any) -> tuple[int, int]:
    op, index, _ = keras_history(t)
    return id(op), index


def _is_tensor(x: Any) -> bool:
    import keras

    return isinstance(x, keras.KerasTensor)


def _is_auto_mask(t: Any) -> bool:
    """A mask Keras derived with keras.ops (Embedding(mask_zero=True), Masking), not a layer."""
    import keras

    op = keras_history(t)[0]
    return op is not None and not isinstance(op, keras.layers.Layer)


def _is_model(op: Any) -> bool:
    """A nested model that becomes a block: Functional or Sequential. A subclassed keras.Model
    (layers made in __init__, a call method) has no graph to read; it is a layer like any other
    (a CustomLayer when its class is the user's code)."""
    import keras

    return isinstance(op, keras.Sequential) or (isinstance(op, keras.Model) and is_functional(op))


def _is_sequential(op: Any) -> bool:
    import keras

    return isinstance(op, keras.Sequential)


def _input_layer_class() -> type:
    import keras

    return keras.layers.InputLayer
