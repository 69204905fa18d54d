"""layerloom export --run latest -o m.onnx on the digits examples: onnxruntime predicts what the
run's Keras model predicts (within 1e-4)."""

from __future__ import annotations

import shutil

import keras
import numpy as np
import pytest

from app.cli import main
from app.data import DataConfig, load_dataset
from app.project import load_project
from app.project.examples import example_path

ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("example", ["digits_mlp", "digits_cnn"])
def test_a_trained_digits_run_exports_to_onnx(example, tmp_path, capsys):
    project = tmp_path / f"{example}.llproj"
    shutil.copy(example_path(example), project)
    assert main(["train", str(project), "--epochs", "1", "--max-samples", "120"]) == 0
    target = tmp_path / "m.onnx"
    assert main(["export", str(project), "--run", "latest", "-o", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"-> {target} (onnx)" in out and "from run " in out

    (rec,) = load_project(project).run_records()
    model = keras.saving.load_model(f"{rec.path}/best.keras")
    data = load_dataset(DataConfig(source="sklearn.digits", seed=0))
    x = next(iter(data.x_val.values()))[:32].astype("float32")
    x = x.reshape((len(x), *model.inputs[0].shape[1:]))
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    want = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    assert (got.argmax(1) == want.argmax(1)).all()
