"""The training form shows the metrics training tracks, never "none" while accuracy is tracked."""

from __future__ import annotations

from app.ui.training.settings_form import TrainingSettingsForm


def _metrics_text(qtbot, data: dict, outputs: list[str]) -> list[str]:
    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    form.set_config(data, outputs)
    return [form.out_widgets[name][2].text() for name in outputs]


def test_default_metrics_of_the_loss_are_shown(qtbot) -> None:
    data = {"losses": {"digit": "sparse_categorical_crossentropy"}, "metrics": {}}
    assert _metrics_text(qtbot, data, ["digit"]) == ["accuracy (default)"]
    data = {"losses": {"price": "mse"}, "metrics": {}}
    assert _metrics_text(qtbot, data, ["price"]) == ["mean_absolute_error (default)"]
    assert _metrics_text(qtbot, {"metrics": {}}, ["digit"]) == ["default for the loss"]


def test_a_single_outputs_metrics_under_an_old_name_are_its_own(qtbot) -> None:
    data = {"losses": {"out": "mse"}, "metrics": {"renamed_output": ["accuracy"]}}
    assert _metrics_text(qtbot, data, ["out"]) == ["accuracy"]


def test_chosen_metrics_of_another_output_leave_none_here(qtbot) -> None:
    data = {"metrics": {"a": ["accuracy"]}}
    assert _metrics_text(qtbot, data, ["a", "b"]) == ["accuracy", "none"]


def test_changing_the_loss_changes_the_default_shown(qtbot) -> None:
    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    form.set_config({"losses": {"y": "mse"}, "metrics": {}}, ["y"])
    loss, _weight, metrics, _cw = form.out_widgets["y"]
    loss.setCurrentText("binary_crossentropy")
    assert metrics.text() == "accuracy (default)"
    assert form.config()["metrics"] == {}  # a default stays a default, not a choice
