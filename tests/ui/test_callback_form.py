"""The training form's callbacks come from the callbacks table: one group per entry, one field
per shown option, and what is ticked comes back as the callback settings."""

from __future__ import annotations

from app.project.callback_specs import CALLBACK_SPECS, CallbackOption, CallbackSpec


def make_form(qtbot):
    from app.ui.training.settings_form import TrainingSettingsForm

    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    form.set_config({}, ["y"])
    return form


def test_the_form_offers_every_callback_of_the_table(qtbot):
    form = make_form(qtbot)
    assert list(form.cb_boxes) == list(CALLBACK_SPECS)
    for name, spec in CALLBACK_SPECS.items():
        assert form.cb_boxes[name].toolTip() == spec.help
        assert list(form.cb_fields[name]) == [o.param for o in spec.shown_options]
    assert form.config()["callbacks"] == []
    for box in form.cb_boxes.values():
        box.setChecked(True)
    chosen = {c["class_name"]: c["params"] for c in form.config()["callbacks"]}
    assert chosen == {
        name: {o.param: o.default for o in spec.shown_options}
        for name, spec in CALLBACK_SPECS.items()
    }


def test_settings_of_a_callback_are_shown_and_read_back(qtbot):
    form = make_form(qtbot)
    early = {"monitor": "val_accuracy", "patience": 9, "min_delta": 0.5,
             "restore_best_weights": False}  # fmt: skip
    form.set_config({"callbacks": [{"class_name": "EarlyStopping", "params": early}]}, ["y"])
    assert form.cb_boxes["EarlyStopping"].isChecked()
    assert form.config()["callbacks"] == [
        {"class_name": "EarlyStopping", "params": early, "enabled": True}
    ]


def test_a_new_callback_of_the_table_gets_its_group(qtbot):
    spec = CallbackSpec(
        "BackupAndRestore",
        "Resume an interrupted run from its last epoch.",
        (CallbackOption("backup_dir", "text", "backup", "Folder", run_file=True),),
    )
    CALLBACK_SPECS[spec.name] = spec
    try:
        form = make_form(qtbot)
        form.cb_boxes["BackupAndRestore"].setChecked(True)
        assert {"class_name": "BackupAndRestore", "params": {"backup_dir": "backup"},
                "enabled": True} in form.config()["callbacks"]  # fmt: skip
    finally:
        del CALLBACK_SPECS[spec.name]
