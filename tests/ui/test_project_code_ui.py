"""The Project code panel: write a custom metric, pick it in the Training panel, train, undo."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.compiler import custom_code as cc
from app.model import ModelGraph
from app.project import Project, save_project
from app.project.project_code import CodeEntry
from app.ui.window_parts import PROJECT_CODE_TAB, TRAINING_TAB

pytest.importorskip("keras")

RUN_TIMEOUT = 90_000


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def _regression_project(path, code=()) -> str:
    g = ModelGraph("reg")
    x = g.add_node("keras.Input", "x", params={"shape": [4]})
    d = g.add_node("keras.layers.Dense", "y", params={"units": 1})
    g.connect(x, d)
    g.set_outputs([d])
    project = Project(name="reg", graph=g, code=list(code))
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 64}, "validation": "split"}
    )
    project.training = project.training.from_dict(
        {"epochs": 1, "batch_size": 16, "losses": {"y": "mean_squared_error"}}
    )
    save_project(project, path)
    return str(path)


def test_write_a_metric_pick_it_train_and_undo(window, qtbot, tmp_path, errors) -> None:
    assert window.open_path(_regression_project(tmp_path / "reg.llproj"))
    code_panel = window.panels.show(PROJECT_CODE_TAB)
    entry = code_panel.add_entry("metric")
    assert entry is not None and code_panel.list.count() == 1
    assert code_panel.list.currentItem().text() == "Metric my_metric"
    # The user edits the code in the editor and applies it (trusted: written here).
    source = entry.source.replace('name="my_metric"', 'name="my_rmse"')
    code_panel.editor.text_edit.setPlainText(source)
    code_panel.editor.apply()
    project = window.document.project
    assert project.code == [CodeEntry("metric", "my_metric", source)]

    training = window.panels.show(TRAINING_TAB)
    training.runs_root = tmp_path / "runs"
    training.ask = lambda title, question: True
    training.show_error = lambda title, message: errors.append((title, message))
    _loss, _weight, metrics, _cw = training.form.out_widgets["y"]
    metrics.menu().aboutToShow.emit()  # the menu is opened: it lists the project's metrics
    pick = next(a for a in metrics.menu().actions() if a.text() == "my_metric")
    pick.setChecked(True)
    assert project.training.metrics == {"y": ["my_metric"]}

    assert training.start()
    qtbot.waitUntil(lambda: not training.is_running, timeout=RUN_TIMEOUT)
    assert training.last_result["status"] == "completed", (training.last_result, errors)
    assert not errors
    assert "val_my_rmse" in training.plots.cards or "my_rmse" in training.plots.cards

    stack = window.document.undo_stack
    while stack.canUndo():
        stack.undo()
    assert project.code == [] and code_panel.list.count() == 0
    assert not project.training.metrics


def test_untrusted_project_code_shows_the_banner_until_trusted(window, tmp_path) -> None:
    marker = tmp_path / "ran.txt"
    code = (
        f"open({str(marker)!r}, 'w').write('ran')\ndef my_loss(y_true, y_pred):\n    return 0.0\n"
    )
    path = _regression_project(tmp_path / "p.llproj", [CodeEntry("loss", "my_loss", code)])
    assert window.open_path(path)
    banner = window.trust_banner
    assert banner.isVisible() and "1 project code entry" in banner.label.text()
    banner.review()
    assert banner.dialog.tabs.tabText(0) == "Loss my_loss"
    banner.trust_all()
    assert not banner.isVisible() and window.document.project.trusted_code
    assert not marker.exists()  # trusting lets it run; nothing ran it yet


def test_write_a_callback_enable_it_and_it_stops_the_run(window, qtbot, tmp_path, errors) -> None:
    path = _regression_project(tmp_path / "cb.llproj")
    assert window.open_path(path)
    project = window.document.project
    code_panel = window.panels.show(PROJECT_CODE_TAB)
    entry = code_panel.add_entry("callback")  # the template: stop when the loss stalls
    assert entry is not None and code_panel.list.currentItem().text() == "Callback my_callback"

    training = window.panels.show(TRAINING_TAB)
    training.runs_root = tmp_path / "runs"
    training.ask = lambda title, question: True
    training.show_error = lambda title, message: errors.append((title, message))
    form = training.form
    form.epochs.setValue(5)
    form.learning_rate.setText("0")  # the loss cannot improve: patience 0 stops after epoch 2
    form.learning_rate.editingFinished.emit()
    form.code_callbacks.refresh()  # as when the settings are shown again
    check, options = form.code_callbacks.rows["my_callback"]
    options.setText('{"patience": 0}')
    options.editingFinished.emit()
    check.setChecked(True)
    (cb,) = [c for c in project.training.callbacks if c.code]
    assert (cb.class_name, cb.params, cb.enabled) == ("my_callback", {"patience": 0}, True)

    assert training.start()
    qtbot.waitUntil(lambda: not training.is_running, timeout=RUN_TIMEOUT)
    result = training.last_result
    assert result["status"] == "completed", (result, errors)
    assert result["record"]["epochs_done"] == 2, result["record"]
    assert not errors

    options.setText("patience=3")  # not JSON: refused in words, the settings keep their value
    with pytest.raises(ValueError, match="JSON object"):
        form.config()


def test_write_a_schedule_pick_it_and_the_learning_rate_follows(
    window, qtbot, tmp_path, errors
) -> None:
    assert window.open_path(_regression_project(tmp_path / "lr.llproj"))
    project = window.document.project
    code_panel = window.panels.show(PROJECT_CODE_TAB)
    entry = code_panel.add_entry("schedule")  # the template: halve the rate after epoch 2
    assert entry is not None and code_panel.list.currentItem().text() == "LR schedule my_schedule"

    training = window.panels.show(TRAINING_TAB)
    training.runs_root = tmp_path / "runs"
    training.ask = lambda title, question: True
    training.show_error = lambda title, message: errors.append((title, message))
    form = training.form
    form.epochs.setValue(4)
    form.schedule.showPopup()  # opening the picker lists the project's schedules
    form.schedule.hidePopup()
    form.schedule.setCurrentText("my_schedule")
    assert project.training.lr_schedule == {"class_name": "my_schedule", "params": {}, "code": True}

    assert training.start()
    qtbot.waitUntil(lambda: not training.is_running, timeout=RUN_TIMEOUT)
    result = training.last_result
    assert result["status"] == "completed", (result, errors)
    history = Path(result["record"]["path"]) / "history.csv"
    with history.open(newline="") as f:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(f)]
    lr = project.training.learning_rate
    assert rates == pytest.approx([lr, lr, lr / 2, lr / 4])

    window.document.undo_stack.undo()  # the schedule choice
    assert project.training.lr_schedule is None


def test_the_empty_hint_names_every_kind_of_code():
    from app.project.project_code import CODE_KINDS
    from app.ui.panels.project_code import empty_hint

    text = empty_hint()
    assert all(kind.label.lower() in text.lower() for kind in CODE_KINDS.values()), text
    assert "LR schedule" in text
