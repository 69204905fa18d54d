"""The training form offers 'no loss (add_loss only)' per output as a named, deliberate choice."""

from __future__ import annotations

from app.ui.training import catalog
from app.ui.training.settings_form import TrainingSettingsForm


def test_no_loss_is_shown_by_its_meaning_and_saved_as_none(qtbot) -> None:
    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    form.set_config({"losses": {"a": "none", "b": "mse"}}, ["a", "b"])
    loss_a, _w, metrics_a, _cw = form.out_widgets["a"]
    assert loss_a.currentText() == catalog.NO_LOSS_LABEL == "none (add_loss only)"
    assert "add_loss" in loss_a.toolTip()
    assert metrics_a.text() == "none"  # an output without a loss tracks no default metric
    assert form.config()["losses"] == {"a": "none", "b": "mse"}
    loss_b = form.out_widgets["b"][0]
    loss_b.setCurrentText(catalog.NO_LOSS_LABEL)
    assert form.config()["losses"] == {"a": "none", "b": "none"}
    assert form.out_widgets["b"][2].text() == "none"
