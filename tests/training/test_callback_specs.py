"""The callbacks table (app.project.callback_specs) drives the trainer, generated scripts and the
settings' checks: a callback is one entry."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from app.compiler import generate_code
from app.model import ModelGraph
from app.project import DataSettings, Project, TrainingSettings
from app.project.callback_specs import CALLBACK_SPECS, CallbackOption, CallbackSpec
from app.project.runs import BEST_MODEL
from app.project.training_config import CallbackConfig, TrainingConfig, TrainingError
from app.training.callbacks import BestCheckpoint, make_callbacks, package_available
from app.training.runs import TENSORBOARD_DIR


def every_callback() -> TrainingConfig:
    """Every callback of the table, with the settings the training form starts from."""
    return TrainingConfig(
        callbacks=[
            CallbackConfig(name, {o.param: o.default for o in spec.shown_options})
            for name, spec in CALLBACK_SPECS.items()
        ]
    )


def digits_graph() -> ModelGraph:
    g = ModelGraph("m")
    x = g.add_node("keras.Input", "x", {"shape": [64]})
    y = g.add_node("keras.layers.Dense", "digit", {"units": 10, "activation": "softmax"})
    g.connect(x, y)
    g.set_outputs([y])
    return g


def test_every_callback_of_the_table_is_made_with_its_files_in_the_run_folder(tmp_path):
    callbacks, notes = make_callbacks(every_callback(), tmp_path, has_validation=False)
    made = {type(c).__name__: c for c in callbacks}
    for name, spec in CALLBACK_SPECS.items():
        if spec.needs_package and not package_available(spec.needs_package):
            assert name not in made and any(spec.needs_package in n for n in notes)
            continue
        callback = made.pop(BestCheckpoint.__name__ if spec.keeps_best_model else name)
        assert isinstance(callback, keras.callbacks.Callback)
        if spec.monitors:  # no validation data: the training value is watched
            assert callback.monitor == "loss", name
        for option in (o for o in spec.options if o.run_file):
            written = Path(getattr(callback, option.keras_argument))
            assert written == tmp_path / option.default, name
    assert made == {}


def test_checkpoint_and_tensorboard_write_where_run_folders_expect_them():
    def run_file(name: str) -> str:
        return next(o.default for o in CALLBACK_SPECS[name].options if o.run_file)

    assert run_file("ModelCheckpoint") == BEST_MODEL
    assert run_file("TensorBoard") == TENSORBOARD_DIR


def test_every_callback_of_the_table_is_written_into_scripts():
    g = digits_graph()
    training = TrainingSettings.from_dict(every_callback().to_dict())
    project = Project("m", g, DataSettings("sklearn.digits"), training)
    source = generate_code(g, project)
    assert "Training is not written" not in source
    for name, spec in CALLBACK_SPECS.items():
        assert f"keras.callbacks.{name}(" in source, name
        if spec.needs_package:
            assert f'importlib.util.find_spec("{spec.needs_package}")' in source
    assert 'filepath=os.path.join("training_output", "best.keras")' in source


def test_a_new_callback_is_one_table_entry(tmp_path):
    backup = CallbackSpec(
        "BackupAndRestore",
        "Resume an interrupted run from its last epoch.",
        (CallbackOption("backup_dir", "text", "backup", "Folder", run_file=True),),
    )
    with pytest.raises(TrainingError, match="Unknown callback 'BackupAndRestore'"):
        CallbackConfig.from_dict({"class_name": "BackupAndRestore"})
    CALLBACK_SPECS[backup.name] = backup
    try:
        config = TrainingConfig.from_dict(
            {"callbacks": [{"class_name": "BackupAndRestore", "params": {}}]}
        )
        (made,), notes = make_callbacks(config, tmp_path)
        assert isinstance(made, keras.callbacks.BackupAndRestore) and notes == []
        assert Path(made.backup_dir) == tmp_path / "backup"
        g = digits_graph()
        training = TrainingSettings.from_dict(config.to_dict())
        source = generate_code(g, Project("m", g, DataSettings("sklearn.digits"), training))
        assert (
            'keras.callbacks.BackupAndRestore(backup_dir=os.path.join("training_output", "backup"))'
            in source
        )
    finally:
        del CALLBACK_SPECS[backup.name]


def test_callbacks_that_set_the_learning_rate_conflict_with_a_schedule():
    for name, spec in CALLBACK_SPECS.items():
        config = TrainingConfig(
            lr_schedule={"class_name": "ExponentialDecay", "params": {}},
            callbacks=[CallbackConfig(name)],
        )
        assert bool(config.problems()) == spec.sets_learning_rate, name
