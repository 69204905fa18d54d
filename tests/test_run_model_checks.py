"""Run models (best.keras, final.keras) that evaluate and export load get the .keras file checks."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from app.cli import main
from app.compiler.keras_file import load_checked_model
from app.errors import UnsafeModelError
from app.project.examples import example_path
from app.project.runs import RUN_FILE, RunRecord


def _lambda_model():
    """A small compiled model whose middle layer is a Lambda (Python code stored in the file)."""
    import keras

    inputs = keras.Input((4,), name="x")
    doubled = keras.layers.Lambda(lambda t: t * 2, name="lam")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, name="out")(doubled))
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture
def project_with_lambda_run(tmp_path):
    """A project and a run folder whose best.keras holds a Lambda layer, written by Keras."""
    project = tmp_path / "digits.llproj"
    shutil.copy(example_path("digits_mlp"), project)
    run = tmp_path / "digits_runs" / "20260101-000000_evil"
    run.mkdir(parents=True)
    _lambda_model().save(run / "best.keras")
    record = RunRecord(id="evil", path=str(run), started="2026-01-01T00:00:00Z",
                       status="completed", best_model="best.keras")  # fmt: skip
    (run / RUN_FILE).write_text(json.dumps(record.to_dict()), encoding="utf-8")
    return project, run


@pytest.mark.parametrize("command", ["evaluate", "export"])
def test_a_run_model_with_a_lambda_is_refused_in_plain_words(
    project_with_lambda_run, tmp_path, capsys, command
):
    project, run = project_with_lambda_run
    args = [command, str(project), "--run", str(run)]
    if command == "export":
        args += ["-o", str(tmp_path / "out.keras")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The run's model in ") and str(run) in err
    assert "refused layer 'lam' (Lambda): Lambda layers run Python code" in err
    assert "Traceback" not in err and not (tmp_path / "out.keras").exists()


def test_compile_settings_are_checked_when_the_model_is_compiled(tmp_path):
    """An optimizer, loss or metric from outside Keras in compile_config is refused as well."""
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "best.keras"
    model.save(path)
    hostile = tmp_path / "hostile.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(hostile, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "config.json":
                config = json.loads(data)
                config["compile_config"]["loss"] = {
                    "module": "builtins", "class_name": "function", "config": "print",
                    "registered_name": "print",
                }  # fmt: skip
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    assert load_checked_model(hostile).count_params() == 10  # compile_config is never read
    with pytest.raises(UnsafeModelError, match="function comes from module 'builtins'") as err:
        load_checked_model(hostile, compile=True)
    assert err.value.path == str(hostile)
    assert load_checked_model(path, compile=True).compiled
