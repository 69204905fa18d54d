"""A run's saved model with project code in it (custom layer, project loss and metric): loaded
back with the project's classes, evaluated and exported in every format; refused in words
while the code is not trusted."""

from __future__ import annotations

import numpy as np
import pytest
from code_projects import custom_layer_graph

from app.compiler import custom_code as cc
from app.compiler.keras_file import ProjectCodeModelError
from app.data import load_dataset
from app.errors import CompileError
from app.project import Project
from app.project.project_code import CodeEntry, new_entry
from app.project.settings import settings_from_project
from app.training.evaluate import evaluate
from app.training.export import EXPORT_FORMATS
from app.training.headless import RunHooks, train_project
from app.training.run_model import load_run_model


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def coded_project() -> Project:
    """A custom layer, a project metric (RMSE) and a project loss, on synthetic regression."""
    project = Project(name="coded", graph=custom_layer_graph())
    project.code = [new_entry("metric", "RMSE"), new_entry("loss", "my_loss")]
    project.data = project.data.from_dict(
        {"source": "synthetic", "options": {"samples": 48}, "validation": "split"}
    )
    project.training = project.training.from_dict(
        {"epochs": 1, "batch_size": 16, "losses": {"y": "my_loss"}, "metrics": {"y": ["RMSE"]}}
    )
    return project


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(project, run record, in-memory trained model) of one tiny run."""
    project = coded_project()
    cc.trust_graph(project.graph)
    cc.trust_project_code(project.code)
    hooks = RunHooks()
    rec = train_project(project, out_dir=tmp_path_factory.mktemp("runs"), hooks=hooks)
    assert rec.status == "completed"
    cc.forget_trust()
    return project, rec, hooks.model


def _run_file(rec):
    from pathlib import Path

    folder = Path(rec.path)
    return next(
        folder / n for n in (rec.best_model, rec.final_model) if n and (folder / n).is_file()
    )


def test_untrusted_project_code_is_refused_in_words(trained):
    project, rec, _ = trained
    with pytest.raises(CompileError, match="--trust-code on the command line"):
        load_run_model(_run_file(rec), project)


def test_the_run_model_loads_evaluates_and_predicts_as_trained(trained):
    project, rec, model = trained
    cc.trust_graph(project.graph)
    cc.trust_project_code(project.code)
    loaded = load_run_model(_run_file(rec), project)
    assert type(loaded.get_layer("scale")).__name__ == "Scale"
    data, _ = settings_from_project(project)
    dataset = load_dataset(data, loaded)
    metrics = evaluate(loaded, dataset, "val")
    assert set(metrics) == {"loss", "RMSE"}
    x = next(iter(dataset.x_val.values()))[:8]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("key", list(EXPORT_FORMATS))
def test_every_export_format_writes_the_run_model(trained, tmp_path, key):
    project, rec, _ = trained
    cc.trust_graph(project.graph)
    cc.trust_project_code(project.code)
    loaded = load_run_model(_run_file(rec), project)
    fmt = EXPORT_FORMATS[key]
    target = tmp_path / ("out" if fmt.folder else f"m{fmt.suffix}")
    written = fmt.write(loaded, target)
    assert written.exists()
    if key == "keras":  # the export names the same project code and loads back the same way
        again = load_run_model(written, project)
        x = np.ones((2, 4), "float32")
        np.testing.assert_allclose(again.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_code_renamed_after_the_run_is_named_in_words(trained):
    project, rec, _ = trained
    renamed = Project(name="coded", graph=project.graph)
    renamed.code = [CodeEntry("metric", "RMSE2", project.code[0].source.replace("RMSE", "RMSE2"))]
    renamed.code.append(project.code[1])
    cc.trust_graph(renamed.graph)
    cc.trust_project_code(renamed.code)
    with pytest.raises(ProjectCodeModelError, match="RMSE.*no longer defines"):
        load_run_model(_run_file(rec), renamed)
