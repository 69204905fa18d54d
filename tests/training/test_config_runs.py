"""TrainingConfig round trip, compile_model, callbacks, run folders, evaluation, headless runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from app.project import (
    CallbackConfig,
    DataSettings,
    Project,
    TrainingConfig,
    TrainingError,
    TrainingSettings,
)
from app.project.runs import RunRecord, read_history
from app.training import (
    Trainer,
    compile_model,
    delete_run,
    list_runs,
    load_run,
    make_callbacks,
)
from app.training.callbacks import step_table, tensorboard_available
from app.training.evaluate import (
    classification_report,
    confusion_matrix,
    evaluate,
    per_class_report,
    prediction_preview,
)

FULL = TrainingConfig(
    optimizer="AdamW",
    learning_rate=0.01,
    optimizer_params={"weight_decay": 0.001},
    lr_schedule={"class_name": "CosineDecay", "params": {"decay_steps": 100}},
    losses={"digit": "sparse_categorical_crossentropy"},
    loss_weights={"digit": 2.0},
    metrics={"digit": ["accuracy", "sparse_top_k_categorical_accuracy"]},
    batch_size=16,
    epochs=3,
    class_weight={"0": 1.0, "1": 2.0},
    jit_compile=False,
    seed=7,
    callbacks=[
        CallbackConfig("EarlyStopping", {"patience": 2}),
        CallbackConfig("ModelCheckpoint", {"monitor": "val_accuracy"}),
        CallbackConfig("TerminateOnNaN", enabled=False),
    ],
)


def test_config_round_trips_through_json():
    again = TrainingConfig.from_dict(json.loads(json.dumps(FULL.to_dict())))
    assert again == FULL
    assert TrainingConfig.from_dict({}) == TrainingConfig()


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"batch_size": 0}, "batch size"),
        ({"learning_rate": "fast"}, "learning rate"),
        ({"callbacks": [{"class_name": "Lambda"}]}, "Unknown callback 'Lambda'"),
        ({"lr_schedule": {"class_name": "Magic"}}, "learning-rate schedule"),
        ({"dtype_policy": "int8"}, "dtype policy"),
    ],
)
def test_config_errors_are_plain(bad, match):
    with pytest.raises(TrainingError, match=match):
        TrainingConfig.from_dict(bad)


def test_compile_model_uses_names_and_reports_unknown_ones(digits, mlp):
    model = mlp()
    losses = compile_model(model, FULL, digits)
    assert losses == {"digit": "sparse_categorical_crossentropy"}
    assert type(model.optimizer).__name__ == "AdamW"
    assert isinstance(model.optimizer._learning_rate, keras.optimizers.schedules.CosineDecay)
    with pytest.raises(TrainingError, match="Unknown optimizer 'Adamm'. Keras offers"):
        compile_model(mlp(), TrainingConfig(optimizer="Adamm"))
    with pytest.raises(TrainingError, match="Unknown loss 'l7' for output 'digit'"):
        compile_model(mlp(), TrainingConfig(losses={"digit": "l7"}))
    with pytest.raises(TrainingError, match="Unknown metric 'nope'"):
        compile_model(mlp(), TrainingConfig(metrics={"digit": ["nope"]}))
    with pytest.raises(TrainingError, match="Optimizer SGD does not accept"):
        compile_model(mlp(), TrainingConfig(optimizer="SGD", optimizer_params={"beta": 1}))
    # defaults follow the activation and the targets
    assert compile_model(mlp(), TrainingConfig(), digits) == {
        "digit": "sparse_categorical_crossentropy"
    }


def test_step_table_and_schedule_conflict():
    f = step_table({"2": 0.1, "5": 0.01})
    assert [f(e, 1.0) for e in (0, 2, 4, 5, 9)] == [1.0, 0.1, 0.1, 0.01, 0.01]
    cfg = TrainingConfig(
        lr_schedule={"class_name": "ExponentialDecay", "params": {}},
        callbacks=[CallbackConfig("ReduceLROnPlateau")],
    )
    assert "cannot change the learning rate" in cfg.problems()[0]


def test_make_callbacks_put_files_in_the_run_folder(tmp_path):
    cfg = TrainingConfig(
        callbacks=[
            CallbackConfig(n)
            for n in (
                "EarlyStopping",
                "ReduceLROnPlateau",
                "CSVLogger",
                "TensorBoard",
                "TerminateOnNaN",
            )
        ]
        + [CallbackConfig("LearningRateScheduler", {"table": {"0": 0.01}})]
    )
    cbs, notes = make_callbacks(cfg, tmp_path, has_validation=False)
    kinds = [
        "EarlyStopping",
        "ReduceLROnPlateau",
        "CSVLogger",
        "TensorBoard",
        "TerminateOnNaN",
        "LearningRateScheduler",
    ]
    if not tensorboard_available():
        kinds.remove("TensorBoard")
        assert "tensorboard package is not installed" in notes[-1]
    else:
        assert Path(cbs[3].log_dir).parent == tmp_path
    assert [type(c).__name__ for c in cbs] == kinds
    assert cbs[0].monitor == "loss" and "no validation data" in notes[0]
    assert Path(cbs[2].filename).parent == tmp_path
    with pytest.raises(TrainingError, match="EarlyStopping does not accept"):
        make_callbacks(
            TrainingConfig(callbacks=[CallbackConfig("EarlyStopping", {"x": 1})]), tmp_path
        )


def test_run_folder_contents_and_listing(digits, runs, mlp):
    cfg = TrainingConfig(
        epochs=3,
        callbacks=[
            CallbackConfig("ModelCheckpoint", {"monitor": "val_accuracy"}),
            CallbackConfig("CSVLogger"),
            CallbackConfig("TensorBoard"),
            CallbackConfig("LearningRateScheduler", {"table": {"0": 0.01, "2": 0.001}}),
        ],
    )
    rec = Trainer(
        mlp(), digits, cfg, runs, data_config={"source": "sklearn.digits"}, graph={"name": "g"}
    ).run()
    folder = Path(rec.path)
    assert folder.parent == runs and folder.name.endswith("_" + rec.id)
    names = {p.name for p in folder.iterdir()}
    assert {
        "settings.json",
        "history.csv",
        "run.json",
        "best.keras",
        "final.keras",
        "training_log.csv",
    } <= names
    assert not [n for n in names if n.endswith(".tmp") or n.startswith(".")]
    settings = json.loads((folder / "settings.json").read_text())
    assert settings["training"] == cfg.to_dict() and settings["graph"] == {"name": "g"}
    assert settings["data"] == {"source": "sklearn.digits"}
    rows = read_history(folder)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert [round(r["learning_rate"], 6) for r in rows] == [0.01, 0.01, 0.001]
    with (folder / "history.csv").open() as f:
        assert next(csv.reader(f))[0] == "epoch"
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "completed" and record["best_model"] == "best.keras"
    assert record["duration_s"] > 0 and record["best_metrics"]["val_accuracy"] > 0.5
    assert load_run(folder) == RunRecord.from_dict(record)
    assert keras.saving.load_model(folder / "best.keras").output_names == ["digit"]
    if tensorboard_available():
        assert any((folder / "tensorboard").rglob("*tfevents*"))
    second = Trainer(mlp(), digits, TrainingConfig(epochs=1), runs).run()
    assert [r.id for r in list_runs(runs)] == [second.id, rec.id]
    delete_run(folder)
    assert [r.id for r in list_runs(runs)] == [second.id]
    with pytest.raises(TrainingError, match="not a training run folder"):
        delete_run(runs)


def test_evaluation_helpers(digits, runs, mlp):
    model = mlp()
    Trainer(model, digits, TrainingConfig(epochs=4, learning_rate=3e-3), runs).run()
    metrics = evaluate(model, digits)
    assert set(metrics) >= {"loss", "accuracy"} and metrics["accuracy"] > 0.8
    report = classification_report(model, digits)
    cm = np.array(report["matrix"])
    assert cm.shape == (10, 10) and cm.sum() == digits.num_val_samples
    assert report["accuracy"] == pytest.approx(metrics["accuracy"], abs=1e-6)
    assert len(report["per_class"]) == 10 and report["per_class"][0]["support"] == cm[0].sum()
    rows = prediction_preview(model, digits, n=5)
    assert len(rows) == 5 and {"index", "true", "predicted", "confidence"} <= set(rows[0])
    assert confusion_matrix([0, 1, 1], [0, 1, 0], 2).tolist() == [[1, 0], [1, 1]]
    pc = per_class_report(np.array([[1, 0], [1, 1]]), ["a", "b"])
    assert pc[0]["precision"] == 0.5 and pc[1]["recall"] == 0.5 and pc[1]["precision"] == 1.0


def test_train_project_headless(tmp_path):
    from app.model import ModelGraph
    from app.training.headless import TerminalProgress, train_project

    g = ModelGraph("iris")
    x = g.add_node("keras.Input", "features", {"shape": [4]})
    h = g.add_node("keras.layers.Dense", "hidden", {"units": 16, "activation": "relu"})
    o = g.add_node("keras.layers.Dense", "species", {"units": 3, "activation": "softmax"})
    g.connect(x, h)
    g.connect(h, o)
    g.set_outputs([o])

    project = Project(
        graph=g,
        data=DataSettings("sklearn.iris", normalization="standard"),
        training=TrainingSettings(optimizer="adam", learning_rate=0.01, epochs=50, batch_size=16),
        path=tmp_path / "iris.llproj",
    )

    seen = []
    import io

    out = io.StringIO()
    bar = TerminalProgress(out)
    rec = train_project(project, epochs=3, progress=lambda d: (seen.append(d["kind"]), bar(d)))
    assert rec.status == "completed" and rec.epochs_done == 3
    assert Path(rec.path).parent == tmp_path / "iris_runs"
    assert {"started", "batch", "epoch", "finished"} <= set(seen)
    assert "Epoch 3/3" in out.getvalue()


def test_logits_output_gets_from_logits_and_loss_weights_apply(digits, runs):
    x = keras.Input((64,), name="digits")
    logits = keras.layers.Dense(10, name="digit")(keras.layers.Dense(32, activation="relu")(x))
    model = keras.Model(x, logits)
    cfg = TrainingConfig(
        epochs=6,
        learning_rate=3e-3,
        loss_weights={"digit": 2.0},
        metrics={"digit": ["sparse_categorical_accuracy"]},
    )
    rec = Trainer(model, digits, cfg, runs).run()
    assert model.loss.from_logits is True
    assert rec.best_metrics["val_sparse_categorical_accuracy"] >= 0.85
    with pytest.raises(TrainingError, match="does not accept these settings"):
        compile_model(
            keras.Model(x, logits), TrainingConfig(loss_params={"digit": {"zz": 1}}), digits
        )


def test_history_file_appends_an_epoch_and_rewrites_for_a_new_column(tmp_path):
    from app.training.runs import HistoryFile, history_csv

    path = tmp_path / "history.csv"
    hist = HistoryFile(path)
    rows = [{"epoch": 1, "loss": 0.5}]
    hist.add(rows)
    rows.append({"epoch": 2, "loss": 0.25})
    hist.add(rows)
    assert path.read_text() == history_csv(rows)  # the same text as one whole write
    rows.append({"epoch": 3, "loss": 0.125, "val_loss": 0.2})  # a column the header lacks
    hist.add(rows)
    assert path.read_text() == history_csv(rows)
    assert read_history(tmp_path)[-1] == {"epoch": 3.0, "loss": 0.125, "val_loss": 0.2}
    rows.append({"epoch": 4, "val_loss": 0.1})  # a value missing: an empty cell
    hist.add(rows)
    assert path.read_text() == history_csv(rows)
    with path.open("a") as f:
        f.write("5,0.0625,-")  # a line a crash cut short
    assert read_history(tmp_path)[-1] == {"epoch": 5.0, "loss": 0.0625}
    hist.finish(rows)
    assert len(read_history(tmp_path)) == 4


def test_a_project_cannot_choose_where_training_writes(digits, runs, mlp, tmp_path):
    """Run files stay in the run folder: an absolute or ../ path from a project file keeps only
    its name there, and a file it named elsewhere is left as it was."""
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.csv"
    victim.write_text("keep me")
    cfg = TrainingConfig(
        epochs=1,
        callbacks=[
            CallbackConfig("CSVLogger", {"filename": str(victim)}),
            CallbackConfig("ModelCheckpoint", {"filename": "../../escaped.keras"}),
        ],
    )
    rec = Trainer(mlp(), digits, cfg, runs, data_config={"source": "sklearn.digits"}).run()
    folder = Path(rec.path)
    assert victim.read_text() == "keep me"
    assert (folder / "victim.csv").is_file() and (folder / "escaped.keras").is_file()
    written = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert {p for p in written if folder not in p.parents} == {victim}
    _cbs, notes = make_callbacks(cfg, folder)
    assert any("outside the run folder" in n and "victim.csv" in n for n in notes)


def test_generated_scripts_place_run_files_by_the_same_rule():
    from app.compiler.codegen_expr import flat
    from app.compiler.codegen_training import _in_output

    assert flat(_in_output("/etc/passwd", "log.csv")).endswith('"passwd")')
    assert flat(_in_output("logs/fit", "log.csv")).endswith('"logs/fit")')
