"""The inspector's "Adapt now" learns a preprocessing node's state from the project's training
split on a worker thread and stores it as one undo step; "Forget learned state" removes it."""

from __future__ import annotations

import numpy as np
from _fixtures import wait_checked
from PySide6.QtCore import Qt

from app.project import DataSettings


def test_adapt_now_stores_the_training_mean_undoably_and_forget_removes_it(
    window, qtbot, tmp_path
) -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(50.0, 8.0, (40, 3)).astype("float32")
    x_val = np.full((10, 3), -1000.0, "float32")  # would move the mean if it leaked in
    path = tmp_path / "raw.npz"
    np.savez(path, x=x, y=np.zeros(40, "int64"), x_val=x_val, y_val=np.zeros(10, "int64"))
    project = window.document.project
    project.data = DataSettings(
        "numpy",
        options={"path": str(path), "x": ["x"], "y": ["y"], "x_val": ["x_val"], "y_val": ["y_val"]},
        validation="source",
    )
    graph = window.document.graph
    inp = graph.add_node("keras.Input", "x", params={"shape": [3]})
    norm = graph.add_node("keras.layers.Normalization", "norm", position=(260, 0))
    graph.connect(inp, norm)
    graph.set_outputs([norm])
    window.scene.select_node(norm)
    box = window.inspector.state_box
    assert box is not None and "Nothing learned yet" in box.state_label.text()
    assert box.adapt_btn.isEnabled() and not box.forget_btn.isEnabled()
    wait_checked(qtbot, window)
    stack = window.document.undo_stack
    before = stack.count()

    qtbot.mouseClick(box.adapt_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "mean" in graph.node(norm).params, timeout=60_000)
    np.testing.assert_allclose(graph.node(norm).params["mean"], x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(graph.node(norm).params["variance"], x.var(axis=0), rtol=1e-4)
    assert stack.count() == before + 1
    assert stack.undoText() == "Adapt norm to the data"
    box = window.inspector.state_box
    qtbot.waitUntil(lambda: box.state_label.text().startswith("Mean: "), timeout=5_000)
    qtbot.waitUntil(box.forget_btn.isEnabled, timeout=5_000)  # once the worker has finished
    assert box.adapt_btn.text() == "Adapt now"
    assert "from 40 samples" in window.statusBar().currentMessage()

    stack.undo()
    assert "mean" not in graph.node(norm).params
    stack.redo()
    assert "mean" in graph.node(norm).params

    qtbot.mouseClick(window.inspector.state_box.forget_btn, Qt.MouseButton.LeftButton)
    assert "mean" not in graph.node(norm).params and "variance" not in graph.node(norm).params
    assert stack.undoText() == "Forget what norm learned"
    stack.undo()
    assert "mean" in graph.node(norm).params


def test_adapt_now_without_data_says_why(window, qtbot) -> None:
    window.document.project.data = DataSettings("")
    graph = window.document.graph
    inp = graph.add_node("keras.Input", "x", params={"shape": [2]})
    norm = graph.add_node("keras.layers.Normalization", "norm", position=(260, 0))
    graph.connect(inp, norm)
    graph.set_outputs([norm])
    window.scene.select_node(norm)
    before = window.document.undo_stack.count()
    qtbot.mouseClick(window.inspector.state_box.adapt_btn, Qt.MouseButton.LeftButton)
    label = window.inspector.error_label
    qtbot.waitUntil(lambda: "no data source" in label.text(), timeout=30_000)
    assert window.document.undo_stack.count() == before


def test_adapt_now_inside_a_block_stores_the_state_as_one_undo_step_of_the_model(
    window, qtbot, tmp_path
) -> None:
    rng = np.random.default_rng(9)
    x = rng.normal(-30.0, 5.0, (40, 3)).astype("float32")
    x_val = np.full((10, 3), 800.0, "float32")  # would move the mean if it leaked in
    path = tmp_path / "raw.npz"
    np.savez(path, x=x, y=np.zeros(40, "int64"), x_val=x_val, y_val=np.zeros(10, "int64"))
    window.document.project.data = DataSettings(
        "numpy",
        options={"path": str(path), "x": ["x"], "y": ["y"], "x_val": ["x_val"], "y_val": ["y_val"]},
        validation="source",
    )
    graph = window.document.graph
    inp = graph.add_node("keras.Input", "x", params={"shape": [3]})
    norm = graph.add_node("keras.layers.Normalization", "norm", position=(260, 0))
    dense = graph.add_node("keras.layers.Dense", "d", params={"units": 2}, position=(520, 0))
    graph.connect(inp, norm)
    graph.connect(norm, dense)
    graph.set_outputs([dense])
    block = graph.group([norm, dense], "scaler")
    window.navigator.open(block)
    inner_graph, _ = window.navigator.current()
    assert norm in inner_graph
    window.scene.select_node(norm)
    box = window.inspector.state_box
    assert box is not None and box.adapt_btn.isEnabled()
    wait_checked(qtbot, window)
    stack = window.document.undo_stack
    before = stack.count()

    qtbot.mouseClick(box.adapt_btn, Qt.MouseButton.LeftButton)
    in_project = lambda: graph.node(block).subgraph.node(norm).params  # noqa: E731
    qtbot.waitUntil(lambda: "mean" in in_project(), timeout=60_000)
    np.testing.assert_allclose(in_project()["mean"], x.mean(axis=0), rtol=1e-5)
    assert "mean" in inner_graph.node(norm).params  # the canvas' copy shows it too
    assert stack.count() == before + 1  # one step of the whole model
    stack.undo()
    assert "mean" not in graph.node(block).subgraph.node(norm).params
