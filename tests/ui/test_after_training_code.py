"""After training a model with project code in the real window: the evaluation panel (metrics,
confusion matrix, previews) and File > Export in every format use the trained model."""

from __future__ import annotations

import pytest
from code_projects import CATEGORICAL_TRUE_POSITIVES, custom_layer_graph

from app.compiler import custom_code as cc
from app.project import Project, save_project
from app.project.project_code import CodeEntry
from app.training.export import EXPORT_FORMATS
from app.ui.window_parts import EVALUATION_TAB, TRAINING_TAB

pytest.importorskip("keras")

TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def _classifier_project(path) -> str:
    """Digits -> CustomLayer Scale -> Dense(10, softmax), with the guides'
    CategoricalTruePositives metric."""
    project = Project(name="coded", graph=custom_layer_graph(shape=64, units=10))
    project.graph.node(project.graph.outputs[0].node).params["activation"] = "softmax"
    project.code = [CodeEntry("metric", "CategoricalTruePositives", CATEGORICAL_TRUE_POSITIVES)]
    project.data = project.data.from_dict({"source": "sklearn.digits", "max_samples": 300})
    project.training = project.training.from_dict(
        {
            "epochs": 1,
            "batch_size": 32,
            "losses": {"y": "sparse_categorical_crossentropy"},
            "metrics": {"y": ["accuracy", "CategoricalTruePositives"]},
        }
    )
    save_project(project, path)
    return str(path)


def test_evaluate_and_export_a_model_trained_with_project_code(
    window, qtbot, tmp_path, errors, monkeypatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    assert window.open_path(_classifier_project(tmp_path / "coded.llproj"))
    banner = window.trust_banner
    assert banner.isVisible()
    banner.trust_all()
    training = window.panels.show(TRAINING_TAB)
    training.runs_root = tmp_path / "runs"
    training.ask = lambda title, question: True
    training.show_error = lambda title, message: errors.append((title, message))
    assert training.start()
    qtbot.waitUntil(lambda: not training.is_running, timeout=TIMEOUT_MS)
    assert training.last_result["status"] == "completed", (training.last_result, errors)

    evaluation = window.panels.show(EVALUATION_TAB)
    # The window hands the panel the trained model and loads the data for it.
    qtbot.waitUntil(
        lambda: evaluation.model is not None and evaluation.dataset is not None, timeout=TIMEOUT_MS
    )
    qtbot.waitUntil(lambda: not evaluation.runner.busy, timeout=TIMEOUT_MS)
    if evaluation.result is None:
        assert evaluation.evaluate(), evaluation.message.text()
    qtbot.waitUntil(
        lambda: evaluation.result is not None and not evaluation.runner.busy, timeout=TIMEOUT_MS
    )
    result = evaluation.result
    assert {"loss", "accuracy", "categorical_true_positives"} <= set(result["metrics"]), result
    assert len(result["report"]["matrix"]) == 10 and result["preview"]
    assert not evaluation.confusion.isHidden()

    for key, fmt in EXPORT_FORMATS.items():
        target = tmp_path / ("saved" if fmt.folder else f"m{fmt.suffix}")
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        window.exporter.actions[key].trigger()
        qtbot.waitUntil(lambda: not window.exporter.busy, timeout=TIMEOUT_MS)
        assert target.exists(), (key, errors)
    assert not errors
