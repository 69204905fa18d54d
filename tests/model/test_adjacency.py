"""Adjacency (the model's own edge store) answers as networkx did, and keeps networkx out of start-up."""

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import CycleError
from app.model.adjacency import Adjacency

nx = pytest.importorskip("networkx")  # the reference the model's answers are checked against

NODES = [f"n{i}" for i in range(7)]
# (add?, src, dst, key): parallel edges between one pair get distinct keys, as ports/slots do
step = st.tuples(st.booleans(), st.sampled_from(NODES), st.sampled_from(NODES), st.integers(0, 2))


def _build(steps):
    """The same edits applied to an Adjacency and to a networkx MultiDiGraph."""
    ours, ref = Adjacency(), nx.MultiDiGraph()
    for n in NODES[:4]:  # some nodes exist before any edge (insertion order matters)
        ours.add_node(n)
        ref.add_node(n)
    for add, src, dst, k in steps:
        key = (src, dst, k)
        if add:
            ours.add_edge(src, dst, key=key)
            ref.add_edge(src, dst, key=key)
        elif ref.has_edge(src, dst, key=key):
            ours.remove_edge(src, dst, key)
            ref.remove_edge(src, dst, key=key)
    return ours, ref


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=30))
def test_answers_match_networkx(steps) -> None:
    ours, ref = _build(steps)
    assert list(ours.edges()) == [k for _, _, k in ref.edges(keys=True)]
    assert ours.is_acyclic() == nx.is_directed_acyclic_graph(ref)
    for n in ref.nodes:
        assert ours.in_edges(n) == [k for _, _, k in ref.in_edges(n, keys=True)]
        assert ours.out_edges(n) == [k for _, _, k in ref.out_edges(n, keys=True)]
        assert ours.degree(n) == ref.degree(n)
        assert ours.descendants(n) == nx.descendants(ref, n)
        assert ours.ancestors(n) == nx.ancestors(ref, n)
        for m in ref.nodes:
            assert ours.has_path(n, m) == nx.has_path(ref, n, m)
    rank = {n: -i for i, n in enumerate(ref.nodes)}  # a key that is not the insertion order
    if nx.is_directed_acyclic_graph(ref):
        expected = list(nx.lexicographical_topological_sort(ref, key=rank.__getitem__))
        assert ours.topological_order(key=rank.__getitem__) == expected
    else:
        with pytest.raises(CycleError):
            ours.topological_order(key=rank.__getitem__)


def test_removing_a_node_removes_its_edges() -> None:
    g = Adjacency()
    g.add_edge("a", "b", key=1)
    g.add_edge("b", "c", key=2)
    g.remove_node("b")
    assert list(g.edges()) == [] and "b" not in g
    assert g.descendants("a") == set() and g.ancestors("c") == set()


def test_removing_a_missing_edge_raises() -> None:
    g = Adjacency()
    g.add_edge("a", "b", key=1)
    with pytest.raises(KeyError):
        g.remove_edge("a", "b", 2)
    assert g.has_edge("a", "b", 1)


def test_model_and_project_import_without_networkx() -> None:
    # networkx took ~80 ms of every start-up before the window could be shown.
    code = "import sys, app.model, app.project; print('networkx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
