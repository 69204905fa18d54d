"""Random valid DAGs: Keras accepts every one, and build / infer / import agree on it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.compiler import build_model, import_model, infer_shapes
from app.model import ModelGraph

WIDTH = 6  # every layer outputs (None, WIDTH) so any two tensors can be added or joined

step = st.tuples(
    st.sampled_from(["dense", "dropout", "add", "concat", "bn", "activation"]),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)


def random_graph(n_inputs: int, steps: list[tuple[str, int, int]]) -> ModelGraph:
    """Each step adds a layer fed by earlier tensors; every sink becomes a model output."""
    g = ModelGraph("random")
    tensors = [g.add_node("keras.Input", params={"shape": [WIDTH]}) for _ in range(n_inputs)]
    for kind, a, b in steps:
        first, second = tensors[a % len(tensors)], tensors[b % len(tensors)]
        if kind == "dense":
            nid = g.add_node("keras.layers.Dense", params={"units": WIDTH, "activation": "relu"})
        elif kind == "dropout":
            nid = g.add_node("keras.layers.Dropout", params={"rate": 0.25})
        elif kind == "bn":
            nid = g.add_node("keras.layers.BatchNormalization")
        elif kind == "activation":
            nid = g.add_node("keras.layers.Activation", params={"activation": "tanh"})
        else:
            spec = "keras.layers.Add" if kind == "add" else "keras.layers.Concatenate"
            nid = g.add_node(spec)
            g.connect(first, nid)
            g.connect(second, nid)
            if kind == "concat":  # back to WIDTH so later adds stay valid
                joined, nid = nid, g.add_node("keras.layers.Dense", params={"units": WIDTH})
                g.connect(joined, nid)
            tensors.append(nid)
            continue
        g.connect(first, nid)
        tensors.append(nid)
    sinks = [n for n in g.node_ids() if not g.out_edges(n)]
    g.set_outputs(sinks)
    return g


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 2), st.lists(step, min_size=1, max_size=7))
def test_random_valid_dags_compile_and_round_trip(n_inputs, steps):
    g = random_graph(n_inputs, steps)
    report = infer_shapes(g)
    assert report.ok, [p.message for p in report.problems]
    model = build_model(g)
    assert [t.name for t in model.inputs] == [g.node(i).name for i in g.inputs]
    assert len(model.outputs) == len(g.outputs)
    assert model.count_params() == report.total_params
    for ref in g.outputs:
        assert report.nodes[ref.node].output_shapes[ref.index] == (None, WIDTH)
    # Importing the built model gives back the same layers, wiring and weights.
    again = build_model(import_model(model))
    assert [type(x).__name__ for x in again.layers] == [type(x).__name__ for x in model.layers]
    assert [x.name for x in again.layers] == [x.name for x in model.layers]
    assert again.get_config()["layers"] == model.get_config()["layers"]
    for w1, w2 in zip(model.get_weights(), again.get_weights(), strict=True):
        assert (w1 == w2).all()
