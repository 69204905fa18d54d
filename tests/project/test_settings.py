"""Project settings are app.data's DataConfig and app.training's TrainingConfig, kept losslessly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.data.dataset import DataConfig
from app.errors import ProjectFileError
from app.project import DataSettings, Project, TrainingSettings, load_project, save_project
from app.project.migrations import FORMAT_VERSION, migrate
from app.project.runs import RunRecord
from app.project.training_config import CallbackConfig, TrainingConfig

FULL_DATA = {
    "source": "csv",
    "options": {"path": "data/tickets.csv", "target": "label", "features": ["a", "b"]},
    "validation": "separate",
    "validation_split": 0.1,
    "folds": 7,
    "validation_source": {"source": "csv", "options": {"path": "data/val.csv"}},
    "normalization": "minmax",
    "seed": 11,
    "max_samples": 500,
    "target": "labels",
    "input_map": {"features": "x"},
    "output_map": {"label": "y"},
}
FULL_TRAINING = {
    "optimizer": "AdamW",
    "learning_rate": 0.003,
    "optimizer_params": {"weight_decay": 0.01},
    "lr_schedule": {"class_name": "CosineDecay", "params": {"decay_steps": 1000}},
    "losses": {"priority": "binary_crossentropy", "department": "none"},
    "loss_weights": {"priority": 1.0, "department": 0.2},
    "loss_params": {"priority": {"label_smoothing": 0.1}},
    "metrics": {"priority": ["accuracy", "auc"]},
    "batch_size": 16,
    "epochs": 7,
    "class_weight": {"0": 1.0, "1": 3.0},
    "jit_compile": True,
    "seed": 5,
    "shuffle": False,
    "dtype_policy": "mixed_float16",
    "devices": "all",
    "callbacks": [
        {"class_name": "EarlyStopping", "params": {"patience": 3}, "enabled": True},
        {"class_name": "ModelCheckpoint", "params": {"monitor": "val_loss"}, "enabled": False},
        {"class_name": "LearningRateScheduler", "params": {"table": {"0": 0.01, "5": 0.001}},
         "enabled": True},
        {"class_name": "CSVLogger", "params": {}, "enabled": True},
    ],
}  # fmt: skip


def test_settings_are_the_data_and_training_configs():
    data = DataSettings.from_dict(FULL_DATA)
    training = TrainingSettings.from_dict(FULL_TRAINING)
    assert isinstance(data, DataConfig) and isinstance(training, TrainingConfig)
    assert data.to_dict() == FULL_DATA == DataConfig.from_dict(FULL_DATA).to_dict()
    assert training.to_dict() == FULL_TRAINING == TrainingConfig.from_dict(FULL_TRAINING).to_dict()
    assert isinstance(training.callbacks[0], CallbackConfig)
    assert training.config() == TrainingConfig.from_dict(FULL_TRAINING)
    assert data.config() == DataConfig.from_dict(FULL_DATA)
    assert DataSettings().source == ""  # a new project has no data chosen yet


def test_round_trip_keeps_every_setting_and_unknown_keys(tmp_path, graph):
    data = {**FULL_DATA, "preview_rows": 12}  # a key a newer version might write
    training = {**FULL_TRAINING, "profile": {"steps": [1, 2]}}
    project = Project(graph=graph, data=DataSettings.from_dict(data),
                      training=TrainingSettings.from_dict(training))  # fmt: skip
    path = save_project(project, tmp_path / "p.llproj")
    doc = json.loads(path.read_text())
    assert doc["format_version"] == FORMAT_VERSION == 2
    assert doc["data"] == data and doc["training"] == training
    again = load_project(path)
    assert again.data == project.data and again.training == project.training
    assert again.data.to_dict() == data and again.training.to_dict() == training
    assert again.data.extra == {"preview_rows": 12}


def test_relative_data_paths_resolve_next_to_the_project(tmp_path, graph):
    project = Project(graph=graph, data=DataSettings.from_dict(FULL_DATA))
    assert project.data_config().options["path"] == "data/tickets.csv"  # unsaved: as written
    project.base_dir = tmp_path / "examples"  # e.g. an example opened as an untitled copy
    assert project.data_config().options["path"] == str(tmp_path / "examples/data/tickets.csv")
    save_project(project, tmp_path / "p.llproj")
    cfg = load_project(tmp_path / "p.llproj").data_config()
    assert type(cfg) is DataConfig
    assert cfg.options["path"] == str(tmp_path / "data" / "tickets.csv")
    assert cfg.validation_source["options"]["path"] == str(tmp_path / "data" / "val.csv")
    absolute = DataSettings("numpy", {"path": "/data/x.npz"}).resolved(tmp_path)
    assert absolute.options["path"] == "/data/x.npz"
    bundled = DataSettings("sklearn.digits", {"path": "ignored"}).resolved(tmp_path)
    assert bundled.options == {"path": "ignored"}


def test_runs_are_kept_and_stored_relative_to_the_project(tmp_path, graph):
    project = Project(graph=graph)
    path = save_project(project, tmp_path / "model.llproj")
    assert project.runs_dir == tmp_path / "model_runs"
    inside = RunRecord(id="a1", path=str(tmp_path / "model_runs" / "20260101-000000_a1"),
                       started="2026-01-01T00:00:00+00:00", status="completed",
                       best_metrics={"val_accuracy": 0.97})  # fmt: skip
    outside = RunRecord(id="b2", path="/elsewhere/run_b2", started="2026-01-02T00:00:00+00:00")
    project.add_run(inside)
    project.add_run(outside.to_dict())
    project.runs.append({"id": "odd", "note": "written by a plug-in"})  # kept, not a record
    assert project.runs[0]["path"] == "model_runs/20260101-000000_a1"
    save_project(project)
    again = load_project(path)
    assert again.runs == project.runs
    records = again.run_records()
    assert [r.id for r in records] == ["a1", "b2"]
    assert records[0].path == str(tmp_path / "model_runs" / "20260101-000000_a1")
    assert records[0].best_metrics == {"val_accuracy": 0.97}
    assert again.find_run("latest").id == "b2"
    assert again.find_run("20260101-000000_a1").id == "a1" and again.find_run("zz") is None
    again.add_run({**inside.to_dict(), "status": "stopped"})  # same id: replaced
    assert [r["id"] for r in again.runs] == ["b2", "odd", "a1"]
    assert again.remove_run("b2") and not again.remove_run("b2")


@pytest.mark.parametrize(
    "part, value, words",
    [
        ("data", {"validation": "sometimes"}, "Unknown validation mode 'sometimes'"),
        ("data", {"normalization": "zscore"}, "Unknown normalisation"),
        ("data", {"validation_split": 1.5}, "validation split"),
        ("data", {"max_samples": -1}, "sample limit"),
        ("data", {"source": 7}, "data source must be text"),
        ("data", {"input_map": ["x"]}, "input map must be a mapping"),
        ("training", {"optimizer": None}, "optimizer must be text"),
        ("training", {"learning_rate": float("inf")}, "learning rate"),
        ("training", {"losses": {"out": 3}}, "loss of output 'out'"),
        ("training", {"metrics": {"out": [1]}}, "metric of output 'out'"),
        ("training", {"callbacks": [{"class_name": "Telnet"}]}, "Unknown callback 'Telnet'"),
        ("training", {"lr_schedule": {"class_name": "Magic"}}, "learning-rate schedule"),
        ("training", {"dtype_policy": "float8"}, "Unknown dtype policy"),
        ("training", {"class_weight": {"0": "heavy"}}, "class weight"),
        ("training", "fast", "training settings must be a mapping"),
    ],
)
def test_bad_settings_are_refused_in_plain_words(tmp_path, graph, part, value, words):
    doc = Project(graph=graph).to_dict()
    doc[part] = value if not isinstance(value, dict) else {**doc[part], **value}
    path = tmp_path / "bad.llproj"
    path.write_text(json.dumps(doc).replace("Infinity", "1e999"))
    with pytest.raises(ProjectFileError) as err:
        load_project(path)
    msg = err.value.message
    assert words in msg and "invalid settings" in msg and "Traceback" not in msg, msg


V1 = {
    "app": "layerloom",
    "format_version": 1,
    "name": "v1 project",
    "graph": {"name": "m", "nodes": [], "edges": [], "outputs": []},
    "data": {"source": "sklearn.digits", "options": {"scale": True}, "normalization": "standard"},
    "training": {"optimizer": "SGD", "learning_rate": 0.05, "loss": {"digit": "mse"},
                 "loss_weights": {"digit": 2.0}, "metrics": {"digit": ["mae"]},
                 "batch_size": 8, "epochs": 3, "validation_split": 0.25, "seed": 9,
                 "callbacks": [{"class_name": "TerminateOnNaN", "params": {}}]},
    "runs": [{"id": "r1", "path": "/x", "started": "2026-01-01T00:00:00+00:00"}],
}  # fmt: skip


def test_v1_settings_migrate_to_v2(tmp_path):
    doc = migrate(json.loads(json.dumps(V1)), 1)
    assert doc["format_version"] == 2
    assert doc["training"]["losses"] == {"digit": "mse"} and "loss" not in doc["training"]
    assert "validation_split" not in doc["training"]
    assert doc["data"]["validation_split"] == 0.25 and doc["data"]["seed"] == 9
    path = tmp_path / "v1.llproj"
    path.write_text(json.dumps(V1))
    p = load_project(path)
    assert (p.data.source, p.data.options, p.data.normalization) == (
        "sklearn.digits", {"scale": True}, "standard")  # fmt: skip
    assert (p.data.validation, p.data.validation_split, p.data.seed) == ("split", 0.25, 9)
    t = p.training
    assert (t.optimizer, t.learning_rate, t.batch_size, t.epochs, t.seed) == ("SGD", 0.05, 8, 3, 9)
    assert t.losses == {"digit": "mse"} and t.loss_weights == {"digit": 2.0}
    assert t.metrics == {"digit": ["mae"]} and t.callbacks[0].class_name == "TerminateOnNaN"
    assert p.runs == V1["runs"] and p.data.extra == {} and t.extra == {}
    save_project(p, path)
    assert json.loads(path.read_text())["format_version"] == 2
    assert load_project(path).training == t


def test_v1_without_data_or_split_gets_no_source_and_defaults():
    doc = migrate({**V1, "data": {}, "training": {"validation_split": 0.0}}, 1)
    assert doc["data"] == {"source": "", "validation_split": 0.0, "validation": "none"}


def test_settings_feed_train_project_and_empty_source_is_explained(graph):
    from app.project.settings import settings_from_project
    from app.project.training_config import TrainingError

    project = Project(graph=graph, data=DataSettings("synthetic", {"num_samples": 32}, seed=3),
                      training=TrainingSettings(losses={"head": "mse"}, seed=3))  # fmt: skip
    data, training = settings_from_project(project)
    assert DataConfig.from_dict(data) == project.data.config()
    assert TrainingConfig.from_dict(training) == project.training.config()
    with pytest.raises(TrainingError, match="no data source yet"):
        settings_from_project(Project(graph=graph))


def test_importing_the_project_package_does_not_import_keras():
    code = ("import sys, app.project, app.data, app.training; "
            "bad = [m for m in ('keras', 'tensorflow', 'sklearn') if m in sys.modules]; "
            "print(bad); sys.exit(bool(bad))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
