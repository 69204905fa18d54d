"""ValidationController: debounced shape checks in a worker thread; stale results are dropped."""

from __future__ import annotations

from app.model import ModelGraph


def _mlp() -> tuple[ModelGraph, str]:
    g = ModelGraph("m")
    inp = g.add_node("keras.Input", "x", params={"shape": [8]})
    d = g.add_node("keras.layers.Dense", "d", params={"units": 4})
    g.connect(inp, d)
    g.set_outputs([d])
    return g, d


def test_burst_of_edits_gives_one_fresh_report(qtbot, no_dangling_qthreads):
    import keras  # noqa: F401  (the controller's worker expects Keras importable)

    from app.ui.validation import ValidationController

    graph, dense = _mlp()
    ctl = ValidationController(graph)
    reports = []
    ctl.report_ready.connect(reports.append)
    try:
        ctl.set_enabled(True)
        qtbot.waitUntil(lambda: len(reports) == 1, timeout=30_000)
        assert reports[0].total_params == 8 * 4 + 4
        for units in range(5, 25):  # faster than the debounce: coalesced
            graph.set_params(dense, units=units)
        qtbot.waitUntil(lambda: not ctl.pending, timeout=30_000)
        qtbot.wait(200)
        assert 2 <= len(reports) <= 3
        assert reports[-1].total_params == 8 * 24 + 24
        assert reports[-1].nodes[dense].output_shapes == [(None, 24)]
        # Moving a node changes no shape: no new check.
        count = len(reports)
        graph.update_node(dense, position=(50.0, 60.0))
        qtbot.wait(200)
        assert len(reports) == count
    finally:
        ctl.shutdown()


def test_disabled_controller_runs_nothing(qtbot, no_dangling_qthreads):
    from app.ui.validation import ValidationController

    graph, dense = _mlp()
    ctl = ValidationController(graph)
    reports = []
    ctl.report_ready.connect(reports.append)
    graph.set_params(dense, units=7)
    qtbot.wait(150)
    assert reports == [] and ctl.pending
    assert not no_dangling_qthreads  # no worker thread started
    ctl.shutdown()
