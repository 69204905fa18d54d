"""The connections of a ModelGraph: a keyed directed multigraph and the few algorithms it needs.

The model used networkx for this; importing networkx cost ~80 ms of every start-up for five
algorithms of a few lines each on graphs of at most a few thousand nodes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from app.errors import CycleError

# node -> neighbour -> edge keys (a dict used as an ordered set: several edges may join a pair)
_Links = dict[str, dict[str, dict[Hashable, None]]]


class Adjacency:
    """Nodes (ids) and keyed directed edges, kept in insertion order in both directions."""

    def __init__(self) -> None:
        self._succ: _Links = {}
        self._pred: _Links = {}

    def __contains__(self, node: object) -> bool:
        return node in self._succ

    def add_node(self, node: str) -> None:
        self._succ.setdefault(node, {})
        self._pred.setdefault(node, {})

    def remove_node(self, node: str) -> None:
        """Remove a node and every edge that touches it."""
        for dst in self._succ.pop(node):
            del self._pred[dst][node]
        for src in self._pred.pop(node):
            del self._succ[src][node]

    def add_edge(self, src: str, dst: str, key: Hashable) -> None:
        """Add the edge `key` from src to dst (adding either node if it is missing)."""
        self.add_node(src)
        self.add_node(dst)
        self._succ[src].setdefault(dst, {})[key] = None
        self._pred[dst].setdefault(src, {})[key] = None

    def remove_edge(self, src: str, dst: str, key: Hashable) -> None:
        """Remove the edge `key` from src to dst; KeyError if there is none."""
        keys = self._succ[src][dst]
        del keys[key]
        del self._pred[dst][src][key]
        if not keys:  # the pair is no longer linked: neighbour queries must not list it
            del self._succ[src][dst]
            del self._pred[dst][src]

    def has_edge(self, src: str, dst: str, key: Hashable) -> bool:
        return key in self._succ.get(src, {}).get(dst, {})

    def edges(self) -> Iterator[Any]:
        """Every edge key, grouped by source node in insertion order."""
        for targets in self._succ.values():
            for keys in targets.values():
                yield from keys

    def in_edges(self, node: str) -> list[Any]:
        return [k for keys in self._pred[node].values() for k in keys]

    def out_edges(self, node: str) -> list[Any]:
        return [k for keys in self._succ[node].values() for k in keys]

    def degree(self, node: str) -> int:
        """Number of edges into and out of `node` (each of several parallel edges counts)."""
        links = (*self._succ[node].values(), *self._pred[node].values())
        return sum(len(keys) for keys in links)

    def descendants(self, node: str) -> set[str]:
        """Nodes reachable from `node`, itself excluded."""
        return self._reach(node, self._succ)

    def ancestors(self, node: str) -> set[str]:
        """Nodes from which `node` is reachable, itself excluded."""
        return self._reach(node, self._pred)

    def has_path(self, src: str, dst: str) -> bool:
        """True if dst can be reached from src (a node reaches itself)."""
        return src == dst or dst in self._reach(src, self._succ)

    def topological_order(self, key: Callable[[str], Any]) -> list[str]:
        """Nodes so that each follows its predecessors; among ready nodes the smallest key first.

        Raises CycleError (naming no node) when the edges form a cycle.
        """
        rank = {n: i for i, n in enumerate(self._succ)}  # ties between equal keys: insertion order
        indegree = {n: sum(map(len, self._pred[n].values())) for n in self._succ}
        ready = [(key(n), rank[n], n) for n, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            node = heapq.heappop(ready)[2]
            order.append(node)
            for dst, keys in self._succ[node].items():
                indegree[dst] -= len(keys)
                if indegree[dst] == 0:
                    heapq.heappush(ready, (key(dst), rank[dst], dst))
        if len(order) < len(self._succ):
            raise CycleError("The connections form a cycle; a Keras model must be acyclic.")
        return order

    def is_acyclic(self) -> bool:
        try:
            self.topological_order(key=lambda _: 0)
        except CycleError:
            return False
        return True

    @staticmethod
    def _reach(node: str, links: _Links) -> set[str]:
        seen = {node}
        stack = list(links[node])
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(links[n])
        seen.discard(node)
        return seen
