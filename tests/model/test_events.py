"""A failing event subscriber is logged, never raised: every edit stays applied and undoable."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

from app.model import History, ModelGraph, commands, graph_to_dict
from app.model.events import NODE_REMOVED, EventEmitter, GraphEvent, set_error_handler

TESTS = Path(__file__).resolve().parents[1]


def snapshot(g: ModelGraph) -> str:
    return json.dumps(graph_to_dict(g), sort_keys=True)


def chain() -> tuple[ModelGraph, list[str]]:
    g = ModelGraph("m")
    a = g.add_node("keras.Input", name="a", params={"shape": [8]})
    b = g.add_node("keras.layers.Dense", name="b", params={"units": 8})
    c = g.add_node("keras.layers.Dense", name="c", params={"units": 4})
    g.connect(a, b)
    g.connect(b, c)
    g.set_outputs([c])
    return g, [a, b, c]


def broken_view(event: GraphEvent) -> None:
    raise RuntimeError(f"view cannot draw {event.kind}")


def test_history_edit_and_undo_complete_when_a_subscriber_raises(expect_subscriber_failures):
    g, (a, b, c) = chain()
    before = snapshot(g)
    seen: list[str] = []
    g.events.connect(broken_view)
    g.events.connect(lambda e: seen.append(e.kind))  # a later subscriber still hears every event
    history = History(g)

    # removing b is a compound edit (two disconnects, then the removal): all of it must apply
    history.do(commands.remove_nodes(g, [b]))
    assert b not in g and len(g) == 2 and not g.edges()
    after = snapshot(g)

    assert history.undo()
    assert snapshot(g) == before
    assert history.redo()
    assert snapshot(g) == after
    assert history.undo()
    assert snapshot(g) == before

    assert seen.count(NODE_REMOVED) == 2
    assert len(expect_subscriber_failures.failures) == len(seen)
    name, event, exc = expect_subscriber_failures.failures[0]
    assert name.endswith("broken_view") and isinstance(exc, RuntimeError)


def test_failure_is_logged_naming_the_subscriber_and_the_event(caplog, expect_subscriber_failures):
    emitter = EventEmitter()
    emitter.connect(broken_view)
    event = GraphEvent("node_added", node_id="n1")
    with caplog.at_level(logging.ERROR, logger="app.model.events"):
        emitter.emit(event)
    (record,) = caplog.records
    assert "broken_view" in record.getMessage() and "n1" in record.getMessage()
    assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)


def test_error_handler_hears_each_failure_and_cannot_make_emit_raise():
    heard: list[tuple] = []

    def handler(callback, event, exc):
        heard.append((callback, event, exc))
        raise AssertionError("a strict handler that raises")  # emit must still not raise

    emitter = EventEmitter()
    emitter.connect(broken_view)
    event = GraphEvent("reset")
    previous = set_error_handler(handler)
    try:
        emitter.emit(event)
    finally:
        set_error_handler(previous)
    ((callback, got_event, exc),) = heard
    assert callback is broken_view and got_event is event and isinstance(exc, RuntimeError)


STRICT_TESTS = """
    from app.model import ModelGraph


    def boom(event):
        raise RuntimeError("boom")


    def test_unexpected_failure():
        g = ModelGraph("m")
        g.events.connect(boom)
        g.add_node("keras.Input", name="a", params={"shape": [2]})


    def test_expected_failure(expect_subscriber_failures):
        g = ModelGraph("m")
        g.events.connect(boom)
        g.add_node("keras.Input", name="a", params={"shape": [2]})
        assert len(expect_subscriber_failures.failures) == 1
"""


def test_suite_fixture_fails_a_test_whose_subscriber_raised(tmp_path):
    """tests/conftest.py turns an unexpected subscriber failure into a test error, in a real run."""
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (tmp_path / "test_strict.py").write_text(textwrap.dedent(STRICT_TESTS))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-rA"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "PASSED test_strict.py::test_expected_failure" in out
    assert "ERROR test_strict.py::test_unexpected_failure" in out
    assert "event subscribers raised" in out and "boom" in out
