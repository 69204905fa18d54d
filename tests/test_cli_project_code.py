"""Project code (custom losses and metrics) through the CLI: trust, train, evaluate, codegen."""

from __future__ import annotations

import json

from code_projects import SCALE_LAYER, custom_layer_graph, marker_line, regression_graph

from app.cli import main
from app.compiler.custom_code import forget_trust
from app.project import Project, load_project, save_project
from app.project.project_code import CodeEntry, new_entry

WEIGHTED_MSE = """
def weighted_mse(y_true, y_pred):
    weight = 1.0 + ops.cast(y_true > 0, y_pred.dtype)
    return ops.mean(weight * ops.square(y_true - y_pred), axis=-1)
"""


def regression_project(tmp_path, marker=None) -> Project:
    """Input(4) -> Dense(1) on synthetic regression data, with an RMSE metric and a custom loss."""
    g = regression_graph()
    mark = marker_line(marker)
    project = Project(name="reg", graph=g)
    project.code = [
        new_entry("metric", "RMSE"),
        CodeEntry("loss", "weighted_mse", WEIGHTED_MSE + mark),
    ]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 64}, "validation": "split"}
    )
    project.training = project.training.from_dict(
        {"epochs": 1, "batch_size": 16, "losses": {"y": "weighted_mse"}, "metrics": {"y": ["RMSE"]}}
    )
    path = tmp_path / "reg.llproj"
    save_project(project, path)
    return load_project(path)


def test_train_evaluate_export_with_project_code(tmp_path, capsys):
    marker = tmp_path / "ran.txt"
    project = regression_project(tmp_path, marker)
    path = str(project.path)
    assert main(["train", path]) != 0
    err = capsys.readouterr().err
    assert "trust" in err and "weighted_mse" in err, err
    assert not marker.exists()

    assert main(["train", path, "--trust-code"]) == 0, capsys.readouterr()
    assert marker.exists()
    out = capsys.readouterr().out
    assert "val_RMSE" in out, out

    forget_trust()  # as in a new process: the run's model names code nobody trusted yet
    assert main(["evaluate", path, "--run", "latest"]) == 2
    assert "--trust-code on the command line" in capsys.readouterr().err
    assert main(["evaluate", path, "--run", "latest", "--trust-code"]) == 0, capsys.readouterr()
    assert "RMSE" in capsys.readouterr().out
    target = tmp_path / "m.keras"
    assert main(["export", path, "--run", "latest", "-o", str(target), "--trust-code"]) == 0
    assert target.is_file()


def test_project_code_round_trips_through_the_file(tmp_path):
    project = regression_project(tmp_path)
    doc = json.loads(project.path.read_text())
    assert [e["name"] for e in doc["code"]] == ["RMSE", "weighted_mse"]
    assert project.code[1].source.startswith("\ndef weighted_mse")
    assert not project.trusted_code


def test_generated_script_pastes_the_code_and_trains_with_it(tmp_path, capsys):
    import subprocess
    import sys

    from tests.script_checks import ruff_problems

    project = regression_project(tmp_path)
    script = tmp_path / "s.py"
    assert main(["codegen", str(project.path), "-o", str(script)]) == 0, capsys.readouterr()
    source = script.read_text()
    assert WEIGHTED_MSE.strip() in source and "class RMSE(keras.metrics.Metric):" in source
    assert "loss=weighted_mse" in source and "metrics=[RMSE()]" in source, source
    assert ruff_problems(source) == ""
    done = subprocess.run(
        [sys.executable, str(script), "--epochs", "1"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "val_RMSE:" in done.stdout


def test_evaluate_and_export_a_run_whose_model_has_a_custom_layer(tmp_path, capsys):
    from code_projects import custom_layer_graph

    project = Project(name="layer", graph=custom_layer_graph())
    project.code = [new_entry("metric", "RMSE")]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 48}, "validation": "split"}
    )
    project.training = project.training.from_dict(
        {"epochs": 1, "batch_size": 16, "losses": {"y": "mse"}, "metrics": {"y": ["RMSE"]}}
    )
    path = tmp_path / "layer.llproj"
    save_project(project, path)
    assert main(["train", str(path), "--trust-code"]) == 0, capsys.readouterr()
    capsys.readouterr()
    forget_trust()
    assert main(["evaluate", str(path), "--run", "latest"]) == 2
    err = capsys.readouterr().err
    assert "Layer 'scale' runs custom code" in err and "--trust-code" in err, err
    assert "Traceback" not in err
    assert main(["evaluate", str(path), "--run", "latest", "--trust-code"]) == 0, (
        capsys.readouterr()
    )
    assert "RMSE" in capsys.readouterr().out
    for name in ("m.keras", "m.weights.h5", "m.tflite"):
        forget_trust()
        args = ["export", str(path), "--run", "latest", "-o", str(tmp_path / name)]
        assert main(args) == 2 and "--trust-code" in capsys.readouterr().err
        assert main([*args, "--trust-code"]) == 0, capsys.readouterr()
        assert (tmp_path / name).is_file()
    args = ["export", str(path), "--run", "latest", "-o", str(tmp_path / "sm"), "--trust-code"]
    assert main([*args, "--format", "saved_model"]) == 0, capsys.readouterr()
    assert (tmp_path / "sm" / "saved_model.pb").is_file()


LOSS_WITH_IMPORTS = """from __future__ import annotations

import math

from keras import ops as kops

HALF = 0.5 * math.log(math.e)


def half_mse(y_true, y_pred):
    return HALF * kops.mean(kops.square(y_true - y_pred), axis=-1)
"""
LAYER_WITH_IMPORTS = "import math\nimport numpy as np\n" + SCALE_LAYER.replace(
    "return ops.matmul(inputs, self.w)", "return ops.matmul(inputs, self.w) * math.sqrt(1.0)"
)


def test_scripts_of_code_with_top_level_imports_pass_ruff_and_run(tmp_path, capsys):
    import subprocess
    import sys

    from tests.script_checks import ruff_problems

    project = Project(name="imports", graph=custom_layer_graph(LAYER_WITH_IMPORTS))
    # A __future__ import pasted after the script's own imports would not even compile.
    project.code = [CodeEntry("loss", "half_mse", LOSS_WITH_IMPORTS)]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 32}, "validation": "split"}
    )
    project.training = project.training.from_dict(
        {"epochs": 1, "batch_size": 16, "losses": {"y": "half_mse"}}
    )
    path = tmp_path / "imports.llproj"
    save_project(project, path)
    script = tmp_path / "s.py"
    assert main(["codegen", str(path), "-o", str(script), "--trust-code"]) == 0, capsys.readouterr()
    source = script.read_text()
    assert ruff_problems(source) == "", source
    assert source.startswith('"""') and "from __future__ import annotations" in source
    done = subprocess.run(
        [sys.executable, str(script), "--epochs", "1"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
