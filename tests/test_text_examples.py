"""The text examples end to end: `layerloom train` from raw strings, `export --run latest` to
.keras, and a plain Python session (no LayerLoom) predicting on raw strings what the app does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from app.project.examples import example_path, examples_dir

PLAIN = textwrap.dedent(
    """
    import json, sys
    import keras, numpy as np, tensorflow as tf
    model = keras.saving.load_model(sys.argv[1])
    texts = json.load(open(sys.argv[2]))
    out = model.predict({k: tf.constant(v) for k, v in texts.items()}, verbose=0)
    print(json.dumps([np.asarray(o).tolist() for o in out]))
    """
)


def _cli(*args: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout + proc.stderr


def test_ticket_classifier_trains_on_text_and_its_export_predicts_raw_strings(tmp_path):
    from app.compiler.keras_file import load_checked_model
    from app.data import load_dataset
    from app.project import load_project
    from app.training.evaluate import predict

    shutil.copy(example_path("ticket_classifier"), tmp_path / "tickets.llproj")
    (tmp_path / "data").mkdir()
    shutil.copy(examples_dir() / "data" / "tickets.csv", tmp_path / "data" / "tickets.csv")
    project_file = str(tmp_path / "tickets.llproj")
    out = _cli("train", project_file, "--epochs", "2", cwd=tmp_path)
    assert "Adapted TextVectorization 'text_body_vectorizer'" in out
    _cli("export", project_file, "--run", "latest", "-o", "m.keras", cwd=tmp_path)

    # What the app predicts for the first validation tickets with the run's model.
    project = load_project(project_file)
    dataset = load_dataset(project.data_config())
    (run_dir,) = [p for p in (tmp_path / "tickets_runs").iterdir() if p.is_dir()]
    model = load_checked_model(run_dir / "final.keras")
    app_out = predict(model, dataset, "val", limit=8, input_map=project.data.input_map)
    texts = {
        "title": dataset.x_val["title"][:8].tolist(),
        "text_body": dataset.x_val["body"][:8].tolist(),
        "tags": dataset.x_val["tags"][:8].tolist(),
    }
    assert all(isinstance(t, str) and t for t in texts["text_body"])
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    plain = subprocess.run(
        [sys.executable, "-c", PLAIN, str(tmp_path / "m.keras"), str(tmp_path / "texts.json")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr[-2000:]
    priority, department = (np.asarray(o) for o in json.loads(plain.stdout.splitlines()[-1]))
    np.testing.assert_allclose(priority, app_out["priority"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(department, app_out["department"], rtol=1e-5, atol=1e-6)
    assert department.shape == (8, 4)


def test_evaluate_prints_predictions_beside_the_text_of_each_sample(tmp_path, capsys):
    from app.cli import main
    from app.data import load_dataset
    from app.data.suggest import text_cell
    from app.project import load_project

    project_file = tmp_path / "folders.llproj"
    shutil.copy(example_path("text_folder_classifier"), project_file)
    shutil.copytree(
        examples_dir() / "data" / "tickets_by_department",
        tmp_path / "data" / "tickets_by_department",
    )
    assert main(["train", str(project_file), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(project_file)]) == 0
    out = capsys.readouterr().out
    assert "  Predictions on the first 5 samples:" in out
    dataset = load_dataset(load_project(project_file).data_config())
    ((name, texts),) = dataset.x_val.items()
    classes = next(iter(dataset.class_names.values()))
    lines = out.splitlines()
    start = lines.index("  Predictions on the first 5 samples:")
    for i in range(5):
        said, text = lines[start + 1 + 2 * i], lines[start + 2 + 2 * i]
        assert said.startswith(f"  {i + 1}. ") and ", true " in said
        assert any(f": {c} (" in said for c in classes)  # the predicted class and its confidence
        assert text == f"     {name}: {text_cell(np.ravel(texts)[i])}"
