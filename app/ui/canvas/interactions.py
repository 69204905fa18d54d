"""Mouse gestures on the canvas as small classes: wire from an output, into an input, re-plugging a wire.

Each gesture only builds model commands; the scene pushes them.  A wire dropped on an input
that already has one replaces it, in one undo step.  A refusal (a cycle) is shown as a status
message and leaves the graph as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF

from app.errors import LayerLoomError
from app.model import commands
from app.model.commands import Command, Compound, Connect, Disconnect
from app.model.graph import ModelGraph
from app.model.node import Edge
from app.ui.canvas.edge_item import LiveWireItem
from app.ui.canvas.node_item import NodeItem
from app.ui.canvas.port_item import PortItem

if TYPE_CHECKING:
    from app.ui.canvas.scene import GraphScene


def target_at(scene: GraphScene, pos: QPointF, kind: str):
    """The port of `kind` ("in"/"out") or node card under `pos`, or None."""
    for item in scene.items(pos):
        if isinstance(item, PortItem):
            if item.kind == kind:
                return item
            continue
        if isinstance(item, NodeItem):
            return item
    return None


def wire_into(
    graph: ModelGraph, src: str, src_index: int, dst: str, port: str | None, slot: int | None
) -> list[Command]:
    """Commands that wire output (src, src_index) into `dst`, replacing a wire already there.

    With `port` None the first free input is used; a node whose one input is taken gets it
    replaced.  Empty when that very wire is already there; LayerLoomError if refused.
    """
    ports = graph.ports(dst)
    if port is None and len(ports) == 1 and not ports[0].variadic:
        port, slot = ports[0].name, 0
    if port is None:
        return [commands.connect(graph, src, dst, src_index=src_index)]
    slot = slot or 0
    old = next((e for e in graph.in_edges(dst) if (e.port, e.slot) == (port, slot)), None)
    if old is None:
        return [commands.connect(graph, src, dst, port=port, src_index=src_index, slot=slot)]
    if (old.src, old.src_index) == (src, src_index):
        return []
    trial = graph.copy()  # the graph once the old wire is gone: checks the new one (cycles)
    trial._disconnect(old)
    new = commands.connect(trial, src, dst, port=port, src_index=src_index, slot=slot)
    return [Disconnect(old), Connect(new.edge)]


def _as_command(cmds: list[Command], graph: ModelGraph, dst: str) -> Command | None:
    if not cmds:
        return None
    if len(cmds) == 1:
        return cmds[0]
    return Compound(cmds, description=f"Replace the wire into {graph.node(dst).name}")


class Interaction:
    """A gesture that owns the mouse from press to release."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self.wire = LiveWireItem(scene)
        self.travel = 0.0  # how far the mouse went: a click on a port is not a gesture
        self._last: QPointF | None = None
        scene.addItem(self.wire)

    def track(self, pos: QPointF) -> None:
        if self._last is not None:
            self.travel += (pos - self._last).manhattanLength()
        self._last = QPointF(pos)

    def move(self, pos: QPointF) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def release(self, pos: QPointF) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def finish(self) -> None:
        """Remove the live wire (always called, also on cancel)."""
        if self.wire.scene() is not None:
            self.scene.removeItem(self.wire)

    def _try_build(self, build) -> Command | None:
        try:
            return build()
        except LayerLoomError:
            return None

    def _commit(self, build) -> bool:
        """Build and push a command; report a refusal on the status line instead of raising."""
        try:
            command = build()
            if command is not None:
                self.scene.push(command)
            return True
        except LayerLoomError as exc:
            self.scene.status_message.emit(exc.message)
            return False


class ConnectFromOutput(Interaction):
    """Drag from an output port to an input port (or onto a node: its first free port)."""

    def __init__(self, scene: GraphScene, port: PortItem) -> None:
        super().__init__(scene)
        self.port = port
        self.move(port.anchor())

    def _build(self, target) -> Command | None:
        graph = self.scene.graph
        src, idx = self.port.node_id, self.port.index
        if isinstance(target, PortItem):
            cmds = wire_into(graph, src, idx, target.node_id, target.port, target.slot)
            return _as_command(cmds, graph, target.node_id)
        if isinstance(target, NodeItem) and target.node_id != src:
            cmds = wire_into(graph, src, idx, target.node_id, None, None)
            return _as_command(cmds, graph, target.node_id)
        if isinstance(target, NodeItem):
            return commands.connect(graph, src, src, src_index=idx)  # raises the cycle message
        return None

    def move(self, pos: QPointF) -> None:
        target = target_at(self.scene, pos, "in")
        end = target.anchor() if isinstance(target, PortItem) else pos
        valid = target is None or self._try_build(lambda: self._build(target)) is not None
        self.wire.set_ends(self.port.anchor(), end, valid)

    def release(self, pos: QPointF) -> None:
        target = target_at(self.scene, pos, "in")
        if target is not None:
            self._commit(lambda: self._build(target))
        elif (pos - self.port.anchor()).manhattanLength() > 24:
            # Dropped on empty canvas: offer a new layer fed by this output.
            self.scene.request_quick_add(pos, (self.port.node_id, self.port.index))


class ConnectFromInput(Interaction):
    """Drag from a free input port back to an output port (or onto a node: its output 0)."""

    def __init__(self, scene: GraphScene, port: PortItem) -> None:
        super().__init__(scene)
        self.port = port
        self.move(port.anchor())

    def _build(self, target) -> Command | None:
        graph = self.scene.graph
        if isinstance(target, PortItem):
            src, idx = target.node_id, target.index
        elif isinstance(target, NodeItem):
            src, idx = target.node_id, 0
        else:
            return None
        return commands.connect(
            graph, src, self.port.node_id, port=self.port.port, src_index=idx, slot=self.port.slot
        )

    def move(self, pos: QPointF) -> None:
        target = target_at(self.scene, pos, "out")
        start = target.anchor() if isinstance(target, PortItem) else pos
        valid = target is None or self._try_build(lambda: self._build(target)) is not None
        self.wire.set_ends(start, self.port.anchor(), valid)

    def release(self, pos: QPointF) -> None:
        target = target_at(self.scene, pos, "out")
        if target is not None:
            self._commit(lambda: self._build(target))


class ReplugWire(Interaction):
    """Drag the input end of an existing wire: drop it elsewhere to re-plug, on empty space to cut."""

    def __init__(self, scene: GraphScene, edge: Edge) -> None:
        super().__init__(scene)
        self.edge = edge
        self.item = scene.edge_items.get(edge)
        if self.item is not None:
            self.item.setVisible(False)
        src = scene.items_by_id[edge.src]
        self.start = src.output_anchor(edge.src_index)
        self.trial = scene.graph.copy()  # the graph as it is once the old wire is gone
        self.trial._disconnect(edge)
        self.move(scene.items_by_id[edge.dst].input_anchor(edge.port, edge.slot))

    def _build(self, target) -> Command | None:
        graph = self.scene.graph
        old = self.edge
        if target is None:
            return Disconnect(old, description=f"Disconnect {graph.node(old.dst).name}")
        if isinstance(target, PortItem):
            if (target.node_id, target.port, target.slot) == (old.dst, old.port, old.slot):
                return None
            dst, port, slot = target.node_id, target.port, target.slot
        else:
            if target.node_id == old.dst:
                return None
            dst, port, slot = target.node_id, None, None
        cmds = wire_into(self.trial, old.src, old.src_index, dst, port, slot)
        if not cmds:
            return None
        return Compound([Disconnect(old), *cmds], description=f"Re-plug {graph.node(dst).name}")

    def move(self, pos: QPointF) -> None:
        target = target_at(self.scene, pos, "in")
        end = target.anchor() if isinstance(target, PortItem) else pos
        valid = target is None or self._try_build(lambda: self._build(target)) is not None
        self.wire.set_ends(self.start, end, valid)

    def release(self, pos: QPointF) -> None:
        target = target_at(self.scene, pos, "in")
        self._show_item()
        self._commit(lambda: self._build(target))

    def finish(self) -> None:
        self._show_item()
        super().finish()

    def _show_item(self) -> None:
        if self.item is not None and self.item.scene() is not None:
            self.item.setVisible(not self.scene.wires_in_layer)
