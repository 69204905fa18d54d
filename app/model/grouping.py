"""Group nodes into a block (a nested model) and ungroup a block, as single undoable commands."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import GraphError
from app.model.commands import (
    AddNode,
    Command,
    Compound,
    Connect,
    Disconnect,
    RemoveNode,
    SetOutputs,
)
from app.model.node import Edge, Node, OutputRef, new_id
from app.nodes import BLOCK_SPEC_ID, INPUT_SPEC_ID, REGISTRY

INPUT_GAP = 260.0


@dataclass
class GroupCommand(Compound):
    block_id: str = ""


@dataclass
class UngroupCommand(Compound):
    node_ids: list[str] = field(default_factory=list)


def group_nodes(graph, node_ids: list[str], name: str | None = None) -> GroupCommand:
    """Build the command that moves `node_ids` into a new block node wired in their place.

    Every distinct outside tensor feeding the selection becomes an Input of the block (its
    shape taken from that tensor at build time); every inside tensor used outside (or as a
    model output) becomes a block output.
    """
    from app.model.graph import ModelGraph

    chosen = list(dict.fromkeys(node_ids))
    if not chosen:
        raise GraphError("Select the layers to put into a block.")
    inside = set(chosen)
    for nid in chosen:
        node = graph.node(nid)
        if REGISTRY[node.spec_id].kind == "input":
            raise GraphError(
                f"Input '{node.name}' cannot go into a block; select the layers after it."
            )
        if node.shared_with is not None and node.shared_with not in inside:
            raise GraphError(f"'{node.name}' reuses a layer outside the selection; select both.")
        for sharer in graph.sharers(nid):
            if sharer.id not in inside:
                raise GraphError(
                    f"'{sharer.name}' outside the selection reuses '{node.name}'; select both."
                )
    # A block must be convex: no path may leave the selection and come back into it.
    for nid in chosen:
        for succ in graph.descendants(nid) - inside:
            if graph.descendants(succ) & inside:
                raise GraphError(
                    f"The selection is not a closed block: '{graph.node(succ).name}' lies on a path "
                    "between selected layers. Select it too."
                )

    all_edges = graph.edges()
    incoming = [e for e in all_edges if e.dst in inside and e.src not in inside]
    outgoing = [e for e in all_edges if e.src in inside and e.dst not in inside]
    internal = [e for e in all_edges if e.src in inside and e.dst in inside]

    sub = ModelGraph(name or graph.unique_name("block"))
    block_name = sub.name
    graph.check_name(block_name)
    # Inputs: one per distinct outside tensor, placed left of the layers they feed.
    min_x = min(graph.node(n).position[0] for n in chosen)
    in_ports: dict[tuple[str, int], str] = {}
    for e in sorted(incoming, key=lambda e: (chosen.index(e.dst), e.port, e.slot)):
        key = (e.src, e.src_index)
        if key not in in_ports:
            src_name = graph.node(e.src).name
            dst = graph.node(e.dst).position
            inp = Node(
                new_id(),
                INPUT_SPEC_ID,
                sub.unique_name(f"{src_name}_in"),
                params={"shape": None},
                position=(min_x - INPUT_GAP, dst[1] + INPUT_GAP * len(in_ports) / 2),
            )
            sub._add_node(inp, emit=False)
            in_ports[key] = inp.id
    for nid in chosen:
        sub._add_node(graph.node(nid).copy(), emit=False)
    for e in internal:
        sub._g.add_edge(e.src, e.dst, key=e)
    for e in incoming:
        inner = Edge(in_ports[(e.src, e.src_index)], 0, e.dst, e.port, e.slot)
        sub._g.add_edge(inner.src, inner.dst, key=inner)
    # Outputs: distinct inside tensors used outside, in a stable order.
    out_refs: list[OutputRef] = []
    for ref in [OutputRef(e.src, e.src_index) for e in sorted(outgoing)] + [
        o for o in graph.outputs if o.node in inside
    ]:
        if ref not in out_refs:
            out_refs.append(ref)
    if not out_refs:
        raise GraphError("Nothing outside the selection uses its result; a block needs an output.")
    sub.outputs = out_refs

    xs = [graph.node(n).position[0] for n in chosen]
    ys = [graph.node(n).position[1] for n in chosen]
    block = Node(
        new_id(),
        BLOCK_SPEC_ID,
        block_name,
        position=(sum(xs) / len(xs), sum(ys) / len(ys)),
        subgraph=sub,
    )

    cmds: list[Command] = [Disconnect(e) for e in sorted(set(incoming + outgoing + internal))]
    new_outputs = [
        OutputRef(block.id, out_refs.index(o)) if o.node in inside else o for o in graph.outputs
    ]
    if new_outputs != graph.outputs:
        cmds.append(SetOutputs([o for o in graph.outputs if o.node not in inside]))
    cmds += [RemoveNode(nid) for nid in chosen]
    cmds.append(AddNode(block))
    for (src, idx), port in in_ports.items():
        cmds.append(Connect(Edge(src, idx, block.id, port, 0)))
    for e in outgoing:
        cmds.append(
            Connect(
                Edge(block.id, out_refs.index(OutputRef(e.src, e.src_index)), e.dst, e.port, e.slot)
            )
        )
    if new_outputs != graph.outputs:
        cmds.append(SetOutputs(new_outputs))
    return GroupCommand(cmds, description=f"Group into {block_name}", block_id=block.id)


def ungroup_block(graph, block_id: str) -> UngroupCommand:
    """Build the command that replaces block `block_id` by its inner layers, rewired."""
    block = graph.node(block_id)
    sub = block.subgraph
    if sub is None or REGISTRY[block.spec_id].kind != "block":
        raise GraphError(f"'{block.name}' is not a block.")
    if graph.sharers(block_id) or block.shared_with is not None:
        raise GraphError(
            f"'{block.name}' is called more than once (shared); it cannot be ungrouped."
        )
    inner_inputs = set(sub.inputs)
    id_map: dict[str, str] = {}
    taken = {n.name for n in graph.nodes() if n.id != block_id}
    new_nodes: list[Node] = []
    inner = [n for n in sub.nodes() if n.id not in inner_inputs]
    x0 = min((n.position[0] for n in inner), default=0.0)
    y0 = min((n.position[1] for n in inner), default=0.0)
    for node in sub.nodes():
        if node.id in inner_inputs:
            continue
        copy_ = node.copy()
        copy_.id = node.id if node.id not in graph else new_id()
        id_map[node.id] = copy_.id
        if copy_.name in taken:
            base = copy_.name
            i = 1
            while f"{base}_{i}" in taken:
                i += 1
            copy_.name = f"{base}_{i}"
        taken.add(copy_.name)
        copy_.position = (
            block.position[0] + node.position[0] - x0,
            block.position[1] + node.position[1] - y0,
        )
        new_nodes.append(copy_)
    for n in new_nodes:
        if n.shared_with is not None:
            n.shared_with = id_map.get(n.shared_with, n.shared_with)

    outer_in = {e.port: e for e in graph.in_edges(block_id)}
    outer_out = graph.out_edges(block_id)
    cmds: list[Command] = [Disconnect(e) for e in list(outer_in.values()) + outer_out]
    new_outputs = []
    for o in graph.outputs:
        if o.node == block_id:
            ref = sub.outputs[o.index]
            new_outputs.append(OutputRef(id_map.get(ref.node, ref.node), ref.index))
        else:
            new_outputs.append(o)
    cmds.append(RemoveNode(block_id))
    cmds += [AddNode(n) for n in new_nodes]
    for e in sub.edges():
        if e.src in inner_inputs:
            feed = outer_in.get(e.src)
            if feed is not None:
                cmds.append(Connect(Edge(feed.src, feed.src_index, id_map[e.dst], e.port, e.slot)))
        else:
            cmds.append(Connect(Edge(id_map[e.src], e.src_index, id_map[e.dst], e.port, e.slot)))
    for e in outer_out:
        ref = sub.outputs[e.src_index]
        if ref.node in inner_inputs:
            feed = outer_in.get(ref.node)
            if feed is None:
                continue
            cmds.append(Connect(Edge(feed.src, feed.src_index, e.dst, e.port, e.slot)))
        else:
            cmds.append(Connect(Edge(id_map[ref.node], ref.index, e.dst, e.port, e.slot)))
    if new_outputs != graph.outputs:
        # Set after the block is gone so no ref points at a missing node.
        cmds.insert(
            len(outer_in) + len(outer_out),
            SetOutputs([o for o in graph.outputs if o.node != block_id]),
        )
        cmds.append(SetOutputs(new_outputs))
    return UngroupCommand(
        cmds, description=f"Ungroup {block.name}", node_ids=[n.id for n in new_nodes]
    )


def block_names(graph) -> dict[str, str]:
    """{block node id: block name, block name: block name} over the graph and its blocks (how a
    training step's "models" setting may name a block)."""
    out: dict[str, str] = {}
    for _, g in graph.walk():
        for node in g.nodes():
            if node.spec_id == BLOCK_SPEC_ID:
                out[node.id] = node.name
                out.setdefault(node.name, node.name)
    return out
