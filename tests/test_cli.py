"""The headless CLI, run through main([...]) on real files."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

import app
from app.cli import main
from app.model import ModelGraph
from app.project import Project, load_project, save_project
from app.project.examples import example_path
from app.training.export import EXPORT_FORMATS

MLP_PARAMS = 64 * 64 + 64 + 64 * 10 + 10


@pytest.fixture
def mlp(tmp_path):
    path = tmp_path / "digits.llproj"
    shutil.copy(example_path("digits_mlp"), path)
    return path


@pytest.fixture
def broken_shapes(tmp_path):
    """Conv2D on a flat input: a graph that loads but that Keras rejects."""
    g = ModelGraph("bad")
    x = g.add_node("keras.Input", "x", {"shape": [4]})
    c = g.add_node("keras.layers.Conv2D", "conv", {"filters": 2})
    g.connect(x, c)
    g.set_outputs([c])
    path = tmp_path / "bad.llproj"
    save_project(Project(name="bad", graph=g), path)
    return path


def test_version(capsys):
    assert main(["--version"]) == 0
    assert app.__version__ in capsys.readouterr().out


def test_help_and_bad_arguments(capsys):
    assert main(["--help"]) == 0
    assert "validate" in capsys.readouterr().out
    assert main(["export", "x.llproj"]) == 2  # -o is required
    assert "-o" in capsys.readouterr().err
    assert main([]) == 2


def test_examples(capsys):
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    assert "digits_mlp" in out and "(default)" in out and "conv_autoencoder" in out


def test_validate_ok(mlp, capsys):
    assert main(["validate", str(mlp)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and f"{MLP_PARAMS:,} parameters" in out


def test_validate_reports_model_errors(broken_shapes, capsys):
    assert main(["validate", str(broken_shapes)]) == 1
    out = capsys.readouterr().out
    assert "error:" in out and "conv" in out


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "does not exist"),
        ("{oops", "not valid JSON"),
        ('{"app": "other"}', "not a LayerLoom"),
    ],
)
def test_bad_files_exit_2_with_plain_message(tmp_path, capsys, content, words):
    path = tmp_path / "x.llproj"
    if content is not None:
        path.write_text(content)
    for command in ("validate", "summary", "codegen"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and words in err and "Traceback" not in err


def test_summary_of_project(mlp, capsys):
    assert main(["summary", str(mlp)]) == 0
    out = capsys.readouterr().out
    assert "hidden (Dense)" in out and "(None, 64)" in out and "(None, 10)" in out
    assert "dropout (Dropout)" in out
    assert f"Total params: {MLP_PARAMS:,}" in out
    assert f"Trainable params: {MLP_PARAMS:,}" in out and "Non-trainable params: 0" in out


def test_summary_of_invalid_graph(broken_shapes, capsys):
    assert main(["summary", str(broken_shapes)]) == 1
    out = capsys.readouterr().out
    assert "conv (Conv2D)" in out and "error:" in out


def test_summary_marks_shared_layers(tmp_path, capsys):
    path = tmp_path / "s.llproj"
    shutil.copy(example_path("shared_embedding"), path)
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "shares 'shared_embedding'" in out


def test_codegen_to_stdout_and_file(mlp, tmp_path, capsys):
    assert main(["codegen", str(mlp)]) == 0
    code = capsys.readouterr().out
    ast.parse(code)
    assert "Dense" in code
    target = tmp_path / "model.py"
    assert main(["codegen", str(mlp), "-o", str(target)]) == 0
    ast.parse(target.read_text())


def test_export_import_round_trip(mlp, tmp_path, capsys):
    import keras

    keras_file = tmp_path / "exported.keras"
    assert main(["export", str(mlp), "-o", str(keras_file)]) == 0
    model = keras.saving.load_model(keras_file, safe_mode=True)
    assert model.count_params() == MLP_PARAMS
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left

    assert main(["summary", str(keras_file)]) == 0
    assert f"Total params: {MLP_PARAMS:,}" in capsys.readouterr().out

    project_file = tmp_path / "imported.llproj"
    assert main(["import", str(keras_file), "-o", str(project_file)]) == 0
    imported = load_project(project_file)
    names = sorted(n.name for n in imported.graph.nodes())
    assert names == sorted(n.name for n in load_project(mlp).graph.nodes())
    # Imported weights travel in the sidecar and come back.
    weights = [w for n in imported.graph.nodes() if n.weights for w in n.weights]
    assert len(weights) == 4 and imported.warnings == []

    # An existing project is not overwritten without --force; the default name is MODEL.llproj.
    assert main(["import", str(keras_file), "-o", str(project_file)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["import", str(keras_file), "-o", str(project_file), "--force"]) == 0
    assert main(["import", str(keras_file)]) == 0
    assert load_project(tmp_path / "exported.llproj").graph.outputs


def test_export_failure_keeps_existing_file(broken_shapes, mlp, tmp_path, capsys):
    target = tmp_path / "model.keras"
    target.write_bytes(b"previous content")
    assert main(["export", str(broken_shapes), "-o", str(target)]) == 2
    assert "error: " in capsys.readouterr().err
    assert target.read_bytes() == b"previous content"
    assert main(["export", str(mlp), "-o", str(tmp_path / "model.h5")]) == 2
    assert ".keras" in capsys.readouterr().err
    assert main(["export", str(mlp), "-o", str(tmp_path / "no" / "m.keras")]) == 2


def test_a_new_build_whose_text_layers_learned_nothing_is_not_exported(tmp_path, capsys):
    """Without --run, the ticket classifier's TextVectorization layers have no vocabulary
    (they learn it when the model trains): refused in words, nothing written."""
    from app.project.examples import example_path

    target = tmp_path / "m.keras"
    assert main(["export", str(example_path("ticket_classifier")), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "'title_vectorizer' (TextVectorization) has no vocabulary yet" in err, err
    assert "--run" in err and not target.exists()


@pytest.mark.parametrize("key", list(EXPORT_FORMATS))
def test_every_export_format_of_the_table_is_offered(key, mlp, tmp_path, capsys):
    fmt = EXPORT_FORMATS[key]
    by_name, by_key = fmt.named(tmp_path / "by_name"), fmt.named(tmp_path / "by_key")
    assert main(["export", str(mlp), "-o", str(by_name)]) == 0  # the name tells the format
    assert f"-> {by_name} ({key})" in capsys.readouterr().out
    assert main(["export", str(mlp), "-o", str(by_key), "--format", key]) == 0
    assert f"-> {by_key} ({key})" in capsys.readouterr().out
    for out in (by_name, by_key):
        assert out.is_dir() if fmt.folder else out.is_file()


def test_export_format_keys_have_one_spelling(mlp, tmp_path, capsys):
    assert main(["export", str(mlp), "-o", str(tmp_path / "s"), "--format", "savedmodel"]) == 2
    assert "invalid choice: 'savedmodel'" in capsys.readouterr().err


def test_import_refuses_unsafe_keras_file(tmp_path, capsys):
    import zipfile

    bad = tmp_path / "lambda.keras"
    config = {
        "module": "keras",
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {"module": "keras.layers", "class_name": "Lambda", "name": "evil",
                 "config": {"name": "evil", "function": "print"}, "inbound_nodes": []}
            ],
            "input_layers": [],
            "output_layers": [],
        },
    }  # fmt: skip
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
    assert main(["import", str(bad), "-o", str(tmp_path / "x.llproj")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Lambda" in err
    assert not (tmp_path / "x.llproj").exists()


# ----- train / evaluate / export of trained runs ------------------------------------------------


def test_train_writes_a_run_and_adds_it_to_the_project(mlp, capsys):
    before = load_project(mlp)
    assert main(["train", str(mlp), "--epochs", "2", "--max-samples", "200"]) == 0
    out, err = capsys.readouterr()
    assert "Epoch 2/2 [" in err and "Epoch 2/2: accuracy" in err  # the terminal progress bar
    assert "completed after 2 epoch(s)" in out and "Run folder:" in out
    project = load_project(mlp)
    assert project.training == before.training and project.data == before.data
    (rec,) = project.run_records()
    run = mlp.parent / "digits_runs"
    assert rec.status == "completed" and rec.epochs_done == 2
    assert project.runs[0]["path"].startswith("digits_runs/")  # stored relative
    folder = run / project.runs[0]["path"].split("/", 1)[1]
    assert rec.path == str(folder)
    assert {"run.json", "settings.json", "history.csv", "best.keras", "final.keras"} <= {
        p.name for p in folder.iterdir()
    }
    assert json.loads((folder / "settings.json").read_text())["data"]["max_samples"] == 200
    assert [p.name for p in mlp.parent.iterdir() if p.name.startswith(".")] == []

    # Evaluate that run, by id and as "latest".
    assert main(["evaluate", str(mlp), "--run", rec.id]) == 0
    out = capsys.readouterr().out
    assert f"Run {rec.id}, best.keras, on" in out and "accuracy:" in out and "precision" in out
    assert main(["evaluate", str(mlp), "--split", "train", "--max-samples", "50"]) == 0
    assert "on 40 training samples" in capsys.readouterr().out

    # --no-save trains into --out and leaves the project file alone.
    text = mlp.read_text()
    other = mlp.parent / "elsewhere"
    assert main(["train", str(mlp), "--epochs", "1", "--max-samples", "100", "--out",
                 str(other), "--no-save"]) == 0  # fmt: skip
    assert mlp.read_text() == text and len(list(other.iterdir())) == 1

    # --no-save into the project's own runs folder: the file does not list the run, but
    # evaluate's "latest" (the project's runs: recorded plus found in its folder) is that run.
    assert main(["train", str(mlp), "--epochs", "1", "--max-samples", "100", "--no-save"]) == 0
    newest = max(run.iterdir(), key=lambda p: p.name)
    assert mlp.read_text() == text and len(list(run.iterdir())) == 2
    capsys.readouterr()
    assert main(["evaluate", str(mlp), "--split", "train", "--max-samples", "50"]) == 0
    assert f"Run {newest.name.split('_')[-1]}, best.keras" in capsys.readouterr().out


def test_export_formats_from_a_run_and_from_a_new_build(mlp, tmp_path, capsys):
    import keras
    import numpy as np

    assert main(["train", str(mlp), "--epochs", "1", "--max-samples", "100"]) == 0
    rec = load_project(mlp).run_records()[0]
    trained = keras.saving.load_model(f"{rec.path}/best.keras")
    capsys.readouterr()

    k = tmp_path / "m.keras"
    assert main(["export", str(mlp), "-o", str(k), "--run", rec.id]) == 0
    assert f"from run {rec.id} (best.keras)" in capsys.readouterr().out
    for a, b in zip(keras.saving.load_model(k).get_weights(), trained.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    w = tmp_path / "m.weights.h5"
    assert main(["export", str(mlp), "-o", str(w), "--run", "latest"]) == 0
    fresh = keras.models.clone_model(trained)
    fresh.load_weights(w)
    np.testing.assert_array_equal(fresh.get_weights()[0], trained.get_weights()[0])

    saved = tmp_path / "served"
    assert main(["export", str(mlp), "-o", str(saved), "--format", "saved_model"]) == 0
    assert (saved / "saved_model.pb").is_file()
    assert "a new build" in capsys.readouterr().out

    lite = tmp_path / "m.tflite"
    assert main(["export", str(mlp), "-o", str(lite), "--run", rec.id]) == 0
    assert lite.stat().st_size > 4 * 4810  # the float weights are in the flatbuffer

    assert main(["export", str(mlp), "-o", str(tmp_path / "x.keras"), "--format", "tflite"]) == 2
    assert "must be written to a .tflite file" in capsys.readouterr().err
    assert main(["export", str(mlp), "-o", str(tmp_path / "x.keras"), "--run", "nope"]) == 2
    assert "has no run 'nope'" in capsys.readouterr().err


def _with_settings(path, **changes):
    doc = json.loads(path.read_text())
    for part, value in changes.items():
        doc[part] = {**doc[part], **value}
    path.write_text(json.dumps(doc))
    return path


def test_training_a_bundled_example_leaves_it_as_shipped(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the user's data folder
    example = example_path("digits_mlp")
    before = example.read_bytes()
    assert main(["train", str(example), "--epochs", "1", "--max-samples", "100"]) == 0
    out = capsys.readouterr().out
    assert example.read_bytes() == before  # not even the run list
    assert "bundled example and stays unchanged" in out
    runs = list((tmp_path / "data" / "LayerLoom" / "example_runs" / "digits_mlp").iterdir())
    assert len(runs) == 1 and (runs[0] / "history.csv").is_file()
    assert not (example.parent / "digits_mlp_runs").exists() or all(
        r.name != runs[0].name for r in (example.parent / "digits_mlp_runs").iterdir()
    )


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"data": {"source": ""}}, "no data source yet"),
        ({"data": {"source": "csv", "options": {"path": "missing.csv"}}}, "does not exist"),
        ({"data": {"source": "sklearn.iris"}}, "Input 'digits' expects shape (None, 64)"),
        ({"data": {"source": "sklearn.digits_images"}}, "expects shape"),
        ({"training": {"losses": {"digit": "no_such_loss"}}}, "Unknown loss 'no_such_loss'"),
    ],
)
def test_train_refuses_bad_data_with_a_plain_message(mlp, capsys, changes, words):
    _with_settings(mlp, **changes)
    assert main(["train", str(mlp), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and words in errors[0], err  # one error line that says why
    assert err.count(words) == 1, err  # said once, not also as "Run failed. ..."
    assert "Traceback" not in err
    # Checked before a run folder is made: no failed run in the folder or the project.
    runs = mlp.parent / f"{mlp.stem}_runs"
    assert not runs.exists() or list(runs.iterdir()) == []
    assert load_project(mlp).runs == []


def test_train_bad_projects_and_models(tmp_path, broken_shapes, capsys):
    assert main(["train", str(tmp_path / "nope.llproj")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "settings.llproj"
    bad.write_text('{"app": "layerloom", "format_version": 2, "graph": {"nodes": []}, '
                   '"training": {"epochs": 0}}')  # fmt: skip
    assert main(["train", str(bad)]) == 2
    assert "number of epochs" in capsys.readouterr().err
    # A model Keras cannot build: exit code 1, as for validate; nothing is recorded.
    _with_settings(broken_shapes, data={"source": "sklearn.iris"})
    assert main(["train", str(broken_shapes)]) == 1
    err = capsys.readouterr().err
    assert err.count("error: ") == 1 and "conv" in err
    assert load_project(broken_shapes).runs == []
    assert main(["train", str(broken_shapes), "--epochs", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_evaluate_without_runs(mlp, capsys):
    assert main(["evaluate", str(mlp)]) == 2
    assert "has no run 'latest'" in capsys.readouterr().err


def test_custom_code_runs_only_with_trust_code(tmp_path, capsys):
    import uuid

    from app.nodes.custom_code_specs import DEFAULT_CODE

    marker = tmp_path / "ran.txt"
    # Unique text: nothing in this process has trusted it before.
    code = DEFAULT_CODE + f"\n\nopen({str(marker)!r}, 'w').write({uuid.uuid4().hex!r})\n"
    g = ModelGraph("custom")
    x = g.add_node("keras.Input", "x", params={"shape": [4]})
    c = g.add_node("layerloom.CustomLayer", "linear", params={"code": code})
    g.connect(x, c)
    g.set_outputs([c])
    path = tmp_path / "custom.llproj"
    save_project(Project(name="custom", graph=g), path)

    assert main(["validate", str(path)]) == 1
    assert "trust" in capsys.readouterr().out
    assert not marker.exists()
    assert main(["validate", str(path), "--trust-code"]) == 0
    assert marker.exists()


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_during_train_stops_in_order_and_the_record_tells_the_truth(mlp, sig):
    """Ctrl+C or SIGTERM after two epochs: run.json says stopped, with the epochs and time done."""
    import signal
    import subprocess
    import sys

    # Epochs enough that the run cannot end before the signal: the run writes a line per epoch
    # into a pipe that holds many, so on a busy machine it can be far ahead of this reader.
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "train", str(mlp), "--epochs", "100000", "--no-save"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(mlp.parent),
        env={**__import__("os").environ, "PYTHONPATH": str(Path(app.__file__).parent.parent)},
    )
    seen = ""
    while "Epoch 2/100000:" not in seen:  # the second epoch has ended
        ch = proc.stderr.read(1)
        assert ch, seen
        seen += ch
    proc.send_signal(getattr(signal, sig))
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    (folder,) = (mlp.parent / "digits_runs").iterdir()
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "stopped" and record["epochs_done"] >= 2, record
    assert record["duration_s"] > 0 and record["final_metrics"]


def test_train_says_what_opening_the_project_warned_about(mlp, capsys):
    doc = json.loads(mlp.read_text())
    doc["weights"] = {"file": "digits.0123abcd.weights.h5", "manifest": [], "sha256": "0" * 64}
    mlp.write_text(json.dumps(doc))
    assert main(["train", str(mlp), "--epochs", "1", "--max-samples", "64"]) == 0
    err = capsys.readouterr().err
    assert "warning: Imported weights were not restored" in err
