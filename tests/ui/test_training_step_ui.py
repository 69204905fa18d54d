"""The Training panel's "Training step" row: pick a project step, map its model parameters to
blocks, edit its arguments as JSON, train with it (live plots of its own keys), undo."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.compiler import custom_code as cc
from app.project import Project, save_project
from app.ui.training.step_box import KERAS_FIT, WHOLE_MODEL_LABEL
from app.ui.window_parts import PROJECT_CODE_TAB, TRAINING_TAB

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from test_training_step import TWO_PART, two_block_graph  # noqa: E402

pytest.importorskip("keras")
RUN_TIMEOUT = 120_000


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def _project(path) -> str:
    project = Project(name="two", graph=two_block_graph())
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"num_samples": 64}, "validation": "none",
         "target": "inputs"}
    )  # fmt: skip
    project.training = project.training.from_dict({"epochs": 2, "batch_size": 16})
    save_project(project, path)
    return str(path)


def test_pick_a_step_map_its_blocks_train_and_undo(window, qtbot, tmp_path, errors) -> None:
    assert window.open_path(_project(tmp_path / "two.llproj"))
    project = window.document.project
    code_panel = window.panels.show(PROJECT_CODE_TAB)
    labels = [a.text() for a in code_panel.add_button.menu().actions()]
    assert "Training step…" in labels  # the Add menu lists every kind in CODE_KINDS
    entry = code_panel.add_entry("step")
    assert entry is not None and code_panel.list.currentItem().text() == "Training step my_step"
    code_panel.name_edit.setText("TwoPart")  # the user writes the step and names it
    code_panel.editor.text_edit.setPlainText(TWO_PART)
    code_panel.apply()
    assert [(e.kind, e.name) for e in project.code] == [("step", "TwoPart")]
    name = "TwoPart"

    training = window.panels.show(TRAINING_TAB)
    training.runs_root = tmp_path / "runs"
    training.ask = lambda title, question: True
    training.show_error = lambda title, message: errors.append((title, message))
    box = training.form.step_box
    box.refresh()
    assert box.choice.itemText(0) == KERAS_FIT and name in [
        box.choice.itemText(i) for i in range(box.choice.count())
    ]
    box.choice.setCurrentText(name)
    box.choice.activated.emit(box.choice.currentIndex())
    assert project.training.step == {
        "name": name, "code": True, "models": {}, "args": {}, "compile": {}
    }  # fmt: skip
    assert set(box.model_rows) == {"first", "second", "scale"}  # read from __init__, not run
    first, second = box.model_rows["first"], box.model_rows["second"]
    first.setCurrentIndex(first.findText("block first"))
    first.activated.emit(first.currentIndex())
    assert second.findText(WHOLE_MODEL_LABEL) == 1  # the whole graph's model is offered too
    second.setCurrentIndex(second.findText("block second"))
    second.activated.emit(second.currentIndex())
    box.compile_args.setText(
        '{"a_optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.1}}, '
        '"loss_fn": {"class_name": "MeanSquaredError", "config": {}}}'
    )
    box.compile_args.editingFinished.emit()
    first_id = next(n.id for n in project.graph.nodes() if n.name == "first")
    step = project.training.step
    second_id = next(n.id for n in project.graph.nodes() if n.name == "second")
    assert step["models"] == {"first": first_id, "second": second_id}
    assert step["compile"]["a_optimizer"]["class_name"] == "SGD"

    assert training.start()
    qtbot.waitUntil(lambda: not training.is_running, timeout=RUN_TIMEOUT)
    assert training.last_result["status"] == "completed", (training.last_result, errors)
    assert not errors
    assert "a_loss" in training.plots.cards and "b_mean" in training.plots.cards

    box.args.setText("scale=3")  # not JSON: refused in words
    with pytest.raises(ValueError, match="JSON object"):
        training.form.config()
    box.args.setText("")

    stack = window.document.undo_stack
    while stack.canUndo():
        stack.undo()
    assert project.training.step is None and project.code == []
    assert training.form.step_box.choice.currentText() == KERAS_FIT
