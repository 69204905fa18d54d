""" "Open model" in the Runs table for a run whose model holds the project's own classes (here the
guides' subclassed-Model Classifier used as a layer): with the project open and trusted it opens
as a graph of that code; untrusted, it is refused in words and none of the code runs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from app.compiler import build_model
from app.compiler import custom_code as cc
from app.project import save_project
from app.ui.window_parts import TRAINING_TAB

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compiler"))
from test_subclassed_model_node import CLASSIFIER, classifier_project  # noqa: E402

pytest.importorskip("keras")
TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def _open_first_run(window):
    training = window.panels.show(TRAINING_TAB)
    runs = training.runs
    runs.refresh()
    runs.table.setCurrentItem(runs.table.topLevelItem(0))
    assert runs.open_btn.isEnabled()
    runs.open_btn.click()


def test_open_model_of_a_run_uses_the_open_projects_classes(window, qtbot, tmp_path, errors):
    marker = tmp_path / "ran.txt"
    project = classifier_project(tmp_path)
    clf = next(n for n in project.graph.nodes() if n.name == "clf")
    clf.params["code"] = CLASSIFIER + f"\nopen({str(marker)!r}, 'a').write('ran')\n"
    project.training = project.training.from_dict({"epochs": 1, "batch_size": 16})
    path = tmp_path / "p.llproj"
    save_project(project, path)
    offered: list = []
    window.ask_open_origin = lambda *a: offered.append(a) or False

    assert window.open_path(path)
    window.trust_banner.trust_all()
    training = window.panels.show(TRAINING_TAB)
    training.ask = lambda title, question: True
    training.show_error = lambda title, message: errors.append((title, message))
    assert training.start()
    qtbot.waitUntil(lambda: not training.is_running, timeout=TIMEOUT_MS)
    assert training.last_result["status"] == "completed", (training.last_result, errors)
    x = np.random.default_rng(1).normal(size=(6, 5)).astype("float32")
    trained = np.asarray(training.last_model(x))

    _open_first_run(window)
    assert errors == [] and offered == []
    doc = window.document
    assert doc.origin == "keras" and not doc.is_dirty
    node = next(n for n in doc.graph.nodes() if n.spec_id == "layerloom.CustomLayer")
    assert (node.params["class_name"], node.params["code"]) == ("Classifier", clf.params["code"])
    np.testing.assert_allclose(np.asarray(build_model(doc.graph)(x)), trained, rtol=1e-5)

    # The same project opened again, its code not trusted: refused in words, nothing runs.
    cc.forget_trust()
    marker.unlink()
    assert window.open_path(path)
    assert window.trust_banner.isVisible()
    graph = window.document.graph
    _open_first_run(window)
    title, message = errors[-1]
    assert title.startswith("Could not open") and title.endswith(".keras")
    assert "Classifier" in message and "not been trusted" in message, message
    assert offered == [] and window.document.graph is graph
    assert not marker.exists()
